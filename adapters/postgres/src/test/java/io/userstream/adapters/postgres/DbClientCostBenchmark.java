package io.userstream.adapters.postgres;

import io.helidon.common.Version;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.application.view.UserView;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * What the Helidon DbClient costs over plain JDBC, measured rather than guessed. Three operations of the
 * PostgreSQL adapter, each run two ways on the SAME HikariCP pool with the SAME SQL text and parameter values:
 * <ul>
 *   <li>{@code append}: the one-statement append of a new stream, a UserCreated with its e-mail and username
 *       claims ({@link PostgresUserEventStore#APPEND}, parameters from
 *       {@link PostgresUserEventStore#appendParameters});</li>
 *   <li>{@code load}: a stream of {@value #STREAM_LENGTH} events ({@link PostgresUserEventStore#LOAD}), decoded
 *       to {@link RecordedUserEvent}s;</li>
 *   <li>{@code find}: a read-model row by id ({@link PostgresUserReadModel#BY_ID}), mapped to a {@link UserView}.</li>
 * </ul>
 * Variant {@code DbClient} is the production code ({@link PostgresUserEventStore}, {@link PostgresUserReadModel}
 * over {@link PostgresDatabase#dbClient()}), except for the load, which production now does through JDBC (on
 * this benchmark's figures) and which {@link #dbClientLoad} does here as it was; variant {@code JDBC} is {@link PlainJdbc} below: prepare, bind with
 * {@code setObject}, execute, read the {@link ResultSet}. Both build the same requests and decode the same rows
 * with the same codec, so what differs is the layer: the DbClient's statement and row objects, its parameter
 * binding and column mapping, and {@link Db}'s error handling.
 *
 * <p>The machines are shared and noisy, so no figure stands alone. Per operation: one warm-up round of each
 * variant, then {@code rounds} pairs of timed rounds, {@code threads} threads for {@code seconds} each, the
 * variant that goes first alternating (DbClient,JDBC then JDBC,DbClient ...) so that drift hits both. Each pair
 * gives the ratio DbClient ops/s ÷ JDBC ops/s; the result is the median of the pairs, with their min–max as the
 * spread, and the DbClient's cost per operation is {@code 1/median - 1}. A path whose cost is above 10 % may
 * stay on plain JDBC, with this figure as the reason.
 *
 * <p>Run with {@code ops/bench-dbclient.sh [threads=16] [seconds-per-round=5] [rounds=4]}; it works in a
 * throw-away schema of {@code userstream_test} ({@link TestDatabase}), dropped at the end. Extra JVM flags go in
 * {@code BENCH_JAVA_OPTS}, e.g. {@code -XX:StartFlightRecording=filename=dbclient.jfr,settings=profile}. It is
 * not a test (no {@code Test} in its name, so Surefire leaves it alone): {@code mvn verify} only compiles it.
 */
public final class DbClientCostBenchmark {

    private static final int STREAMS = 256;
    private static final int STREAM_LENGTH = 5;
    private static final int READ_MODEL_ROWS = 1000;
    private static final String DB_CLIENT = "DbClient";
    private static final String JDBC = "JDBC";
    /** Kept here so that the level holds: Flyway's INFO lines on each migration are noise in the report. */
    private static final Logger FLYWAY_LOG = Logger.getLogger("org.flywaydb");

    public static void main(String[] args) throws Exception {
        FLYWAY_LOG.setLevel(Level.WARNING);
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        System.out.printf("ops/bench-dbclient.sh %d %d %d   (threads, seconds per round, rounds)%n", threads, seconds,
                rounds);
        System.out.printf("%s | JDK %s (%s) | %d CPUs | Helidon %s%n", ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS),
                Runtime.version(), System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(),
                Version.VERSION);

        ExecutorService workers = Executors.newFixedThreadPool(threads);
        try (TestDatabase db = TestDatabase.create(threads)) {
            DataSource pool = db.database().dataSource();
            printServer(pool);
            PostgresUserEventStore store = new PostgresUserEventStore(db.database());
            PostgresUserReadModel readModel = new PostgresUserReadModel(db.database().dbClient());
            PlainJdbc jdbc = new PlainJdbc(pool, store);
            NewUsers users = new NewUsers();
            List<UserId> streams = seedStreams(store, users);
            List<UserId> rows = seedReadModel(pool);

            Rounds bench = new Rounds(workers, threads, seconds, rounds);
            List<Comparison> results = List.of(
                    bench.compare("append",
                            () -> store.append(users.next(0)) instanceof AppendOutcome.Appended,
                            () -> jdbc.append(users.next(0)) == 1),
                    bench.compare("load",
                            () -> dbClientLoad(db.database(), any(streams)).size() == STREAM_LENGTH,
                            () -> jdbc.load(any(streams)).size() == STREAM_LENGTH),
                    bench.compare("find",
                            () -> readModel.findById(any(rows)).isPresent(),
                            () -> jdbc.findById(any(rows)).isPresent()));
            printSummary(results);
        } finally {
            workers.shutdownNow();
        }
    }

    /**
     * The stream load as it was on the DbClient (production has loaded through plain JDBC since this very
     * comparison; see {@link PostgresUserEventStore#load}), kept here so the comparison still measures the layer.
     */
    private static List<RecordedUserEvent> dbClientLoad(PostgresDatabase database, UserId stream) {
        UserEventCodec codec = new UserEventCodec();
        return new Db(database.dbClient()).execute("load stream " + stream, exec -> {
            try (var rows = exec.query(PostgresUserEventStore.LOAD, stream.value())) {
                return rows.map(row -> new RecordedUserEvent(Db.uuid(row, "event_id"), Db.int8(row, "version"),
                        Db.int8(row, "position"),
                        codec.decode(stream, Db.text(row, "event_type"), Db.int4(row, "schema_version"),
                                Db.text(row, "payload"), Db.instant(row, "occurred_at")),
                        codec.metadata(Db.text(row, "metadata")), Db.instant(row, "recorded_at"))).toList();
            }
        });
    }

    // ---- the reference ----

    /**
     * The baseline: the stores' SQL and parameter values straight through JDBC, nothing between the code and
     * the driver. The reference for the measurement, not production code.
     */
    private static final class PlainJdbc {

        private final DataSource pool;
        private final PostgresUserEventStore store;
        private final UserEventCodec codec = new UserEventCodec();

        PlainJdbc(DataSource pool, PostgresUserEventStore store) {
            this.pool = pool;
            this.store = store;
        }

        /** The new version; 0 if the guard saw another one. */
        long append(AppendRequest request) throws SQLException {
            try (Connection connection = pool.getConnection();
                 PreparedStatement statement = prepare(connection, PostgresUserEventStore.APPEND,
                         store.appendParameters(request));
                 ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong("new_version");
            }
        }

        List<RecordedUserEvent> load(UserId stream) throws SQLException {
            try (Connection connection = pool.getConnection();
                 PreparedStatement statement = prepare(connection, PostgresUserEventStore.LOAD, stream.value());
                 ResultSet rows = statement.executeQuery()) {
                List<RecordedUserEvent> events = new ArrayList<>();
                while (rows.next()) {
                    events.add(new RecordedUserEvent(rows.getObject("event_id", UUID.class), rows.getLong("version"),
                            rows.getLong("position"),
                            codec.decode(stream, rows.getString("event_type"), rows.getInt("schema_version"),
                                    rows.getString("payload"), instant(rows, "occurred_at")),
                            codec.metadata(rows.getString("metadata")), instant(rows, "recorded_at")));
                }
                return events;
            }
        }

        Optional<UserView> findById(UserId id) throws SQLException {
            try (Connection connection = pool.getConnection();
                 PreparedStatement statement = prepare(connection, PostgresUserReadModel.BY_ID, id.value());
                 ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new UserView(new UserId(rows.getObject("id", UUID.class)), rows.getString("email"),
                        rows.getString("username"), rows.getString("first_name"), rows.getString("last_name"),
                        rows.getString("avatar_url"), PostgresUserReadModel.status(rows.getString("status")),
                        instant(rows, "created_at"), instant(rows, "last_updated"), instant(rows, "deleted_at"),
                        rows.getLong("version")));
            }
        }

        private static PreparedStatement prepare(Connection connection, String sql, Object... parameters)
                throws SQLException {
            PreparedStatement statement = connection.prepareStatement(sql);
            try {
                for (int i = 0; i < parameters.length; i++) {
                    statement.setObject(i + 1, parameters[i]);
                }
                return statement;
            } catch (SQLException | RuntimeException e) {
                statement.close();
                throw e;
            }
        }

        private static Instant instant(ResultSet rows, String column) throws SQLException {
            Timestamp timestamp = rows.getTimestamp(column);
            return timestamp == null ? null : timestamp.toInstant();
        }
    }

    // ---- the data ----

    /** Appends of new users, each with its own stream, address and username. */
    private static final class NewUsers {

        private static final PasswordHash HASH = new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
        private static final EventMetadata METADATA = new EventMetadata("bench", Optional.empty(), "bench");

        private final UuidV7Generator ids = new UuidV7Generator();
        private final AtomicLong serial = new AtomicLong();

        /** A new stream: a UserCreated and its claims, then {@code profileUpdates} ProfileUpdated. */
        AppendRequest next(int profileUpdates) {
            long n = serial.incrementAndGet();
            UserId id = new UserId(ids.newId());
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            UserEvent created = new UserEvent.UserCreated(id, Email.parse("bench" + n + "@example.com"),
                    Username.parse("bench" + n), HASH, Profile.EMPTY, now);
            List<NewUserEvent> events = new ArrayList<>();
            events.add(new NewUserEvent(ids.newId(), created));
            for (int i = 1; i <= profileUpdates; i++) {
                events.add(new NewUserEvent(ids.newId(), new UserEvent.ProfileUpdated(id,
                        new Profile("Ada " + i, "Lovelace", "https://example.com/ada.png"), now)));
            }
            return new AppendRequest(id, 0, events, ReservationChanges.impliedBy(null, List.of(created)), METADATA);
        }
    }

    private static List<UserId> seedStreams(PostgresUserEventStore store, NewUsers users) {
        List<UserId> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            AppendRequest request = users.next(STREAM_LENGTH - 1);
            if (!(store.append(request) instanceof AppendOutcome.Appended)) {
                throw new IllegalStateException("cannot seed stream " + request.userId());
            }
            streams.add(request.userId());
        }
        return streams;
    }

    private static List<UserId> seedReadModel(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
             PreparedStatement statement = connection.prepareStatement("""
                     INSERT INTO user_read_model (id, email, username, first_name, last_name, avatar_url, status,
                                                  created_at, last_updated, version)
                     SELECT gen_random_uuid(), 'r' || i || '@example.com', 'r' || i, 'Ada', 'Lovelace',
                            'https://example.com/ada.png', 'ACTIVE', now(), now(), 5
                     FROM generate_series(1, ?) AS i
                     RETURNING id""")) {
            statement.setInt(1, READ_MODEL_ROWS);
            List<UserId> ids = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(new UserId(rows.getObject(1, UUID.class)));
                }
            }
            return ids;
        }
    }

    private static UserId any(List<UserId> ids) {
        return ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
    }

    private static void printServer(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
             ResultSet rows = connection.createStatement().executeQuery("SELECT current_setting('server_version')")) {
            rows.next();
            System.out.printf("PostgreSQL %s | pgjdbc %s | HikariCP pool = threads%n", rows.getString(1),
                    connection.getMetaData().getDriverVersion());
        }
    }

    // ---- the measurement ----

    /** One call of a variant; false if its result is not what the setup guarantees (then the run stops). */
    private interface Operation {
        boolean run() throws Exception;
    }

    /** The latencies of one timed round, sorted, and how long the round took. */
    private record Sample(long[] nanos, double seconds) {

        static Sample merge(List<Sample> samples) {
            long[] all = samples.stream().flatMapToLong(s -> Arrays.stream(s.nanos)).sorted().toArray();
            return new Sample(all, samples.stream().mapToDouble(Sample::seconds).sum());
        }

        double opsPerSecond() {
            return nanos.length / seconds;
        }

        double millisAt(double quantile) {
            return nanos[Math.min(nanos.length - 1, (int) (nanos.length * quantile))] / 1e6;
        }

        String describe() {
            return String.format("%8.0f ops/s  p50 %6.2f ms  p99 %6.2f ms", opsPerSecond(), millisAt(0.50),
                    millisAt(0.99));
        }
    }

    /** The timed rounds of both variants of one operation, pair by pair. */
    private record Comparison(String operation, List<Sample> dbClient, List<Sample> jdbc) {

        double ratio(int pair) {
            return dbClient.get(pair).opsPerSecond() / jdbc.get(pair).opsPerSecond();
        }

        double[] ratios() {
            double[] ratios = new double[dbClient.size()];
            Arrays.setAll(ratios, this::ratio);
            return ratios;
        }

        double medianRatio() {
            double[] sorted = ratios().clone();
            Arrays.sort(sorted);
            int mid = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    /** Runs the interleaved rounds with a fixed set of worker threads. */
    private record Rounds(ExecutorService workers, int threads, int seconds, int rounds) {

        Comparison compare(String operation, Operation dbClient, Operation jdbc) throws Exception {
            System.out.printf("%n%-6s warm-up   %-8s %s%n", operation, DB_CLIENT, timed(dbClient).describe());
            System.out.printf("%-6s warm-up   %-8s %s%n", operation, JDBC, timed(jdbc).describe());
            List<Sample> viaDbClient = new ArrayList<>();
            List<Sample> viaJdbc = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                boolean dbClientFirst = round % 2 == 0;
                Sample first = timed(dbClientFirst ? dbClient : jdbc);
                Sample second = timed(dbClientFirst ? jdbc : dbClient);
                viaDbClient.add(dbClientFirst ? first : second);
                viaJdbc.add(dbClientFirst ? second : first);
                System.out.printf("%-6s round %d   %-8s %s | %-8s %s | ratio %.3f  (%s first)%n", operation, round + 1,
                        DB_CLIENT, viaDbClient.get(round).describe(), JDBC, viaJdbc.get(round).describe(),
                        viaDbClient.get(round).opsPerSecond() / viaJdbc.get(round).opsPerSecond(),
                        dbClientFirst ? DB_CLIENT : JDBC);
            }
            return new Comparison(operation, viaDbClient, viaJdbc);
        }

        /** {@code threads} threads calling {@code operation} back to back for {@code seconds}. */
        Sample timed(Operation operation) throws Exception {
            long start = System.nanoTime();
            long deadline = start + seconds * 1_000_000_000L;
            List<Future<long[]>> perThread = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                perThread.add(workers.submit(() -> calls(operation, deadline)));
            }
            List<long[]> latencies = new ArrayList<>();
            for (Future<long[]> thread : perThread) {
                latencies.add(thread.get());
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new Sample(latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray(), elapsed);
        }

        private static long[] calls(Operation operation, long deadline) throws Exception {
            long[] latencies = new long[4096];
            int n = 0;
            for (long begin = System.nanoTime(); begin < deadline; ) {
                if (!operation.run()) {
                    throw new IllegalStateException("an operation did not give the expected result");
                }
                long end = System.nanoTime();
                if (n == latencies.length) {
                    latencies = Arrays.copyOf(latencies, n * 2);
                }
                latencies[n++] = end - begin;
                begin = end;
            }
            return Arrays.copyOf(latencies, n);
        }
    }

    /** What the rounds say about the 10 % line (a ratio of 1/1.1): only a spread wholly on one side decides. */
    private static String verdict(double minRatio, double maxRatio) {
        double line = 1 / 1.1;
        if (maxRatio < line) {
            return "over 10 % in every round: may stay on plain JDBC";
        }
        if (minRatio >= line) {
            return "within 10 % in every round: stays on DbClient";
        }
        return "rounds on both sides of 10 %: noise exceeds the effect, undecided";
    }

    private static void printSummary(List<Comparison> results) {
        System.out.printf("%nAll timed rounds together%n%-9s %-8s %8s %9s %9s%n", "operation", "variant", "ops/s",
                "p50 ms", "p99 ms");
        for (Comparison result : results) {
            for (String variant : List.of(DB_CLIENT, JDBC)) {
                Sample all = Sample.merge(variant.equals(DB_CLIENT) ? result.dbClient() : result.jdbc());
                System.out.printf("%-9s %-8s %8.0f %9.2f %9.2f%n", result.operation(), variant, all.opsPerSecond(),
                        all.millisAt(0.50), all.millisAt(0.99));
            }
        }
        System.out.printf("%nDbClient/JDBC throughput (1.000 = no cost; below 0.909 = DbClient costs more than 10 %%)%n"
                + "%-9s %-30s %7s %15s %13s%n", "operation", "ratio per round", "median", "spread min-max",
                "cost per op");
        for (Comparison result : results) {
            double[] ratios = result.ratios();
            double median = result.medianRatio();
            double min = Arrays.stream(ratios).min().orElseThrow();
            double max = Arrays.stream(ratios).max().orElseThrow();
            double cost = 1 / median - 1;
            System.out.printf("%-9s %-30s %7.3f %7.3f-%-7.3f %+12.1f %%  %s%n", result.operation(),
                    Arrays.stream(ratios).mapToObj(r -> String.format("%.3f", r)).collect(Collectors.joining(" ")),
                    median, min, max, cost * 100, verdict(min, max));
        }
    }
}
