package io.userstream.application.view;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a projection stands, as an operator needs to see it.
 *
 * @param name                   the projection (also its subscription's name)
 * @param state                  what it is doing
 * @param checkpoint             {@code <transaction id>/<position>} of the last event it handled
 * @param lagEvents              committed events it has not handled yet
 * @param lagSeconds             age of the oldest event it has not handled; 0 when caught up
 * @param parkedEvents           events it gave up on, waiting for an operator
 * @param horizonBlockedSeconds  age of the oldest open writing transaction: while it is open, no
 *                               subscription may pass the events it may still commit, so a large
 *                               value explains a projection that stalls
 * @param rebuild                progress of a running rebuild
 * @param lastError              the last error it met, if any
 * @param updatedAt              when its checkpoint or state last changed
 * @param rebuildRequested       a rebuild was asked for and is not swapped in yet (waiting to start, or running)
 */
public record ProjectionStatus(String name, ProjectionState state, String checkpoint, long lagEvents,
                               double lagSeconds, long parkedEvents, double horizonBlockedSeconds,
                               Optional<RebuildProgress> rebuild, Optional<String> lastError, Instant updatedAt,
                               boolean rebuildRequested) {

    public ProjectionStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(rebuild, "rebuild");
        Objects.requireNonNull(lastError, "lastError");
    }

    /** What a projection is doing. */
    public enum ProjectionState {
        /** At (or within one batch of) the head of the log. */
        RUNNING,
        /** More than one batch behind. */
        CATCHING_UP,
        /** Building a shadow copy from the start of the log while following new events. */
        REBUILDING,
        /** No instance holds it. */
        STOPPED,
        /**
         * Halted on an event it could not handle (stop-on-failure policy), or its last rebuild could not
         * apply every event and was not swapped in (the live copy keeps serving); see the last error.
         */
        FAILED
    }

    /**
     * Progress of a rebuild.
     *
     * @param done            events applied to the shadow copy
     * @param total           events in the log when the rebuild started
     * @param eventsPerSecond average rate since it started (time spent building indexes included)
     * @param startedAt       when it started
     * @param eta             time left in the current phase: while applying events, the events left at that
     *                        rate (a lower bound: the rebuild also follows newer events), then the index build
     *                        follows; while building indexes, the indexes left at the time each one took so far.
     *                        Empty until there is a rate
     * @param phase           what the rebuild is doing
     * @param indexesBuilt    indexes of the live table built on the shadow copy after its events were applied
     * @param indexesToBuild  how many such indexes the rebuild builds in all (0 if none)
     */
    public record RebuildProgress(long done, long total, double eventsPerSecond, Instant startedAt,
                                  Optional<Duration> eta, RebuildPhase phase, int indexesBuilt, int indexesToBuild) {
        public RebuildProgress {
            Objects.requireNonNull(eta, "eta");
            Objects.requireNonNull(phase, "phase");
        }
    }

    /** What a rebuild is doing. */
    public enum RebuildPhase {
        /**
         * Applying the log to the shadow copy, which has only the indexes its writes need (its primary key and
         * unique indexes), so that the rate holds as it grows.
         */
        APPLYING_EVENTS,
        /** Every event up to the live checkpoint is applied: building the shadow copy's other indexes. */
        BUILDING_INDEXES
    }
}
