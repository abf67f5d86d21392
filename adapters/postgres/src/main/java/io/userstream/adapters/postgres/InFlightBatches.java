package io.userstream.adapters.postgres;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The live track's batches whose effect was started ({@link Projection#startEffect}) but is not known to be
 * complete, oldest first: the outbox relay's batches waiting for the broker's confirms. It lets the track read
 * and publish its next batch without waiting (pipelining), while its checkpoint moves strictly in order: past a
 * batch only once that batch and every earlier one completed. A failed batch fails every later one with it:
 * the track resumes from its committed checkpoint and starts them all again (at least once, never lost).
 *
 * <p>Bounded by {@code maxEvents} ({@link SubscriptionSettings#maxInFlight}): memory, and how much is started
 * again after a failure. Used by the runner's thread only.
 */
final class InFlightBatches {

    /** What completed batches reached, to be committed together. */
    record Completed(Checkpoint reached, int events) {
    }

    private record Batch(Checkpoint reached, int events, CompletableFuture<Void> effect) {
    }

    private final int maxEvents;
    private final ArrayDeque<Batch> batches = new ArrayDeque<>();
    private int events;

    InFlightBatches(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    /** Adds the newest batch, which ends at {@code reached}. */
    void add(Checkpoint reached, int count, CompletionStage<Void> effect) {
        batches.addLast(new Batch(reached, count, effect.toCompletableFuture()));
        events += count;
    }

    boolean isEmpty() {
        return batches.isEmpty();
    }

    /** How many more events may be started now; zero when the track must wait for the oldest batch. */
    int room() {
        return Math.max(0, maxEvents - events);
    }

    /** Where the next batch starts: after the newest batch in flight, or at the committed checkpoint. */
    Checkpoint readFrom(Checkpoint committed) {
        return batches.isEmpty() ? committed : batches.getLast().reached();
    }

    /** The oldest batch's effect: what the checkpoint waits for. Null if there is none. */
    CompletableFuture<Void> oldest() {
        return batches.isEmpty() ? null : batches.getFirst().effect();
    }

    /**
     * Takes the batches at the front whose effect completed successfully, up to the first that did not
     * complete yet or failed; null if there is none.
     */
    Completed takeCompleted() {
        Checkpoint reached = null;
        int count = 0;
        while (!batches.isEmpty()) {
            CompletableFuture<Void> effect = batches.getFirst().effect();
            if (!effect.isDone() || effect.isCompletedExceptionally()) {
                break;
            }
            Batch batch = batches.removeFirst();
            events -= batch.events();
            reached = batch.reached();
            count += batch.events();
        }
        return reached == null ? null : new Completed(reached, count);
    }

    /**
     * If the oldest batch failed: forgets it and every later batch (their effects may still complete; nobody
     * waits for them) and returns why. Null if the oldest did not fail (or there is none).
     */
    RuntimeException takeFailure() {
        CompletableFuture<Void> effect = oldest();
        if (effect == null || !effect.isCompletedExceptionally()) {
            return null;
        }
        clear();
        if (effect.isCancelled()) {
            return new IllegalStateException("the effect was cancelled");
        }
        Throwable cause = effect.exceptionNow();
        if (cause instanceof CompletionException wrapped && wrapped.getCause() != null) {
            cause = wrapped.getCause();
        }
        return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause.toString(), cause);
    }

    /** Forgets every batch: the track moved elsewhere or stops. */
    void clear() {
        batches.clear();
        events = 0;
    }
}
