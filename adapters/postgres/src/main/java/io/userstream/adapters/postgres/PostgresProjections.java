package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.userstream.application.view.ParkedEvent;
import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.application.view.ProjectionStatus.ProjectionState;
import io.userstream.application.view.ProjectionStatus.RebuildPhase;
import io.userstream.application.view.ProjectionStatus.RebuildProgress;
import io.userstream.application.port.out.Projections;
import io.userstream.domain.user.UserId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The projections of user-service, each run by a {@link SubscriptionRunner}, and the operator's
 * view of them ({@link Projections}): status with lag and horizon, rebuild, replay, parked events,
 * verification.
 *
 * <p>The operator's queries and requests go through the DbClient ({@link Db}). A replay (of a stream, or
 * to retry a parked event) is one plain JDBC transaction ({@link SessionConnections}): it takes the
 * subscription's row lock and applies the projection through {@link Projection#apply}, on a
 * {@link Connection} like the runner's batches. A verification is one read-only plain JDBC transaction
 * that streams the log and the table with a fetch size.
 */
public final class PostgresProjections implements Projections, AutoCloseable {

    /** Advisory-lock keys of a subscription: its schema and its name, so separate schemas never collide. */
    static final String LOCK_KEYS = "hashtext(current_schema()), hashtext(?)";

    private final Db db;
    private final SessionConnections sessions;
    private final SubscriptionSettings settings;
    private final ProjectionObserver observer;
    private final Map<String, Projection> projections = new LinkedHashMap<>();
    private final Map<String, SubscriptionRunner> runners = new LinkedHashMap<>();
    private final EventLog log = new EventLog();
    private final UserEventCodec codec;

    PostgresProjections(PostgresDatabase database, SubscriptionSettings settings, ProjectionObserver observer,
                        List<Projection> projections) {
        this.db = new Db(database.dbClient());
        this.sessions = database.sessionConnections();
        this.codec = database.codec();
        this.settings = settings;
        this.observer = observer;
        for (Projection projection : projections) {
            this.projections.put(projection.name(), projection);
        }
    }

    /** user-service's projections: the {@code user_read_model}. Call {@link #start()} to run them. */
    public static PostgresProjections forUserService(PostgresDatabase database, SubscriptionSettings settings,
                                                     ProjectionObserver observer) {
        return new PostgresProjections(database, settings, observer,
                List.of(new UserReadModelProjection(database.codec())));
    }

    /**
     * user-service's projections plus the outbox relay ({@code outbox_relay}), which publishes every
     * event through {@code publisher} and moves its checkpoint only after the broker confirmed them.
     */
    public static PostgresProjections forUserService(PostgresDatabase database, SubscriptionSettings settings,
                                                     ProjectionObserver observer, IntegrationEventPublisher publisher) {
        return new PostgresProjections(database, settings, observer,
                List.of(new UserReadModelProjection(database.codec()), new OutboxRelay(publisher)));
    }

    /** Starts one runner per projection; each becomes active here or stands by for another instance. */
    public synchronized void start() {
        for (Projection projection : projections.values()) {
            SubscriptionRunner runner = new SubscriptionRunner(sessions, projection, settings, observer, codec);
            runners.put(projection.name(), runner);
            runner.start();
        }
    }

    /** Whether this instance is the active one for {@code name}. */
    public boolean isActive(String name) {
        SubscriptionRunner runner = runners.get(name);
        return runner != null && runner.isActive();
    }

    @Override
    public synchronized void close() {
        runners.values().forEach(SubscriptionRunner::close);
        runners.clear();
    }

    @Override
    public List<String> names() {
        return List.copyOf(projections.keySet());
    }

    @Override
    public List<ProjectionStatus> statuses() {
        return db.execute("read projection status", exec -> {
            double horizon = horizonBlockedSeconds(exec);
            List<ProjectionStatus> statuses = new ArrayList<>();
            for (String name : projections.keySet()) {
                statuses.add(status(exec, name, horizon));
            }
            return statuses;
        });
    }

