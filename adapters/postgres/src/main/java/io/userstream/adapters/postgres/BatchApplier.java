package io.userstream.adapters.postgres;

import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.port.out.RecordedUserEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Applies one batch of a {@link Track} in ONE transaction: takes the subscription's transaction lock,
 * reads the track's position, reads the next events of the gap-safe log ({@link EventLog}), hands them to
 * the projection as a batch ({@link Projection#applyBatch}: a few set-based statements, never one per
 * event), and moves the position, so an event is applied exactly when its position is passed.
 *
 * <p>Each track has its own lock ({@link #lockTrack}), so the live track and a rebuild never wait for each
 * other; what touches both takes both ({@link #lockSubscription}).
 *
 * <p>A batch that fails for a reason of its own (not a lost connection, a deadlock, a serialization
 * failure, a lock timeout or a cancellation, which roll it back to be read again) is rolled back whole (no
 * savepoint per event: hundreds of subtransactions in one transaction overflow PostgreSQL's cache of them
 * and slow every snapshot in the cluster) and the culprit is isolated by reading smaller batches
 * ({@link BatchSizer}); an event that fails alone goes to the {@link FailingEventPolicy}. An event that
 * cannot even be decoded is found before any SQL runs: the batch stops short of it.
 *
 * <p>A projection that pipelines its effect ({@link Projection#pipelinesEffect}, the outbox relay) is stepped
 * differently on the live track: a batch's transaction only reads it and starts its effect, and the position
 * is committed in a transaction of its own once that batch and every earlier one completed
 * ({@link InFlightBatches}); meanwhile the next batches are read after the newest one in flight. A failed
 * effect throws {@link EffectFailed} as before, and the runner resumes from the committed checkpoint. An
 * event's own failure is only acted on (retried, parked, stopped before) once nothing is in flight, so that
 * the position it moves from is the committed one.
 */
final class BatchApplier {

    /**
     * What a step did.
     *
     * @param progressed whether the track moved on
     * @param stoppedOn  why the stop policy stopped the track; null if it did not
     * @param heldBack   nothing could be read, yet the log holds committed events after the track: they wait
     *                   behind the horizon (an older transaction still running, see {@link EventLog}). Whatever
     *                   ends that transaction need not send a NOTIFY, so the caller must look again soon
     *                   rather than wait for one.
     * @param inFlight   the oldest batch whose effect is in flight (pipelined), or null: once it completes, the
     *                   next step can move the checkpoint (and may read again), so the caller should not wait
     *                   much longer than that
     */
    record Result(boolean progressed, String stoppedOn, boolean heldBack, CompletableFuture<Void> inFlight) {
        static final Result IDLE = new Result(false, null, false);
        static final Result HELD_BACK = new Result(false, null, true);
        static final Result PROGRESSED = new Result(true, null, false);

        Result(boolean progressed, String stoppedOn, boolean heldBack) {
            this(progressed, stoppedOn, heldBack, null);
        }

        /** This result, noting the oldest batch in flight ({@code oldest}, may be null). */
        Result awaiting(CompletableFuture<Void> oldest) {
            return oldest == null ? this : new Result(progressed, stoppedOn, heldBack, oldest);
        }
    }

    /** The rebuild this track belongs to has ended or been replaced: its driver must stop. */
    static final class RebuildSuperseded extends RuntimeException {
        RebuildSuperseded(String message) {
            super(message);
        }
    }

    /** The projection's effect outside PostgreSQL failed ({@link Projection#beforeCommit}): not an event's fault. */
    static final class EffectFailed extends RuntimeException {
        EffectFailed(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static final Logger LOG = Logger.getLogger(BatchApplier.class.getName());
    private static final String LIVE_LOCK = "#live-batch";
    private static final String REBUILD_LOCK = "#rebuild-batch";

    private final Projection projection;
    private final FailingEventPolicy failures;
    private final ProjectionObserver observer;
    private final EventLog log = new EventLog();
    private final UserEventCodec codec;

    BatchApplier(Projection projection, SubscriptionSettings settings, ProjectionObserver observer,
                 UserEventCodec codec) {
        this.codec = codec;
        this.projection = projection;
        this.failures = new FailingEventPolicy(settings, observer);
        this.observer = observer;
    }

    /** The events a transaction read, and how many of them decoded before the first that did not. */
    private static final class Attempt {
        List<LoggedEvent> read = List.of();
        List<RecordedUserEvent> decoded = List.of();
        String undecodable;
        Checkpoint reached;
        boolean heldBack;
        /** The effect a pipelined batch started. */
        CompletionStage<Void> effect;
    }

    /**
     * Reads and applies the track's next batch. IDLE if there was nothing to do (nothing to read, or the
     * failing event is not due yet). Throws for the errors that are nobody's fault (see above), for a failed
     * effect ({@link EffectFailed}) and for a superseded rebuild.
     */
    Result step(Connection connection, Track track) throws SQLException {
        if (!projection.pipelinesEffect() || track.isRebuild()) {
            return read(connection, track, false);
        }
        boolean committed = commitCompleted(connection, track);
        Result read = track.inFlight.room() == 0 ? Result.IDLE : read(connection, track, true);
        if (committed && !read.progressed() && read.stoppedOn() == null) {
            read = Result.PROGRESSED;
        }
        return read.awaiting(track.inFlight.oldest());
    }

    /**
     * Commits the track's position past the batches in flight whose effect completed, oldest first, up to
     * the first that has not; true if it moved. Throws {@link EffectFailed} if that first one failed: it and
     * every later batch are forgotten, and the track resumes from the committed position.
     */
    private boolean commitCompleted(Connection connection, Track track) throws SQLException {
        InFlightBatches.Completed completed = track.inFlight.takeCompleted();
        boolean moved = completed != null && SessionConnections.inTransaction(connection, () -> {
            lockTrack(connection, track);
            if (!syncPosition(connection, track)) {
                return false;   // Moved meanwhile (restarted from the beginning): what was in flight is behind.
            }
            savePosition(connection, track, completed.reached(), completed.events(), "RUNNING", null);
            return true;
        });
        if (moved) {
            track.checkpoint = completed.reached();
            track.clearFailure();
            observer.processed(track.subscription, completed.events());
        }
        RuntimeException failure = track.inFlight.takeFailure();
        if (failure != null) {
            throw new EffectFailed(failure);
        }
        return moved;
    }

    /**
     * Reads the track's next batch and applies it; {@code pipelined}: reads after the batches in flight, starts
     * the batch's effect and adds it to them, without moving the position.
     */
    private Result read(Connection connection, Track track, boolean pipelined) throws SQLException {
        if (track.waitsForRetry()) {
            return Result.IDLE;
        }
        Attempt attempt = new Attempt();
        long started = System.nanoTime();
        try {
            SessionConnections.inTransaction(connection, () -> {
                lockTrack(connection, track);
                syncPosition(connection, track);
                Checkpoint from = pipelined ? track.inFlight.readFrom(track.checkpoint) : track.checkpoint;
                int limit = pipelined ? Math.min(track.sizer.limit(), track.inFlight.room()) : track.sizer.limit();
                attempt.read = log.after(connection, from, limit);
                if (attempt.read.isEmpty()) {
                    attempt.heldBack = log.anyAfter(connection, from);
                    return null;
                }
                attempt.decoded = decode(attempt.read, attempt);
                if (attempt.decoded.isEmpty()) {
                    return null;
                }
                projection.beginBatch();
                projection.applyBatch(connection, track.table, attempt.decoded);
                Checkpoint reached = attempt.read.get(attempt.decoded.size() - 1).checkpoint();
                try {
                    if (pipelined) {
                        // Nothing to write: the position moves once the effect completed (commitCompleted).
                        attempt.effect = projection.startEffect();
                        attempt.reached = reached;
                        return null;
                    }
                    projection.beforeCommit();
                } catch (RuntimeException e) {
                    throw new EffectFailed(e);
                }
                attempt.reached = reached;
                savePosition(connection, track, attempt.reached, attempt.decoded.size(), "RUNNING", null);
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            if (e instanceof RebuildSuperseded || e instanceof EffectFailed || attempt.decoded.isEmpty()
                    || isConnectionLost(connection) || isTransient(e)) {
                throw e;
            }
            if (pipelined && !track.inFlight.isEmpty()) {
                return Result.IDLE;   // Acted on once the batches before it are committed (see the class comment).
            }
            return batchFailed(connection, track, attempt.read.subList(0, attempt.decoded.size()), describe(e));
        }
        if (attempt.reached != null && pipelined) {
            track.inFlight.add(attempt.reached, attempt.decoded.size(), attempt.effect);
            track.sizer.committed(attempt.decoded.size(), Duration.ofNanos(System.nanoTime() - started), attempt.reached);
            return Result.PROGRESSED;
        }
        if (attempt.reached != null) {
            int applied = attempt.decoded.size();
            track.checkpoint = attempt.reached;
            track.clearFailure();
            track.sizer.committed(applied, Duration.ofNanos(System.nanoTime() - started), attempt.reached);
            if (!track.isRebuild()) {
                observer.processed(track.subscription, applied);
            }
            return Result.PROGRESSED;
        }
        if (attempt.undecodable != null && pipelined && !track.inFlight.isEmpty()) {
            return Result.IDLE;   // Acted on once the batches before it are committed (see the class comment).
        }
        if (attempt.undecodable != null) {
            // The first event of the batch cannot be decoded: it is the culprit, no SQL needed to tell.
            return eventFailed(connection, track, attempt.read.getFirst(), attempt.undecodable);
        }
        return attempt.heldBack ? Result.HELD_BACK : Result.IDLE;
    }

    /** Decodes {@code read} up to the first event that cannot be decoded, whose error goes to {@code attempt}. */
    private List<RecordedUserEvent> decode(List<LoggedEvent> read, Attempt attempt) {
        List<RecordedUserEvent> decoded = new ArrayList<>(read.size());
        for (LoggedEvent event : read) {
            try {
                decoded.add(event.decode(codec));
            } catch (RuntimeException e) {
                attempt.undecodable = describe(e);
                break;
            }
        }
        return decoded;
    }

    private Result batchFailed(Connection connection, Track track, List<LoggedEvent> tried, String error)
            throws SQLException {
        if (tried.size() > 1) {
            LOG.fine(() -> "subscription " + track.describe() + ": a batch of " + tried.size() + " failed (" + error
                    + "); isolating the failing event");
            track.sizer.failed(tried.size(), tried.getLast().checkpoint());
            return Result.PROGRESSED;
        }
        return eventFailed(connection, track, tried.getFirst(), error);
    }

    private Result eventFailed(Connection connection, Track track, LoggedEvent event, String error)
            throws SQLException {
        return switch (failures.failed(track, event, error)) {
            case RETRY_LATER -> Result.IDLE;
            case PARK -> park(connection, track, event, error);
            case STOP -> stop(connection, track, event, error);
        };
    }

    /** Parks the event and moves the track past it, in one transaction. */
    private Result park(Connection connection, Track track, LoggedEvent event, String error) throws SQLException {
        boolean parked = SessionConnections.inTransaction(connection, () -> {
            lockTrack(connection, track);
            if (!syncPosition(connection, track)) {
                return false;   // Someone moved the track meanwhile (a swap): the event is behind it now.
            }
            failures.park(connection, track, event, error);
            savePosition(connection, track, event.checkpoint(), 1, "RUNNING", null);
            return true;
        });
        if (parked) {
            track.checkpoint = event.checkpoint();
            track.sizer.reset();
            failures.parked(track, event, error);
        }
        return Result.PROGRESSED;
    }

    /**
     * The stop policy: the track stays before the event. The live track records FAILED with the reason and
     * tries again after a while; a rebuild's driver ends the rebuild with the reason.
     */
    private Result stop(Connection connection, Track track, LoggedEvent event, String error) throws SQLException {
        String reason = "stopped before event at position " + event.position() + ": " + error;
        if (!track.isRebuild()) {
            SessionConnections.inTransaction(connection, () -> {
                lockTrack(connection, track);
                if (syncPosition(connection, track)) {
                    savePosition(connection, track, track.checkpoint, 0, "FAILED", reason);
                }
                return null;
            });
            track.retryAfter(FailingEventPolicy.stoppedRetry());
            LOG.severe(() -> "subscription " + track.describe() + " " + reason);
        }
        return new Result(false, reason, false);
    }

    /**
     * Locks the whole subscription for the rest of the transaction: its live track and its rebuild. Taken
     * by what touches both, or must not run half-way through a batch of either: the swap, the start and end
     * of a rebuild, and an operator's replay in {@link PostgresProjections}. Always the rebuild's lock first,
     * then the live one, so no two of them can deadlock.
     */
    static void lockSubscription(Connection connection, String name) throws SQLException {
        lock(connection, name + REBUILD_LOCK);
        lock(connection, name + LIVE_LOCK);
    }

    /**
     * Locks one track for the rest of the transaction. The live track and a rebuild each have their own
     * lock, so a rebuild's batch never makes a live batch wait (nor the other way round).
     */
    static void lockTrack(Connection connection, Track track) throws SQLException {
        lock(connection, track.subscription + (track.isRebuild() ? REBUILD_LOCK : LIVE_LOCK));
    }

    /**
     * A transaction-level advisory lock, not a row lock: it takes no transaction id, so a batch that has not
     * written yet (or a relay waiting for the broker) does not hold back the log's horizon that every
     * subscription reads below.
     */
    private static void lock(Connection connection, String key) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(?))")) {
            lock.setString(1, key);
            lock.executeQuery().close();
        }
    }

    /**
     * Reads the track's stored position; if another transaction moved it (a rebuild swapped in moves the
     * live checkpoint), the track restarts there and this returns false. A rebuild track whose rebuild is no
     * longer the running one throws {@link RebuildSuperseded}.
     */
    private static boolean syncPosition(Connection connection, Track track) throws SQLException {
        String sql = track.isRebuild()
                ? "SELECT rebuild_transaction_id::text, rebuild_position, rebuild_started_at FROM subscriptions WHERE name = ?"
                : "SELECT checkpoint_transaction_id::text, checkpoint_position, NULL FROM subscriptions WHERE name = ?";
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, track.subscription);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("subscription " + track.subscription + " is not registered");
                }
                if (track.isRebuild()) {
                    Timestamp generation = row.getTimestamp(3);
                    if (generation == null || !generation.toInstant().equals(track.generation)) {
                        throw new RebuildSuperseded("the rebuild of " + track.subscription + " started at "
                                + track.generation + " is no longer running");
                    }
                }
                Checkpoint stored = new Checkpoint(Long.parseLong(row.getString(1)), row.getLong(2));
                if (!stored.equals(track.checkpoint)) {
                    track.restartAt(stored);
                    return false;
                }
                return true;
            }
        }
    }

    private static void savePosition(Connection connection, Track track, Checkpoint reached, int passed, String state,
                                     String error) throws SQLException {
        if (track.isRebuild()) {
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE subscriptions SET rebuild_transaction_id = ?::text::xid8, rebuild_position = ?,
                        rebuild_done = rebuild_done + ?, updated_at = clock_timestamp()
                    WHERE name = ?
                    """)) {
                update.setString(1, Long.toString(reached.transactionId()));
                update.setLong(2, reached.position());
                update.setInt(3, passed);
                update.setString(4, track.subscription);
                update.executeUpdate();
            }
            return;
        }
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE subscriptions SET checkpoint_transaction_id = ?::text::xid8, checkpoint_position = ?,
                    state = ?, last_error = ?, updated_at = clock_timestamp()
                WHERE name = ?
                """)) {
            update.setString(1, Long.toString(reached.transactionId()));
            update.setLong(2, reached.position());
            update.setString(3, state);
            update.setString(4, error);
            update.setString(5, track.subscription);
            update.executeUpdate();
        }
    }

    private static String describe(Exception e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** Serialization failures, deadlocks (class 40), lock timeouts (55P03) and cancellations (57014). */
    static boolean isTransient(Exception e) {
        if (!(e instanceof SQLException sql) || sql.getSQLState() == null) {
            return false;
        }
        String state = sql.getSQLState();
        return DatabaseException.isAborted(sql) || state.equals("55P03") || state.equals("57014");
    }

    static boolean isConnectionLost(Connection connection) {
        try {
            return connection.isClosed() || !connection.isValid(1);
        } catch (SQLException e) {
            LOG.log(Level.FINE, "connection check failed", e);
            return true;
        }
    }
}
