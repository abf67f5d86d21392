package io.userstream.adapters.postgres;

import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.view.ProjectionVerification;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A read model kept in PostgreSQL from the event log. Its effects run in the subscription's
 * transaction, together with the checkpoint, so an event is applied exactly when the checkpoint
 * passes it. The table is a parameter because a rebuild applies the same events to a shadow copy.
 */
interface Projection {

    /** Name of the projection and of its subscription. */
    String name();

    /** The live table it maintains; empty for a projection whose effect is outside PostgreSQL. */
    String table();

    /**
     * Applies one event to {@code table}. Must be idempotent (a version already applied changes
     * nothing), and must throw rather than silently ignore an event it cannot apply.
     */
    void apply(Connection transaction, String table, RecordedUserEvent event) throws SQLException;

    /**
     * Applies a batch of events, in log order, to {@code table}. A projection that keeps a table
     * overrides this to write the batch's net effect with a few set-based statements (the runner never
     * asks for one statement per event); the default applies the events one by one. Same contract as
     * {@link #apply}: idempotent, and throwing (which rolls the whole batch back; the runner then
     * isolates the failing event by splitting the batch) rather than ignoring an event.
     */
    default void applyBatch(Connection transaction, String table, List<RecordedUserEvent> events) throws SQLException {
        for (RecordedUserEvent event : events) {
            apply(transaction, table, event);
        }
    }

    /** Removes what the projection knows of one stream, before the stream is replayed into it. */
    void forget(Connection transaction, String table, UUID streamId) throws SQLException;

    /**
     * How many entries of the {@code shadow} table are behind the {@code live} one: checked before a
     * rebuilt shadow is swapped in, so that a shadow that missed anything never replaces the live
     * table. Zero for a projection that cannot tell.
     */
    default long rowsBehind(Connection transaction, String live, String shadow) throws SQLException {
        return 0;
    }

    /**
     * Compares {@code table} with what the log up to {@code checkpoint} says it should hold, in the
     * caller's read-only snapshot (the one {@code checkpoint} was read in), and lists up to
     * {@code limit} differing entries. Empty for a projection that cannot tell.
     */
    default Optional<ProjectionVerification> verify(Connection snapshot, String table, Checkpoint checkpoint,
                                                    int limit) throws SQLException {
        return Optional.empty();
    }

    /** Called before the events of a batch (or replay) are applied. */
    default void beginBatch() {
    }

    /**
     * Called after every event of the batch was applied and before the checkpoint commits: an
     * effect outside PostgreSQL is completed (and confirmed) here, so the checkpoint only moves past
     * events whose effect is done. Throwing rolls the batch back; it is read and applied again.
     */
    default void beforeCommit() {
    }

    /**
     * Whether the live track may pipeline this projection's effect: start it with {@link #startEffect} instead
     * of completing it in {@link #beforeCommit}, read the next batches while it completes, and commit each
     * batch's position once it and every earlier batch completed ({@link InFlightBatches}). Worth it for an
     * effect that waits on something slow outside PostgreSQL (the broker's confirms). A rebuild and an
     * operator's replay still use {@link #beforeCommit}.
     */
    default boolean pipelinesEffect() {
        return false;
    }

    /**
     * Called instead of {@link #beforeCommit} when the effect is pipelined: starts the batch's effect and
     * returns without waiting for it. The stage completes when the effect is done, and fails if it is not;
     * a stage that fails makes the track resume from its committed checkpoint. Throwing means it could not
     * even start, like {@link #beforeCommit} throwing.
     */
    default CompletionStage<Void> startEffect() {
        beforeCommit();
        return CompletableFuture.completedFuture(null);
    }
}
