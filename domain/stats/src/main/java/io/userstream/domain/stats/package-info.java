/**
 * User statistics as user-stats-service keeps them: per-user counters and status folded from the user
 * events it consumes, one version at a time, or rebuilt from a user's whole history when events went
 * missing.
 *
 * <p>Pure Java: this package depends on {@code java.*} only (enforced by ArchUnit). It shares no type
 * with {@code io.userstream.domain.user}: stats see an event only as a {@link
 * io.userstream.domain.stats.UserActivity}, so user-service's events can evolve without touching them.
 */
package io.userstream.domain.stats;
