package io.userstream.domain.stats;

/**
 * What a user event did, as far as stats care. One constant per event type of user-service; the
 * payload does not matter to stats, so it is not carried.
 */
public enum ActivityType {
    CREATED,
    EMAIL_CHANGED,
    PASSWORD_CHANGED,
    PROFILE_UPDATED,
    ACTIVATED,
    DEACTIVATED,
    DELETED,
    /** The user's personal data was erased; stats hold none, and count the user as deleted. */
    ERASED
}
