package io.userstream.application.port.out;

/** What an append did. */
public sealed interface AppendOutcome {

    /** The events were stored; the stream is now at {@code newVersion}. */
    record Appended(long newVersion) implements AppendOutcome {
    }

    /** The stream was not at the expected version: someone else appended first. Nothing was stored. */
    record VersionConflict() implements AppendOutcome {
    }

    /** Another stream holds a reservation this append wanted. Nothing was stored. */
    record ReservationTaken(Reservation reservation) implements AppendOutcome {
    }
}