    /**
     * Records the request; the active instance starts the rebuild at its next turn. A request while a
     * rebuild runs is queued: that rebuild may already have passed the events the operator just
     * repaired, so another one starts when it ends. Further requests while one is pending or queued
     * add nothing.
     */
    @Override
    public ProjectionStatus requestRebuild(String name) {
        // Autocommitted statements, each safe to repeat: the request is recorded (and visible to the
        // runner) before the wake-up is sent.
        return db.execute("request a rebuild of " + name, exec -> {
            exec.dml("""
                    INSERT INTO subscriptions (name, rebuild_requested_at) VALUES (?, clock_timestamp())
                    ON CONFLICT (name) DO UPDATE SET
                        rebuild_requested_at = coalesce(subscriptions.rebuild_requested_at,
                            EXCLUDED.rebuild_requested_at),
                        rebuild_queued = subscriptions.rebuild_queued OR subscriptions.rebuild_started_at IS NOT NULL
                    """, name);
            exec.get("SELECT pg_notify('" + AppendNotifier.CHANNEL + "', '')::text AS sent");
            return status(exec, name, horizonBlockedSeconds(exec));
        });
    }

    @Override
    public long replayStream(String name, UserId userId) {
        Projection projection = projections.get(name);
        try (Connection connection = sessions.connection()) {
            return SessionConnections.inTransaction(connection,
                    () -> replay(connection, projection, userId.value()));
        } catch (SQLException e) {
            throw DatabaseException.of("cannot replay stream " + userId + " into " + name, e);
        }
    }

    /**
     * Forgets the stream, then applies all its events in order, in the caller's transaction. Holds the
     * subscription's row lock, like every transaction of its runner: no batch, rebuild start or swap can
     * run half-way through the replay, so whether a shadow exists is known, and stays true, until commit.
     */
    private long replay(Connection connection, Projection projection, UUID streamId) throws SQLException {
        List<String> tables = new ArrayList<>(List.of(projection.table()));
        if (!projection.table().isEmpty() && lockAndCheckRebuilding(connection, projection.name())) {
            // The shadow table replaces the live one at the swap: repair it too, or the repair is lost then.
            tables.add(projection.table() + "_shadow");
        }
        List<RecordedUserEvent> events = log.stream(connection, streamId).stream()
                .map(event -> event.decode(codec)).toList();
        projection.beginBatch();
        for (String table : tables) {
            projection.forget(connection, table, streamId);
            projection.applyBatch(connection, table, events);
        }
        projection.beforeCommit();
        return events.size();
    }

