package io.userstream.bootstrap.bench;

import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.PostgresUserEventStore;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.PasswordHashingSaturatedException;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.UserEventStore;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.support.BoundedPasswordHasher;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of the write side against the real PostgreSQL: CreateUser (append + 2 reservation
 * claims) and UpdateProfile (load + append) through {@link UserCommandService} and
 * {@link PostgresUserEventStore}, N threads for a fixed time each, in a throw-away schema.
 * Password hashing is replaced by a constant here so the numbers are the event store's. CreateUser is also
 * run in alternating rounds without its advisory read of the reservations (the read that spares a hash to a
 * taken e-mail or username), which shows what that read costs where nothing else hides it.
 *
 * <p>Then password hashing beside them: Argon2id (OWASP cost) hashes/s on 1 thread and on as many threads as
 * there are processors, and their ratio; and UpdateProfile on virtual threads (as the gRPC server runs calls)
 * alone, then while {@value #FLOOD_CALLERS} virtual threads flood CreateUser with real hashing, once with
 * each hash on its caller's virtual thread (how user-service hashed before the bounded pool) and once on
 * the {@link BoundedPasswordHasher} with its default limits (refused callers wait the retry hint, as a
 * client honouring {@code RetryInfo} would). Run with {@code ops/bench-append.sh [threads] [seconds]}.
 */
public final class AppendBenchmark {

    /** Concurrent CreateUser callers of the hashing flood. */
    static final int FLOOD_CALLERS = 16;
    /** Rounds of hashes/s on 1 thread, then on as many as there are processors. */
    static final int HASH_ROUNDS = 3;

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String url = System.getenv().getOrDefault("USERSTREAM_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/userstream_test");
        String user = System.getenv().getOrDefault("USERSTREAM_TEST_DB_USER", "postgres");
        String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

        Argon2idPasswordHasher argon2 = new Argon2idPasswordHasher(Argon2idPasswordHasher.OWASP);
        for (int i = 0; i < 5; i++) { // warm-up, not counted
            argon2.hash(PlainPassword.parse("benchmark-password"));
        }

        try (PostgresDatabase database = PostgresDatabase.open(
                new PostgresSettings(url, user, "", schema, threads, Duration.ofSeconds(10)))) {
            PasswordHash constant = argon2.hash(PlainPassword.parse("benchmark-password"));
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
            PostgresUserEventStore store = new PostgresUserEventStore(database);
            UserCommandService service = new UserCommandService(store,
                    noHashing, () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
            CommandContext context = new CommandContext("bench", Optional.empty(), "bench");

            List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
            report("CreateUser", threads, seconds, PLATFORM, createUser(service, context, ids));

            // What CreateUser's advisory read of the reservations (done before hashing, so that a taken e-mail
            // or username costs no hash) costs here, where hashing is replaced and the read shows at full
            // weight: rounds alternate without it and with it.
            UserEventStore withoutRead = new UserEventStore() {
                @Override
                public List<RecordedUserEvent> load(UserId userId) {
                    return store.load(userId);
                }

                @Override
                public AppendOutcome append(AppendRequest request) {
                    return store.append(request);
                }

                @Override
                public List<Reservation> held(List<Reservation> reservations) {
                    return List.of();
                }

                @Override
                public Optional<UserId> holder(Reservation reservation) {
                    return store.holder(reservation);
                }
            };
            UserCommandService serviceWithoutRead = new UserCommandService(withoutRead, noHashing,
                    () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
            int roundSeconds = Math.max(3, seconds / 2);
            List<Double> readRatios = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                double without = report("CreateUser, no read", threads, roundSeconds, PLATFORM,
                        createUser(serviceWithoutRead, context, new ArrayList<>()));
                double with = report("CreateUser", threads, roundSeconds, PLATFORM,
                        createUser(service, context, new ArrayList<>()));
                readRatios.add(with / without);
            }
            System.out.printf("CreateUser with / without the advisory read before hashing: %.2f x, %.2f x%n",
                    readRatios.get(0), readRatios.get(1));
            Operation updateProfile = (thread, i) -> {
                String id = ids.get((thread * 7919 + i) % ids.size());
                service.updateProfile(new UpdateProfileUseCase.UpdateProfile(id, Optional.of("n" + i),
                        Optional.empty(), Optional.empty(), OptionalLong.empty()), context);
            };
            report("UpdateProfile", threads, seconds, PLATFORM, updateProfile);

            // ---- password hashing beside the commands ----
            // Rounds alternate 1 thread and N threads, so the drift of a shared machine hits both; each round
            // gives a ratio, reported as the median and its spread.
            int processors = Runtime.getRuntime().availableProcessors();
            List<double[]> rounds = new ArrayList<>();
            for (int round = 0; round < HASH_ROUNDS; round++) {
                double one = hashRate(argon2, 1, roundSeconds);
                double all = hashRate(argon2, processors, roundSeconds);
                rounds.add(new double[] {one, all, all / one});
                System.out.printf("argon2id (m=19456,t=2,p=1) round %d: %5.1f hashes/s on 1 thread (%.1f ms each),"
                        + " %5.1f hashes/s on %d threads: %.2f x%n", round + 1, one, 1000 / one, all, processors,
                        all / one);
            }
            rounds.sort(java.util.Comparator.comparingDouble(r -> r[2]));
            double[] median = rounds.get(rounds.size() / 2);
            System.out.printf("argon2id hashes/s, %d-thread / 1-thread: median %.2f x (%.2f–%.2f) of %d rounds of %d s"
                    + " (median round: %.1f and %.1f hashes/s)%n", processors, median[2], rounds.getFirst()[2],
                    rounds.getLast()[2], HASH_ROUNDS, roundSeconds, median[0], median[1]);

            report("UpdateProfile, no hashing", threads, seconds, VIRTUAL, updateProfile);
            UserCommandService unbounded = new UserCommandService(store, argon2,
                    () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
            Flood onCallers = new Flood(unbounded, context, "u");
            try {
                report("UpdateProfile, flood, hash on caller", threads, seconds, VIRTUAL, updateProfile);
            } finally {
                onCallers.close();
            }
            onCallers.print();
            // The default pool, then (where it differs) one thread per processor.
            List<BoundedPasswordHasher.Limits> pools = new ArrayList<>(List.of(BoundedPasswordHasher.Limits.defaults()));
            if (pools.getFirst().threads() != processors) {
                pools.add(new BoundedPasswordHasher.Limits(processors, 2 * processors));
            }
            for (BoundedPasswordHasher.Limits limits : pools) {
                try (BoundedPasswordHasher pool = new BoundedPasswordHasher(argon2, limits)) {
                    UserCommandService bounded = new UserCommandService(store, pool,
                            () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
                    Flood onPool = new Flood(bounded, context, "b" + limits.threads());
                    try {
                        report("UpdateProfile, flood, pool " + limits.threads() + "+" + limits.queue(), threads,
                                seconds, VIRTUAL, updateProfile);
                    } finally {
                        onPool.close();
                    }
                    onPool.print();
                }
            }
        } finally {
            try (Connection connection = DriverManager.getConnection(url, user, "");
                 Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private interface Operation {
        void run(int thread, int iteration) throws Exception;
    }

    /** CreateUser with a fresh e-mail and username each time; every 8th id goes to {@code ids}. */
    private static Operation createUser(UserCommandService service, CommandContext context, List<String> ids) {
        return (thread, i) -> {
            String name = "b" + thread + "x" + i + "x" + UUID.randomUUID().toString().substring(0, 6);
            User created = service.createUser(new CreateUserUseCase.CreateUser(name + "@example.com", name,
                    "benchmark-password", "", "", ""), context);
            if (i % 8 == 0) {
                ids.add(created.id().toString());
            }
        };
    }

    private static final ThreadFactory PLATFORM = Thread.ofPlatform().factory();
    /** As the gRPC server runs calls: a virtual thread each, on as many carriers as there are processors. */
    private static final ThreadFactory VIRTUAL = Thread.ofVirtual().factory();

    /** Argon2id hashes per second on {@code threads} platform threads, hashing back to back. */
    private static double hashRate(PasswordHasher hasher, int threads, int seconds) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        AtomicLong hashes = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < deadline) {
                    hasher.hash(PlainPassword.parse("benchmark-password"));
                    hashes.incrementAndGet();
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return hashes.get() / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * {@value #FLOOD_CALLERS} virtual threads registering users back to back with real hashing until closed;
     * a refused caller waits the retry hint, as a client honouring {@code RetryInfo} would.
     */
    private static final class Flood implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong created = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final List<Thread> callers = new ArrayList<>();
        private final long start = System.nanoTime();
        private long end;

        Flood(UserCommandService service, CommandContext context, String prefix) {
            String run = UUID.randomUUID().toString().substring(0, 6);
            for (int t = 0; t < FLOOD_CALLERS; t++) {
                int thread = t;
                callers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        String name = "f" + prefix + run + "x" + thread + "x" + i;
                        try {
                            service.createUser(new CreateUserUseCase.CreateUser(name + "@example.com", name,
                                    "benchmark-password", "", "", ""), context);
                            created.incrementAndGet();
                        } catch (PasswordHashingSaturatedException e) {
                            refused.incrementAndGet();
                            try {
                                Thread.sleep(e.retryAfter());
                            } catch (InterruptedException interrupted) {
                                return;
                            }
                        }
                    }
                }));
            }
        }

        void print() {
            double elapsed = (end - start) / 1e9;
            System.out.printf("  %d CreateUser callers meanwhile: %5.1f created/s (hashes/s), %6.1f refused/s%n",
                    FLOOD_CALLERS, created.get() / elapsed, refused.get() / elapsed);
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread caller : callers) {
                caller.join();
            }
            end = System.nanoTime();
        }
    }

    /** Runs {@code operation} on {@code threads} threads for {@code seconds}, prints the figures; returns ops/s. */
    private static double report(String name, int threads, int seconds, ThreadFactory factory, Operation operation)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(threads, factory);
        List<Future<long[]>> results = new ArrayList<>();
        AtomicLong failed = new AtomicLong();
        List<String> firstFailure = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                long[] latencies = new long[1 << 20];
                int n = 0;
                while (System.nanoTime() < deadline && n < latencies.length) {
                    long begin = System.nanoTime();
                    try {
                        operation.run(thread, n);
                    } catch (RuntimeException e) {
                        // Counted, and its latency kept: a call that times out is what a starved caller sees.
                        if (failed.incrementAndGet() == 1) {
                            firstFailure.add(e.toString());
                        }
                    }
                    latencies[n++] = System.nanoTime() - begin;
                }
                return Arrays.copyOf(latencies, n);
            }));
        }
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> result : results) {
            all.add(result.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        System.out.printf("%-38s %2d %s threads %3ds: %7d ops, %8.0f ops/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                name, threads, factory == VIRTUAL ? "virtual" : "platform", seconds, merged.length,
                merged.length / elapsed, merged[merged.length / 2] / 1e6, merged[(int) (merged.length * 0.99)] / 1e6,
                merged[merged.length - 1] / 1e6);
        if (failed.get() > 0) {
            System.out.printf("  %d of them failed, the first with %s%n", failed.get(), firstFailure.getFirst());
        }
        return merged.length / elapsed;
    }
}
