package io.userstream.bootstrap.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.userstream.adapters.postgres.SubscriptionSettings;
import io.userstream.adapters.rabbitmq.RabbitSettings;
import io.userstream.bootstrap.InProcessServices;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.UserStats;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The harness's parts that go through the real services ({@link Bench}'s {@code grpc}, {@code stats} and
 * {@code rss}).
 *
 * <ul>
 *   <li>{@code grpc}: user-service and user-stats-service start in this JVM ({@link InProcessServices}:
 *       projections and outbox relay with {@link SubscriptionSettings#DEFAULTS}, the stats consumer on a
 *       RabbitMQ virtual host of this run's own, {@code USERSTREAM_BENCH_GRPC_VHOST}, made and deleted by
 *       {@code ops/bench.sh}). {@value #USERS} users are created over gRPC; then, for each caller count, N
 *       caller threads (each its own blocking stub on one shared channel, each on its own share of the
 *       users, round-robin) send UpdateProfile back to back, a new first name each time. Each run is
 *       interleaved with the JDBC limit ({@link JdbcLimit#writer}) at the same thread count; after each of
 *       our runs the read sides' backlog is noted and they are left to catch up before the next run.</li>
 *   <li>{@code stats}: GetUserStats on the same in-process services, <b>hit</b> (the consumer's row is
 *       there) and <b>repair</b> (the row was just deleted, untimed, by the step itself: the service asks
 *       user-service for the user's history over gRPC and inserts the row), each user with a 2-event
 *       history, at 1 and 4 threads.</li>
 *   <li>{@code rss}: each service as a JVM of its own ({@code UserServiceMain}, {@code UserStatsServiceMain},
 *       configured through environment variables; production Argon2id), UpdateProfile from 32 callers and
 *       GetUserStats from 4, then each process's peak resident set ({@code VmHWM}).</li>
 * </ul>
 */
final class ServicesPart implements AutoCloseable {

    static final String OURS_GRPC = "ours (gRPC)";
    static final String HIT = "hit";
    static final String REPAIR = "repair";
    static final int USERS = 200;
    static final int STATS_USERS = 64;
    static final int[] STATS_THREADS = {1, 4};
    static final int RSS_CALLERS = 32;
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    static final String GRPC_VHOST = System.getenv("USERSTREAM_BENCH_GRPC_VHOST");
    static final String RSS_VHOST = System.getenv("USERSTREAM_BENCH_RSS_VHOST");

    private final String url;
    private final String user;
    private final String limitSchema;
    private final String passwordHash;
    private final Bench.Options options;
    private final Report report;
    private InProcessServices services;

    ServicesPart(String url, String user, String limitSchema, String passwordHash, Bench.Options options,
                 Report report) {
        this.url = url;
        this.user = user;
        this.limitSchema = limitSchema;
        this.passwordHash = passwordHash;
        this.options = options;
        this.report = report;
    }

    private InProcessServices services() {
        if (services == null) {
            long start = System.nanoTime();
            services = InProcessServices.start(SubscriptionSettings.DEFAULTS, Duration.ofSeconds(5),
                    new RabbitSettings("127.0.0.1", 5672, "guest", "guest", GRPC_VHOST, Duration.ofSeconds(30)),
                    "bgrpc_");
            System.out.printf("started user-service (projections, outbox relay) and user-stats-service in process,"
                    + " vhost %s, schemas %s and %s (%.1f s)%n", GRPC_VHOST, services.userSchema(),
                    services.statsSchema(), Bench.seconds(start));
        }
        return services;
    }

    @Override
    public void close() throws Exception {
        if (services != null) {
            InProcessServices closing = services;
            services = null;
            closing.close();
        }
    }

    // ---- grpc ----

    void grpc() throws Exception {
        InProcessServices running = services();
        long start = System.nanoTime();
        String[] ids = createUsers(running.userChannel(), "g", USERS, 8);
        System.out.printf("created %d users over gRPC in %.2f s%n", ids.length, Bench.seconds(start));
        awaitReadSides(running, 60);
        JdbcLimit limit = new JdbcLimit(url, user, limitSchema, passwordHash);
        // Not counted: the JIT, the channel and the pools warm up.
        Measurement.run(16, Duration.ofSeconds(3), Duration.ofMillis(200), t -> updater(running, ids, 16, t));
        awaitReadSides(running, 60);
        String warmTag = BenchEvents.tag();
        Measurement.run(16, Duration.ofSeconds(1), Duration.ofMillis(200), t -> limit.writer(warmTag, t));
        List<String> systems = List.of(OURS_GRPC, LIMIT);
        for (int callers : options.callers()) {
            Map<String, List<Measurement.Run>> runs = new LinkedHashMap<>();
            systems.forEach(system -> runs.put(system, new ArrayList<>()));
            List<double[]> lags = new ArrayList<>();
            for (int r = 0; r < options.runs(); r++) {
                for (String system : Bench.rotate(systems, r)) {
                    Measurement.Run run;
                    String lag = "";
                    if (system.equals(OURS_GRPC)) {
                        run = Measurement.run(callers, options.warmUp(), options.seconds(),
                                t -> updater(running, ids, callers, t));
                        long[] backlog = backlog(running);
                        double catchUp = awaitReadSides(running, 120);
                        lags.add(new double[] {backlog[0], backlog[1], catchUp});
                        lag = String.format("  backlog at the end: read model %d, stats %d events; caught up in"
                                + " %.2f s", backlog[0], backlog[1], catchUp);
                    } else {
                        String tag = BenchEvents.tag();
                        run = Measurement.run(callers, options.warmUp(), options.seconds(), t -> limit.writer(tag, t));
                    }
                    runs.get(system).add(run);
                    System.out.printf("grpc %-11s %2d callers run %d: %7.0f /s  p50 %6.2f  p99 %7.2f  max %7.2f ms"
                                    + "  CPU %4.0f µs/op%s%s%n", system, callers, r + 1, run.rate(), run.p50Ms(),
                            run.p99Ms(), run.maxMs(), run.cpuMicrosPerOperation(), lag,
                            run.errors() == 0 ? "" : "  !! " + run.errors() + " errors, first: " + run.firstError());
                }
            }
            report.grpc.put(callers, runs);
            report.grpcLag.put(callers, lags);
        }
    }

    private static final String LIMIT = Bench.LIMIT;

    /** One caller: its own blocking stub on the shared channel, its own share of the users, round-robin. */
    private static Measurement.Worker updater(InProcessServices running, String[] ids, int callers, int thread) {
        return updater(running.userChannel(), ids, callers, thread);
    }

    private static Measurement.Worker updater(ManagedChannel channel, String[] ids, int callers, int thread) {
        UserServiceGrpc.UserServiceBlockingStub stub = UserServiceGrpc.newBlockingStub(channel);
        List<String> mine = new ArrayList<>();
        for (int i = thread; i < ids.length; i += callers) {
            mine.add(ids[i]);
        }
        if (mine.isEmpty()) {
            throw new IllegalStateException(callers + " callers but only " + ids.length + " users");
        }
        return new Measurement.Worker() {
            private long n;

            @Override
            public int step() {
                String id = mine.get((int) (n++ % mine.size()));
                stub.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).updateProfile(
                        UpdateProfileRequest.newBuilder().setUserId(id).setFirstName("G" + thread + "n" + n).build());
                return 0;
            }
        };
    }

    /** Creates {@code count} users over gRPC from {@code threads} threads; fails on any error. */
    static String[] createUsers(ManagedChannel channel, String prefix, int count, int threads) throws Exception {
        UserServiceGrpc.UserServiceBlockingStub stub = UserServiceGrpc.newBlockingStub(channel);
        String tag = prefix + BenchEvents.tag();
        String[] ids = new String[count];
        AtomicLong errors = new AtomicLong();
        List<String> first = new ArrayList<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = t;
            running.add(Thread.ofPlatform().name("bench-create-" + t).start(() -> {
                for (int i = from; i < count; i += threads) {
                    try {
                        ids[i] = stub.withDeadlineAfter(30, TimeUnit.SECONDS).createUser(CreateUserRequest.newBuilder()
                                .setEmail(tag + "-" + i + "@example.com").setUsername(tag + "_" + i)
                                .setPassword("benchmark-password").setFirstName("Bench").setLastName("B" + i)
                                .build()).getId();
                    } catch (RuntimeException e) {
                        errors.incrementAndGet();
                        synchronized (first) {
                            if (first.isEmpty()) {
                                first.add(e.toString());
                            }
                        }
                    }
                }
            }));
        }
        for (Thread thread : running) {
            thread.join();
        }
        if (errors.get() > 0) {
            throw new IllegalStateException("creating " + count + " users: " + errors.get() + " errors, first: "
                    + first.get(0));
        }
        return ids;
    }

    /** Events the read model and the stats have not folded yet: [read model, stats]. */
    private long[] backlog(InProcessServices running) throws SQLException {
        long events = query("SELECT count(*) FROM " + running.userSchema() + ".events");
        return new long[] {
                events - query("SELECT coalesce(sum(version), 0) FROM " + running.userSchema() + ".user_read_model"),
                events - query("SELECT coalesce(sum(last_event_version), 0) FROM " + running.statsSchema()
                        + ".user_stats")};
    }

    /** Waits until both read sides folded every event; returns the seconds it took. */
    private double awaitReadSides(InProcessServices running, int seconds) throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long[] backlog = backlog(running);
            if (backlog[0] == 0 && backlog[1] == 0) {
                return Bench.seconds(start);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the read sides did not catch up within " + seconds
                        + " s: backlog read model " + backlog[0] + ", stats " + backlog[1] + " events");
            }
            Thread.sleep(20);
        }
    }

    private long query(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, user, "");
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        }
    }

    // ---- stats ----

    void stats() throws Exception {
        InProcessServices running = services();
        String[] hit = createUsers(running.userChannel(), "h", STATS_USERS, 8);
        String[] repair = createUsers(running.userChannel(), "r", STATS_USERS, 8);
        // A second event each: every user has a 2-event history, which the repair reads from user-service.
        UserServiceGrpc.UserServiceBlockingStub stub = UserServiceGrpc.newBlockingStub(running.userChannel());
        for (String id : concat(hit, repair)) {
            stub.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).updateProfile(
                    UpdateProfileRequest.newBuilder().setUserId(id).setFirstName("Stats").build());
        }
        awaitReadSides(running, 60);
        List<String> order = List.of(HIT, REPAIR);
        for (String kind : order) {
            Measurement.run(2, Duration.ofSeconds(1), Duration.ofMillis(200),
                    t -> statsWorker(running, kind, kind.equals(HIT) ? hit : repair, 2, t));
        }
        for (int threads : STATS_THREADS) {
            Map<String, List<Measurement.Run>> runs = new LinkedHashMap<>();
            order.forEach(kind -> runs.put(kind, new ArrayList<>()));
            for (int r = 0; r < options.runs(); r++) {
                for (String kind : Bench.rotate(order, r)) {
                    Measurement.Run run = Measurement.run(threads, Duration.ofMillis(500), options.statsSeconds(),
                            t -> statsWorker(running, kind, kind.equals(HIT) ? hit : repair, threads, t));
                    runs.get(kind).add(run);
                    System.out.printf("stats %-6s %d threads run %d: %7.0f calls/s  p50 %6.3f  p99 %7.3f  max %7.2f ms%s%n",
                            kind, threads, r + 1, run.rate(), run.p50Ms(), run.p99Ms(), run.maxMs(),
                            run.errors() == 0 ? "" : "  !! " + run.errors() + " errors, first: " + run.firstError());
                }
            }
            report.stats.put(threads, runs);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * GetUserStats on this thread's share of the users. Hit: the call alone (the row must not be a repaired
     * one). Repair: the row deleted first (not timed), then the call, which must answer a row it repaired.
     */
    private Measurement.Worker statsWorker(InProcessServices running, String kind, String[] ids, int threads,
                                           int thread) {
        UserStatsServiceGrpc.UserStatsServiceBlockingStub stub = UserStatsServiceGrpc.newBlockingStub(
                running.statsChannel());
        List<String> mine = new ArrayList<>();
        for (int i = thread; i < ids.length; i += threads) {
            mine.add(ids[i]);
        }
        boolean repairing = kind.equals(REPAIR);
        try {
            Connection connection = DriverManager.getConnection(url, user, "");
            PreparedStatement delete = connection.prepareStatement("DELETE FROM " + running.statsSchema()
                    + ".user_stats WHERE user_id = ?");
            return new StatsWorker() {
                private long n;
                private long last;

                @Override
                public int step() throws SQLException {
                    String id = mine.get((int) (n++ % mine.size()));
                    if (repairing) {
                        delete.setObject(1, UUID.fromString(id));
                        if (delete.executeUpdate() != 1) {
                            throw new IllegalStateException("no stats row to delete for " + id);
                        }
                    }
                    long begin = System.nanoTime();
                    UserStats stats = stub.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                            .getUserStats(GetUserStatsRequest.newBuilder().setUserId(id).build());
                    last = System.nanoTime() - begin;
                    if (stats.hasRepairedAt() != repairing || stats.getLastEventVersion() != 2) {
                        throw new IllegalStateException(kind + " of " + id + ": repaired " + stats.hasRepairedAt()
                                + ", version " + stats.getLastEventVersion());
                    }
                    return 0;
                }

                @Override
                public long lastStepNanos() {
                    return last;
                }

                @Override
                public void close() throws SQLException {
                    connection.close();
                }
            };
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface StatsWorker extends Measurement.SelfTimed, AutoCloseable {
    }

    // ---- rss ----

    /** One service started as a JVM of its own. */
    private record ServiceProcess(String name, Process process, Path log, int grpcPort, int httpPort, String schema) {
        long pid() {
            return process.pid();
        }
    }

    void rss() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        String flags = (System.getenv().getOrDefault("USERSTREAM_JVM_FLAGS", "") + " "
                + System.getenv().getOrDefault("USERSTREAM_BENCH_SERVICE_JVM_FLAGS", "")).strip();
        String heapFlags = System.getenv().getOrDefault("USERSTREAM_BENCH_SERVICE_JVM_FLAGS", "").strip();
        long maxHeapMiB = maxHeapMiB(java, flags);
        String tag = BenchEvents.tag();
        List<ServiceProcess> started = new ArrayList<>();
        try {
            int userGrpc = freePort();
            int userHttp = freePort();
            ServiceProcess users = startService("user-service", java, classPath, flags,
                    "io.userstream.bootstrap.UserServiceMain", Map.of(
                            "USERSTREAM_HOST", "127.0.0.1",
                            "USERSTREAM_GRPC_PORT", String.valueOf(userGrpc),
                            "USERSTREAM_HTTP_PORT", String.valueOf(userHttp),
                            "USERSTREAM_DB_URL", url,
                            "USERSTREAM_DB_USER", user,
                            "USERSTREAM_DB_SCHEMA", "brssu_" + tag,
                            "USERSTREAM_RABBITMQ_VHOST", RSS_VHOST),
                    userGrpc, userHttp, "brssu_" + tag);
            started.add(users);
            int statsGrpc = freePort();
            int statsHttp = freePort();
            ServiceProcess stats = startService("user-stats-service", java, classPath, flags,
                    "io.userstream.bootstrap.UserStatsServiceMain", Map.of(
                            "USERSTATS_HOST", "127.0.0.1",
                            "USERSTATS_GRPC_PORT", String.valueOf(statsGrpc),
                            "USERSTATS_HTTP_PORT", String.valueOf(statsHttp),
                            "USERSTATS_DB_URL", url,
                            "USERSTATS_DB_USER", user,
                            "USERSTATS_DB_SCHEMA", "brsss_" + tag,
                            "USERSTATS_RABBITMQ_VHOST", RSS_VHOST,
                            "USERSTATS_USERSERVICE_TARGET", "127.0.0.1:" + userGrpc),
                    statsGrpc, statsHttp, "brsss_" + tag);
            started.add(stats);
            awaitReady(users);
            awaitReady(stats);
            long[] idle = {rssKiB(users.pid(), "VmRSS:"), rssKiB(stats.pid(), "VmRSS:")};
            ManagedChannel userChannel = NettyChannelBuilder.forAddress("127.0.0.1", userGrpc).usePlaintext().build();
            ManagedChannel statsChannel = NettyChannelBuilder.forAddress("127.0.0.1", statsGrpc).usePlaintext().build();
            try {
                long start = System.nanoTime();
                // Production Argon2id (a hashing pool of cores - 1 and a queue of twice that): 2 creators at once.
                String[] ids = createUsers(userChannel, "m", RSS_CALLERS * 2, 2);
                double createSeconds = Bench.seconds(start);
                Measurement.Run updates = Measurement.run(RSS_CALLERS, options.warmUp(), options.seconds().multipliedBy(2),
                        t -> updater(userChannel, ids, RSS_CALLERS, t));
                Measurement.Run reads = Measurement.run(4, Duration.ofMillis(500), options.statsSeconds(), t -> {
                    UserStatsServiceGrpc.UserStatsServiceBlockingStub stub =
                            UserStatsServiceGrpc.newBlockingStub(statsChannel);
                    return new Measurement.Worker() {
                        private int n = t;

                        @Override
                        public int step() {
                            stub.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).getUserStats(
                                    GetUserStatsRequest.newBuilder().setUserId(ids[n++ % ids.length]).build());
                            return 0;
                        }
                    };
                });
                String heap = heapFlags.isEmpty() ? "JVM default" : heapFlags;
                for (int i = 0; i < 2; i++) {
                    ServiceProcess service = started.get(i);
                    report.rss.add(new String[] {service.name(), heap, String.valueOf(maxHeapMiB),
                            String.format("%.0f", idle[i] / 1024.0),
                            String.format("%.0f", rssKiB(service.pid(), "VmHWM:") / 1024.0),
                            String.format("%.0f", rssKiB(service.pid(), "VmRSS:") / 1024.0)});
                }
                String note = String.format("load on the separate processes: %d users created over gRPC in %.1f s"
                                + " (production Argon2id); UpdateProfile from %d callers: %.0f/s, p50 %.2f, p99 %.2f ms%s;"
                                + " then GetUserStats from 4 threads: %.0f/s, p50 %.2f ms%s",
                        ids.length, createSeconds, RSS_CALLERS, updates.rate(), updates.p50Ms(), updates.p99Ms(),
                        updates.errors() == 0 ? "" : " (!! " + updates.errors() + " errors: " + updates.firstError() + ")",
                        reads.rate(), reads.p50Ms(),
                        reads.errors() == 0 ? "" : " (!! " + reads.errors() + " errors: " + reads.firstError() + ")");
                report.rssNotes.add(note);
                System.out.println(note);
                report.rss.forEach(row -> System.out.printf("rss %-18s heap %s (max heap %s MiB): idle %s MiB, peak"
                        + " (VmHWM) %s MiB, at the end %s MiB%n", (Object[]) row));
            } finally {
                userChannel.shutdownNow();
                statsChannel.shutdownNow();
            }
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                stop(started.get(i));
            }
            for (String schema : List.of("brssu_" + tag, "brsss_" + tag)) {
                try {
                    Bench.sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                } catch (SQLException e) {
                    System.out.println("cannot drop schema " + schema + ": " + e);
                }
            }
        }
    }

    private static ServiceProcess startService(String name, String java, String classPath, String flags,
                                               String mainClass, Map<String, String> env, int grpcPort, int httpPort,
                                               String schema) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java);
        if (!flags.isEmpty()) {
            command.addAll(Arrays.asList(flags.split("\\s+")));
        }
        command.addAll(List.of("-cp", classPath, mainClass));
        Path log = Files.createTempFile("userstream-bench-" + name + "-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        System.out.printf("started %s as pid %d (log %s)%n", name, process.pid(), log);
        return new ServiceProcess(name, process, log, grpcPort, httpPort, schema);
    }

    private static void awaitReady(ServiceProcess service) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!service.process().isAlive()) {
                throw new IllegalStateException(service.name() + " exited: " + tail(service.log()));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + service.httpPort() + "/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(service.name() + " not ready within 60 s: " + tail(service.log()));
            }
            Thread.sleep(100);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void stop(ServiceProcess service) {
        service.process().destroy();
        try {
            if (!service.process().waitFor(15, TimeUnit.SECONDS)) {
                service.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(service.log());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a temp file left behind
        }
    }

    /** A line of /proc/PID/status in KiB (VmHWM: peak resident set; VmRSS: now). */
    static long rssKiB(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** The MaxHeapSize a JVM started with {@code flags} gets here, in MiB. */
    private static long maxHeapMiB(String java, String flags) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(java);
        if (!flags.isEmpty()) {
            command.addAll(Arrays.asList(flags.split("\\s+")));
        }
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        for (String line : output.split("\n")) {
            if (line.contains(" MaxHeapSize ")) {
                String[] words = line.strip().split("\\s+");
                return Long.parseLong(words[3]) / 1024 / 1024;
            }
        }
        return -1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
