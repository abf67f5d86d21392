/** Implementations of the inbound ports, written against outbound ports only. */
package io.userstream.application.service;
