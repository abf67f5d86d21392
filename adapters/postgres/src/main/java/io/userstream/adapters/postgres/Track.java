package io.userstream.adapters.postgres;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One read position in the log and the table it feeds: the live table (the subscription's checkpoint), or
 * a rebuild's shadow (the rebuild's checkpoint, of one rebuild: {@code generation} is its start time). Also
 * holds the adaptive batch size and the event it keeps failing on (position, attempts, when it is due
 * again), and, for a projection that pipelines its effect, the batches still in flight ({@link InFlightBatches};
 * {@link #checkpoint} is then the committed position, and reading goes on after the newest batch in flight).
 * Used by one thread: the runner's (live) or the rebuild driver's.
 */
final class Track {

    final String subscription;
    final String table;
    /** The rebuild's start time (its identity: a later rebuild has another); null for the live track. */
    final Instant generation;
    final BatchSizer sizer;
    /** Batches whose effect is started but not known complete; only the live track of a pipelining projection has any. */
    final InFlightBatches inFlight;
    Checkpoint checkpoint;
    private long failingPosition = -1;
    private int attempts;
    private Instant retryAt = Instant.MIN;

    private Track(String subscription, String table, Instant generation, int maxBatch, int maxInFlight,
                  Checkpoint checkpoint) {
        this.subscription = subscription;
        this.table = table;
        this.generation = generation;
        this.sizer = new BatchSizer(maxBatch);
        this.inFlight = new InFlightBatches(maxInFlight);
        this.checkpoint = checkpoint;
    }

    static Track live(String subscription, String table, int maxBatch, int maxInFlight) {
        return new Track(subscription, table, null, maxBatch, maxInFlight, Checkpoint.START);
    }

    /** A rebuild applies its batches one at a time: nothing in flight. */
    static Track rebuild(String subscription, String shadowTable, Instant generation, int maxBatch,
                         Checkpoint checkpoint) {
        return new Track(subscription, shadowTable, generation, maxBatch, 1, checkpoint);
    }

    boolean isRebuild() {
        return generation != null;
    }

    /** Live and rebuild parking never share rows: an operator's retry or a live park must not touch the other. */
    String parkingName() {
        return isRebuild() ? subscription + SubscriptionRunner.REBUILD_PARKING_SUFFIX : subscription;
    }

    /** For log lines: the subscription, and whether this is its rebuild. */
    String describe() {
        return isRebuild() ? subscription + " (rebuild)" : subscription;
    }

    /** Counts a failed attempt on the event at {@code position}, schedules the next one, returns the attempts so far. */
    int failed(long position, Duration firstBackoff) {
        if (position != failingPosition) {
            failingPosition = position;
            attempts = 0;
        }
        attempts++;
        retryAfter(firstBackoff.multipliedBy(1L << Math.min(attempts - 1, 20)));
        return attempts;
    }

    void retryAfter(Duration delay) {
        retryAt = Instant.now().plus(delay);
    }

    /** The failing event was passed (applied, parked) or left behind. */
    void clearFailure() {
        failingPosition = -1;
        attempts = 0;
        retryAt = Instant.MIN;
    }

    /** Moves to {@code at}, which another transaction (a swap) wrote: whatever was failing is behind. */
    void restartAt(Checkpoint at) {
        checkpoint = at;
        // Batches in flight were read from the old position: their effects may still complete, but their
        // positions mean nothing now (what they did is done again from here).
        inFlight.clear();
        clearFailure();
        sizer.reset();
    }

    boolean waitsForRetry() {
        return Instant.now().isBefore(retryAt);
    }

    /** Time until the failing event is due again; very long when there is none. */
    Duration untilRetry() {
        return retryAt.equals(Instant.MIN) ? ChronoUnit.FOREVER.getDuration()
                : Duration.between(Instant.now(), retryAt);
    }
}
