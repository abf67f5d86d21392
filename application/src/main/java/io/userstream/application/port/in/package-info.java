/** Inbound ports: one interface per use case, called by driving adapters such as gRPC. */
package io.userstream.application.port.in;
