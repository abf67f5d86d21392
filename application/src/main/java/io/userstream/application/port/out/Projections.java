package io.userstream.application.port.out;

import io.userstream.application.view.ParkedEvent;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.domain.user.UserId;

import java.util.List;
import java.util.Optional;

/**
 * Control of the projections that keep read models from the event log: their status, rebuilds,
 * replays and parked events. Unknown names are the caller's to check against {@link #names()}.
 */
public interface Projections {

    /** Names of the registered projections. */
    List<String> names();

    /** The status of every registered projection, read from the database now. */
    List<ProjectionStatus> statuses();

    /**
     * Asks for a rebuild of {@code name} from the start of the log into a shadow copy, swapped in
     * atomically when it has caught up; the live copy keeps serving meanwhile. A request while a
     * rebuild runs is queued, not dropped: another rebuild starts when the running one ends (requests
     * while one is pending or queued add nothing). A rebuild that cannot apply every event is not
     * swapped in; the status then shows FAILED and why.
     */
    ProjectionStatus requestRebuild(String name);

    /** Re-applies all events of one user to projection {@code name}; returns how many were applied. */
    long replayStream(String name, UserId userId);

    /** Parked events of one projection, or of all if empty, oldest first. */
    List<ParkedEvent> parkedEvents(Optional<String> name);

    /**
     * Applies a parked event again (with the rest of its user's stream, so order is kept) and
     * unparks it on success.
     *
     * @return empty on success, else why it failed again (it stays parked)
     * @throws IllegalArgumentException if no such event is parked
     */
    Optional<String> retryParkedEvent(String name, long position);

    /**
     * Compares the table of projection {@code name} with the fold of every stream in the log, in one
     * read-only snapshot, at bulk speed (one streaming pass, never a query per user); safe while writers
     * and the projection run. Streams with events after the projection's checkpoint are skipped.
     *
     * @param limit how many differing users to list, at least 1 (all are counted)
     * @return empty if the projection keeps no table to compare (its effect is outside PostgreSQL)
     */
    Optional<ProjectionVerification> verify(String name, int limit);
}
