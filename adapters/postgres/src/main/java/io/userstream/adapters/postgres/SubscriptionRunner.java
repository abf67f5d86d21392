package io.userstream.adapters.postgres;

import io.userstream.application.port.out.ProjectionObserver;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one named subscription that feeds a {@link Projection}: at most one active instance across every
 * process sharing the database, following the log after its checkpoint in batches ({@link BatchApplier}),
 * and, when an operator asks, rebuilding its table beside it ({@link RebuildDriver}).
 *
 * <p>The parts, each with one job: {@link EventLog} reads the gap-safe log; {@link BatchApplier} applies one
 * batch and moves the checkpoint in one transaction; {@link BatchSizer} sizes the batches and narrows a
 * failing batch down to its culprit; {@link FailingEventPolicy} retries, parks or stops on it;
 * {@link RebuildDriver} rebuilds into a shadow table and swaps it in; {@link InFlightBatches} holds the batches
 * whose effect is still in flight when the projection pipelines it (the outbox relay waiting for the broker's
 * confirms), and this runner then waits for the oldest of them or a notification, whichever comes first. This
 * class only holds the session.
 *
 * <p>Exclusivity is a session-level advisory lock held by this runner's connection: if the process dies or
 * the connection is cut, the lock goes with it, and a standby (trying every {@code takeoverInterval}) takes
 * over from the committed checkpoint. The same connection LISTENs for commits, so new events are seen at
 * once; a poll every {@code pollInterval} covers lost notifications. Hence plain JDBC
 * ({@link SessionConnections}), not the DbClient: a DbClient transaction cannot run on the connection that
 * holds the lock and LISTENs.
 */
final class SubscriptionRunner implements AutoCloseable {

    /** Suffix of the name under which a rebuild parks the events it could not apply. */
    static final String REBUILD_PARKING_SUFFIX = "#rebuild";

    private static final Logger LOG = Logger.getLogger(SubscriptionRunner.class.getName());
    private static final Duration REBUILD_CHECK_INTERVAL = Duration.ofSeconds(1);
    /** How soon a track held back by the horizon looks again; doubling up to the last, while it stays held. */
    private static final Duration HELD_BACK_FIRST_WAIT = Duration.ofMillis(2);
    private static final Duration HELD_BACK_LAST_WAIT = Duration.ofMillis(100);
    /**
     * How long a wait for a batch in flight goes without looking for notifications: how late, at most, new
     * events are published while the broker is still confirming earlier ones.
     */
    private static final Duration EFFECT_SLICE = Duration.ofMillis(2);

    private final SessionConnections sessions;
    private final Projection projection;
    private final SubscriptionSettings settings;
    private final BatchApplier applier;
    private final Thread thread;

    private volatile boolean stopping;
    private volatile boolean active;
    /** The rebuild running beside the live track, or null. Used by the runner's thread only. */
    private RebuildDriver rebuild;

    SubscriptionRunner(SessionConnections sessions, Projection projection, SubscriptionSettings settings,
                       ProjectionObserver observer, UserEventCodec codec) {
        this.sessions = sessions;
        this.projection = projection;
        this.settings = settings;
        this.applier = new BatchApplier(projection, settings, observer, codec);
        this.thread = Thread.ofPlatform().daemon().name("subscription-" + projection.name()).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Whether this instance currently holds the subscription. */
    boolean isActive() {
        return active;
    }

    String name() {
        return projection.name();
    }

    /** Stops after the current batch (its transaction either commits or rolls back) and releases the lock. */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (!stopping) {
            try (Connection connection = sessions.connection()) {
                if (!tryLock(connection)) {
                    pause(settings.takeoverInterval());
                    continue;
                }
                try {
                    active = true;
                    LOG.info(() -> "subscription " + name() + " is active on this instance");
                    follow(connection);
                } finally {
                    active = false;
                    // The rebuild belongs to the active instance: it stops with it and resumes where it stands.
                    stopRebuild();
                    unlockQuietly(connection);
                }
            } catch (SQLException | RuntimeException e) {
                if (!stopping) {
                    LOG.log(Level.WARNING, "subscription " + name() + " failed; it resumes from its checkpoint after "
                            + settings.takeoverInterval().toMillis() + " ms", e);
                    pause(settings.takeoverInterval());
                }
            }
        }
    }

