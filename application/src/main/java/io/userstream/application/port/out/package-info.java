/** Outbound ports: roles the use cases need, implemented by driven adapters (PostgreSQL, crypto, clock). */
package io.userstream.application.port.out;
