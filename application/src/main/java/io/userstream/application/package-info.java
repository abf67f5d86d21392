/**
 * The application layer: use cases (inbound ports, {@code port.in}), the roles they need from the
 * outside world (outbound ports, {@code port.out}) and the services that implement the use cases.
 * Depends only on the domain and {@code java.*}; no framework, JDBC, JSON or protobuf type appears here.
 */
package io.userstream.application;