    private void follow(Connection connection) throws SQLException {
        ensureRegistered(connection);
        try (Statement listen = connection.createStatement()) {
            listen.execute("LISTEN " + AppendNotifier.CHANNEL);
        }
        Track live = Track.live(name(), projection.table(), settings.batchSize(), settings.maxInFlight());
        long nextRebuildCheck = 0;
        Duration heldBackWait = HELD_BACK_FIRST_WAIT;
        while (!stopping) {
            BatchApplier.Result step = applier.step(connection, live);
            // A NOTIFY that came in during the step may be for an event the step's snapshot did not see:
            // if any came, look again at once instead of waiting for the next one (a lost wake-up).
            boolean notified = drainNotifications(connection);
            // When idle (requestRebuild wakes us with a NOTIFY), and now and then under a writer that never
            // lets the live track idle.
            if (!step.progressed() || System.nanoTime() - nextRebuildCheck > 0) {
                startRebuildIfWanted(connection, live);
                nextRebuildCheck = System.nanoTime() + REBUILD_CHECK_INTERVAL.toNanos();
            }
            if (step.progressed() || notified) {
                heldBackWait = HELD_BACK_FIRST_WAIT;
            } else if (step.inFlight() != null) {
                // A pipelined batch waits for its effect (the broker's confirm): step again as soon as it completes
                // (to commit the checkpoint) or new events are committed (to publish them meanwhile).
                awaitEffect(connection, step.inFlight(), step.heldBack() ? heldBackWait : settings.pollInterval());
                if (step.heldBack()) {
                    heldBackWait = min(heldBackWait.multipliedBy(2), HELD_BACK_LAST_WAIT);
                }
            } else if (step.heldBack()) {
                // Committed events wait behind an older transaction whose end may send no NOTIFY (a batch of
                // another subscription, a transaction in another database): look again soon, backing off.
                awaitNotification(connection, live, heldBackWait);
                heldBackWait = min(heldBackWait.multipliedBy(2), HELD_BACK_LAST_WAIT);
            } else {
                awaitNotification(connection, live, settings.pollInterval());
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Starts a rebuild driver if a rebuild is requested or was interrupted, and none runs here. */
    private void startRebuildIfWanted(Connection connection, Track live) throws SQLException {
        if (rebuild != null && rebuild.isRunning()) {
            return;
        }
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT rebuild_requested_at IS NOT NULL OR rebuild_started_at IS NOT NULL FROM subscriptions WHERE name = ?")) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                if (!row.next() || !row.getBoolean(1)) {
                    return;
                }
            }
        }
        if (projection.table().isEmpty()) {
            restartFromTheBeginning(connection, live);
            return;
        }
        rebuild = new RebuildDriver(sessions, projection, settings, applier);
        rebuild.start();
    }

    private void stopRebuild() {
        if (rebuild != null) {
            rebuild.close();
            rebuild = null;
        }
    }

    /**
     * A projection without a table (its effect is elsewhere, e.g. published messages) is "rebuilt" by
     * handling the whole log again from the start; its consumers deduplicate.
     */
    private void restartFromTheBeginning(Connection connection, Track live) throws SQLException {
        SessionConnections.inTransaction(connection, () -> {
            BatchApplier.lockSubscription(connection, name());
            try (PreparedStatement reset = connection.prepareStatement("""
                    UPDATE subscriptions SET checkpoint_transaction_id = '0', checkpoint_position = 0,
                        rebuild_requested_at = NULL, rebuild_queued = false, state = 'RUNNING', updated_at = clock_timestamp()
                    WHERE name = ?
                    """)) {
                reset.setString(1, name());
                reset.executeUpdate();
            }
            return null;
        });
        live.restartAt(Checkpoint.START);
        LOG.info(() -> "subscription " + name() + ": restarted from the beginning of the log");
    }

    private void ensureRegistered(Connection connection) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO subscriptions (name) VALUES (?) ON CONFLICT (name) DO NOTHING")) {
            insert.setString(1, name());
            insert.executeUpdate();
        }
    }

    private boolean tryLock(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT pg_try_advisory_lock(" + PostgresProjections.LOCK_KEYS + ")")) {
            lock.setString(1, name());
            try (ResultSet row = lock.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            }
        }
    }

    private void unlockQuietly(Connection connection) {
        try (PreparedStatement unlock = connection.prepareStatement(
                "SELECT pg_advisory_unlock(" + PostgresProjections.LOCK_KEYS + ")")) {
            unlock.setString(1, name());
            unlock.execute();
            try (Statement unlisten = connection.createStatement()) {
                unlisten.execute("UNLISTEN *");
            }
            drainNotifications(connection);
        } catch (SQLException e) {
            // The connection is gone, and with it the lock and the LISTEN.
        }
    }

    /**
     * Notifications pile up in the driver until read; progress loops would otherwise collect them for ever.
     * True if any had come.
     */
    private static boolean drainNotifications(Connection connection) throws SQLException {
        PGNotification[] received = connection.unwrap(PGConnection.class).getNotifications();
        return received != null && received.length > 0;
    }

    private void awaitNotification(Connection connection, Track live, Duration atMost) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        // Returns at the first NOTIFY (delivered only when the appending transaction commits), after
        // atMost, or when an event waiting for its retry is due, whichever comes first.
        Duration wait = min(atMost, settings.pollInterval());
        Duration untilRetry = live.untilRetry();
        if (untilRetry.compareTo(wait) < 0) {
            wait = untilRetry;
        }
        pg.getNotifications((int) Math.max(1, wait.toMillis()));
    }

    /**
     * Waits until {@code effect} completes (either way), a notification arrives, or {@code atMost} passed. The
     * driver cannot wait for a notification and a future at once, so this waits for the future in slices of
     * {@link #EFFECT_SLICE} and looks for notifications (already received, no round trip) in between.
     */
    private void awaitEffect(Connection connection, Future<?> effect, Duration atMost) throws SQLException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!stopping && !effect.isDone()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                effect.get(Math.min(left, EFFECT_SLICE.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // Not yet: see whether new events came meanwhile.
            } catch (ExecutionException | CancellationException e) {
                return;   // Failed: the next step finds out.
            } catch (InterruptedException e) {
                return;   // close() interrupts to stop promptly; the loop checks `stopping`.
            }
            if (drainNotifications(connection)) {
                return;
            }
        }
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            // close() interrupts to stop promptly; the loop checks `stopping`.
        }
    }
}
