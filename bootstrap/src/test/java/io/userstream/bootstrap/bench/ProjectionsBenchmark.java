package io.userstream.bootstrap.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresProjections;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.PostgresUserEventStore;
import io.userstream.adapters.postgres.PostgresUserStatsStore;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.adapters.rabbitmq.RabbitIntegrationEventPublisher;
import io.userstream.adapters.rabbitmq.RabbitSettings;
import io.userstream.adapters.rabbitmq.RabbitUserActivityConsumer;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.out.IntegrationEventPublisher;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.StatsObserver;
import io.userstream.application.port.out.UserDirectory;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.service.UserStatsService;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.bootstrap.InProcessServices;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.UserStats;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;
import org.postgresql.PGConnection;

import java.io.IOException;
import java.io.OutputStream;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Throughput of the read side against the real PostgreSQL and RabbitMQ, each figure printed as a ratio to
 * a baseline measured in the same run on the same data (machines are shared and noisy; ratios travel,
 * absolute figures do not):
 * <ol>
 *   <li><b>generate</b> N users × (UserCreated + ProfileUpdated) = 2N events straight into {@code events}
 *       with {@code INSERT … SELECT generate_series} (10 transactions), in the codec's exact stored shape;</li>
 *   <li><b>baselines</b>: {@code COPY (SELECT … ORDER BY transaction_id, position) TO STDOUT} into a null
 *       sink, and the <em>set-based build</em> of the read model (one {@code INSERT … SELECT} of the
 *       UserCreated rows, one {@code UPDATE … FROM} of the ProfileUpdated rows) into a copy of
 *       {@code user_read_model}; the projection targets are ratios to the set-based build;</li>
 *   <li><b>catchup</b>: the real engine ({@link PostgresProjections#forUserService}, read model only) from
 *       an empty read model to the last event; its table must equal the set-based one;</li>
 *   <li><b>rebuild</b>: {@code requestRebuild("user_read_model")} until the shadow is swapped in;</li>
 *   <li><b>writers</b>: a rebuild while writer threads append new users through {@link UserCommandService}
 *       and {@link PostgresUserEventStore}; afterwards {@code verify} must find 0 differing users;</li>
 *   <li><b>relay</b>: a bare publisher (persistent, mandatory, confirms once per batch of the relay's batch
 *       size, same protobuf bodies and properties) vs the real {@code outbox_relay} over the whole log;</li>
 *   <li><b>stats</b>: bare consume-and-ack (the consumer's default prefetch, one multiple ack per default batch) vs the real
 *       {@link RabbitUserActivityConsumer} with {@link UserStatsService} over {@link PostgresUserStatsStore}
 *       consuming what the relay published;</li>
 *   <li><b>latency</b> (absolute, against the issue's targets): the real user-service (projections and outbox
 *       relay, {@link SubscriptionSettings#DEFAULTS}) and user-stats-service (consumer) started in this JVM on
 *       their own schemas; the maximum UpdateProfile rate over gRPC (16 threads, closed loop), then commands
 *       paced at half that rate (open loop), each timed from its acknowledgment until the read model, and
 *       until the stats, show its version (see {@link #latency()}). It does not use the generated log.</li>
 * </ol>
 * Everything lives in throw-away schemas and on its own RabbitMQ virtual host (default
 * {@code userstream_bench}, made by {@code ops/bench-projections.sh}), so running tests are not disturbed.
 * Run with {@code ops/bench-projections.sh [users=100000] [--only part,part]}; parts are
 * {@code catchup,rebuild,writers,relay,stats,latency} (rebuild and writers need catchup, stats needs relay;
 * they are added).
 */
public final class ProjectionsBenchmark {

    private static final String URL = System.getenv().getOrDefault("USERSTREAM_TEST_DB_URL",
            "jdbc:postgresql://127.0.0.1:5432/userstream_test");
    private static final String USER = System.getenv().getOrDefault("USERSTREAM_TEST_DB_USER", "postgres");
    private static final String VHOST = System.getenv().getOrDefault("USERSTREAM_BENCH_VHOST", "userstream_bench");
    private static final int WRITERS = Integer.parseInt(System.getenv().getOrDefault("USERSTREAM_BENCH_WRITERS", "1"));
    private static final RabbitSettings RABBIT = new RabbitSettings(
            System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1"), 5672, "guest", "guest", VHOST,
            Duration.ofSeconds(30));
    /**
     * The latency part's virtual host: one of its own for the run (made and deleted by the script), since the
     * real user-stats-service's queue names are fixed and a concurrent run's stats part would share them.
     */
    private static final String LATENCY_VHOST = System.getenv().getOrDefault("USERSTREAM_BENCH_LATENCY_VHOST", VHOST);
    private static final RabbitSettings LATENCY_RABBIT = new RabbitSettings(RABBIT.host(), RABBIT.port(),
            RABBIT.username(), RABBIT.password(), LATENCY_VHOST, RABBIT.confirmTimeout());
    /** Names fixed by the rabbitmq adapter's Topology (package-private there). */
    private static final String EVENTS_EXCHANGE = "userstream.events";
    private static final String STATS_QUEUE = "user-stats.user-events";
    private static final String STATS_DLQ = "user-stats.user-events.dlq";
    private static final String READ_MODEL = "user_read_model";
    private static final String RELAY = "outbox_relay";
    /** Slowest rate the deadlines allow for, in events (or messages) per second, on top of a minute. */
    private static final double SLOWEST_RATE = 300;
    private static final List<String> PARTS = List.of("catchup", "rebuild", "writers", "relay", "stats", "latency");

    private final int users;
    private final Set<String> parts;
    private final String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final String statsSchema = "bstats_" + schema.substring(6);
    private final SubscriptionSettings settings = SubscriptionSettings.DEFAULTS;
    private final List<String> summary = new ArrayList<>();
    private final String passwordHash;
    private PostgresDatabase database;
    private double setBasedRate;

    private ProjectionsBenchmark(int users, Set<String> parts) {
        this.users = users;
        this.parts = parts;
        this.passwordHash = new Argon2idPasswordHasher(new Argon2idPasswordHasher.Parameters(1024, 1, 1))
                .hash(PlainPassword.parse("benchmark-password")).encoded();
    }

    public static void main(String[] args) throws Exception {
        int users = 100_000;
        String only = System.getenv().getOrDefault("USERSTREAM_BENCH_ONLY", "");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--only") && i + 1 < args.length) {
                only = args[++i];
            } else if (args[i].startsWith("--only=")) {
                only = args[i].substring("--only=".length());
            } else {
                users = Integer.parseInt(args[i].replace("_", ""));
            }
        }
        Set<String> parts = new LinkedHashSet<>();
        for (String part : only.isBlank() ? PARTS : Arrays.asList(only.split(","))) {
            if (!PARTS.contains(part.strip())) {
                throw new IllegalArgumentException("unknown part " + part + "; parts are " + PARTS);
            }
            parts.add(part.strip());
        }
        if (parts.contains("rebuild") || parts.contains("writers")) {
            parts.add("catchup");
        }
        if (parts.contains("stats")) {
            parts.add("relay");
        }
        quietLogging();
        new ProjectionsBenchmark(Math.max(10, users), parts).run();
    }

    /** The engine logs progress at INFO; only warnings (e.g. a repaired row) matter here. */
    private static void quietLogging() {
        if (System.getenv("USERSTREAM_BENCH_VERBOSE") != null) {
            return;
        }
        // Helidon reads logging.properties once, when it starts: let it do so now, not over these settings later.
        io.helidon.logging.common.LogConfig.configureRuntime();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        for (Handler handler : root.getHandlers()) {
            handler.setLevel(Level.WARNING);
        }
    }

    private void run() throws Exception {
        System.out.printf("projections benchmark: N=%d users, %d events, parts %s, schema %s, vhost %s%n", users,
                2L * users, parts, schema, VHOST);
        System.out.printf("machine: %d processors, load average %.2f%n", Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        try (PostgresDatabase opened = PostgresDatabase.open(
                new PostgresSettings(URL, USER, "", schema, 24, Duration.ofSeconds(30)))) {
            database = opened;
            if (!parts.equals(Set.of("latency"))) {
                generate();
                copyBaseline();
                setBasedBaseline();
            }
            if (parts.contains("catchup")) {
                try (PostgresProjections projections = PostgresProjections.forUserService(database, settings,
                        ProjectionObserver.NONE)) {
                    catchUp(projections);
                    if (parts.contains("rebuild")) {
                        rebuild(projections);
                    }
                    if (parts.contains("writers")) {
                        rebuildWhileWriting(projections);
                    }
                }
            }
            if (parts.contains("relay")) {
                relay();
            }
            if (parts.contains("stats")) {
                stats();
            }
            if (parts.contains("latency")) {
                latency();
            }
        } finally {
            if (poll != null) {
                poll.close();
            }
            deleteBrokerObjects();
            if (statsDatabase != null) {
                statsDatabase.close();
            }
            if (System.getenv("USERSTREAM_BENCH_KEEP") == null) {
                sql(null, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                sql(null, "DROP SCHEMA IF EXISTS " + statsSchema + " CASCADE");
            } else {
                System.out.println("kept schemas " + schema + " and " + statsSchema);
            }
        }
        System.out.printf("%n== summary (%s; ratios are to the baseline of the same run; latency figures are absolute;"
                        + " load average now %.2f)%n", parts.equals(Set.of("latency")) ? "no log generated"
                        : "N=" + users + " users, " + 2L * users + " generated events",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        summary.forEach(System.out::println);
    }

    // ---- 1. generate ----

    private void generate() throws SQLException {
        int transactions = 10;
        Instant base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minus(Duration.ofDays(1));
        long start = System.nanoTime();
        try (Connection connection = connect(schema)) {
            connection.setAutoCommit(false);
            // Exactly the codec's shape: UserCreated v2 {"data":{username,password_hash},
            // "personal":{email,first_name,last_name,avatar_url}}, ProfileUpdated v1 {"data":{},
            // "personal":{first_name,last_name,avatar_url}}, metadata {"correlation_id","actor"}.
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
            connection.setAutoCommit(true);
            try (Statement analyze = connection.createStatement()) {
                analyze.execute("VACUUM ANALYZE events");
            }
        }
        double seconds = seconds(start);
        System.out.printf("generate: %d events in %.2f s (%.0f events/s, SQL)%n", 2L * users, seconds,
                2L * users / seconds);
    }

    // ---- 2. baselines ----

    private void copyBaseline() throws SQLException, IOException {
        long events = count("SELECT count(*) FROM events");
        try (Connection connection = connect(schema)) {
            long start = System.nanoTime();
            long rows = connection.unwrap(PGConnection.class).getCopyAPI().copyOut("""
                    COPY (SELECT position, transaction_id, event_id, stream_id, stream_type, version, event_type,
                                 schema_version, payload, metadata, occurred_at, recorded_at
                          FROM events ORDER BY transaction_id, position) TO STDOUT
                    """, OutputStream.nullOutputStream());
            double seconds = seconds(start);
            double rate = rows / seconds;
            System.out.printf("baseline COPY of the log in subscription order: %d rows in %.2f s = %.0f rows/s%n",
                    rows, seconds, rate);
            summary.add(String.format("%-34s %10.0f rows/s    (reading the log, for scale; %d events)", "COPY out", rate,
                    events));
        }
    }

    private void setBasedBaseline() throws SQLException {
        sql(schema, "DROP TABLE IF EXISTS bench_set_read_model");
        sql(schema, "CREATE TABLE bench_set_read_model (LIKE user_read_model INCLUDING ALL)");
        try (Connection connection = connect(schema)) {
            connection.setAutoCommit(false);
            long start = System.nanoTime();
            try (Statement statement = connection.createStatement()) {
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
            }
            connection.commit();
            double seconds = seconds(start);
            setBasedRate = 2.0 * users / seconds;
            System.out.printf("baseline set-based SQL build of the read model: %d events in %.2f s = %.0f events/s%n",
                    2L * users, seconds, setBasedRate);
            summary.add(String.format("%-34s %10.0f events/s  = 1 (baseline of the projection ratios)",
                    "set-based SQL build", setBasedRate));
        }
    }

    // ---- 3. catch-up ----

    private void catchUp(PostgresProjections projections) throws Exception {
        String end = lastEvent();
        long events = count("SELECT count(*) FROM events");
        long start = System.nanoTime();
        projections.start();
        boolean done = await(deadline(events), () -> end.equals(checkpoint(READ_MODEL)));
        double seconds = seconds(start);
        ProjectionStatus status = status(projections, READ_MODEL);
        if (!done) {
            fail("catch-up", "did not reach " + end + " in " + Math.round(seconds) + " s; status " + status);
            return;
        }
        double rate = events / seconds;
        System.out.printf("catch-up (real engine, batch %d): %d events in %.2f s = %.0f events/s; status %s %s%n",
                settings.batchSize(), events, seconds, rate, status.state(), status.checkpoint());
        long differ = count("""
                SELECT count(*) FROM ((SELECT * FROM bench_set_read_model EXCEPT SELECT * FROM user_read_model)
                                      UNION ALL (SELECT * FROM user_read_model EXCEPT SELECT * FROM bench_set_read_model)) d
                """);
        ProjectionVerification verification = projections.verify(READ_MODEL, 5).orElseThrow();
        System.out.printf("  engine's table vs set-based table: %d rows differ; verify: %d checked, %d differing%n",
                differ, verification.usersChecked(), verification.usersDiffering());
        summary.add(String.format("%-34s %10.0f events/s  ratio %.3f of set-based%s", "catch-up (engine)", rate,
                rate / setBasedRate, differ == 0 && verification.usersDiffering() == 0 ? ""
                        : "  !! " + differ + " rows differ from set-based, " + verification.usersDiffering()
                        + " differ from the fold"));
    }

    // ---- 4. rebuild ----

    private void rebuild(PostgresProjections projections) throws Exception {
        long events = count("SELECT count(*) FROM events");
        long start = System.nanoTime();
        rebuildDoneSeen = 0;
        rebuildSamples.clear();
        projections.requestRebuild(READ_MODEL);
        boolean done = await(deadline(events), this::rebuildEnded);
        double seconds = seconds(start);
        printRebuildProfile(start, events);
        String error = rebuildError();
        ProjectionStatus status = status(projections, READ_MODEL);
        if (!done || error != null) {
            fail("rebuild", (done ? "failed: " + error : "not swapped in after " + Math.round(seconds) + " s")
                    + "; status " + status);
            return;
        }
        double rate = events / seconds;
        boolean atEnd = lastEvent().equals(status.checkpoint());
        System.out.printf("rebuild (request to swap): %d events in %.2f s = %.0f events/s; status %s %s%s;"
                        + " progress seen up to %d events%n", events, seconds, rate, status.state(), status.checkpoint(),
                atEnd ? " (at the end)" : " (NOT at the end)", rebuildDoneSeen);
        summary.add(String.format("%-34s %10.0f events/s  ratio %.3f of set-based", "rebuild (engine)", rate,
                rate / setBasedRate));
    }

    private void rebuildWhileWriting(PostgresProjections projections) throws Exception {
        PasswordHash constant = new PasswordHash(passwordHash);
        PasswordHasher noHashing = new PasswordHasher() {
            @Override
            public PasswordHash hash(PlainPassword password) {
                return constant;
            }

            @Override
            public boolean matches(PlainPassword password, PasswordHash hash) {
                return false;
            }
        };
        UserCommandService service = new UserCommandService(new PostgresUserEventStore(database),
                noHashing, () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
        CommandContext context = new CommandContext("bench", Optional.empty(), "bench");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        AtomicLong writeErrors = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(Thread.ofPlatform().name("bench-writer-" + w).start(() -> {
                String tag = UUID.randomUUID().toString().substring(0, 6);
                for (long i = 0; !stop.get(); i++) {
                    String name = "w" + writer + "x" + i + "x" + tag;
                    try {
                        service.createUser(new CreateUserUseCase.CreateUser(name + "@example.com", name,
                                "benchmark-password", "Writer", "W" + i, ""), context);
                        written.incrementAndGet();
                    } catch (RuntimeException e) {
                        if (writeErrors.incrementAndGet() == 1) {
                            System.out.println("  writer failed: " + e);
                        }
                    }
                }
            }));
        }
        Thread.sleep(500);
        long eventsAtRequest = count("SELECT count(*) FROM events");
        long writtenAtRequest = written.get();
        long start = System.nanoTime();
        rebuildDoneSeen = 0;
        projections.requestRebuild(READ_MODEL);
        Duration limit = Duration.ofMinutes(5).plus(deadline(eventsAtRequest));
        boolean done = await(limit, this::rebuildEnded);
        double seconds = seconds(start);
        long writtenDuring = written.get() - writtenAtRequest;
        long eventsAtSwap = count("SELECT count(*) FROM events");
        stop.set(true);
        for (Thread writer : writers) {
            writer.join();
        }
        String error = rebuildError();
        String end = lastEvent();
        boolean caughtUp = await(deadline(1000), () -> end.equals(checkpoint(READ_MODEL)));
        ProjectionStatus status = status(projections, READ_MODEL);
        ProjectionVerification verification = projections.verify(READ_MODEL, 5).orElseThrow();
        double writeRate = writtenDuring / seconds;
        System.out.printf("rebuild while %d writer(s) append: %s in %.2f s; writers %d users (%.0f/s), %d errors;"
                        + " rebuild progress seen up to %d of ~%d events; caught up %s; verify: %d checked, %d differing,"
                        + " %d skipped %s%n", WRITERS,
                done && error == null ? "swapped in" : "NOT swapped in (" + error + ")", seconds, writtenDuring,
                writeRate, writeErrors.get(), rebuildDoneSeen, eventsAtSwap, caughtUp, verification.usersChecked(), verification.usersDiffering(),
                verification.usersSkipped(), verification.differences());
        if (!done || error != null) {
            fail("rebuild while writing", "did not finish: " + error + "; status " + status);
            return;
        }
        double rate = eventsAtSwap / seconds;
        summary.add(String.format("%-34s %10.0f events/s  ratio %.3f of set-based; %d writer(s) at %.0f users/s;"
                        + " differing users after: %d%s", "rebuild while writing (engine)", rate, rate / setBasedRate,
                WRITERS, writeRate, verification.usersDiffering(), caughtUp ? "" : " (live NOT caught up)"));
    }

    /** Most events the running rebuild was seen to have applied (its progress is cleared when it ends). */
    private long rebuildDoneSeen;
    /** The running rebuild's progress at each poll: {nanoTime, events applied, 1 while building indexes}. */
    private final List<long[]> rebuildSamples = new ArrayList<>();

    /**
     * The rebuild's rate by fifths of the log (from the polls of its progress), whether it holds as the shadow
     * grows (last fifth / first fifth), and how long its index phase took.
     */
    private void printRebuildProfile(long start, long events) {
        if (rebuildSamples.isEmpty()) {
            return;
        }
        List<String> fifths = new ArrayList<>();
        double first = 0;
        double last = 0;
        long previousTime = start;
        long previousDone = 0;
        for (int fifth = 1; fifth <= 5; fifth++) {
            long target = events * fifth / 5;
            long[] reached = rebuildSamples.stream().filter(sample -> sample[1] >= target).findFirst().orElse(null);
            if (reached == null) {
                break;
            }
            double rate = (reached[1] - previousDone) / Math.max(1e-9, (reached[0] - previousTime) / 1e9);
            fifths.add(String.format("%d-%d%% %.0f", (fifth - 1) * 20, fifth * 20, rate));
            if (fifth == 1) {
                first = rate;
            }
            last = rate;
            previousTime = reached[0];
            previousDone = reached[1];
        }
        long indexFrom = rebuildSamples.stream().filter(sample -> sample[2] == 1).mapToLong(sample -> sample[0]).min()
                .orElse(0);
        long indexTo = rebuildSamples.stream().filter(sample -> sample[2] == 1).mapToLong(sample -> sample[0]).max()
                .orElse(0);
        System.out.printf("  rebuild's events/s by fifths of the log (from its progress every 20 ms): %s;"
                        + " last fifth / first fifth = %.2f; index phase seen for %.2f s (from %.2f s)%n",
                String.join(", ", fifths), first > 0 ? last / first : Double.NaN, (indexTo - indexFrom) / 1e9,
                indexFrom == 0 ? 0 : (indexFrom - start) / 1e9);
    }

    private boolean rebuildEnded() {
        try (PreparedStatement select = pollConnection().prepareStatement("""
                     SELECT rebuild_requested_at IS NULL AND rebuild_started_at IS NULL, coalesce(rebuild_done, 0),
                            coalesce(to_jsonb(s) ->> 'rebuild_phase' = 'BUILDING_INDEXES', false)
                     FROM subscriptions s WHERE name = ?
                     """)) {
            select.setString(1, READ_MODEL);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return false;
                }
                rebuildDoneSeen = Math.max(rebuildDoneSeen, row.getLong(2));
                if (!row.getBoolean(1)) {
                    rebuildSamples.add(new long[] {System.nanoTime(), row.getLong(2), row.getBoolean(3) ? 1 : 0});
                }
                return row.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String rebuildError() throws SQLException {
        try (Connection connection = connect(schema);
             PreparedStatement select = connection.prepareStatement(
                     "SELECT rebuild_error FROM subscriptions WHERE name = ?")) {
            select.setString(1, READ_MODEL);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : "no subscription row";
            }
        }
    }

    // ---- 5. relay ----

    private void relay() throws Exception {
        long messages = count("SELECT count(*) FROM events");
        int batch = settings.batchSize();
        String bareName = "bench.bare." + schema.substring(6);
        ConnectionFactory factory = rabbitFactory();
        try (com.rabbitmq.client.Connection connection = factory.newConnection("projections benchmark")) {
            Channel setup = connection.createChannel();
            setup.exchangeDeclare(bareName, BuiltinExchangeType.TOPIC, false, true, null);
            setup.queueDeclare(bareName, true, false, false, Map.of("x-queue-type", "quorum"));
            setup.queueBind(bareName, bareName, "user.#");
            // The real consumer declares its queues (bound to the events exchange) the way it always does;
            // it is stopped before anything is published, so the relay's messages wait in its queue.
            setup.queueDelete(STATS_QUEUE);
            setup.queueDelete(STATS_DLQ);
            declareStatsQueueThroughTheConsumer();

            // Bare publisher: same bodies (protobuf user events), properties, mandatory flag and batching.
            Channel publish = connection.createChannel();
            publish.confirmSelect();
            AtomicLong returned = new AtomicLong();
            publish.addReturnListener(message -> returned.incrementAndGet());
            List<byte[]> bodies = sampleBodies();
            long start = System.nanoTime();
            for (long sent = 0; sent < messages; ) {
                int n = (int) Math.min(batch, messages - sent);
                for (int i = 0; i < n; i++, sent++) {
                    byte[] body = bodies.get((int) (sent % bodies.size()));
                    Map<String, Object> headers = new HashMap<>();
                    headers.put("correlation_id", UUID.randomUUID().toString());
                    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                            .deliveryMode(2).messageId(UUID.randomUUID().toString())
                            .type(sent % 2 == 0 ? "user.created" : "user.profile_updated")
                            .contentType("application/x-protobuf").correlationId(UUID.randomUUID().toString())
                            .timestamp(new java.util.Date()).headers(headers).build();
                    publish.basicPublish(bareName, sent % 2 == 0 ? "user.created" : "user.profile_updated", true,
                            properties, body);
                }
                publish.waitForConfirmsOrDie(30_000);
            }
            double bareSeconds = seconds(start);
            double bareRate = messages / bareSeconds;
            System.out.printf("baseline bare publisher (confirms per %d, persistent, quorum queue): %d messages in %.2f s"
                    + " = %.0f messages/s, %d returned%n", batch, messages, bareSeconds, bareRate, returned.get());

            String end = lastEvent();
            double relaySeconds;
            boolean done;
            Set<UUID> handed = java.util.concurrent.ConcurrentHashMap.newKeySet();
            try (RabbitIntegrationEventPublisher rabbit = new RabbitIntegrationEventPublisher(RABBIT);
                 PostgresProjections projections = PostgresProjections.forUserService(database, settings,
                         ProjectionObserver.NONE, new IntegrationEventPublisher() {
                             @Override
                             public void publish(List<RecordedUserEvent> events) {
                                 rabbit.publish(events);
                                 events.forEach(event -> handed.add(event.eventId()));
                             }

                             // The relay publishes asynchronously (pipelined): count what it hands over.
                             @Override
                             public CompletionStage<Void> publishAsync(List<RecordedUserEvent> events) {
                                 events.forEach(event -> handed.add(event.eventId()));
                                 return rabbit.publishAsync(events);
                             }
                         })) {
                start = System.nanoTime();
                projections.start();
                done = await(deadline(messages), () -> end.equals(checkpoint(RELAY)));
                relaySeconds = seconds(start);
                ProjectionStatus status = status(projections, RELAY);
                System.out.printf("relay (real outbox_relay, batch %d): %d events in %.2f s = %.0f messages/s;"
                        + " status %s %s%s%n", batch, messages, relaySeconds, messages / relaySeconds, status.state(),
                        status.checkpoint(), status.lastError().map(e -> " last error " + e).orElse(""));
            }
            // A quorum queue's message count trails a little: wait until it stops changing.
            long queued = setup.messageCount(STATS_QUEUE);
            for (int i = 0; i < 50 && queued < messages; i++) {
                Thread.sleep(100);
                queued = setup.messageCount(STATS_QUEUE);
            }
            System.out.printf("  the relay handed %d distinct events to the publisher, %s holds %d messages"
                    + " (expected %d)%n", handed.size(), STATS_QUEUE, queued, messages);
            if (handed.size() != messages) {
                fail("relay", "published " + handed.size() + " of the " + messages + " events in the log");
            }
            summary.add(String.format("%-34s %10.0f messages/s = 1 (baseline of the relay ratio)", "bare publisher",
                    bareRate));
            if (!done) {
                fail("relay", "did not reach " + end + " in " + Math.round(relaySeconds) + " s");
            } else {
                double rate = messages / relaySeconds;
                summary.add(String.format("%-34s %10.0f messages/s ratio %.3f of bare publisher", "relay (engine)",
                        rate, rate / bareRate));
            }
            bareQueue = bareName;
            relayedMessages = messages;
        }
    }

    /** Whatever this run left on its virtual host (all of it, if the stats part did not run or failed). */
    private void deleteBrokerObjects() {
        if (bareQueue == null) {
            return;
        }
        try (com.rabbitmq.client.Connection connection = rabbitFactory().newConnection("projections benchmark cleanup")) {
            for (String queue : List.of(bareQueue, STATS_QUEUE, STATS_DLQ)) {
                Channel channel = connection.createChannel();
                channel.queueDelete(queue);
                channel.exchangeDelete(bareQueue);
                channel.close();
            }
        } catch (Exception e) {
            System.out.println("cannot clean up vhost " + VHOST + ": " + e);
        }
    }

    /** The bare queue the stats baseline consumes (filled by the bare publisher), and how many the relay sent. */
    private String bareQueue;
    private long relayedMessages;

    private void declareStatsQueueThroughTheConsumer() throws InterruptedException {
        // The real use case, over the stats schema: the queue is empty, so it consumes nothing.
        RabbitUserActivityConsumer declaring = new RabbitUserActivityConsumer(RABBIT, statsService(),
                StatsObserver.NONE, 3);
        try {
            declaring.start();
            if (!await(Duration.ofSeconds(30), declaring::isConsuming)) {
                throw new IllegalStateException("the stats consumer did not start consuming on vhost " + VHOST
                        + " within 30 s (run ops/bench-projections.sh, which creates the vhost)");
            }
        } finally {
            declaring.close();
        }
    }

    /** Protobuf bodies exactly as the relay writes them, built through the public contract. */
    private List<byte[]> sampleBodies() {
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Instant now = Instant.now();
            com.google.protobuf.Timestamp at = com.google.protobuf.Timestamp.newBuilder()
                    .setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
            io.userstream.proto.events.v1.UserEvent.Builder message = io.userstream.proto.events.v1.UserEvent
                    .newBuilder().setEventId(UUID.randomUUID().toString()).setUserId(UUID.randomUUID().toString())
                    .setOccurredAt(at);
            if (i % 2 == 0) {
                message.setStreamVersion(1).setEventType("user.created").setCreated(
                        io.userstream.proto.events.v1.UserCreated.newBuilder().setUsername("bench" + (100000 + i)));
            } else {
                message.setStreamVersion(2).setEventType("user.profile_updated").setProfileUpdated(
                        io.userstream.proto.events.v1.ProfileUpdated.getDefaultInstance());
            }
            bodies.add(message.build().toByteArray());
        }
        return bodies;
    }

    // ---- 6. stats consumer ----

    private void stats() throws Exception {
        if (bareQueue == null) {
            fail("stats", "needs the relay part");
            return;
        }
        ConnectionFactory factory = rabbitFactory();
        try (com.rabbitmq.client.Connection connection = factory.newConnection("projections benchmark consumer")) {
            Channel channel = connection.createChannel();
            long available = channel.messageCount(bareQueue);
            // The strongest bare loop for this queue: the consumer's own prefetch, and one ack (multiple) per
            // batch of the consumer's size, or for the last delivery.
            RabbitUserActivityConsumer.Batching batching = RabbitUserActivityConsumer.Batching.DEFAULT;
            channel.basicQos(batching.prefetch());
            CountDownLatch all = new CountDownLatch((int) available);
            long start = System.nanoTime();
            channel.basicConsume(bareQueue, false, new DefaultConsumer(channel) {
                private int unacked;

                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                        throws IOException {
                    all.countDown();
                    if (++unacked == batching.maxBatch() || all.getCount() == 0) {
                        getChannel().basicAck(envelope.getDeliveryTag(), true);
                        unacked = 0;
                    }
                }
            });
            boolean done = all.await(deadline(available).toMillis(), TimeUnit.MILLISECONDS);
            double seconds = seconds(start);
            double bareRate = (available - all.getCount()) / seconds;
            System.out.printf("baseline bare consume-and-ack (prefetch " + batching.prefetch() + ", one multiple ack per "
                    + batching.maxBatch() + "): %d messages in %.2f s"
                    + " = %.0f messages/s%s%n", available, seconds, bareRate, done ? "" : " (DEADLINE PASSED)");
            summary.add(String.format("%-34s %10.0f messages/s = 1 (baseline of the consumer ratio)",
                    "bare consume-and-ack", bareRate));
            channel.queueDelete(bareQueue);
            channel.exchangeDelete(bareQueue);

            Channel check = connection.createChannel();
            long queued = check.messageCount(STATS_QUEUE);
            {
                UserStatsService service = statsService();
                RabbitUserActivityConsumer consumer = new RabbitUserActivityConsumer(RABBIT, service,
                        StatsObserver.NONE, 3);
                start = System.nanoTime();
                consumer.start();
                try {
                    done = await(deadline(queued), () -> countIn(statsSchema, "SELECT count(*) FROM processed_events")
                            >= queued, 100);
                } finally {
                    consumer.close();
                }
                seconds = seconds(start);
                long processed = countIn(statsSchema, "SELECT count(*) FROM processed_events");
                long rows = countIn(statsSchema, "SELECT count(*) FROM user_stats");
                long updated = countIn(statsSchema, "SELECT count(*) FROM user_stats WHERE profile_updates = 1");
                double rate = processed / seconds;
                System.out.printf("stats consumer (real: batched commits, per-user order, inbox): %d of %d messages in %.2f s"
                        + " = %.0f messages/s; %d stats rows, %d with a profile update%n", processed, queued, seconds,
                        rate, rows, updated);
                if (!done) {
                    fail("stats", "consumed " + processed + " of " + queued + " in " + Math.round(seconds) + " s");
                } else {
                    summary.add(String.format("%-34s %10.0f messages/s ratio %.3f of bare consume; %d stats rows%s",
                            "stats consumer (engine)", rate, rate / bareRate, rows,
                            queued == relayedMessages ? "" : " (queue held " + queued + " of " + relayedMessages + ")"));
                }
            }
            check.queueDelete(STATS_QUEUE);
            check.queueDelete(STATS_DLQ);
        }
    }

    private PostgresDatabase statsDatabase;

    /** user-stats' use case over the real store in the throw-away stats schema (opened once). */
    private UserStatsService statsService() {
        if (statsDatabase == null) {
            statsDatabase = PostgresDatabase.open(
                    new PostgresSettings(URL, USER, "", statsSchema, 8, Duration.ofSeconds(30)),
                    "classpath:db/migration/stats", "userstream-bench-stats");
        }
        return new UserStatsService(new PostgresUserStatsStore(statsDatabase.dbClient()), new NoDirectory(),
                () -> Instant.now().truncatedTo(ChronoUnit.MICROS), StatsObserver.NONE);
    }

    /** The benchmark's events arrive in order, so no resync should ever ask user-service. */
    private static final class NoDirectory implements UserDirectory {
        @Override
        public Optional<List<io.userstream.domain.stats.UserActivity>> history(UUID userId) {
            throw new IllegalStateException("benchmark: a resync asked for the history of " + userId);
        }

        @Override
        public DirectoryPage listUserIds(String pageToken, int pageSize) {
            return new DirectoryPage(List.of(), "");
        }
    }

    // ---- 7. end-to-end latency ----

    /** The issue's targets at half the maximum command rate: acknowledged → read model / → stats, p99. */
    private static final double READ_MODEL_TARGET_MS = 100;
    private static final double STATS_TARGET_MS = 250;
    /** Users created first; commands go round-robin over them, so one user rarely has two in flight. */
    private static final int LATENCY_USERS = Integer.parseInt(
            System.getenv().getOrDefault("USERSTREAM_BENCH_LATENCY_USERS", "2000"));
    private static final int MAX_RATE_THREADS = 16;
    private static final Duration MAX_RATE_WARMUP = Duration.ofSeconds(1);
    private static final Duration MAX_RATE_TIME = Duration.ofSeconds(
            Long.parseLong(System.getenv().getOrDefault("USERSTREAM_BENCH_LATENCY_MAX_SECONDS", "5")));
    private static final Duration PACED_TIME = Duration.ofSeconds(
            Long.parseLong(System.getenv().getOrDefault("USERSTREAM_BENCH_LATENCY_SECONDS", "10")));
    /** Pause between two polls of a watcher: the resolution of the latencies (plus one query). */
    private static final long WATCH_POLL_MICROS = Long.parseLong(
            System.getenv().getOrDefault("USERSTREAM_BENCH_LATENCY_POLL_MICROS", "2000"));
    /** Deadline of each gRPC call, and for the last command to show up after the pacing ended. */
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(10);
    private static final Duration SHOW_DEADLINE = Duration.ofSeconds(30);

    /**
     * End-to-end latency through the real services, measured from outside like a client would see it:
     * <ol>
     *   <li>user-service (read model projection and outbox relay with {@link SubscriptionSettings#DEFAULTS},
     *       gauges refreshed every 5 s as in production) and user-stats-service (its consumer with default
     *       batching) start in this JVM, on throw-away schemas of {@code userstream_test} and on the bench's
     *       virtual host; {@link #LATENCY_USERS} users are created over gRPC (16 threads);</li>
     *   <li><b>maximum rate</b>: 16 threads call UpdateProfile over gRPC back to back, each on its own users,
     *       for {@link #MAX_RATE_TIME} after a warm-up of {@link #MAX_RATE_WARMUP}; then the read side is
     *       left to catch up;</li>
     *   <li><b>paced</b>: UpdateProfile at half that rate for {@link #PACED_TIME}, open loop (a single thread
     *       sends each command at its scheduled time on the asynchronous stub, whatever the earlier ones are
     *       doing), round-robin over the users. Each acknowledgment (the returned user's version) is handed to
     *       two watchers, one per read side, each a thread with one connection that asks for all its
     *       outstanding users in one statement ({@code user_read_model.version}, {@code
     *       user_stats.last_event_version}) every {@link #WATCH_POLL_MICROS} µs and stamps, for each command
     *       whose version has arrived, the time that poll <em>started</em> (an upper bound: the change was
     *       visible by then; it was not when the poll before started). Acknowledgments newer than a poll's
     *       start wait for the next poll, so no latency is negative. A third watcher, a diagnostic without a
     *       target, stamps when {@code outbox_relay}'s checkpoint passed the event (published and confirmed),
     *       which splits ack → stats into the relay's share and the broker's plus the consumer's.</li>
     * </ol>
     * Polling the tables directly rather than GetUser(min_version) (which backs off from 5 to 100 ms) and
     * GetUserStats (which would repair a missing row by asking user-service) keeps the resolution at the
     * poll interval and leaves the services' own paths alone; the last command is read back through both
     * RPCs as a check.
     */
    private void latency() throws Exception {
        System.out.printf("%nlatency: starting user-service (projections, outbox relay; subscriptions %s) and"
                + " user-stats-service on vhost %s%s%n", settings, LATENCY_VHOST, LATENCY_VHOST.equals(VHOST)
                ? " (shared with the other parts and concurrent runs: run one at a time)" : "");
        try (InProcessServices services = InProcessServices.start(settings, Duration.ofSeconds(5), LATENCY_RABBIT,
                "blat_")) {
            ManagedChannel channel = services.userChannel();
            UserServiceGrpc.UserServiceBlockingStub blocking = UserServiceGrpc.newBlockingStub(channel);
            long start = System.nanoTime();
            List<String> ids = createLatencyUsers(blocking);
            if (ids == null) {
                return;
            }
            System.out.printf("  created %d users over gRPC in %.2f s%n", ids.size(), seconds(start));
            if (!awaitReadSides(services, "after creating the users")) {
                return;
            }

            double maxRate = maxCommandRate(blocking, ids);
            if (maxRate <= 0) {
                return;
            }
            summary.add(String.format("%-34s %10.0f commands/s (UpdateProfile over gRPC, %d threads back to back,"
                    + " %d s)", "latency: max command rate", maxRate, MAX_RATE_THREADS, MAX_RATE_TIME.toSeconds()));
            if (!awaitReadSides(services, "after the maximum rate")) {
                return;
            }
            paced(services, ids, maxRate / 2);
        } finally {
            deleteStatsQueues();
        }
    }

    private List<String> createLatencyUsers(UserServiceGrpc.UserServiceBlockingStub blocking) throws Exception {
        String[] ids = new String[LATENCY_USERS];
        AtomicLong errors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < MAX_RATE_THREADS; t++) {
            int first = t;
            threads.add(Thread.ofPlatform().name("bench-create-" + t).start(() -> {
                for (int i = first; i < ids.length; i += MAX_RATE_THREADS) {
                    try {
                        ids[i] = blocking.withDeadlineAfter(CALL_DEADLINE).createUser(CreateUserRequest.newBuilder()
                                .setEmail("lat" + i + "@example.com").setUsername("lat" + i)
                                .setPassword("benchmark-password").setFirstName("Latency").setLastName("L" + i)
                                .build()).getId();
                    } catch (RuntimeException e) {
                        if (errors.incrementAndGet() == 1) {
                            System.out.println("  CreateUser failed: " + e);
                        }
                    }
                }
            }));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).plus(CALL_DEADLINE.multipliedBy(
                Math.max(1, LATENCY_USERS / MAX_RATE_THREADS / 100))).toNanos();
        for (Thread thread : threads) {
            thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        if (threads.stream().anyMatch(Thread::isAlive) || errors.get() > 0) {
            threads.forEach(Thread::interrupt);
            fail("latency", "creating " + LATENCY_USERS + " users: " + errors.get() + " errors"
                    + (threads.stream().anyMatch(Thread::isAlive) ? ", deadline passed" : ""));
            return null;
        }
        return List.of(ids);
    }

    /** UpdateProfile back to back from {@link #MAX_RATE_THREADS} threads, each on its own users. */
    private double maxCommandRate(UserServiceGrpc.UserServiceBlockingStub blocking, List<String> ids)
            throws InterruptedException {
        AtomicLong counted = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long begin = System.nanoTime();
        long countFrom = begin + MAX_RATE_WARMUP.toNanos();
        long end = countFrom + MAX_RATE_TIME.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < MAX_RATE_THREADS; t++) {
            int first = t;
            threads.add(Thread.ofPlatform().name("bench-max-" + t).start(() -> {
                for (int i = first; System.nanoTime() < end; i += MAX_RATE_THREADS) {
                    String id = ids.get(i % ids.size());
                    try {
                        blocking.withDeadlineAfter(CALL_DEADLINE).updateProfile(profileUpdate(id, "M" + i));
                        long now = System.nanoTime();
                        if (now >= countFrom && now < end) {
                            counted.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        if (errors.incrementAndGet() == 1) {
                            System.out.println("  UpdateProfile failed: " + e);
                        }
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join(MAX_RATE_WARMUP.plus(MAX_RATE_TIME).plus(CALL_DEADLINE).plusSeconds(5).toMillis());
        }
        double rate = counted.get() / (MAX_RATE_TIME.toNanos() / 1e9);
        System.out.printf("  maximum rate: %d UpdateProfile acknowledged in %d s (after %d ms of warm-up) by %d"
                        + " threads = %.0f commands/s, %d errors%n", counted.get(), MAX_RATE_TIME.toSeconds(),
                MAX_RATE_WARMUP.toMillis(), MAX_RATE_THREADS, rate, errors.get());
        if (threads.stream().anyMatch(Thread::isAlive) || errors.get() > 0 || counted.get() == 0) {
            threads.forEach(Thread::interrupt);
            fail("latency", "measuring the maximum rate: " + errors.get() + " errors, " + counted.get()
                    + " acknowledged");
            return 0;
        }
        return rate;
    }

    private static UpdateProfileRequest profileUpdate(String id, String tag) {
        return UpdateProfileRequest.newBuilder().setUserId(id).setFirstName("Lat" + tag)
                .setAvatarUrl("https://avatars.example.com/" + tag + ".png").build();
    }

    /** Waits until both read sides folded every event of the log (the sums of the users' versions match). */
    private boolean awaitReadSides(InProcessServices services, String when) throws InterruptedException {
        long events = countIn(services.userSchema(), "SELECT count(*) FROM events");
        long start = System.nanoTime();
        boolean done = await(deadline(events), () ->
                countIn(services.userSchema(), "SELECT coalesce(sum(version), 0) FROM user_read_model") == events
                        && countIn(services.statsSchema(), "SELECT coalesce(sum(last_event_version), 0) FROM user_stats")
                        == events, 50);
        System.out.printf("  read model and stats %s all %d events %s (%.2f s)%s%n", done ? "reached" : "did NOT reach",
                events, when, seconds(start), done ? "" : String.format("; versions summed: read model %d, stats %d,"
                        + " %d parked events", countIn(services.userSchema(), "SELECT coalesce(sum(version), 0) FROM user_read_model"),
                        countIn(services.statsSchema(), "SELECT coalesce(sum(last_event_version), 0) FROM user_stats"),
                        countIn(services.userSchema(), "SELECT count(*) FROM parked_events")));
        if (!done) {
            fail("latency", "the read sides did not catch up with " + events + " events " + when);
        }
        return done;
    }

    /** One command of the paced phase: when it was due, sent, acknowledged (at which version) and seen. */
    private static final class Probe {
        final String userId;
        final long dueNanos;
        long sentNanos;
        volatile long version;
        volatile long ackNanos;
        volatile boolean failed;
        /**
         * Indexed by watcher: when the read model (0) and the stats (1) were first seen at the version, and when
         * the outbox relay's checkpoint had passed the event (2: published and confirmed; a diagnostic).
         */
        final long[] seenNanos = {-1, -1, -1};

        Probe(String userId, long dueNanos) {
            this.userId = userId;
            this.dueNanos = dueNanos;
        }
    }

    /**
     * One thread with one connection, asking for all outstanding users in one statement every poll and
     * stamping the start of the first poll that found each command's version.
     */
    private static final class Watcher implements AutoCloseable {
        private final String name;
        private final int slot;
        private final String schema;
        private final String query;
        private final java.util.concurrent.ConcurrentLinkedQueue<Probe> incoming =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final AtomicLong outstanding = new AtomicLong();
        private volatile boolean stop;
        private volatile Exception error;
        private long polls;
        private long pollNanos;
        private long maxPollNanos;
        private final Thread thread;

        Watcher(String name, int slot, String schema, String query) {
            this.name = name;
            this.slot = slot;
            this.schema = schema;
            this.query = query;
            this.thread = Thread.ofPlatform().name("bench-watch-" + name).start(this::run);
        }

        void watch(Probe probe) {
            outstanding.incrementAndGet();
            incoming.add(probe);
        }

        long outstanding() {
            return outstanding.get();
        }

        private void run() {
            List<Probe> pending = new ArrayList<>();
            try (Connection connection = connect(schema); PreparedStatement select = connection.prepareStatement(query)) {
                Map<UUID, Long> versions = new HashMap<>();
                while (!stop) {
                    long pollStart = System.nanoTime();
                    for (Probe probe; (probe = incoming.poll()) != null; ) {
                        pending.add(probe);
                    }
                    if (!pending.isEmpty()) {
                        Set<UUID> users = new LinkedHashSet<>();
                        pending.forEach(probe -> users.add(UUID.fromString(probe.userId)));
                        select.setArray(1, connection.createArrayOf("uuid", users.toArray()));
                        versions.clear();
                        try (ResultSet rows = select.executeQuery()) {
                            while (rows.next()) {
                                versions.put(rows.getObject(1, UUID.class), rows.getLong(2));
                            }
                        }
                        long took = System.nanoTime() - pollStart;
                        polls++;
                        pollNanos += took;
                        maxPollNanos = Math.max(maxPollNanos, took);
                        pending.removeIf(probe -> {
                            // An acknowledgment newer than this poll waits for the next one: never negative.
                            if (probe.ackNanos > pollStart) {
                                return false;
                            }
                            Long version = versions.get(UUID.fromString(probe.userId));
                            if (version == null || version < probe.version) {
                                return false;
                            }
                            probe.seenNanos[slot] = pollStart;
                            outstanding.decrementAndGet();
                            return true;
                        });
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(WATCH_POLL_MICROS * 1000);
                }
            } catch (Exception e) {
                error = e;
                System.out.println("  watcher " + name + " failed: " + e);
            }
        }

        String describe() {
            return String.format("%s watcher: %d polls, %.2f ms per poll on average, %.1f ms at most%s", name, polls,
                    polls == 0 ? 0 : pollNanos / 1e6 / polls, maxPollNanos / 1e6, error == null ? "" : ", FAILED " + error);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    private void paced(InProcessServices services, List<String> ids, double rate) throws Exception {
        long commands = Math.max(1, Math.round(rate * PACED_TIME.toNanos() / 1e9));
        long intervalNanos = Math.round(1e9 / rate);
        UserServiceGrpc.UserServiceStub async = UserServiceGrpc.newStub(services.userChannel());
        List<Probe> probes = new ArrayList<>();
        CountDownLatch answered = new CountDownLatch((int) commands);
        AtomicLong errors = new AtomicLong();
        try (Hiccups hiccups = new Hiccups();
             Horizon horizon = new Horizon();
             Watcher readModel = new Watcher("read model", 0, services.userSchema(),
                "SELECT id, version FROM user_read_model WHERE id = ANY(?)");
             Watcher stats = new Watcher("stats", 1, services.statsSchema(),
                     "SELECT user_id, last_event_version FROM user_stats WHERE user_id = ANY(?)");
             Watcher relay = new Watcher("relay", 2, services.userSchema(), """
                     SELECT e.stream_id, max(e.version) FROM events e JOIN subscriptions s ON s.name = 'outbox_relay'
                     WHERE e.stream_id = ANY(?)
                       AND (e.transaction_id, e.position) <= (s.checkpoint_transaction_id, s.checkpoint_position)
                     GROUP BY e.stream_id
                     """)) {
            System.out.printf("  paced: %d UpdateProfile at %.0f/s (half the maximum), one every %.2f ms, open loop;"
                    + " watchers poll every %d µs%n", commands, rate, intervalNanos / 1e6, WATCH_POLL_MICROS);
            long begin = System.nanoTime() + 20_000_000;
            for (long i = 0; i < commands; i++) {
                long due = begin + i * intervalNanos;
                for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
                Probe probe = new Probe(ids.get((int) (i % ids.size())), due);
                probes.add(probe);
                probe.sentNanos = System.nanoTime();
                async.withDeadlineAfter(CALL_DEADLINE).updateProfile(profileUpdate(probe.userId, "P" + i),
                        new StreamObserver<>() {
                            @Override
                            public void onNext(User user) {
                                probe.version = user.getVersion();
                                probe.ackNanos = System.nanoTime();
                                readModel.watch(probe);
                                stats.watch(probe);
                                relay.watch(probe);
                            }

                            @Override
                            public void onError(Throwable t) {
                                probe.failed = true;
                                if (errors.incrementAndGet() == 1) {
                                    System.out.println("  UpdateProfile failed: " + t);
                                }
                                answered.countDown();
                            }

                            @Override
                            public void onCompleted() {
                                answered.countDown();
                            }
                        });
            }
            long lastSent = probes.getLast().sentNanos;
            double sentRate = commands <= 1 ? rate : (commands - 1) / ((lastSent - probes.getFirst().sentNanos) / 1e9);
            boolean allAnswered = answered.await(CALL_DEADLINE.plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            boolean allSeen = await(SHOW_DEADLINE, () -> readModel.outstanding() == 0 && stats.outstanding() == 0
                    && relay.outstanding() == 0, 10);
            readModel.close();
            stats.close();
            relay.close();

            long maxLag = probes.stream().mapToLong(p -> p.sentNanos - p.dueNanos).max().orElse(0);
            System.out.printf("  sent %d commands at %.1f/s (scheduled %.1f/s; latest send %.1f ms behind schedule),"
                            + " %d errors%s%n", commands, sentRate, rate, maxLag / 1e6, errors.get(),
                    allAnswered ? "" : ", NOT all answered within " + CALL_DEADLINE.plusSeconds(5).toSeconds() + " s");
            hiccups.close();
            horizon.close();
            System.out.println("  " + hiccups.describe());
            System.out.println("  " + horizon.describe());
            System.out.println("  " + readModel.describe());
            System.out.println("  " + stats.describe());
            System.out.println("  " + relay.describe());
            List<Probe> acked = probes.stream().filter(p -> !p.failed && p.ackNanos != 0).toList();
            Distribution command = Distribution.of(acked.stream().mapToLong(p -> p.ackNanos - p.sentNanos).toArray(), 0);
            System.out.printf("  command (send → acknowledgment): %s%n", command);
            Distribution relayed = Distribution.of(acked.stream().filter(p -> p.seenNanos[2] >= 0)
                    .mapToLong(p -> p.seenNanos[2] - p.ackNanos).toArray(), (int) acked.stream()
                    .filter(p -> p.seenNanos[2] < 0).count());
            System.out.printf("  ack → relayed (outbox_relay's checkpoint past the event: published, confirmed): %s%n",
                    relayed);
            String[] names = {"ack → read model", "ack → stats"};
            double[] targets = {READ_MODEL_TARGET_MS, STATS_TARGET_MS};
            for (int slot = 0; slot < 2; slot++) {
                int s = slot;
                long[] latencies = acked.stream().filter(p -> p.seenNanos[s] >= 0)
                        .mapToLong(p -> p.seenNanos[s] - p.ackNanos).toArray();
                Distribution d = Distribution.of(latencies, acked.size() - latencies.length);
                boolean pass = allAnswered && errors.get() == 0 && d.unseen == 0 && d.p99 <= targets[slot];
                System.out.printf("  %s: %s; target p99 ≤ %.0f ms: %s%n", names[slot], d, targets[slot],
                        pass ? "PASS" : "FAIL");
                summary.add(String.format("%-34s p50 %6.1f  p95 %6.1f  p99 %6.1f  max %6.1f ms  (target p99 ≤ %.0f ms)"
                                + " %s at %.0f commands/s, %d commands%s", "latency: " + names[slot], d.p50, d.p95,
                        d.p99, d.max, targets[slot], pass ? "PASS" : "FAIL", sentRate, acked.size(),
                        d.unseen == 0 ? "" : ", " + d.unseen + " never seen within " + SHOW_DEADLINE.toSeconds() + " s"));
            }
            summary.add(String.format("%-34s p50 %6.1f  p95 %6.1f  p99 %6.1f  max %6.1f ms  (part of ack → stats;"
                    + " no target)", "latency: ack → relayed", relayed.p50, relayed.p95, relayed.p99, relayed.max));
            perSecond(acked, probes.getFirst().dueNanos, horizon);
            if (errors.get() > 0 || !allAnswered) {
                fail("latency", errors.get() + " commands failed" + (allAnswered ? "" : ", some not answered"));
            }
            if (!allSeen) {
                System.out.printf("  !! not all seen within %d s: %d outstanding in the read model, %d in the stats%n",
                        SHOW_DEADLINE.toSeconds(), readModel.outstanding(), stats.outstanding());
            }
            crossCheck(services, acked.isEmpty() ? null : acked.getLast());
        }
    }

    /**
     * p99 per second of the paced phase (by acknowledgment time): a tail made in one or two seconds points at a
     * stall (a pause of the JVM or of the shared machine), a tail spread over all of them at the design.
     */
    private static void perSecond(List<Probe> acked, long beginNanos, Horizon horizon) {
        Map<Long, List<Probe>> bySecond = new java.util.TreeMap<>();
        for (Probe probe : acked) {
            bySecond.computeIfAbsent((probe.ackNanos - beginNanos) / 1_000_000_000L, s -> new ArrayList<>()).add(probe);
        }
        StringBuilder line = new StringBuilder("  p99 per second (command / read model / relayed / stats, ms;"
                + " then the oldest xid-holding transaction of the cluster seen that second, ms):");
        bySecond.forEach((second, in) -> {
            double command = Distribution.of(in.stream().mapToLong(p -> p.ackNanos - p.sentNanos).toArray(), 0).p99;
            Distribution read = Distribution.of(in.stream().filter(p -> p.seenNanos[0] >= 0)
                    .mapToLong(p -> p.seenNanos[0] - p.ackNanos).toArray(), 0);
            Distribution stats = Distribution.of(in.stream().filter(p -> p.seenNanos[1] >= 0)
                    .mapToLong(p -> p.seenNanos[1] - p.ackNanos).toArray(), 0);
            Distribution relayed = Distribution.of(in.stream().filter(p -> p.seenNanos[2] >= 0)
                    .mapToLong(p -> p.seenNanos[2] - p.ackNanos).toArray(), 0);
            line.append(String.format(" [%ds %.0f/%.0f/%.0f/%.0f h%.0f]", second, command, read.p99, relayed.p99,
                    stats.p99, horizon.oldestIn(beginNanos + second * 1_000_000_000L, 1_000_000_000L) / 1e6));
        });
        System.out.println(line);
    }

    /**
     * Samples every 20 ms the age of the oldest transaction holding a transaction id anywhere in the PostgreSQL
     * cluster. The projections read only below the snapshot's xmin, which is cluster-wide: one long writing
     * transaction, in any database (another benchmark's, a migration's), holds the read model and the relay
     * back until it ends, and the latencies of that moment show it.
     */
    private static final class Horizon implements AutoCloseable {
        private volatile boolean stop;
        private final List<long[]> samples = new ArrayList<>();
        /** Who the oldest holder was, in samples where it was older than 50 ms: how often each. */
        private final Map<String, Integer> holders = new java.util.TreeMap<>();
        private final Thread thread = Thread.ofPlatform().name("bench-horizon").daemon().start(this::run);

        private void run() {
            try (Connection connection = connect(null); PreparedStatement select = connection.prepareStatement("""
                    SELECT (extract(epoch FROM clock_timestamp() - xact_start) * 1e9)::bigint,
                           datname || ' / ' || coalesce(nullif(application_name, ''), '?') || ' / ' || state
                               || ' / ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 60)
                    FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
                    ORDER BY xact_start LIMIT 1
                    """)) {
                while (!stop) {
                    long at = System.nanoTime();
                    try (ResultSet row = select.executeQuery()) {
                        long age = row.next() ? row.getLong(1) : 0;
                        synchronized (samples) {
                            samples.add(new long[] {at, age});
                            if (age > 50_000_000) {
                                holders.merge(row.getString(2), 1, Integer::sum);
                            }
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
                }
            } catch (SQLException e) {
                System.out.println("  horizon sampler failed: " + e);
            }
        }

        /** The oldest age seen in samples taken within [from, from + length). */
        long oldestIn(long from, long length) {
            synchronized (samples) {
                return samples.stream().filter(s -> s[0] >= from && s[0] < from + length).mapToLong(s -> s[1]).max()
                        .orElse(0);
            }
        }

        String describe() {
            synchronized (samples) {
                long over50 = samples.stream().filter(s -> s[1] > 50_000_000).count();
                return String.format("oldest xid-holding transaction in the cluster (%d samples, every 20 ms): at most"
                                + " %.0f ms old; %d samples saw one older than 50 ms", samples.size(),
                        samples.stream().mapToLong(s -> s[1]).max().orElse(0) / 1e6, over50)
                        + holders.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                                .limit(8).map(e -> "\n    " + e.getValue() + " × " + e.getKey())
                                .collect(java.util.stream.Collectors.joining());
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(1000);
        }
    }

    /**
     * A thread that asks to sleep 1 ms again and again and records how much longer it took (like jHiccup):
     * stalls of this JVM (GC, safepoints) or of the machine (CPU taken by others) show up here, and in every
     * latency of the same moment.
     */
    private static final class Hiccups implements AutoCloseable {
        private volatile boolean stop;
        private long samples;
        private long over10;
        private long worstNanos;
        private long lostNanos;
        private final Thread thread = Thread.ofPlatform().name("bench-hiccups").daemon().start(this::run);

        private void run() {
            while (!stop) {
                long before = System.nanoTime();
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                long late = System.nanoTime() - before - 1_000_000;
                samples++;
                worstNanos = Math.max(worstNanos, late);
                if (late > 10_000_000) {
                    over10++;
                    lostNanos += late;
                }
            }
        }

        String describe() {
            return String.format("hiccups (1 ms sleeps, %d): worst %.1f ms late, %d over 10 ms late (%.0f ms in all)",
                    samples, worstNanos / 1e6, over10, lostNanos / 1e6);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(1000);
        }
    }

    /** The last command, read back through the services' own RPCs: GetUser(min_version) and GetUserStats. */
    private static void crossCheck(InProcessServices services, Probe last) {
        if (last == null) {
            return;
        }
        try {
            User user = UserServiceGrpc.newBlockingStub(services.userChannel()).withDeadlineAfter(CALL_DEADLINE)
                    .getUser(GetUserRequest.newBuilder().setUserId(last.userId).setMinVersion(last.version).build());
            UserStats userStats = UserStatsServiceGrpc.newBlockingStub(services.statsChannel())
                    .withDeadlineAfter(CALL_DEADLINE)
                    .getUserStats(GetUserStatsRequest.newBuilder().setUserId(last.userId).build());
            boolean agree = user.getVersion() >= last.version && userStats.getLastEventVersion() >= last.version;
            System.out.printf("  check over gRPC, last command (user %s, version %d): GetUser(min_version) version %d,"
                            + " GetUserStats last_event_version %d, profile_updates %d%s%n", last.userId, last.version,
                    user.getVersion(), userStats.getLastEventVersion(), userStats.getProfileUpdates(),
                    agree ? "" : "  !! BEHIND");
        } catch (RuntimeException e) {
            System.out.println("  !! check over gRPC failed: " + e);
        }
    }

    /** Percentiles (nearest rank) in milliseconds; commands never seen count as slower than any seen. */
    private record Distribution(int count, int unseen, double p50, double p95, double p99, double max) {

        static Distribution of(long[] nanos, int unseen) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            int total = sorted.length + unseen;
            return new Distribution(sorted.length, unseen, rank(sorted, total, 0.50), rank(sorted, total, 0.95),
                    rank(sorted, total, 0.99), unseen > 0 ? Double.POSITIVE_INFINITY
                    : sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6);
        }

        private static double rank(long[] sorted, int total, double quantile) {
            if (total == 0) {
                return Double.NaN;
            }
            int index = (int) Math.ceil(quantile * total) - 1;
            return index >= sorted.length ? Double.POSITIVE_INFINITY : sorted[Math.max(0, index)] / 1e6;
        }

        @Override
        public String toString() {
            return String.format("%d measured, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%s", count, p50, p95,
                    p99, max, unseen == 0 ? "" : ", " + unseen + " never seen");
        }
    }

    /** The stats consumer's queues on the latency part's virtual host (the services declared them). */
    private static void deleteStatsQueues() {
        ConnectionFactory factory = rabbitFactory();
        factory.setVirtualHost(LATENCY_VHOST);
        try (com.rabbitmq.client.Connection connection = factory.newConnection("projections benchmark cleanup")) {
            for (String queue : List.of(STATS_QUEUE, STATS_DLQ)) {
                Channel channel = connection.createChannel();
                channel.queueDelete(queue);
                channel.close();
            }
        } catch (Exception e) {
            System.out.println("cannot delete the stats queues on vhost " + LATENCY_VHOST + ": " + e);
        }
    }

    // ---- helpers ----

    private void fail(String part, String why) {
        System.out.println("!! " + part + ": " + why);
        summary.add(String.format("%-34s FAILED: %s", part, why));
    }

    /** Generous: a minute plus the work at {@link #SLOWEST_RATE} per second. */
    private static Duration deadline(long work) {
        return Duration.ofSeconds(60 + (long) (work / SLOWEST_RATE));
    }

    private static boolean await(Duration limit, BooleanSupplier condition) throws InterruptedException {
        return await(limit, condition, 20);
    }

    private static boolean await(Duration limit, BooleanSupplier condition, long pollMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(pollMillis);
        }
        return true;
    }

    private static ProjectionStatus status(PostgresProjections projections, String name) {
        return projections.statuses().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /** {@code <transaction id>/<position>} of the last event, as {@link ProjectionStatus#checkpoint()} shows it. */
    private String lastEvent() throws SQLException {
        try (Connection connection = connect(schema); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(
                     "SELECT transaction_id::text || '/' || position FROM events ORDER BY transaction_id DESC,"
                             + " position DESC LIMIT 1")) {
            return row.next() ? row.getString(1) : "0/0";
        }
    }

    /**
     * The subscription's checkpoint, read directly (what {@link PostgresProjections#statuses()} shows, without
     * its lag count over the unread events, which would load the database every 20 ms of a poll).
     */
    private String checkpoint(String name) {
        try (PreparedStatement select = pollConnection().prepareStatement("""
                     SELECT checkpoint_transaction_id::text || '/' || checkpoint_position FROM subscriptions WHERE name = ?
                     """)) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : "0/0";
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One connection for the 20 ms polls, so that polling does not open a connection each time. */
    private Connection pollConnection() throws SQLException {
        if (poll == null || poll.isClosed()) {
            poll = connect(schema);
        }
        return poll;
    }

    private Connection poll;

    private long count(String query) throws SQLException {
        return countIn(schema, query);
    }

    private static long countIn(String schema, String query) {
        try (Connection connection = connect(schema); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(query)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sql(String schema, String statementText) throws SQLException {
        try (Connection connection = connect(schema); Statement statement = connection.createStatement()) {
            statement.execute(statementText);
        }
    }

    private static Connection connect(String schema) throws SQLException {
        Connection connection = DriverManager.getConnection(URL, USER, "");
        if (schema != null) {
            connection.setSchema(schema);
        }
        return connection;
    }

    private static ConnectionFactory rabbitFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(RABBIT.host());
        factory.setPort(RABBIT.port());
        factory.setUsername(RABBIT.username());
        factory.setPassword(RABBIT.password());
        factory.setVirtualHost(RABBIT.virtualHost());
        return factory;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static {
        Locale.setDefault(Locale.ROOT);
    }
}
