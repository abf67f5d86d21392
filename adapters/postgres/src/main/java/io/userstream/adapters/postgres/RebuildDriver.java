package io.userstream.adapters.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Rebuilds a projection's table blue/green, on its own thread and its own connection, so it neither takes
 * turns with the live track nor waits for it: the live table keeps being served and followed while the
 * rebuild applies the whole log to a shadow copy ({@code <table>_shadow}), in large batches through the
 * same {@link BatchApplier}.
 *
 * <p>The shadow is created with only the indexes its writes need or that guard its rows (the primary key and
 * unique ones); the live table's other indexes are built on it in the <em>index phase</em>, once the shadow
 * has reached the live checkpoint, one transaction each ({@link ShadowIndexes}): maintained row by row from
 * the first event, they slowed the rebuild more and more as they grew. The rebuild then applies what the live
 * table followed meanwhile, and swaps. Its phase and the index build's progress are in the subscription's row
 * for {@code ListProjections}, and in the log.
 *
 * <p>As soon as the shadow's checkpoint has reached the live one (in {@code (transaction_id, position)}
 * order) it holds everything the live table holds, and the two are swapped in one transaction that holds the
 * subscription's lock (so no live batch is half done) and renames the tables; the live checkpoint becomes the
 * shadow's (the greater). The rename waits for readers of the live table: it gives up after
 * {@link #SWAP_LOCK_TIMEOUT} and is tried again after the next batch, so a long query never freezes the
 * queries queued behind the rename.
 *
 * <p>The shadow is only swapped in if it applied every event: the rebuild parks under
 * {@code <name>#rebuild} and, if it parked any, or if the stop policy stopped it, or if any row of the shadow
 * is older than the live one, it ends FAILED with the reason in {@code rebuild_error} and the live table
 * stays. A rebuild requested while one runs was queued, and runs next.
 */
final class RebuildDriver implements AutoCloseable {

    /** How long the swap waits for the live table's readers before it gives up and tries again later. */
    static final Duration SWAP_LOCK_TIMEOUT = Duration.ofSeconds(2);

    private static final Logger LOG = Logger.getLogger(RebuildDriver.class.getName());
    private static final Duration PROGRESS_LOG_INTERVAL = Duration.ofSeconds(5);

    /**
     * Ends a rebuild (swapped in or failed) in the subscription's row: clears its progress and turns a
     * request that arrived while it ran into the next pending request.
     */
    private static final String END_REBUILD = """
            rebuild_requested_at = CASE WHEN rebuild_queued THEN clock_timestamp() END, rebuild_queued = false,
            rebuild_started_at = NULL, rebuild_transaction_id = NULL, rebuild_position = NULL, rebuild_done = NULL,
            rebuild_total = NULL, rebuild_phase = NULL, rebuild_phase_started_at = NULL, rebuild_indexes_built = NULL,
            rebuild_indexes_total = NULL, updated_at = clock_timestamp()
            """;

    /** The rebuild's phases, as {@code rebuild_phase} stores them. */
    static final String APPLYING_EVENTS = "APPLYING_EVENTS";
    static final String BUILDING_INDEXES = "BUILDING_INDEXES";

    private final SessionConnections sessions;
    private final Projection projection;
    private final SubscriptionSettings settings;
    private final BatchApplier applier;
    private final Thread thread;
    private volatile boolean stopping;
    private Instant lastProgressLog = Instant.now();
    private long doneAtLastLog;
    /** Time this driver spent building deferred indexes, for the last log line. */
    private Duration indexTime = Duration.ZERO;

    RebuildDriver(SessionConnections sessions, Projection projection, SubscriptionSettings settings,
                  BatchApplier applier) {
        this.sessions = sessions;
        this.projection = projection;
        this.settings = settings;
        this.applier = applier;
        this.thread = Thread.ofPlatform().daemon().name("rebuild-" + projection.name()).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    boolean isRunning() {
        return thread.isAlive();
    }

    /** Stops after the current batch; the rebuild's progress is kept and resumes at the next activation. */
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

    private String name() {
        return projection.name();
    }

    String shadowTable() {
        return projection.table() + "_shadow";
    }

    private String parkingName() {
        return name() + SubscriptionRunner.REBUILD_PARKING_SUFFIX;
    }

    /** Runs requested rebuilds one after the other (a queued one next), until none is left or it is stopped. */
    private void run() {
        try (Connection connection = sessions.connection()) {
            Track track;
            while (!stopping && (track = startOrResume(connection)) != null) {
                drive(connection, track);
            }
        } catch (BatchApplier.RebuildSuperseded e) {
            LOG.info(() -> "subscription " + name() + ": " + e.getMessage());
        } catch (SQLException | RuntimeException e) {
            if (!stopping) {
                LOG.log(Level.WARNING, "rebuild of " + name() + " failed; it resumes from its checkpoint", e);
            }
        }
    }

    /** Applies batches to the shadow until it is swapped in or the rebuild fails. */
    private void drive(Connection connection, Track track) throws SQLException {
        while (!stopping) {
            if (track.checkpoint.hasReached(liveCheckpoint(connection))) {
                // Every event the live table holds is in: build the deferred indexes (after which the shadow
                // follows the events the live track applied meanwhile), or swap if they are all there.
                if (buildDeferredIndexes(connection, track)) {
                    continue;
                }
                if (tryToComplete(connection, track)) {
                    return;
                }
            }
            BatchApplier.Result result = applier.step(connection, track);
            if (result.stoppedOn() != null) {
                fail(connection, "the rebuild " + result.stoppedOn() + "; the shadow was not swapped in");
                return;
            }
            logProgress(connection);
            if (!result.progressed()) {
                // Nothing to read below the horizon yet, or an event waits for its retry: nothing is held meanwhile.
                pause(track.untilRetry().compareTo(settings.pollInterval()) < 0 ? track.untilRetry()
                        : Duration.ofMillis(Math.min(50, settings.pollInterval().toMillis())));
            }
        }
    }

    /** The pending rebuild's track, starting it (a fresh shadow) if it has not started; null if none is wanted. */
    private Track startOrResume(Connection connection) throws SQLException {
        return SessionConnections.inTransaction(connection, () -> {
            BatchApplier.lockSubscription(connection, name());
            try (PreparedStatement select = connection.prepareStatement("""
                    SELECT rebuild_requested_at IS NOT NULL, rebuild_started_at, rebuild_transaction_id::text,
                           rebuild_position, rebuild_done
                    FROM subscriptions WHERE name = ?
                    """)) {
                select.setString(1, name());
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return null;
                    }
                    Timestamp started = row.getTimestamp(2);
                    if (started != null) {
                        // A rebuild interrupted by a restart or a failover resumes where its shadow table stands:
                        // applying events first (the index phase starts again when it has reached the live table).
                        resumePhase(connection);
                        lastProgressLog = Instant.now();
                        doneAtLastLog = row.getLong(5);
                        indexTime = Duration.ZERO;
                        LOG.info(() -> "subscription " + name() + ": rebuild into " + shadowTable() + " resumes at "
                                + doneAtLastLog + " events applied");
                        return Track.rebuild(name(), shadowTable(), started.toInstant(), settings.batchSize(),
                                new Checkpoint(Long.parseLong(row.getString(3)), row.getLong(4)));
                    }
                    if (!row.getBoolean(1)) {
                        return null;
                    }
                }
            }
            try (Statement ddl = connection.createStatement()) {
                ddl.execute("DROP TABLE IF EXISTS " + shadowTable());
                ddl.execute("CREATE TABLE " + shadowTable() + " (LIKE " + projection.table() + " INCLUDING ALL)");
            }
            int deferred = ShadowIndexes.dropDeferrable(connection, shadowTable());
            // What an earlier rebuild parked belongs to a shadow that is gone.
            try (PreparedStatement forget = connection.prepareStatement(
                    "DELETE FROM parked_events WHERE subscription = ?")) {
                forget.setString(1, parkingName());
                forget.executeUpdate();
            }
            try (PreparedStatement start = connection.prepareStatement("""
                    UPDATE subscriptions SET rebuild_started_at = clock_timestamp(), rebuild_transaction_id = '0',
                        rebuild_position = 0, rebuild_done = 0, rebuild_error = NULL,
                        rebuild_total = (SELECT count(*) FROM events), rebuild_phase = ?,
                        rebuild_phase_started_at = clock_timestamp(), rebuild_indexes_built = 0,
                        rebuild_indexes_total = ?, state = 'REBUILDING', updated_at = clock_timestamp()
                    WHERE name = ?
                    RETURNING rebuild_started_at
                    """)) {
                start.setString(1, APPLYING_EVENTS);
                start.setInt(2, deferred);
                start.setString(3, name());
                try (ResultSet row = start.executeQuery()) {
                    row.next();
                    Instant generation = row.getTimestamp(1).toInstant();
                    LOG.info(() -> "subscription " + name() + ": rebuild started into " + shadowTable()
                            + (deferred == 0 ? "" : " (" + deferred + " index(es) of " + projection.table()
                            + " to build after the last event)"));
                    lastProgressLog = Instant.now();
                    doneAtLastLog = 0;
                    indexTime = Duration.ZERO;
                    return Track.rebuild(name(), shadowTable(), generation, settings.batchSize(), Checkpoint.START);
                }
            }
        });
    }

    private Checkpoint liveCheckpoint(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT checkpoint_transaction_id::text, checkpoint_position FROM subscriptions WHERE name = ?")) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return new Checkpoint(Long.parseLong(row.getString(1)), row.getLong(2));
            }
        }
    }

    /**
     * The index phase: builds the live table's indexes that the shadow lacks (those it was created without),
     * concurrently, one after the other ({@link ShadowIndexes}), so that neither the live track nor the log's
     * horizon waits for them. A session lock keeps a second driver (another instance's, after a failover) from
     * building the same index twice; what was built stays built if the rebuild stops half-way, and a resumed
     * rebuild builds the rest. False if none was missing.
     */
    private boolean buildDeferredIndexes(Connection connection, Track track) throws SQLException {
        String live = projection.table();
        boolean[] invalid = new boolean[1];
        List<ShadowIndexes.Index> missing = SessionConnections.inTransaction(connection, () -> {
            lockRebuild(connection, track);
            invalid[0] = ShadowIndexes.anyInvalid(connection, shadowTable());
            return ShadowIndexes.missing(connection, live, shadowTable());
        });
        if (missing.isEmpty() && !invalid[0]) {
            return false;
        }
        sessionLock(connection, "pg_advisory_lock");
        try {
            // What a failed build left (no build runs now: they all hold the session lock).
            SessionConnections.inTransaction(connection, () -> {
                lockRebuild(connection, track);
                ShadowIndexes.dropInvalid(connection, shadowTable());
                return null;
            });
            long phaseStarted = System.nanoTime();
            setPhase(connection, track, BUILDING_INDEXES, missing.size());
            long[] done = progress(connection);
            LOG.info(String.format("subscription %s: rebuild %d/%d events applied; building %d index(es) on %s",
                    name(), done[0], done[1], missing.size(), shadowTable()));
            int built = 0;
            for (ShadowIndexes.Index index : missing) {
                if (stopping) {
                    return true;
                }
                long started = System.nanoTime();
                boolean wanted = SessionConnections.inTransaction(connection, () -> {
                    lockRebuild(connection, track);
                    // Not if it was built meanwhile (by this rebuild before a restart, or by another instance).
                    return ShadowIndexes.missing(connection, live, shadowTable()).contains(index);
                });
                if (!wanted) {
                    continue;
                }
                ShadowIndexes.build(connection, shadowTable(), index);
                SessionConnections.inTransaction(connection, () -> {
                    lockRebuild(connection, track);
                    try (PreparedStatement count = connection.prepareStatement("""
                            UPDATE subscriptions SET rebuild_indexes_built = coalesce(rebuild_indexes_built, 0) + 1,
                                updated_at = clock_timestamp()
                            WHERE name = ?
                            """)) {
                        count.setString(1, name());
                        count.executeUpdate();
                    }
                    return null;
                });
                built++;
                int number = built;
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                LOG.info(() -> "subscription " + name() + ": rebuild built the index like " + index.name() + " on "
                        + shadowTable() + " (" + number + "/" + missing.size() + ") in " + took.toMillis() + " ms");
            }
            setPhase(connection, track, APPLYING_EVENTS, 0);
            Duration took = Duration.ofNanos(System.nanoTime() - phaseStarted);
            indexTime = indexTime.plus(took);
            LOG.info(() -> "subscription " + name() + ": rebuild built " + missing.size() + " index(es) in "
                    + took.toMillis() + " ms; applying what the live table followed meanwhile, then swapping");
        } finally {
            sessionLock(connection, "pg_advisory_unlock");
        }
        // The next progress line measures the events applied from here, not the index build.
        lastProgressLog = Instant.now();
        doneAtLastLog = progress(connection)[0];
        return true;
    }

    /** A resumed rebuild applies events first, whatever phase it stopped in. */
    private void resumePhase(Connection connection) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE subscriptions SET rebuild_phase = ?, rebuild_phase_started_at = clock_timestamp()
                WHERE name = ? AND rebuild_phase IS DISTINCT FROM ?
                """)) {
            update.setString(1, APPLYING_EVENTS);
            update.setString(2, name());
            update.setString(3, APPLYING_EVENTS);
            update.executeUpdate();
        }
    }

    /**
     * Records the rebuild's phase; entering the index phase with {@code indexes} still missing from the shadow,
     * which also sets how many are built (a build that committed just before a restart may not be counted yet).
     */
    private void setPhase(Connection connection, Track track, String phase, int indexes) throws SQLException {
        SessionConnections.inTransaction(connection, () -> {
            lockRebuild(connection, track);
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE subscriptions SET rebuild_phase = ?, rebuild_phase_started_at = clock_timestamp(),
                        rebuild_indexes_built = CASE WHEN ? THEN greatest(coalesce(rebuild_indexes_total, 0) - ?, 0)
                                                     ELSE rebuild_indexes_built END,
                        rebuild_indexes_total = greatest(coalesce(rebuild_indexes_total, 0), ?),
                        updated_at = clock_timestamp()
                    WHERE name = ?
                    """)) {
                update.setString(1, phase);
                update.setBoolean(2, BUILDING_INDEXES.equals(phase));
                update.setInt(3, indexes);
                update.setInt(4, indexes);
                update.setString(5, name());
                update.executeUpdate();
            }
            return null;
        });
    }

    /** Takes or releases ({@code function}) the session lock of the rebuild's index builds. */
    private void sessionLock(Connection connection, String function) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT " + function + "(" + PostgresProjections.LOCK_KEYS + ")")) {
            lock.setString(1, name() + "#rebuild-indexes");
            lock.executeQuery().close();
        }
    }

    /**
     * Takes the rebuild's lock for the rest of the transaction, and makes sure this driver's rebuild is still
     * the running one ({@link BatchApplier.RebuildSuperseded} otherwise).
     */
    private void lockRebuild(Connection connection, Track track) throws SQLException {
        BatchApplier.lockTrack(connection, track);
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT rebuild_started_at FROM subscriptions WHERE name = ?")) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                Timestamp generation = row.next() ? row.getTimestamp(1) : null;
                if (generation == null || !generation.toInstant().equals(track.generation)) {
                    throw new BatchApplier.RebuildSuperseded("the rebuild of " + name() + " started at "
                            + track.generation + " is no longer running");
                }
            }
        }
    }

    /** The running rebuild's events applied, events counted at its start, indexes built and to build. */
    private long[] progress(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT coalesce(rebuild_done, 0), coalesce(rebuild_total, 0), coalesce(rebuild_indexes_built, 0),
                       coalesce(rebuild_indexes_total, 0)
                FROM subscriptions WHERE name = ?
                """)) {
            select.setString(1, name());
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? new long[] {row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4)}
                        : new long[4];
            }
        }
    }

    /**
     * The shadow had reached the live checkpoint: swaps it in if it applied every event, or fails the rebuild
     * visibly (swapping in a shadow with holes would silently lose what the live table holds). False if it must
     * go on instead: the live track moved on meanwhile, or the rename timed out waiting for readers.
     */
    private boolean tryToComplete(Connection connection, Track track) throws SQLException {
        String live = projection.table();
        String failure;
        double[] doneAndSeconds = new double[2];
        try {
            failure = SessionConnections.inTransaction(connection, () -> {
                BatchApplier.lockSubscription(connection, name());
                Checkpoint liveNow = liveCheckpoint(connection);
                if (!track.checkpoint.hasReached(liveNow)
                        || !ShadowIndexes.missing(connection, live, shadowTable()).isEmpty()
                        || ShadowIndexes.anyInvalid(connection, shadowTable())) {
                    return "";
                }
                String why = whyNotSwappable(connection);
                if (why != null) {
                    return why;
                }
                try (Statement ddl = connection.createStatement()) {
                    ddl.execute("SET LOCAL lock_timeout = '" + SWAP_LOCK_TIMEOUT.toMillis() + "ms'");
                    Map<String, String> liveIndexNames = ShadowIndexes.namesByShape(connection, live);
                    Map<String, String> shadowIndexNames = ShadowIndexes.namesByShape(connection, shadowTable());
                    ddl.execute("ALTER TABLE " + live + " RENAME TO " + live + "_replaced");
                    ddl.execute("ALTER TABLE " + shadowTable() + " RENAME TO " + live);
                    ddl.execute("DROP TABLE " + live + "_replaced");
                    // CREATE TABLE ... LIKE and the index phase named the shadow's indexes after the shadow: give them
                    // the live names back, so later migrations that name an index (or the primary key) still find it.
                    for (Map.Entry<String, String> index : shadowIndexNames.entrySet()) {
                        String original = liveIndexNames.get(index.getKey());
                        if (original != null && !original.equals(index.getValue())) {
                            ddl.execute("ALTER INDEX " + index.getValue() + " RENAME TO " + original);
                        }
                    }
                }
                try (PreparedStatement elapsed = connection.prepareStatement("""
                        SELECT rebuild_done, extract(epoch FROM clock_timestamp() - rebuild_started_at)::float8
                        FROM subscriptions WHERE name = ?
                        """)) {
                    elapsed.setString(1, name());
                    try (ResultSet row = elapsed.executeQuery()) {
                        row.next();
                        doneAndSeconds[0] = row.getLong(1);
                        doneAndSeconds[1] = row.getDouble(2);
                    }
                }
                try (PreparedStatement finish = connection.prepareStatement("""
                        UPDATE subscriptions SET checkpoint_transaction_id = ?::text::xid8, checkpoint_position = ?,
                            state = 'RUNNING', last_error = NULL, rebuild_error = NULL,
                        """ + END_REBUILD + " WHERE name = ?")) {
                    finish.setString(1, Long.toString(track.checkpoint.transactionId()));
                    finish.setLong(2, track.checkpoint.position());
                    finish.setString(3, name());
                    finish.executeUpdate();
                }
                return null;
            });
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                LOG.warning(() -> "subscription " + name() + ": the swap waited " + SWAP_LOCK_TIMEOUT.toMillis()
                        + " ms for readers of " + live + "; trying again after the next batch");
                return false;
            }
            throw e;
        }
        if ("".equals(failure)) {
            return false;
        }
        if (failure != null) {
            fail(connection, failure);
            return true;
        }
        LOG.info(String.format("subscription %s: rebuild complete, shadow swapped in at %s: %.0f events in %.1f s,"
                        + " %.0f events/s overall (of which %.1f s building indexes here)", name(), track.checkpoint,
                doneAndSeconds[0], doneAndSeconds[1], doneAndSeconds[0] / Math.max(0.001, doneAndSeconds[1]),
                indexTime.toMillis() / 1000.0));
        return true;
    }

    /** Why the shadow must not replace the live table, or null if it may. */
    private String whyNotSwappable(Connection connection) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement(
                "SELECT count(*), min(position) FROM parked_events WHERE subscription = ?")) {
            count.setString(1, parkingName());
            try (ResultSet row = count.executeQuery()) {
                row.next();
                if (row.getLong(1) > 0) {
                    return "the rebuild could not apply " + row.getLong(1) + " event(s) (the first at position "
                            + row.getLong(2) + "; see the parked events of " + parkingName()
                            + "); the shadow was not swapped in";
                }
            }
        }
        // The shadow has read at least as far as the live table: no row of it may be older. A last line of
        // defence, so that whatever went wrong, a shadow with holes never replaces the live table.
        long behind = projection.rowsBehind(connection, projection.table(), shadowTable());
        if (behind > 0) {
            return "the rebuilt shadow holds " + behind + " row(s) older than the live table;"
                    + " the shadow was not swapped in";
        }
        return null;
    }

    /**
     * Ends the running rebuild without swapping: drops the shadow and records why in {@code rebuild_error},
     * which the status shows (state FAILED) until the next rebuild starts.
     */
    private void fail(Connection connection, String reason) throws SQLException {
        SessionConnections.inTransaction(connection, () -> {
            BatchApplier.lockSubscription(connection, name());
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
        LOG.severe(() -> "subscription " + name() + ": " + reason);
    }

    /**
     * Every few seconds: done/total, the rate since the last line, the time left at that rate to apply the
     * events, and the indexes still to build after them.
     */
    private void logProgress(Connection connection) throws SQLException {
        Instant now = Instant.now();
        Duration since = Duration.between(lastProgressLog, now);
        if (since.compareTo(PROGRESS_LOG_INTERVAL) < 0) {
            return;
        }
        long[] progress = progress(connection);
        long done = progress[0];
        long total = progress[1];
        long indexesLeft = progress[3] - progress[2];
        double rate = (done - doneAtLastLog) / Math.max(0.001, since.toMillis() / 1000.0);
        LOG.info(String.format("subscription %s: rebuild %d/%d events, %.0f events/s, about %s left%s", name(), done,
                total, rate, RebuildEstimate.remaining(done, total, rate),
                indexesLeft > 0 ? ", then " + indexesLeft + " index(es) to build" : ""));
        doneAtLastLog = done;
        lastProgressLog = now;
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration.isNegative() ? Duration.ZERO : duration);
        } catch (InterruptedException e) {
            // close() interrupts to stop promptly; the loop checks `stopping`.
        }
    }
}
