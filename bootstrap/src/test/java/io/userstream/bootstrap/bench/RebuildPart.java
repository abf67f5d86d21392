package io.userstream.bootstrap.bench;

import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresProjections;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.application.port.out.ProjectionObserver;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/**
 * The {@code rebuild} part: our rebuild of {@code user_read_model} ({@link PostgresProjections#requestRebuild},
 * request to swap, {@link SubscriptionSettings#DEFAULTS}) beside the set-based SQL build of the same read model
 * (one {@code INSERT … SELECT} of the UserCreated rows and one {@code UPDATE … FROM} of the ProfileUpdated rows,
 * into a copy of the table with its indexes, in one transaction: the database's own speed for this read model)
 * and Axon's {@code PooledStreamingEventProcessor} replay of the same events into the same table shape
 * ({@link AxonReplay}). N users × (UserCreated + ProfileUpdated) = 2N events, generated with SQL in our codec's
 * stored shape (as {@code ProjectionsBenchmark} does), then copied into Axon's table.
 */
final class RebuildPart {

    static final String SET_BASED = "set-based SQL";
    static final String OURS = "ours (rebuild)";
    static final String AXON = "Axon replay";
    private static final String READ_MODEL = "user_read_model";

    private final String url;
    private final String user;
    private final String schema;
    private final String axonSchema;
    private final int users;
    private final int runs;
    private final int axonBatch;
    private final String passwordHash;
    /** system → runs (events/s). */
    final Map<String, List<Double>> rates = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();

    RebuildPart(String url, String user, String schema, String axonSchema, int users, int runs, int axonBatch,
                String passwordHash) {
        this.url = url;
        this.user = user;
        this.schema = schema;
        this.axonSchema = axonSchema;
        this.users = users;
        this.runs = runs;
        this.axonBatch = axonBatch;
        this.passwordHash = passwordHash;
    }

    long events() {
        return 2L * users;
    }

    void run() throws Exception {
        SubscriptionSettings settings = SubscriptionSettings.DEFAULTS;
        try (PostgresDatabase database = PostgresDatabase.open(new PostgresSettings(url, user, "", schema, 8,
                Duration.ofSeconds(30)))) {
            generate();
            Bench.sql("CREATE SCHEMA " + axonSchema);
            try (AxonReplay axon = new AxonReplay(url, user, axonSchema)) {
                axon.createSchema(schema);
                long copied = axon.copyEvents(schema);
                sqlIn(schema, "CREATE TABLE bench_set_read_model (LIKE user_read_model INCLUDING ALL)");
                sqlIn(null, "VACUUM ANALYZE " + schema + ".events");
                sqlIn(null, "VACUUM ANALYZE " + axonSchema + ".domainevententry");
                System.out.printf("rebuild: %d users, %d events in our log and %d in Axon's%n", users, events(), copied);
                try (PostgresProjections projections = PostgresProjections.forUserService(database, settings,
                        ProjectionObserver.NONE)) {
                    String end = lastEvent();
                    long start = System.nanoTime();
                    projections.start();
                    if (!await(Duration.ofSeconds(60 + events() / 300), () -> end.equals(checkpoint()))) {
                        throw new IllegalStateException("our projection did not catch up with the log");
                    }
                    double catchUp = events() / Bench.seconds(start);
                    System.out.printf("rebuild: our catch-up (not a figure here, for the log): %.0f events/s%n", catchUp);
                    List<String> systems = List.of(SET_BASED, OURS, AXON);
                    systems.forEach(system -> rates.put(system, new ArrayList<>()));
                    for (int r = 0; r < runs; r++) {
                        for (String system : Bench.rotate(systems, r)) {
                            double seconds = switch (system) {
                                case SET_BASED -> setBased();
                                case OURS -> rebuild(projections);
                                case AXON -> axonReplay(axon, r);
                                default -> throw new IllegalStateException(system);
                            };
                            rates.get(system).add(events() / seconds);
                            System.out.printf("rebuild %-15s run %d: %6.2f s = %8.0f events/s%n", system, r + 1, seconds,
                                    events() / seconds);
                        }
                    }
                    long differ = count("""
                            SELECT count(*) FROM ((SELECT * FROM bench_set_read_model EXCEPT SELECT * FROM user_read_model)
                                UNION ALL (SELECT * FROM user_read_model EXCEPT SELECT * FROM bench_set_read_model)) d
                            """);
                    notes.add("tables vs the set-based one: ours (after the last rebuild) " + differ
                            + " rows differ; Axon's, after each replay: " + axonDiffering);
                    System.out.println("rebuild: " + notes.getLast());
                }
            }
        } finally {
            if (poll != null) {
                poll.close();
            }
        }
    }

    // ---- the three ----

