package io.userstream.bootstrap.bench;

import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.adapters.postgres.PostgresDatabase;
import io.userstream.adapters.postgres.PostgresSettings;
import io.userstream.adapters.postgres.PostgresUserEventStore;
import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.User;

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

/**
 * Throughput of the write side against the real PostgreSQL: CreateUser (append + 2 reservation
 * claims) and UpdateProfile (load + append) through {@link UserCommandService} and
 * {@link PostgresUserEventStore}, N threads for a fixed time each, in a throw-away schema.
 * Password hashing is replaced by a constant here (measured separately, once) so the numbers are
 * the event store's. Run with {@code ops/bench-append.sh [threads] [seconds]}.
 */
public final class AppendBenchmark {

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String url = System.getenv().getOrDefault("USERSTREAM_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/userstream_test");
        String user = System.getenv().getOrDefault("USERSTREAM_TEST_DB_USER", "postgres");
        String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

        Argon2idPasswordHasher argon2 = new Argon2idPasswordHasher(Argon2idPasswordHasher.OWASP);
        long hashStart = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            argon2.hash(PlainPassword.parse("benchmark-password"));
        }
        System.out.printf("argon2id (m=19456,t=2,p=1) hash: %.1f ms each (mean of 10, one thread)%n",
                (System.nanoTime() - hashStart) / 10 / 1e6);

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
            UserCommandService service = new UserCommandService(new PostgresUserEventStore(database),
                    noHashing, () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
            CommandContext context = new CommandContext("bench", Optional.empty(), "bench");

            List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
            report("CreateUser", threads, seconds, (thread, i) -> {
                String name = "b" + thread + "x" + i + "x" + UUID.randomUUID().toString().substring(0, 6);
                User created = service.createUser(new CreateUserUseCase.CreateUser(name + "@example.com", name,
                        "benchmark-password", "", "", ""), context);
                if (i % 8 == 0) {
                    ids.add(created.id().toString());
                }
            });
            report("UpdateProfile", threads, seconds, (thread, i) -> {
                String id = ids.get((thread * 7919 + i) % ids.size());
                service.updateProfile(new UpdateProfileUseCase.UpdateProfile(id, Optional.of("n" + i),
                        Optional.empty(), Optional.empty(), OptionalLong.empty()), context);
            });
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

    private static void report(String name, int threads, int seconds, Operation operation) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> results = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                long[] latencies = new long[1 << 20];
                int n = 0;
                while (System.nanoTime() < deadline && n < latencies.length) {
                    long begin = System.nanoTime();
                    operation.run(thread, n);
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
        System.out.printf("%-14s %2d threads %3ds: %7d ops, %8.0f ops/s, p50 %.2f ms, p99 %.2f ms%n", name, threads,
                seconds, merged.length, merged.length / elapsed, merged[merged.length / 2] / 1e6,
                merged[(int) (merged.length * 0.99)] / 1e6);
    }
}
