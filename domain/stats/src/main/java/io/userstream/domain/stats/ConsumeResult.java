package io.userstream.domain.stats;

/**
 * What consuming one user event did to the stats. Here, in the domain, because both the use case that
 * returns it and the observer that counts it need it, and those two ports may not know each other.
 */
public enum ConsumeResult {
    /** The event was the user's next one and is now reflected in the stats. */
    APPLIED,
    /** The event was seen before (same event id) or the stats already reflect its version; nothing changed. */
    DUPLICATE,
    /**
     * The event did not follow the stats' last version (an event was lost or came out of order), so the
     * stats were rebuilt from the user's whole history.
     */
    RESYNCED
}
