/**
 * What queries show: a user as the read model holds it, the entries of the audit trail, and the
 * status and parked events of projections.
 *
 * <p>These shapes are spoken by both the query use cases ({@code port.in}) and the outbound ports
 * that supply them ({@code port.out}). They live here, apart from both, because inbound and outbound
 * ports must not depend on each other (ArchitectureTest); like the domain, this package depends on
 * nothing but the domain and {@code java.*}.
 */
package io.userstream.application.view;
