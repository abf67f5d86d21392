/**
 * The User aggregate: its value types, commands' decisions, events and rejections.
 *
 * <p>Pure Java: this package depends on {@code java.*} only (enforced by ArchUnit). Commands are
 * decided by methods on {@link io.userstream.domain.user.User} that validate and return new
 * events; {@link io.userstream.domain.user.User#evolve} only applies an event and never fails.
 */
package io.userstream.domain.user;