    private double setBased() throws SQLException {
        try (Connection connection = connect(schema)) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("TRUNCATE bench_set_read_model");
                connection.commit();
                long start = System.nanoTime();
                statement.executeUpdate("""
                        INSERT INTO bench_set_read_model (id, email, username, first_name, last_name, avatar_url, status,
                                                          created_at, last_updated, deleted_at, version)
                        SELECT stream_id, payload->'personal'->>'email', payload->'data'->>'username',
                               payload->'personal'->>'first_name', payload->'personal'->>'last_name',
                               payload->'personal'->>'avatar_url', 'ACTIVE', occurred_at, occurred_at, NULL, version
                        FROM events WHERE event_type = 'UserCreated'
                        """);
                statement.executeUpdate("""
                        UPDATE bench_set_read_model r
                        SET first_name = e.payload->'personal'->>'first_name',
                            last_name = e.payload->'personal'->>'last_name',
                            avatar_url = e.payload->'personal'->>'avatar_url',
                            last_updated = e.occurred_at, version = e.version
                        FROM events e
                        WHERE e.event_type = 'ProfileUpdated' AND e.stream_id = r.id AND r.version < e.version
                        """);
                connection.commit();
                return Bench.seconds(start);
            }
        }
    }

    private double rebuild(PostgresProjections projections) throws Exception {
        long start = System.nanoTime();
        projections.requestRebuild(READ_MODEL);
        if (!await(Duration.ofSeconds(60 + events() / 300), this::rebuildEnded)) {
            throw new IllegalStateException("our rebuild did not end");
        }
        double seconds = Bench.seconds(start);
        String error = rebuildError();
        if (error != null) {
            throw new IllegalStateException("our rebuild failed: " + error);
        }
        return seconds;
    }

    private final List<Long> axonDiffering = new ArrayList<>();

    private double axonReplay(AxonReplay axon, int run) throws Exception {
        axon.reset();
        long start = System.nanoTime();
        axon.replay("user_read_model_" + run, axonBatch, users, 60 + events() / 300);
        double seconds = Bench.seconds(start);
        long differ = count("""
                SELECT count(*) FROM ((SELECT * FROM bench_set_read_model EXCEPT SELECT * FROM %1$s.user_read_model)
                    UNION ALL (SELECT * FROM %1$s.user_read_model EXCEPT SELECT * FROM bench_set_read_model)) d
                """.formatted(axonSchema));
        axonDiffering.add(differ);
        return seconds;
    }

    // ---- generation (our codec's stored shape, as ProjectionsBenchmark#generate) ----

    private void generate() throws SQLException {
        int transactions = 10;
        Instant base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofDays(1));
        try (Connection connection = connect(schema)) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version,
                                        payload, metadata, occurred_at)
                    SELECT md5(?::text || '/e/' || g || '/' || v)::uuid, md5(?::text || '/u/' || g)::uuid, 'user', v,
                           CASE v WHEN 1 THEN 'UserCreated' ELSE 'ProfileUpdated' END,
                           CASE v WHEN 1 THEN 2 ELSE 1 END,
                           CASE v WHEN 1 THEN jsonb_build_object(
                                   'data', jsonb_build_object('username', 'bench' || g, 'password_hash', ?::text),
                                   'personal', jsonb_build_object('email', 'bench' || g || '@example.com',
                                       'first_name', 'First' || g, 'last_name', 'Last' || g, 'avatar_url', ''))
                                ELSE jsonb_build_object(
                                   'data', '{}'::jsonb,
                                   'personal', jsonb_build_object('first_name', 'Renamed' || g,
                                       'last_name', 'Changed' || g,
                                       'avatar_url', 'https://avatars.example.com/' || g || '.png'))
                           END,
                           jsonb_build_object('correlation_id', md5(?::text || '/c/' || g)::uuid::text, 'actor', 'bench'),
                           ?::timestamptz + make_interval(secs => g * 0.001 + (v - 1))
                    FROM generate_series(?, ?) g CROSS JOIN (VALUES (1), (2)) AS t(v)
                    ORDER BY g, v
                    """)) {
                int per = (users + transactions - 1) / transactions;
                for (int from = 1; from <= users; from += per) {
                    insert.setString(1, schema);
                    insert.setString(2, schema);
                    insert.setString(3, passwordHash);
                    insert.setString(4, schema);
                    insert.setTimestamp(5, Timestamp.from(base));
                    insert.setInt(6, from);
                    insert.setInt(7, Math.min(users, from + per - 1));
                    insert.executeUpdate();
                    connection.commit();
                }
            }
        }
    }

    // ---- helpers ----

    private Connection connect(String searchPath) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", "");
        properties.setProperty("ApplicationName", "userstream-bench");
        if (searchPath != null) {
            properties.setProperty("currentSchema", searchPath);
        }
        return DriverManager.getConnection(url, properties);
    }

    private void sqlIn(String searchPath, String sql) throws SQLException {
        try (Connection connection = connect(searchPath); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private long count(String query) throws SQLException {
        try (Connection connection = connect(schema); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(query)) {
            row.next();
            return row.getLong(1);
        }
    }

    private String lastEvent() throws SQLException {
        try (Connection connection = connect(schema); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT transaction_id::text || '/' || position FROM events"
                     + " ORDER BY transaction_id DESC, position DESC LIMIT 1")) {
            return row.next() ? row.getString(1) : "0/0";
        }
    }

    private String checkpoint() {
        return queryString("SELECT checkpoint_transaction_id::text || '/' || checkpoint_position FROM subscriptions"
                + " WHERE name = '" + READ_MODEL + "'");
    }

    private boolean rebuildEnded() {
        return "t".equals(queryString("SELECT CASE WHEN rebuild_requested_at IS NULL AND rebuild_started_at IS NULL"
                + " AND NOT rebuild_queued THEN 't' ELSE 'f' END FROM subscriptions WHERE name = '" + READ_MODEL + "'"));
    }

    private String rebuildError() {
        return queryString("SELECT rebuild_error FROM subscriptions WHERE name = '" + READ_MODEL + "'");
    }

    private Connection poll;

    private String queryString(String query) {
        try {
            if (poll == null || poll.isClosed()) {
                poll = connect(schema);
            }
            try (Statement statement = poll.createStatement(); ResultSet row = statement.executeQuery(query)) {
                return row.next() ? row.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean await(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
