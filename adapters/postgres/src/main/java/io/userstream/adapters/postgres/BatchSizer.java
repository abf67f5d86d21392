package io.userstream.adapters.postgres;

import java.time.Duration;

/**
 * How many events a track reads at its next batch. Adaptive: a full batch means the track is behind, so the
 * limit doubles (throughput), up to the configured maximum, as long as a batch stays within
 * {@link #TARGET}; a slower batch halves it (a transaction that runs long holds the log's horizon, which
 * every subscription waits for). At the head of the log a read returns what there is, so batches are
 * small there anyway (latency).
 *
 * <p>Also isolates a failing event without a round trip per event: when a batch fails for a reason of
 * its own, the next reads take half as many events each time, until a batch of one fails (that event is
 * the culprit, handed to the failure policy) or the reads pass the end of the batch that failed. The
 * limit does not grow meanwhile, or it would take the culprit back into a big batch.
 */
final class BatchSizer {

    /** The longest a batch should take; a slower one halves the next limit. */
    static final Duration TARGET = Duration.ofMillis(250);

    private final int initial;
    private final int max;
    private int limit;
    /** The end of the batch that failed, while its culprit is being isolated; null otherwise. */
    private Checkpoint isolatingThrough;

    /** @param max the largest batch ({@link SubscriptionSettings#batchSize()}) */
    BatchSizer(int max) {
        this.max = max;
        this.initial = Math.min(max, 100);
        this.limit = initial;
    }

    /** Events to read at the next batch. */
    int limit() {
        return limit;
    }

    /** Whether a failed batch is being narrowed down to its culprit. */
    boolean isolating() {
        return isolatingThrough != null;
    }

    /** A batch of {@code read} events committed in {@code took}, reaching {@code reached}. */
    void committed(int read, Duration took, Checkpoint reached) {
        if (isolatingThrough != null) {
            if (reached.hasReached(isolatingThrough)) {
                isolatingThrough = null;
                limit = initial;
            }
            return;
        }
        if (took.compareTo(TARGET) > 0) {
            limit = Math.max(Math.min(initial, limit), limit / 2);
        } else if (read >= limit) {
            limit = (int) Math.min(max, 2L * limit);
        }
    }

    /** A batch of {@code size} events ending at {@code last} failed for a reason of its own. */
    void failed(int size, Checkpoint last) {
        if (isolatingThrough == null || last.hasReached(isolatingThrough)) {
            isolatingThrough = last;
        }
        limit = Math.max(1, size / 2);
    }

    /** The culprit was passed (parked) or the track moved elsewhere (a swap): back to normal batches. */
    void reset() {
        isolatingThrough = null;
        limit = initial;
    }
}
