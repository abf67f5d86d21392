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
import java.time.temporal.ChronoUnit;
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
 * {@code pollInterval} covers lost notifications. Hence plain JDBC ({@link SessionConnections}), not the
 * DbClient: a DbClient transaction cannot run on the connection that holds the lock and LISTENs.
 *
 * <p><b>Failing events.</b> Each event is applied in a savepoint. When one fails for a reason of
 * its own (not a deadlock, a cancellation or a lost connection, which roll the whole batch back to
 * be read again), the events before it are committed with the checkpoint just before it, the
 * transaction ends, and the event is tried again in a later batch once its back-off
 * ({@code retryBackoff}, doubling) has passed. Nothing sleeps inside a transaction: an open batch
 * would hold the transaction horizon that every other subscription waits for, and the thread
 * meanwhile keeps serving the other track (live or rebuild). After {@code maxAttempts} the policy
 * decides: park the event and go on, or stop before it (state FAILED, tried again after
 * {@value #FAILED_RETRY_SECONDS} s). Attempts are counted in memory: a restart tries again from one.
 *
 * <p><b>Rebuild.</b> A rebuild runs inside the same loop, as a second track: each turn applies a
 * live batch to the live table and a rebuild batch to a shadow table. Both tracks advance on this
 * one thread, so as soon as the shadow's checkpoint has reached the live one (in
 * {@code (transaction_id, position)} order) the shadow holds everything the live table holds, and
 * the two are swapped in one transaction; the live checkpoint becomes the shadow's (the greater).
 * This does not wait for a rebuild read to come back empty, which never happens under a steady
 * writer. The shadow is only swapped in if it applied every event: the rebuild parks under
 * {@code <name>#rebuild} (apart from the live subscription's parked events) and, if it parked any,
 * or if the stop policy stopped it, it ends FAILED with the reason in {@code rebuild_error} and the
 * live table stays as it was. A rebuild requested while one runs is queued and starts after it.
 *
 * <p>Every transaction of the runner (batch, rebuild start, swap, failed rebuild) first locks the
 * subscription's row; an operator's replay of a stream takes the same lock, so it never touches the
 * tables while a batch or a swap is half done.
 */
final class SubscriptionRunner implements AutoCloseable {

    /** Suffix of the name under which a rebuild parks the events it could not apply. */
    static final String REBUILD_PARKING_SUFFIX = "#rebuild";

    private static final Logger LOG = Logger.getLogger(SubscriptionRunner.class.getName());
    private static final long FAILED_RETRY_SECONDS = 30;
    private static final Duration FAILED_RETRY = Duration.ofSeconds(FAILED_RETRY_SECONDS);
    private static final Duration PROGRESS_LOG_INTERVAL = Duration.ofSeconds(5);

    /**
     * Ends a rebuild (swapped in or failed) in the subscription's row: clears its progress and turns a
     * request that arrived while it ran into the next pending request.
     */
    private static final String END_REBUILD = """
            rebuild_requested_at = CASE WHEN rebuild_queued THEN clock_timestamp() END, rebuild_queued = false,
            rebuild_started_at = NULL, rebuild_transaction_id = NULL, rebuild_position = NULL, rebuild_done = NULL,
            rebuild_total = NULL, updated_at = clock_timestamp()
            """;

    private final SessionConnections sessions;
    private final Projection projection;
    private final SubscriptionSettings settings;
    private final ProjectionObserver observer;
    private final EventLog log = new EventLog();
    private final UserEventCodec codec = new UserEventCodec();
    private final Thread thread;

    private volatile boolean stopping;
    private volatile boolean active;
    private final Track live = new Track(false, Checkpoint.START);
    /** The running rebuild, or null. */
    private Track rebuild;
    private Instant lastProgressLog = Instant.EPOCH;

    SubscriptionRunner(SessionConnections sessions, Projection projection, SubscriptionSettings settings,
                       ProjectionObserver observer) {
        this.sessions = sessions;
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
            // Live first, then the rebuild, on this one thread: when the rebuild compares its checkpoint
            // with the live one, no live batch can be half done.
            boolean progressed = advance(connection, live) != null;
            progressed |= rebuildStep(connection);
            drainNotifications(connection);
            if (!progressed) {
                awaitNotification(connection);
            }
        }
    }

    /**
     * Reads one batch of {@code track} and applies it; null if there was nothing to do (nothing to
     * read, or an event waits for its retry).
     */
    private BatchResult advance(Connection connection, Track track) throws SQLException {
        if (track.waitsForRetry()) {
            return null;
        }
        List<LoggedEvent> batch = log.after(connection, track.checkpoint, settings.batchSize());
        if (batch.isEmpty()) {
            return null;
        }
        BatchResult result = applyBatch(connection, batch, track);
        return result.passed() > 0 || result.stoppedOn() != null ? result : null;
    }

    /** What a batch did: the checkpoint reached, how many events it passed, and the error it stopped on. */
    private record BatchResult(Checkpoint reached, int passed, String stoppedOn) {
    }

    /**
     * Applies {@code batch} to the track's table and records the track's new checkpoint in the same
     * transaction. Stops early, committing what came before, at an event that failed and is to be
     * tried again later, or that exhausted its attempts under the stop policy.
     */
    private BatchResult applyBatch(Connection connection, List<LoggedEvent> batch, Track track) throws SQLException {
        BatchResult result = SessionConnections.inTransaction(connection, () -> {
            lockSubscription(connection);
            projection.beginBatch();
            Checkpoint reached = track.checkpoint;
            int passed = 0;
            String stoppedOn = null;
            for (LoggedEvent event : batch) {
                String error = tryApply(connection, event, track.table());
                if (error != null) {
                    int attempts = track.failed(event, settings.retryBackoff());
                    observer.failed(name());
                    LOG.warning(() -> "subscription " + name() + (track.rebuild ? " (rebuild)" : "")
                            + " failed on event at position " + event.position() + " (attempt " + attempts + " of "
                            + settings.maxAttempts() + "): " + error);
                    if (attempts < settings.maxAttempts()) {
                        break;
                    }
                    track.clearFailure();
                    if (settings.onFailure() == SubscriptionSettings.FailurePolicy.STOP) {
                        stoppedOn = "stopped before event at position " + event.position() + ": " + error;
                        break;
                    }
                    park(connection, track, event, error);
                } else {
                    track.clearFailure();
                }
                reached = event.checkpoint();
                passed++;
            }
            if (passed > 0) {
                projection.beforeCommit();
            }
            if (track.rebuild && passed > 0) {
                saveRebuildCheckpoint(connection, reached, passed);
            } else if (!track.rebuild && (passed > 0 || stoppedOn != null)) {
                saveCheckpoint(connection, reached, stoppedOn != null ? "FAILED" : rebuild != null ? "REBUILDING"
                        : "RUNNING", stoppedOn);
            }
            return new BatchResult(reached, passed, stoppedOn);
        });
        track.checkpoint = result.reached();
        if (result.stoppedOn() != null) {
            LOG.severe(() -> "subscription " + name() + (track.rebuild ? " (rebuild) " : " ") + result.stoppedOn());
            if (!track.rebuild) {
                // The stop policy: stay before the event, and try it (with all its attempts) again later.
                track.retryAfter(FAILED_RETRY);
            }
        }
        if (!track.rebuild && result.passed() > 0) {
            observer.processed(name(), result.passed());
        }
        return result;
    }

    /**
     * Applies one event in a savepoint. Returns null if it applied, else why not (the savepoint is
     * rolled back and the transaction goes on). Throws, so that the whole batch rolls back and is read
     * again, for errors that are not the event's fault: a lost connection, a deadlock, a serialization
     * failure, a lock timeout or a cancellation, or shutting down.
     */
    private String tryApply(Connection connection, LoggedEvent event, String table) throws SQLException {
        Savepoint savepoint = connection.setSavepoint();
        try {
            RecordedUserEvent decoded = event.decode(codec);
            projection.apply(connection, table, decoded);
            connection.releaseSavepoint(savepoint);
            return null;
        } catch (SQLException | RuntimeException e) {
            connection.rollback(savepoint);
            if (isConnectionLost(connection) || isTransient(e)) {
                throw e instanceof SQLException sql ? sql : new SQLException(e);
            }
            if (stopping) {
                throw new SQLException("subscription " + name() + " is stopping");
            }
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private void park(Connection connection, Track track, LoggedEvent event, String error) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO parked_events (subscription, position, event_id, error, attempts)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (subscription, position) DO UPDATE SET error = EXCLUDED.error,
                    attempts = parked_events.attempts + EXCLUDED.attempts, parked_at = clock_timestamp()
                """)) {
            insert.setString(1, track.parkingName());
            insert.setLong(2, event.position());
            insert.setObject(3, event.eventId());
            insert.setString(4, error);
            insert.setInt(5, settings.maxAttempts());
            insert.executeUpdate();
        }
        observer.parked(name());
        LOG.severe(() -> "subscription " + track.parkingName() + " parked event " + event.eventId() + " at position "
                + event.position() + " after " + settings.maxAttempts() + " attempts: " + error);
    }

    /** Starts, continues or completes a requested rebuild; false if there is none or nothing was done. */
    private boolean rebuildStep(Connection connection) throws SQLException {
        if (rebuild == null) {
            return startRebuildIfRequested(connection);
        }
        if (rebuild.checkpoint.hasReached(live.checkpoint)) {
            completeRebuild(connection);
            return true;
        }
        BatchResult result = advance(connection, rebuild);
        if (result == null) {
            return false;
        }
        if (result.stoppedOn() != null) {
            failRebuild(connection, "the rebuild " + result.stoppedOn() + "; the shadow was not swapped in");
            return true;
        }
        logProgress(connection);
        if (rebuild.checkpoint.hasReached(live.checkpoint)) {
            completeRebuild(connection);
        }
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
        SessionConnections.inTransaction(connection, () -> {
            lockSubscription(connection);
            try (Statement ddl = connection.createStatement()) {
                ddl.execute("DROP TABLE IF EXISTS " + shadowTable());
                ddl.execute("CREATE TABLE " + shadowTable() + " (LIKE " + projection.table() + " INCLUDING ALL)");
            }
            // What an earlier rebuild parked belongs to a shadow that is gone.
            try (PreparedStatement forget = connection.prepareStatement(
                    "DELETE FROM parked_events WHERE subscription = ?")) {
                forget.setString(1, rebuildParkingName());
                forget.executeUpdate();
            }
            try (PreparedStatement start = connection.prepareStatement("""
                    UPDATE subscriptions SET rebuild_started_at = clock_timestamp(), rebuild_transaction_id = '0',
                        rebuild_position = 0, rebuild_done = 0, rebuild_error = NULL,
                        rebuild_total = (SELECT count(*) FROM events), state = 'REBUILDING', updated_at = clock_timestamp()
                    WHERE name = ?
                    """)) {
                start.setString(1, name());
                start.executeUpdate();
            }
            return null;
        });
        rebuild = new Track(true, Checkpoint.START);
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
                    rebuild_requested_at = NULL, rebuild_queued = false, state = 'RUNNING', updated_at = clock_timestamp()
                WHERE name = ?
                """)) {
            reset.setString(1, name());
            reset.executeUpdate();
        }
        live.restartAt(Checkpoint.START);
        LOG.info(() -> "subscription " + name() + ": restarted from the beginning of the log");
    }

    /**
     * The shadow has reached the live checkpoint. Swapped in if it applied every event; otherwise the
     * rebuild fails, visibly, and the live table stays: swapping in a shadow with holes would silently
     * lose what the live table holds.
     */
    private void completeRebuild(Connection connection) throws SQLException {
        long parked;
        try (PreparedStatement count = connection.prepareStatement(
                "SELECT count(*), min(position) FROM parked_events WHERE subscription = ?")) {
            count.setString(1, rebuildParkingName());
            try (ResultSet row = count.executeQuery()) {
                row.next();
                parked = row.getLong(1);
                if (parked > 0) {
                    failRebuild(connection, "the rebuild could not apply " + parked + " event(s) (the first at position "
                            + row.getLong(2) + "; see the parked events of " + rebuildParkingName()
                            + "); the shadow was not swapped in");
                    return;
                }
            }
        }
        // The shadow has read at least as far as the live table: no row of it may be older. A last line of
        // defence, so that whatever went wrong, a shadow with holes never replaces the live table.
        long behind = projection.rowsBehind(connection, projection.table(), shadowTable());
        if (behind > 0) {
            failRebuild(connection, "the rebuilt shadow holds " + behind + " row(s) older than the live table;"
                    + " the shadow was not swapped in");
            return;
        }
        swapShadowIn(connection);
    }

    /** The shadow has applied every event up to the live checkpoint and more: it becomes the live table, atomically. */
    private void swapShadowIn(Connection connection) throws SQLException {
        String live = projection.table();
        Checkpoint reached = rebuild.checkpoint.hasReached(this.live.checkpoint) ? rebuild.checkpoint
                : this.live.checkpoint;
        SessionConnections.inTransaction(connection, () -> {
            lockSubscription(connection);
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
            }
            try (PreparedStatement finish = connection.prepareStatement("""
                    UPDATE subscriptions SET checkpoint_transaction_id = ?::text::xid8, checkpoint_position = ?,
                        state = 'RUNNING', last_error = NULL, rebuild_error = NULL,
                    """ + END_REBUILD + " WHERE name = ?")) {
                finish.setString(1, Long.toString(reached.transactionId()));
                finish.setLong(2, reached.position());
                finish.setString(3, name());
                finish.executeUpdate();
            }
            return null;
        });
        // Whatever the live track was failing on is behind the new checkpoint, applied by the rebuild.
        this.live.restartAt(reached);
        rebuild = null;
        LOG.info(() -> "subscription " + name() + ": rebuild complete, shadow swapped in at " + reached);
    }

    /**
     * Ends the running rebuild without swapping: drops the shadow and records why in
     * {@code rebuild_error}, which the status shows (state FAILED) until the next rebuild starts.
     */
    private void failRebuild(Connection connection, String reason) throws SQLException {
        SessionConnections.inTransaction(connection, () -> {
            lockSubscription(connection);
            try (Statement ddl = connection.createStatement()) {
                ddl.execute("DROP TABLE IF EXISTS " + shadowTable());
            }
            try (PreparedStatement fail = connection.prepareStatement(
                    "UPDATE subscriptions SET rebuild_error = ?, " + END_REBUILD + " WHERE name = ?")) {
                fail.setString(1, reason);
                fail.setString(2, name());
                fail.executeUpdate();
            }
            return null;
        });
        rebuild = null;
        LOG.severe(() -> "subscription " + name() + ": " + reason);
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
                live.restartAt(new Checkpoint(Long.parseLong(row.getString(1)), row.getLong(2)));
                // A rebuild interrupted by a restart resumes where its shadow table stands.
                rebuild = row.getBoolean(3)
                        ? new Track(true, new Checkpoint(Long.parseLong(row.getString(4)), row.getLong(5))) : null;
            }
        }
    }

    /**
     * Locks the subscription's row for the rest of the transaction. Every transaction that changes the
     * projection's tables or the subscription's state takes it first (this runner's, and an operator's
     * replay in {@link PostgresProjections}), so they never interleave.
     */
    static void lockSubscription(Connection connection, String name) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT 1 FROM subscriptions WHERE name = ? FOR UPDATE")) {
            lock.setString(1, name);
            lock.executeQuery().close();
        }
    }

    private void lockSubscription(Connection connection) throws SQLException {
        lockSubscription(connection, name());
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

    private String rebuildParkingName() {
        return name() + REBUILD_PARKING_SUFFIX;
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
        // Returns at the first NOTIFY (delivered only when the appending transaction commits), after the
        // poll interval, or when an event waiting for its retry is due, whichever comes first.
        Duration wait = settings.pollInterval();
        for (Track track : rebuild == null ? List.of(live) : List.of(live, rebuild)) {
            Duration untilRetry = track.untilRetry();
            if (untilRetry.compareTo(wait) < 0) {
                wait = untilRetry;
            }
        }
        pg.getNotifications((int) Math.max(1, wait.toMillis()));
    }

    /** Serialization failures, deadlocks (class 40), lock timeouts (55P03) and cancellations (57014). */
    private static boolean isTransient(Exception e) {
        if (!(e instanceof SQLException sql) || sql.getSQLState() == null) {
            return false;
        }
        String state = sql.getSQLState();
        return DatabaseException.isAborted(sql) || state.equals("55P03") || state.equals("57014");
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

    /**
     * One read position in the log and the table it feeds: the live table, or the rebuild's shadow.
     * Also remembers the event it keeps failing on (its position and attempts) and when that event is
     * due to be tried again. Used by the runner's thread only.
     */
    private final class Track {
        final boolean rebuild;
        Checkpoint checkpoint;
        private long failingPosition = -1;
        private int attempts;
        private Instant retryAt = Instant.MIN;

        Track(boolean rebuild, Checkpoint checkpoint) {
            this.rebuild = rebuild;
            this.checkpoint = checkpoint;
        }

        String table() {
            return rebuild ? shadowTable() : projection.table();
        }

        /** Live and rebuild parking never share rows: an operator's retry or a live park must not touch the other. */
        String parkingName() {
            return rebuild ? rebuildParkingName() : name();
        }

        /** Counts a failed attempt on {@code event}, schedules the next one, and returns the attempts so far. */
        int failed(LoggedEvent event, Duration firstBackoff) {
            if (event.position() != failingPosition) {
                failingPosition = event.position();
                attempts = 0;
            }
            attempts++;
            retryAfter(firstBackoff.multipliedBy(1L << Math.min(attempts - 1, 20)));
            return attempts;
        }

        void retryAfter(Duration delay) {
            retryAt = Instant.now().plus(delay);
        }

        void clearFailure() {
            failingPosition = -1;
            attempts = 0;
            retryAt = Instant.MIN;
        }

        void restartAt(Checkpoint at) {
            checkpoint = at;
            clearFailure();
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
}
