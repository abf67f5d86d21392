package io.userstream.domain.stats;

/**
 * The user's status as of the last event the stats reflect. Its own type rather than user-service's
 * {@code UserStatus}, so that the two services' models stay independent.
 */
public enum StatsStatus {
    ACTIVE,
    INACTIVE,
    DELETED
}
