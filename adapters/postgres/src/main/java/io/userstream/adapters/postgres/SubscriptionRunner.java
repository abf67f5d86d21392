package io.userstream.adapters.postgres;

import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.port.out.RecordedUserEvent;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one named subscription that feeds a {@link Projection}: at most one active instance across
 * every process sharing the database, reading the log after its checkpoint in batches, applying
 * each batch and moving the checkpoint in ONE transaction.
 *
 * <p>Exclusivity is a session-level advisory lock held by the very connection that does the work:
 * if the process dies or its connection is cut, the lock and any half-done batch vanish together,
 * and a standby (trying every {@code takeoverInterval}) takes over from the committed checkpoint.
 * The same connection LISTENs for commits, so new events are seen at once; a poll every
 * {@code pollInterval} covers lost notifications.
 *
 * <p>A rebuild runs inside the same loop: each turn applies a live batch to the live table and a
 * rebuild batch to a shadow table; when the shadow has read everything, the tables are swapped in
 * one transaction and the live checkpoint jumps to the shadow's.
 */
final class SubscriptionRunner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SubscriptionRunner.class.getName());
    private static final Duration FAILED_RETRY = Duration.ofSeconds(30);
    private static final Duration PROGRESS_LOG_INTERVAL = Duration.ofSeconds(5);

    private final javax.sql.DataSource dataSource;
    private final Projection projection;
    private final SubscriptionSettings settings;
    private final ProjectionObserver observer;
    private final EventLog log = new EventLog();
    private final UserEventCodec codec = new UserEventCodec();
    private final Thread thread;

    private volatile boolean stopping;
    private volatile boolean active;
    private Checkpoint checkpoint = Checkpoint.START;
    private Checkpoint rebuildCheckpoint;
    private Instant lastProgressLog = Instant.EPOCH;

    SubscriptionRunner(javax.sql.DataSource dataSource, Projection projection, SubscriptionSettings settings,
                       ProjectionObserver observer) {
        this.dataSource = dataSource;
        this.projection = projection;
        this.settings = settings;
        this.observer = observer;
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
            try (Connection connection = dataSource.getConnection()) {
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
            listen.execute("LISTEN userstream_events");
        }
        loadCheckpoints(connection);
        while (!stopping) {
            boolean progressed;
            try {
                progressed = liveBatch(connection);
            } catch (StoppedOnFailure failure) {
                // A rebuild may be the operator's way out of a stuck projection: keep building it.
                if (!rebuildStep(connection)) {
                    pause(FAILED_RETRY);
                }
                continue;
            }
            progressed |= rebuildStep(connection);
            drainNotifications(connection);
            if (!progressed) {
                awaitNotification(connection);
            }
        }
    }

    /** Applies one batch to the live table; false if there was nothing to read. */
    private boolean liveBatch(Connection connection) throws SQLException {
        List<LoggedEvent> batch = log.after(connection, checkpoint, settings.batchSize());
        if (batch.isEmpty()) {
            return false;
        }
        Checkpoint reached = applyBatch(connection, batch, projection.table(), checkpoint);
        checkpoint = reached;
        return true;
    }

    /**
     * Applies {@code batch} to {@code table} and records the new checkpoint (live or rebuild) in the
     * same transaction. Returns the checkpoint reached.
     */
    private Checkpoint applyBatch(Connection connection, List<LoggedEvent> batch, String table, Checkpoint from)
            throws SQLException {
        boolean rebuild = !table.equals(projection.table());
        Checkpoint reached = Transactions.inTransaction(connection, () -> {
            projection.beginBatch();
            Checkpoint applied = from;
            for (LoggedEvent event : batch) {
                String error = applyWithRetries(connection, event, table);
                if (error != null) {
                    if (settings.onFailure() == SubscriptionSettings.FailurePolicy.STOP && !rebuild) {
                        projection.beforeCommit();
                        saveCheckpoint(connection, applied, "FAILED", error);
                        connection.commit();
                        checkpoint = applied;
                        LOG.severe(() -> "subscription " + name() + " stopped before event at position "
                                + event.position() + ": " + error);
                        throw new StoppedOnFailure();
                    }
                    park(connection, event, error);
                }
                applied = event.checkpoint();
            }
            projection.beforeCommit();
            if (rebuild) {
                saveRebuildCheckpoint(connection, applied, batch.size());
            } else {
                saveCheckpoint(connection, applied, rebuildCheckpoint != null ? "REBUILDING" : "RUNNING", null);
            }
            return applied;
        });
        if (!rebuild) {
            observer.processed(name(), batch.size());
        }
        return reached;
    }

    /** Tries an event up to maxAttempts times inside a savepoint; returns null on success, else the last error. */
    private String applyWithRetries(Connection connection, LoggedEvent event, String table) throws SQLException {
        Duration backoff = settings.retryBackoff();
        String error = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            Savepoint savepoint = connection.setSavepoint();
            try {
                RecordedUserEvent decoded = event.decode(codec);
                projection.apply(connection, table, decoded);
                connection.releaseSavepoint(savepoint);
                return null;
            } catch (SQLException | RuntimeException e) {
                connection.rollback(savepoint);
                if (isConnectionLost(connection) || isTransient(e)) {
                    // Not the event's fault: give the whole batch back (it rolls back) and retry it later,
                    // rather than park a good event for a deadlock or a cancelled statement.
                    throw e instanceof SQLException sql ? sql : new SQLException(e);
                }
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
                observer.failed(name());
                int tried = attempt;
                String reason = error;
                LOG.warning(() -> "subscription " + name() + " failed on event at position " + event.position()
                        + " (attempt " + tried + " of " + settings.maxAttempts() + "): " + reason);
                if (stopping) {
                    // Shutting down: give the batch back (it rolls back) rather than park an event for a blip.
                    throw new SQLException("subscription " + name() + " is stopping");
                }
                if (attempt < settings.maxAttempts()) {
                    pause(backoff);
                    backoff = backoff.multipliedBy(2);
                }
            }
        }
        return error;
    }

    private void park(Connection connection, LoggedEvent event, String error) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO parked_events (subscription, position, event_id, error, attempts)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (subscription, position) DO UPDATE SET error = EXCLUDED.error,
                    attempts = parked_events.attempts + EXCLUDED.attempts, parked_at = clock_timestamp()
                """)) {
            insert.setString(1, name());
            insert.setLong(2, event.position());
            insert.setObject(3, event.eventId());
            insert.setString(4, error);
            insert.setInt(5, settings.maxAttempts());
            insert.executeUpdate();
        }
        observer.parked(name());
        LOG.severe(() -> "subscription " + name() + " parked event " + event.eventId() + " at position "
                + event.position() + " after " + settings.maxAttempts() + " attempts: " + error);
    }

    /** Starts, continues or completes a requested rebuild; false if there is none or nothing was done. */
    private boolean rebuildStep(Connection connection) throws SQLException {
        if (rebuildCheckpoint == null) {
            return startRebuildIfRequested(connection);
        }
        List<LoggedEvent> batch = log.after(connection, rebuildCheckpoint, settings.batchSize());
        if (batch.isEmpty()) {
            swapShadowIn(connection);
            return true;
        }
        rebuildCheckpoint = applyBatch(connection, batch, shadowTable(), rebuildCheckpoint);
        logProgress(connection);
        return true;
    }

    private boolean startRebuildIfRequested(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT rebuild_requested_at IS NOT NULL FROM subscriptions WHERE name = ?")) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                if (!row.next() || !row.getBoolean(1)) {
                    return false;
                }
            }
        }
        if (projection.table().isEmpty()) {
            restartFromTheBeginning(connection);
            return true;
        }
        Transactions.inTransaction(connection, () -> {
            try (Statement ddl = connection.createStatement()) {
                ddl.execute("DROP TABLE IF EXISTS " + shadowTable());
                ddl.execute("CREATE TABLE " + shadowTable() + " (LIKE " + projection.table() + " INCLUDING ALL)");
            }
            try (PreparedStatement start = connection.prepareStatement("""
                    UPDATE subscriptions SET rebuild_started_at = clock_timestamp(), rebuild_transaction_id = '0',
                        rebuild_position = 0, rebuild_done = 0,
                        rebuild_total = (SELECT count(*) FROM events), state = 'REBUILDING', updated_at = clock_timestamp()
                    WHERE name = ?
                    """)) {
                start.setString(1, name());
                start.executeUpdate();
            }
            return null;
        });
        rebuildCheckpoint = Checkpoint.START;
        LOG.info(() -> "subscription " + name() + ": rebuild started into " + shadowTable());
        return true;
    }

    /**
     * A projection without a table (its effect is elsewhere, e.g. published messages) is "rebuilt" by
     * handling the whole log again from the start; its consumers deduplicate.
     */
    private void restartFromTheBeginning(Connection connection) throws SQLException {
        try (PreparedStatement reset = connection.prepareStatement("""
                UPDATE subscriptions SET checkpoint_transaction_id = '0', checkpoint_position = 0,
                    rebuild_requested_at = NULL, state = 'RUNNING', updated_at = clock_timestamp()
                WHERE name = ?
                """)) {
            reset.setString(1, name());
            reset.executeUpdate();
        }
        checkpoint = Checkpoint.START;
        LOG.info(() -> "subscription " + name() + ": restarted from the beginning of the log");
    }

    /** The shadow has applied every committed event: it becomes the live table, atomically. */
    private void swapShadowIn(Connection connection) throws SQLException {
        String live = projection.table();
        Transactions.inTransaction(connection, () -> {
            try (Statement ddl = connection.createStatement()) {
                Map<String, String> liveIndexNames = indexNamesByShape(connection, live);
                Map<String, String> shadowIndexNames = indexNamesByShape(connection, shadowTable());
                ddl.execute("ALTER TABLE " + live + " RENAME TO " + live + "_replaced");
                ddl.execute("ALTER TABLE " + shadowTable() + " RENAME TO " + live);
                ddl.execute("DROP TABLE " + live + "_replaced");
                // CREATE TABLE ... LIKE named the shadow's indexes after the shadow: give them the live names
                // back, so later migrations that name an index (or the primary key) still find it.
                for (Map.Entry<String, String> index : shadowIndexNames.entrySet()) {
                    String original = liveIndexNames.get(index.getKey());
                    if (original != null && !original.equals(index.getValue())) {
                        ddl.execute("ALTER INDEX " + index.getValue() + " RENAME TO " + original);
                    }
                }
                try (PreparedStatement finish = connection.prepareStatement("""
                        UPDATE subscriptions SET checkpoint_transaction_id = ?::text::xid8, checkpoint_position = ?,
                            rebuild_requested_at = NULL, rebuild_started_at = NULL, rebuild_transaction_id = NULL,
                            rebuild_position = NULL, rebuild_done = NULL, rebuild_total = NULL, state = 'RUNNING',
                            last_error = NULL, updated_at = clock_timestamp()
                        WHERE name = ?
                        """)) {
                    finish.setString(1, Long.toString(rebuildCheckpoint.transactionId()));
                    finish.setLong(2, rebuildCheckpoint.position());
                    finish.setString(3, name());
                    finish.executeUpdate();
                }
            }
            return null;
        });
        // The shadow read everything below the horizon the live table had read, and more: it is never behind.
        Checkpoint swapped = rebuildCheckpoint;
        checkpoint = swapped;
        rebuildCheckpoint = null;
        LOG.info(() -> "subscription " + name() + ": rebuild complete, shadow swapped in at " + swapped);
    }

    /** Index names of a table keyed by what they index (the definition after "USING"). */
    private static Map<String, String> indexNamesByShape(Connection connection, String table) throws SQLException {
        Map<String, String> names = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT indexname, substring(indexdef FROM ' USING .*$')
                FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?
                """)) {
            select.setString(1, table);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    names.put(rows.getString(2), rows.getString(1));
                }
            }
        }
        return names;
    }

    private void logProgress(Connection connection) throws SQLException {
        if (Duration.between(lastProgressLog, Instant.now()).compareTo(PROGRESS_LOG_INTERVAL) < 0) {
            return;
        }
        lastProgressLog = Instant.now();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT rebuild_done, rebuild_total, rebuild_started_at FROM subscriptions WHERE name = ?")) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    long done = row.getLong(1);
                    long total = row.getLong(2);
                    double seconds = Math.max(0.001,
                            Duration.between(row.getTimestamp(3).toInstant(), Instant.now()).toMillis() / 1000.0);
                    LOG.info(String.format("subscription %s: rebuild %d/%d events (%.0f events/s)", name(), done, total,
                            done / seconds));
                }
            }
        }
    }

    private void ensureRegistered(Connection connection) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO subscriptions (name) VALUES (?) ON CONFLICT (name) DO NOTHING")) {
            insert.setString(1, name());
            insert.executeUpdate();
        }
    }

    private void loadCheckpoints(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT checkpoint_transaction_id::text, checkpoint_position, rebuild_started_at IS NOT NULL,
                       rebuild_transaction_id::text, rebuild_position
                FROM subscriptions WHERE name = ?
                """)) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                row.next();
                checkpoint = new Checkpoint(Long.parseLong(row.getString(1)), row.getLong(2));
                // A rebuild interrupted by a restart resumes where its shadow table stands.
                rebuildCheckpoint = row.getBoolean(3)
                        ? new Checkpoint(Long.parseLong(row.getString(4)), row.getLong(5)) : null;
            }
        }
    }

    private void saveCheckpoint(Connection connection, Checkpoint reached, String state, String error)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE subscriptions SET checkpoint_transaction_id = ?::text::xid8, checkpoint_position = ?,
                    state = ?, last_error = CASE WHEN ? = 'FAILED' THEN ? END, updated_at = clock_timestamp()
                WHERE name = ?
                """)) {
            update.setString(1, Long.toString(reached.transactionId()));
            update.setLong(2, reached.position());
            update.setString(3, state);
            update.setString(4, state);
            update.setString(5, error);
            update.setString(6, name());
            update.executeUpdate();
        }
    }

    private void saveRebuildCheckpoint(Connection connection, Checkpoint reached, int applied) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE subscriptions SET rebuild_transaction_id = ?::text::xid8, rebuild_position = ?,
                    rebuild_done = rebuild_done + ?, updated_at = clock_timestamp()
                WHERE name = ?
                """)) {
            update.setString(1, Long.toString(reached.transactionId()));
            update.setLong(2, reached.position());
            update.setInt(3, applied);
            update.setString(4, name());
            update.executeUpdate();
        }
    }

    String shadowTable() {
        return projection.table() + "_shadow";
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

    /** Notifications pile up in the driver until read; progress loops would otherwise collect them for ever. */
    private static void drainNotifications(Connection connection) throws SQLException {
        connection.unwrap(PGConnection.class).getNotifications();
    }

    private void awaitNotification(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        // Returns at the first NOTIFY (delivered only when the appending transaction commits) or after the poll interval.
        pg.getNotifications((int) Math.max(1, settings.pollInterval().toMillis()));
    }

    /** Serialization failures, deadlocks (class 40), lock timeouts (55P03) and cancellations (57014). */
    private static boolean isTransient(Exception e) {
        if (!(e instanceof SQLException sql) || sql.getSQLState() == null) {
            return false;
        }
        String state = sql.getSQLState();
        return state.startsWith("40") || state.equals("55P03") || state.equals("57014");
    }

    private static boolean isConnectionLost(Connection connection) {
        try {
            return connection.isClosed() || !connection.isValid(1);
        } catch (SQLException e) {
            return true;
        }
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            // close() interrupts to stop promptly; the loop checks `stopping`.
        }
    }

    /** Thrown out of a batch when the stop policy halted the subscription. */
    private static final class StoppedOnFailure extends RuntimeException {
        StoppedOnFailure() {
            super(null, null, false, false);
        }
    }
}
