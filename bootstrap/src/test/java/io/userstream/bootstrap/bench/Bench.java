package io.userstream.bootstrap.bench;

import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.domain.user.PlainPassword;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The benchmark harness of issue 16: {@code ops/bench.sh [--only parts] [--runs n] [--seconds s] …}.
 * Every figure is measured side by side with baselines in the same run, on the same PostgreSQL, with the
 * same row shape, and reported as a ratio to them (these machines are shared and noisy: absolute rates
 * swing, ratios of interleaved runs hold). Each figure is the median of {@code --runs} runs (default 3);
 * a ratio is the median of the per-run ratios, each taken between runs measured one right after the other
 * (the systems' order rotates from run to run). Latencies come from HdrHistogram; warm-up is not counted.
 *
 * <p>Parts ({@code --only a,b}; default: every part that is wired):
 * <ul>
 *   <li>{@code append}: one event per command at 1/4/16/64 threads (closed loop). <b>Ours</b>: the real
 *       write path in process, wired as user-service wires it ({@link OurWritePath}: CreateUser, then
 *       UpdateProfile until the stream holds 10 events; hashing replaced by a constant). <b>Limit</b>: plain
 *       JDBC, one autocommitted INSERT per event into a copy of our {@code events} table ({@link JdbcLimit}).
 *       <b>Axon</b>: {@code JdbcEventStorageEngine.appendEvents} of one event with the aggregate's next
 *       sequence number ({@link AxonPeer}). The same events (payloads, metadata, ids) for all three; one
 *       connection per thread for each (ours one more, for its append notifier).</li>
 *   <li>{@code load}: one thread loading streams of 10, 100 and 1000 events: ours through our event store,
 *       Axon's {@code readEvents(aggregateId)} (payloads and metadata deserialized), and for scale the
 *       plain JDBC {@code SELECT} of our rows (nothing decoded).</li>
 *   <li>{@code rebuild}: our rebuild of the read model beside the set-based SQL build and Axon's
 *       {@code PooledStreamingEventProcessor} replay of the same events into the same table shape
 *       ({@link RebuildPart}).</li>
 *   <li>{@code grpc}: UpdateProfile over gRPC into the real services in process (relay, projections and
 *       stats consumer running) at 1/4/16/32/64 callers, interleaved with the JDBC limit at the same thread
 *       count; {@code stats}: GetUserStats hit and repair; {@code rss}: peak RSS of each service as a JVM of
 *       its own under gRPC load ({@link ServicesPart}; they need the RabbitMQ virtual hosts ops/bench.sh
 *       makes).</li>
 *   <li>A hook, not wired (it prints that it was not measured): {@code latency}, which
 *       {@code ops/bench-projections.sh --only latency} measures.</li>
 * </ul>
 * It prints a table and, with {@code --markdown FILE}, replaces the part of FILE between
 * {@value #BEGIN} and {@value #END} (appended if absent) with the figures, ratios, machine, date and
 * command. Everything it creates lives in throw-away schemas of {@code userstream_test}, dropped at the end.
 */
public final class Bench {

    static final String BEGIN = "<!-- bench.sh:begin -->";
    static final String END = "<!-- bench.sh:end -->";

    private static final String URL = System.getenv().getOrDefault("USERSTREAM_TEST_DB_URL",
            "jdbc:postgresql://127.0.0.1:5432/userstream_test");
    private static final String USER = System.getenv().getOrDefault("USERSTREAM_TEST_DB_USER", "postgres");

    static final List<String> PARTS = List.of("append", "load", "rebuild", "grpc", "latency", "stats", "rss");
    /** Parts measured today; the others are hooks. */
    static final List<String> WIRED = List.of("append", "load", "rebuild", "grpc", "stats", "rss");
    /** What each part measures (the hooks: once it is wired). */
    static final Map<String, String> HOOKS = Map.of(
            "grpc", "the gRPC command path at 1/4/16/32/64 callers vs the JDBC limit",
            "latency", "end-to-end latencies, acknowledgment → read model and → stats (measured by"
                    + " `ops/bench-projections.sh --only latency`, ProjectionsBenchmark's latency part)",
            "stats", "GetUserStats hit and repair",
            "rss", "peak RSS of each service with its heap setting");

    static final String OURS = "ours";
    static final String LIMIT = "JDBC limit";
    static final String AXON = "Axon";
    static final String SELECT = "JDBC SELECT";

    private final Options options;
    private final String tag = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final String ourSchema = "bench_" + tag;
    private final String limitSchema = "benchlim_" + tag;
    private final String axonSchema = "benchaxon_" + tag;
    private final String rebuildSchema = "benchrb_" + tag;
    private final String rebuildAxonSchema = "benchrbax_" + tag;
    private final String passwordHash;
    private final Report report;
    /** The grpc, stats and rss parts (the first two share in-process services). */
    private ServicesPart services;

    private Bench(Options options) {
        this.options = options;
        this.report = new Report(options);
        // A real Argon2id hash string (OWASP parameters), stored as the constant every UserCreated carries.
        Argon2idPasswordHasher argon2 = new Argon2idPasswordHasher(Argon2idPasswordHasher.OWASP);
        long start = System.nanoTime();
        int hashes = 5;
        String hash = null;
        for (int i = 0; i < hashes; i++) {
            hash = argon2.hash(PlainPassword.parse("benchmark-password")).encoded();
        }
        this.passwordHash = hash;
        report.hashesPerSecond = hashes / ((System.nanoTime() - start) / 1e9);
    }

    /** Command-line options; see {@link #usage()}. */
    record Options(Set<String> parts, int runs, Duration warmUp, Duration seconds, Duration loadSeconds,
                   int[] threads, int rebuildUsers, int axonBatch, Path markdown, String command,
                   double buildSeconds, int[] callers, Duration statsSeconds) {
    }

    static String usage() {
        return """
                usage: ops/bench.sh [--only PARTS] [--runs N] [--seconds S] [--load-seconds S] [--warmup S]
                                    [--threads 1,4,16,64] [--callers 1,4,16,32,64] [--stats-seconds S]
                                    [--rebuild-users N] [--axon-batch N]
                                    [--markdown FILE | --no-markdown]
                  PARTS: comma-separated, of %s (default: %s; the others are hooks, not wired yet)
                  --runs N          runs per figure, the figure being their median (default 3)
                  --seconds S       measured seconds of each append run (default 3), after --warmup S (default 1)
                  --load-seconds S  measured seconds of each stream-load run (default 1.5)
                  --callers LIST    gRPC caller counts of the grpc part (default 1,4,16,32,64)
                  --stats-seconds S measured seconds of each GetUserStats run (default 2)
                  --rebuild-users N users of the rebuild part's log, 2 events each (default 50000)
                  --axon-batch N    batch size of Axon's replay (default: our engine's, %d)
                  --markdown FILE   rewrite FILE's generated section (ops/bench.sh passes BENCHMARKS.md unless --only)
                  --no-markdown     print only
                """.formatted(PARTS, WIRED, SubscriptionSettings.DEFAULTS.batchSize());
    }

    public static void main(String[] args) throws Exception {
        Set<String> parts = new LinkedHashSet<>(WIRED);
        int runs = 3;
        double warmUp = 1;
        double seconds = 3;
        double loadSeconds = 1.5;
        int[] threads = {1, 4, 16, 64};
        int[] callers = {1, 4, 16, 32, 64};
        double statsSeconds = 2;
        int rebuildUsers = 50_000;
        int axonBatch = SubscriptionSettings.DEFAULTS.batchSize();
        Path markdown = null;
        String command = System.getenv().getOrDefault("USERSTREAM_BENCH_COMMAND", "Bench " + String.join(" ", args));
        double buildSeconds = Double.parseDouble(System.getenv().getOrDefault("USERSTREAM_BENCH_BUILD_SECONDS", "NaN"));
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
                case "--only" -> {
                    parts = new LinkedHashSet<>();
                    for (String part : value.split(",")) {
                        if (!PARTS.contains(part.strip())) {
                            throw new IllegalArgumentException("unknown part " + part + "\n" + usage());
                        }
                        parts.add(part.strip());
                    }
                    i++;
                }
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmUp = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--load-seconds" -> loadSeconds = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--callers" -> callers = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--stats-seconds" -> statsSeconds = Double.parseDouble(args[++i]);
                case "--rebuild-users" -> rebuildUsers = Integer.parseInt(args[++i].replace("_", ""));
                case "--axon-batch" -> axonBatch = Integer.parseInt(args[++i]);
                case "--markdown" -> markdown = Path.of(args[++i]);
                case "--no-markdown" -> markdown = null;
                case "-h", "--help" -> {
                    System.out.print(usage());
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + arg + "\n" + usage());
            }
        }
        quietLogging();
        Options options = new Options(parts, runs, Duration.ofMillis(Math.round(warmUp * 1000)),
                Duration.ofMillis(Math.round(seconds * 1000)), Duration.ofMillis(Math.round(loadSeconds * 1000)),
                threads, rebuildUsers, axonBatch, markdown, command, buildSeconds, callers,
                Duration.ofMillis(Math.round(statsSeconds * 1000)));
        new Bench(options).run();
    }

    /** The adapters and Axon log progress at INFO; only warnings matter here. */
    private static void quietLogging() {
        if (System.getenv("USERSTREAM_BENCH_VERBOSE") != null) {
            return;
        }
        io.helidon.logging.common.LogConfig.configureRuntime();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        for (Handler handler : root.getHandlers()) {
            handler.setLevel(Level.WARNING);
        }
    }

    private void run() throws Exception {
        long start = System.nanoTime();
        report.machine = Machine.describe(URL, USER);
        System.out.printf("bench: parts %s, %d runs per figure, schemas *_%s%n%s%n", options.parts(), options.runs(),
                tag, report.machine.line());
        for (String part : PARTS) {
            if (!options.parts().contains(part)) {
                report.notRun.put(part, WIRED.contains(part) ? "not selected (--only)"
                        : HOOKS.get(part) + " (a hook in `Bench`, not wired yet)");
            }
        }
        try {
            setUp();
            for (String part : PARTS.stream().filter(options.parts()::contains).toList()) {
                System.out.printf("%n== %s%n", part);
                switch (part) {
                    case "append" -> append();
                    case "load" -> load();
                    case "rebuild" -> rebuild();
                    case "grpc" -> grpc();
                    case "latency" -> latency();
                    case "stats" -> stats();
                    case "rss" -> rss();
                    default -> throw new IllegalStateException(part);
                }
            }
        } finally {
            closeServices();
            dropSchemas();
        }
        report.runSeconds = (System.nanoTime() - start) / 1e9;
        report.loadAverageEnd = Bench.currentLoadAverage();
        System.out.println();
        System.out.print(report.text());
        if (options.markdown() != null) {
            report.writeMarkdown(options.markdown());
            System.out.println("wrote the generated section of " + options.markdown());
        }
    }

    // ---- schemas ----

    private void setUp() throws SQLException {
        // Our schema, migrated by our own code; the limit's table is a copy of its events table.
        try (OurWritePath ours = new OurWritePath(URL, USER, ourSchema, 1, passwordHash)) {
            ours.getClass();
        }
        new JdbcLimit(URL, USER, limitSchema, passwordHash).create(ourSchema);
        sql("CREATE SCHEMA " + axonSchema);
        try (AxonPeer axon = new AxonPeer(URL, USER, axonSchema, 1, passwordHash)) {
            axon.createSchema();
        }
    }

    private void dropSchemas() {
        if (System.getenv("USERSTREAM_BENCH_KEEP") != null) {
            System.out.println("kept schemas " + ourSchema + ", " + limitSchema + ", " + axonSchema + ", "
                    + rebuildSchema + ", " + rebuildAxonSchema);
            return;
        }
        for (String schema : List.of(ourSchema, limitSchema, axonSchema, rebuildSchema, rebuildAxonSchema)) {
            try {
                sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (SQLException e) {
                System.out.println("cannot drop schema " + schema + ": " + e);
            }
        }
    }

    static void sql(String statement) throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, USER, "");
             Statement sql = connection.createStatement()) {
            sql.execute(statement);
        }
    }

    static double queryDouble(String query) throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, USER, "");
             Statement sql = connection.createStatement();
             ResultSet row = sql.executeQuery(query)) {
            row.next();
            return row.getDouble(1);
        }
    }

    // ---- append ----

    /** One system of the append part, opened for one run with a pool of {@code threads} connections. */
    private interface Writers extends AutoCloseable {
        Measurement.Worker writer(int thread);

        @Override
        void close();
    }

    private Writers open(String system, int threads) {
        String runTag = BenchEvents.tag();
        return switch (system) {
            case OURS -> {
                OurWritePath ours = new OurWritePath(URL, USER, ourSchema, threads, passwordHash);
                yield new Writers() {
                    public Measurement.Worker writer(int thread) {
                        return ours.writer(runTag, thread);
                    }

                    public void close() {
                        ours.close();
                    }
                };
            }
            case LIMIT -> {
                JdbcLimit limit = new JdbcLimit(URL, USER, limitSchema, passwordHash);
                yield new Writers() {
                    public Measurement.Worker writer(int thread) {
                        return limit.writer(runTag, thread);
                    }

                    public void close() {
                    }
                };
            }
            case AXON -> {
                AxonPeer axon = new AxonPeer(URL, USER, axonSchema, threads, passwordHash);
                yield new Writers() {
                    public Measurement.Worker writer(int thread) {
                        return axon.writer(runTag, thread);
                    }

                    public void close() {
                        axon.close();
                    }
                };
            }
            default -> throw new IllegalArgumentException(system);
        };
    }

    private Measurement.Run appendRun(String system, int threads, Duration warmUp, Duration measured)
            throws InterruptedException {
        try (Writers writers = open(system, threads)) {
            return Measurement.run(threads, warmUp, measured, writers::writer);
        }
    }

    private void append() throws Exception {
        List<String> systems = List.of(OURS, LIMIT, AXON);
        // Not counted: the JIT and the pools warm up on every system once before the first figure.
        for (String system : systems) {
            appendRun(system, 4, Duration.ofSeconds(3), Duration.ofMillis(200));
        }
        for (int threads : options.threads()) {
            Map<String, List<Measurement.Run>> runs = new LinkedHashMap<>();
            systems.forEach(system -> runs.put(system, new ArrayList<>()));
            for (int r = 0; r < options.runs(); r++) {
                for (String system : rotate(systems, r)) {
                    Measurement.Run run = appendRun(system, threads, options.warmUp(), options.seconds());
                    runs.get(system).add(run);
                    System.out.printf("append %-10s %2d threads run %d: %8.0f events/s  p50 %6.2f  p99 %7.2f"
                                    + "  max %7.2f ms  client CPU %4.0f µs/event%s%s%n", system, threads, r + 1,
                            run.rate(), run.p50Ms(), run.p99Ms(), run.maxMs(), run.cpuMicrosPerOperation(),
                            system.equals(OURS) ? byCommand(run) : "",
                            run.errors() == 0 ? "" : "  !! " + run.errors() + " errors, first: " + run.firstError());
                }
            }
            report.append.put(threads, runs);
        }
        report.payloadBytes.put(OURS, queryDouble("SELECT avg(octet_length(payload::text)) FROM " + ourSchema
                + ".events"));
        report.payloadBytes.put(LIMIT, queryDouble("SELECT avg(octet_length(payload::text)) FROM " + limitSchema
                + ".events"));
        report.payloadBytes.put(AXON, queryDouble("SELECT avg(octet_length(payload)) FROM " + axonSchema
                + ".domainevententry"));
        System.out.printf("mean stored payload: ours %.1f bytes (jsonb as text), limit %.1f, Axon %.1f (bytea)%n",
                report.payloadBytes.get(OURS), report.payloadBytes.get(LIMIT), report.payloadBytes.get(AXON));
    }

    static String byCommand(Measurement.Run run) {
        return String.format("  (CreateUser p50 %.2f p99 %.2f, UpdateProfile p50 %.2f p99 %.2f)",
                run.byKind()[OurWritePath.CREATE].getValueAtPercentile(50) / 1e6,
                run.byKind()[OurWritePath.CREATE].getValueAtPercentile(99) / 1e6,
                run.byKind()[OurWritePath.UPDATE].getValueAtPercentile(50) / 1e6,
                run.byKind()[OurWritePath.UPDATE].getValueAtPercentile(99) / 1e6);
    }

    /** The systems in the order of run {@code r}: rotated, so that none is always first or last. */
    static <T> List<T> rotate(List<T> systems, int r) {
        List<T> rotated = new ArrayList<>(systems);
        java.util.Collections.rotate(rotated, -(r % systems.size()));
        return rotated;
    }

    // ---- load ----

    static final int[] STREAM_SIZES = {10, 100, 1000};

    private void load() throws Exception {
        List<String> systems = List.of(OURS, AXON, SELECT);
        try (OurWritePath ours = new OurWritePath(URL, USER, ourSchema, 2, passwordHash);
             AxonPeer axon = new AxonPeer(URL, USER, axonSchema, 2, passwordHash)) {
            JdbcLimit jdbc = new JdbcLimit(URL, USER, limitSchema, passwordHash);
            Map<Integer, UUID[]> ourStreams = new LinkedHashMap<>();
            Map<Integer, String[]> axonStreams = new LinkedHashMap<>();
            String loadTag = BenchEvents.tag();
            for (int size : STREAM_SIZES) {
                int count = Math.max(4, 4000 / size);
                UUID[] mine = new UUID[count];
                String[] theirs = new String[count];
                for (int s = 0; s < count; s++) {
                    BenchEvents.StreamUser user = BenchEvents.StreamUser.of(loadTag + "l" + size, 0, s);
                    mine[s] = ours.writeStream(user, size);
                    theirs[s] = axon.writeStream(user, size);
                }
                ourStreams.put(size, mine);
                axonStreams.put(size, theirs);
            }
            sql("VACUUM ANALYZE " + ourSchema + ".events");
            sql("VACUUM ANALYZE " + axonSchema + ".domainevententry");
            Map<String, Function<Integer, Measurement.Worker>> loaders = Map.of(
                    OURS, size -> {
                        UUID[] streams = ourStreams.get(size);
                        return new Measurement.Worker() {
                            private int next;

                            @Override
                            public int step() {
                                int n = ours.load(streams[next++ % streams.length]);
                                if (n != size) {
                                    throw new IllegalStateException("loaded " + n + " events, expected " + size);
                                }
                                return 0;
                            }
                        };
                    },
                    AXON, size -> axon.loader(axonStreams.get(size), size),
                    SELECT, size -> jdbc.loader(ourSchema, ourStreams.get(size), size));
            for (String system : systems) {
                Measurement.run(1, Duration.ofSeconds(1), Duration.ofMillis(100), thread -> loaders.get(system).apply(100));
            }
            for (int size : STREAM_SIZES) {
                Map<String, List<Measurement.Run>> runs = new LinkedHashMap<>();
                systems.forEach(system -> runs.put(system, new ArrayList<>()));
                for (int r = 0; r < options.runs(); r++) {
                    for (String system : rotate(systems, r)) {
                        Measurement.Run run = Measurement.run(1, Duration.ofMillis(300), options.loadSeconds(),
                                thread -> loaders.get(system).apply(size));
                        runs.get(system).add(run);
                        System.out.printf("load %5d events %-11s run %d: p50 %7.3f  p99 %7.3f  max %7.3f ms,"
                                        + " %6.0f loads/s%s%n", size, system, r + 1, run.p50Ms(), run.p99Ms(),
                                run.maxMs(), run.rate(),
                                run.errors() == 0 ? "" : "  !! " + run.errors() + " errors, first: " + run.firstError());
                    }
                }
                report.load.put(size, runs);
            }
        }
    }


    // ---- rebuild ----

    /**
     * Our rebuild of {@code user_read_model} vs the set-based build of the same read model vs Axon's
     * {@code PooledStreamingEventProcessor} replaying the same events into the same table shape; see
     * {@link RebuildPart}.
     */
    private void rebuild() throws Exception {
        RebuildPart part = new RebuildPart(URL, USER, rebuildSchema, rebuildAxonSchema, options.rebuildUsers(),
                options.runs(), options.axonBatch(), passwordHash);
        report.rebuild = part;
        part.run();
    }

    private ServicesPart servicesPart() {
        if (services == null) {
            services = new ServicesPart(URL, USER, limitSchema, passwordHash, options, report);
        }
        return services;
    }

    private void closeServices() {
        if (services != null) {
            try {
                services.close();
            } catch (Exception e) {
                System.out.println("cannot stop the in-process services: " + e);
            }
        }
    }

    /** Whether the RabbitMQ virtual host {@code variable} names is set (ops/bench.sh makes it); says so if not. */
    private boolean vhost(String part, String variable, String value) {
        if (value != null && !value.isBlank()) {
            return true;
        }
        report.notMeasured(part, HOOKS.get(part) + ": " + variable + " is not set (ops/bench.sh creates a RabbitMQ"
                + " virtual host of the run's own and sets it)");
        return false;
    }

    /**
     * The gRPC command path: UpdateProfile through user-service's gRPC server, in process, with the relay,
     * the projections and the stats consumer running, at 1/4/16/32/64 callers, each as a ratio to the JDBC
     * limit measured at the same thread count in the same run (issue target: ≥ 0.35 × the limit at 32
     * callers); see {@link ServicesPart}.
     */
    private void grpc() throws Exception {
        if (vhost("grpc", "USERSTREAM_BENCH_GRPC_VHOST", ServicesPart.GRPC_VHOST)) {
            servicesPart().grpc();
        }
    }

    /**
     * Hook: end-to-end latencies, acknowledgment → read model and → stats, at half the maximum command
     * rate ({@code ProjectionsBenchmark#latency} measures them, {@code ops/bench-projections.sh --only latency};
     * its 2,000 users, 5 s maximum-rate phase and 10 s paced phase do not fit this harness's time budget).
     */
    private void latency() {
        report.notWired("latency", HOOKS.get("latency"));
    }

    /** GetUserStats served from the stats table (hit) and through the repair path; see {@link ServicesPart}. */
    private void stats() throws Exception {
        if (vhost("stats", "USERSTREAM_BENCH_GRPC_VHOST", ServicesPart.GRPC_VHOST)) {
            servicesPart().stats();
        }
    }

    /**
     * Peak RSS of user-service and user-stats-service, each a JVM of its own with its heap setting, under
     * gRPC load; see {@link ServicesPart}. The in-process services stop first.
     */
    private void rss() throws Exception {
        closeServices();
        if (vhost("rss", "USERSTREAM_BENCH_RSS_VHOST", ServicesPart.RSS_VHOST)) {
            servicesPart().rss();
        }
    }

    // ---- report ----

    /** The median over runs of {@code a_i / b_i} for each pair of runs measured together. */
    static double pairedRatio(List<Measurement.Run> a, List<Measurement.Run> b, ToDoubleFunction<Measurement.Run> figure) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            ratios.add(figure.applyAsDouble(a.get(i)) / figure.applyAsDouble(b.get(i)));
        }
        return Measurement.median(ratios);
    }

    static List<Double> ratios(List<Measurement.Run> a, List<Measurement.Run> b, ToDoubleFunction<Measurement.Run> figure) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            ratios.add(figure.applyAsDouble(a.get(i)) / figure.applyAsDouble(b.get(i)));
        }
        return ratios;
    }

    /** What this machine is, for the report. */
    record Machine(int cores, String cpu, double memoryGiB, double loadAverage, String jdk, String postgres) {
        static Machine describe(String url, String user) {
            String cpu = "";
            double memory = Double.NaN;
            try {
                cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                        .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("");
                memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                        .findFirst().map(l -> Double.parseDouble(l.replaceAll("[^0-9]", "")) / 1024 / 1024)
                        .orElse(Double.NaN);
            } catch (IOException | RuntimeException e) {
                // not Linux: leave them out
            }
            String postgres;
            try (Connection connection = DriverManager.getConnection(url, user, "");
                 Statement sql = connection.createStatement();
                 ResultSet row = sql.executeQuery("SHOW server_version")) {
                row.next();
                postgres = row.getString(1);
            } catch (SQLException e) {
                postgres = "unknown (" + e.getMessage() + ")";
            }
            return new Machine(Runtime.getRuntime().availableProcessors(), cpu, memory, Bench.currentLoadAverage(),
                    System.getProperty("java.vm.vendor") + " " + Runtime.version(), postgres);
        }

        String line() {
            return String.format(Locale.ROOT, "machine: %d cores%s, %.1f GiB memory, load average %.2f, JDK %s,"
                            + " PostgreSQL %s", cores, cpu.isEmpty() ? "" : " (" + cpu + ")", memoryGiB, loadAverage,
                    jdk, postgres);
        }
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static double currentLoadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static String now() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    }
}