    /** Takes the subscription's row lock (see {@link SubscriptionRunner}) and tells whether a rebuild runs. */
    private static boolean lockAndCheckRebuilding(Connection connection, String name) throws SQLException {
        BatchApplier.lockSubscription(connection, name);
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT rebuild_started_at IS NOT NULL FROM subscriptions WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                return row.next() && row.getBoolean(1);
            }
        }
    }

    @Override
    public List<ParkedEvent> parkedEvents(Optional<String> name) {
        return db.execute("list parked events", exec -> {
            try (var rows = exec.query("""
                    SELECT p.subscription, p.position, p.event_id, e.event_type, e.stream_id, e.version, p.error,
                           p.attempts, p.parked_at
                    FROM parked_events p JOIN events e ON e.position = p.position
                    WHERE ?::text IS NULL OR p.subscription = ?
                    ORDER BY p.subscription, p.position
                    """, name.orElse(null), name.orElse(null))) {
                return rows.map(row -> new ParkedEvent(Db.text(row, "subscription"), Db.int8(row, "position"),
                        Db.uuid(row, "event_id"), Db.text(row, "event_type"), Db.uuid(row, "stream_id"),
                        Db.int8(row, "version"), Db.text(row, "error"), Db.int4(row, "attempts"),
                        Db.instant(row, "parked_at"))).toList();
            }
        });
    }

    @Override
    public Optional<String> retryParkedEvent(String name, long position) {
        Projection projection = projections.get(name);
        String what = "retry parked event " + position + " of " + name;
        UUID streamId = db.execute(what, exec -> exec.get("SELECT stream_id FROM events WHERE position = ?", position)
                        .map(row -> Db.uuid(row, "stream_id")))
                .orElseThrow(() -> new NotFoundException("no event at position " + position));
        String error;
        try (Connection connection = sessions.connection()) {
            try {
                SessionConnections.inTransaction(connection, () -> replayAndUnpark(connection, projection, streamId));
                return Optional.empty();
            } catch (SQLException | RuntimeException e) {
                // Rolled back; recorded below.
                error = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        } catch (SQLException e) {
            throw DatabaseException.of("cannot " + what, e);
        }
        // Why it failed again, autocommitted: one statement, outside the failed transaction.
        db.execute(what, exec -> exec.dml("""
                UPDATE parked_events SET error = ?, attempts = attempts + 1, parked_at = clock_timestamp()
                WHERE subscription = ? AND position = ?
                """, error, name, position));
        return Optional.of(error);
    }

    /**
     * Replays the whole stream, not the one parked event: later events of the user were applied while
     * it was parked, and the version guard would otherwise skip it. Every parked event of the user is
     * applied by the replay, so all of them are unparked.
     */
    private Void replayAndUnpark(Connection connection, Projection projection, UUID streamId) throws SQLException {
        replay(connection, projection, streamId);
        try (PreparedStatement unpark = connection.prepareStatement("""
                DELETE FROM parked_events p USING events e
                WHERE p.subscription = ? AND e.position = p.position AND e.stream_id = ?
                """)) {
            unpark.setString(1, projection.name());
            unpark.setObject(2, streamId);
            unpark.executeUpdate();
        }
        return null;
    }

    /**
     * Verifies the live table in one REPEATABLE READ, READ ONLY transaction on a plain JDBC connection
     * ({@link SessionConnections}): the log and the table are streamed with a fetch size, which the
     * DbClient cannot do. The checkpoint, the log and the table are read in that one snapshot, so the
     * table holds exactly the events up to the checkpoint. A read-only transaction takes no transaction
     * id, so it holds back neither writers nor the log's horizon that the subscriptions wait for.
     */
    @Override
    public Optional<ProjectionVerification> verify(String name, int limit) {
        Projection projection = projections.get(name);
        try (Connection connection = sessions.connection()) {
            return SessionConnections.inTransaction(connection, () -> {
                try (Statement snapshot = connection.createStatement()) {
                    snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                }
                return projection.verify(connection, projection.table(), checkpoint(connection, name), limit);
            });
        } catch (SQLException e) {
            throw DatabaseException.of("cannot verify " + name, e);
        }
    }

    /** The subscription's checkpoint; the start of the log if it never ran. */
    private static Checkpoint checkpoint(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT checkpoint_transaction_id::text, checkpoint_position FROM subscriptions WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? new Checkpoint(Long.parseLong(row.getString(1)), row.getLong(2)) : Checkpoint.START;
            }
        }
    }

    private ProjectionStatus status(DbExecute exec, String name, double horizonBlockedSeconds) {
        DbRow row = exec.get("""
                SELECT coalesce(s.checkpoint_transaction_id, '0')::text AS checkpoint_transaction_id,
                       coalesce(s.checkpoint_position, 0) AS checkpoint_position,
                       s.state, s.last_error, coalesce(s.updated_at, clock_timestamp()) AS updated_at,
                       s.rebuild_requested_at IS NOT NULL AS rebuild_requested,
                       s.rebuild_started_at, s.rebuild_done, s.rebuild_total, s.rebuild_error, s.rebuild_phase,
                       coalesce(extract(epoch FROM clock_timestamp() - s.rebuild_phase_started_at), 0)::float8
                           AS rebuild_phase_seconds,
                       coalesce(s.rebuild_indexes_built, 0) AS rebuild_indexes_built,
                       coalesce(s.rebuild_indexes_total, 0) AS rebuild_indexes_total,
                       coalesce(extract(epoch FROM clock_timestamp() - s.rebuild_started_at), 0)::float8
                           AS rebuild_seconds,
                       (SELECT count(*) FROM parked_events p WHERE p.subscription = n.name) AS parked,
                       EXISTS (SELECT 1 FROM pg_locks l
                               WHERE l.locktype = 'advisory' AND l.granted
                                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                                 AND l.classid::text::bigint = (hashtext(current_schema())::bigint & 4294967295)
                                 AND l.objid::text::bigint = (hashtext(n.name)::bigint & 4294967295)
                                 AND l.objsubid = 2) AS held
                FROM (SELECT ?::text AS name) n LEFT JOIN subscriptions s ON s.name = n.name
                """, name).orElseThrow();
        Checkpoint checkpoint = new Checkpoint(Long.parseLong(Db.text(row, "checkpoint_transaction_id")),
                Db.int8(row, "checkpoint_position"));
        String storedState = Db.text(row, "state");
        // The live track's own failure comes first; else why the last rebuild was not swapped in.
        Optional<String> rebuildError = Optional.ofNullable(Db.text(row, "rebuild_error"));
        Optional<String> lastError = Optional.ofNullable(Db.text(row, "last_error")).or(() -> rebuildError);
        Instant updatedAt = Db.instant(row, "updated_at");
        Instant rebuildStarted = Db.instant(row, "rebuild_started_at");
        Optional<RebuildProgress> rebuild = Optional.empty();
        if (rebuildStarted != null) {
            rebuild = Optional.of(rebuildProgress(rebuildStarted, Db.int8(row, "rebuild_done"),
                    Db.int8(row, "rebuild_total"), Db.float8(row, "rebuild_seconds"), Db.text(row, "rebuild_phase"),
                    Db.float8(row, "rebuild_phase_seconds"), Db.int4(row, "rebuild_indexes_built"),
                    Db.int4(row, "rebuild_indexes_total")));
        }
        long parked = Db.int8(row, "parked");
        boolean held = Db.bool(row, "held");
        long[] lag = lag(exec, checkpoint);
        ProjectionState state;
        if (!held) {
            state = ProjectionState.STOPPED;
        } else if ("FAILED".equals(storedState) || rebuildError.isPresent()) {
            state = ProjectionState.FAILED;
        } else if (rebuild.isPresent()) {
            state = ProjectionState.REBUILDING;
        } else {
            state = lag[0] > settings.batchSize() ? ProjectionState.CATCHING_UP : ProjectionState.RUNNING;
        }
        return new ProjectionStatus(name, state, checkpoint.toString(), lag[0], lag[1] / 1000.0, parked,
                horizonBlockedSeconds, rebuild, lastError, updatedAt, Db.bool(row, "rebuild_requested"));
    }

    /**
     * A running rebuild's progress. The rate is the average since it started, the index phase included; the
     * time left is that of the current phase (see {@link RebuildProgress#eta()}).
     */
    static RebuildProgress rebuildProgress(Instant startedAt, long done, long total, double seconds, String phase,
                                           double phaseSeconds, int indexesBuilt, int indexesToBuild) {
        double rate = done / Math.max(0.001, seconds);
        if (RebuildDriver.BUILDING_INDEXES.equals(phase)) {
            return new RebuildProgress(done, total, rate, startedAt,
                    RebuildEstimate.indexesEta(indexesBuilt, indexesToBuild, phaseSeconds),
                    RebuildPhase.BUILDING_INDEXES, indexesBuilt, indexesToBuild);
        }
        return new RebuildProgress(done, total, rate, startedAt, RebuildEstimate.eta(done, total, rate),
                RebuildPhase.APPLYING_EVENTS, indexesBuilt, indexesToBuild);
    }

    /** Events after the checkpoint, and the age in milliseconds of the oldest of them. */
    private static long[] lag(DbExecute exec, Checkpoint checkpoint) {
        DbRow row = exec.get("""
                SELECT count(*) AS events,
                       coalesce((extract(epoch FROM clock_timestamp() - min(recorded_at)) * 1000)::bigint, 0) AS age
                FROM events WHERE (transaction_id, position) > (?::text::xid8, ?)
                """, Long.toString(checkpoint.transactionId()), checkpoint.position()).orElseThrow();
        return new long[] {Db.int8(row, "events"), Db.int8(row, "age")};
    }

    /**
     * Age of the oldest open transaction of this database that has written (holds an xid): the log's
     * horizon cannot pass it, so every subscription waits for it (other databases' are passed over, see
     * {@link EventLog}). Zero when there is none.
     */
    private static double horizonBlockedSeconds(DbExecute exec) {
        DbRow row = exec.get("""
                SELECT coalesce(extract(epoch FROM clock_timestamp() - min(xact_start)), 0)::float8 AS seconds
                FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
                  AND coalesce(datid = (SELECT oid FROM pg_database WHERE datname = current_database()), true)
                """).orElseThrow();
        return Db.float8(row, "seconds");
    }
}
