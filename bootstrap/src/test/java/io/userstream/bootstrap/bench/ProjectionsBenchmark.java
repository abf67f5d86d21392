package io.userstream.bootstrap.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
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
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.port.out.StatsObserver;
import io.userstream.application.port.out.UserDirectory;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.service.UserStatsService;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
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
 *   <li><b>stats</b>: bare consume-and-ack (prefetch 1000, one multiple ack per 500, like the consumer) vs the real
 *       {@link RabbitUserActivityConsumer} with {@link UserStatsService} over {@link PostgresUserStatsStore}
 *       consuming what the relay published.</li>
 * </ol>
 * Everything lives in throw-away schemas and on its own RabbitMQ virtual host (default
 * {@code userstream_bench}, made by {@code ops/bench-projections.sh}), so running tests are not disturbed.
 * Run with {@code ops/bench-projections.sh [users=100000] [--only part,part]}; parts are
 * {@code catchup,rebuild,writers,relay,stats} (rebuild and writers need catchup, stats needs relay; they
 * are added).
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
    /** Names fixed by the rabbitmq adapter's Topology (package-private there). */
    private static final String EVENTS_EXCHANGE = "userstream.events";
    private static final String STATS_QUEUE = "user-stats.user-events";
    private static final String STATS_DLQ = "user-stats.user-events.dlq";
    private static final String READ_MODEL = "user_read_model";
    private static final String RELAY = "outbox_relay";
    /** Slowest rate the deadlines allow for, in events (or messages) per second, on top of a minute. */
    private static final double SLOWEST_RATE = 300;
    private static final List<String> PARTS = List.of("catchup", "rebuild", "writers", "relay", "stats");

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
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        for (Handler handler : root.getHandlers()) {
            handler.setLevel(Level.WARNING);
        }
    }

    private void run() throws Exception {
        System.out.printf("projections benchmark: N=%d users, %d events, parts %s, schema %s, vhost %s%n", users,
                2L * users, parts, schema, VHOST);
        try (PostgresDatabase opened = PostgresDatabase.open(
                new PostgresSettings(URL, USER, "", schema, 24, Duration.ofSeconds(30)))) {
            database = opened;
            generate();
            copyBaseline();
            setBasedBaseline();
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
        System.out.printf("%n== summary (N=%d users, %d generated events; ratios are to the baseline of the same run)%n",
                users, 2L * users);
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
        projections.requestRebuild(READ_MODEL);
        boolean done = await(deadline(events), this::rebuildEnded);
        double seconds = seconds(start);
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
        UserCommandService service = new UserCommandService(new PostgresUserEventStore(database.dbClient()),
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

    private boolean rebuildEnded() {
        try (PreparedStatement select = pollConnection().prepareStatement("""
                     SELECT rebuild_requested_at IS NULL AND rebuild_started_at IS NULL, coalesce(rebuild_done, 0)
                     FROM subscriptions WHERE name = ?
                     """)) {
            select.setString(1, READ_MODEL);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return false;
                }
                rebuildDoneSeen = Math.max(rebuildDoneSeen, row.getLong(2));
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
                         ProjectionObserver.NONE, events -> {
                             rabbit.publish(events);
                             events.forEach(event -> handed.add(event.eventId()));
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
            channel.basicQos(1000);
            CountDownLatch all = new CountDownLatch((int) available);
            long start = System.nanoTime();
            channel.basicConsume(bareQueue, false, new DefaultConsumer(channel) {
                private int unacked;

                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                        throws IOException {
                    all.countDown();
                    if (++unacked == 500 || all.getCount() == 0) {
                        getChannel().basicAck(envelope.getDeliveryTag(), true);
                        unacked = 0;
                    }
                }
            });
            boolean done = all.await(deadline(available).toMillis(), TimeUnit.MILLISECONDS);
            double seconds = seconds(start);
            double bareRate = (available - all.getCount()) / seconds;
            System.out.printf("baseline bare consume-and-ack (prefetch 1000, one multiple ack per 500): %d messages in %.2f s"
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
