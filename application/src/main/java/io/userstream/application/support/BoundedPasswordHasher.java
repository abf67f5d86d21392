package io.userstream.application.support;

import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.PasswordHashingSaturatedException;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A {@link PasswordHasher} that runs another one's hashes on a fixed pool of {@link Limits#threads()}
 * platform threads, with at most {@link Limits#queue()} more waiting for a thread. Any call beyond that
 * fails at once with {@link PasswordHashingSaturatedException}: back-pressure instead of an unbounded pile
 * of 19 MiB Argon2id computations. Both {@link #hash} and {@link #matches} go through the pool.
 *
 * <p>Why its own threads, and platform ones: the gRPC calls run on virtual threads, and a virtual thread
 * that computes for 80 ms holds its carrier thread all that time (there is no preemption), so as many
 * concurrent hashes as there are cores would stop every other request. On platform threads the
 * operating system time-slices the hashes with the carriers, and the limit keeps the hashes to fewer
 * threads than there are cores by default. The caller's virtual thread parks while it waits, which
 * frees its carrier.
 *
 * <p>Memory stays bounded: at most {@code threads} hashes allocate their memory at once; a waiting call
 * holds only its password.
 */
public final class BoundedPasswordHasher implements PasswordHasher, AutoCloseable {

    /** The hint given before any hash has been timed (about one OWASP-cost Argon2id hash on one core). */
    static final Duration UNMEASURED_HASH_TIME = Duration.ofMillis(100);

    /**
     * How much hashing may go on at once.
     *
     * @param threads hashes computed at the same time, each on its own platform thread; at least 1
     * @param queue   calls that may wait for a free thread; 0 refuses whatever cannot start at once
     */
    public record Limits(int threads, int queue) {

        public Limits {
            if (threads < 1) {
                throw new IllegalArgumentException("password hashing threads must be at least 1, not " + threads);
            }
            if (queue < 0) {
                throw new IllegalArgumentException("password hashing queue must be at least 0, not " + queue);
            }
        }

        /**
         * The defaults for a machine with {@code processors} cores: one core fewer than there are (at least
         * one), so that a flood of hashes leaves a core to everything else, and twice that many waiting.
         */
        public static Limits forProcessors(int processors) {
            int threads = Math.max(1, processors - 1);
            return new Limits(threads, 2 * threads);
        }

        /** {@link #forProcessors} of this JVM's available processors. */
        public static Limits defaults() {
            return forProcessors(Runtime.getRuntime().availableProcessors());
        }
    }

    /** What a hash was for, as counted. */
    public enum Operation {
        /** {@link PasswordHasher#hash}: a new password (CreateUser, ChangePassword). */
        HASH,
        /** {@link PasswordHasher#matches}: a password checked against a stored hash. */
        VERIFY
    }

    private final PasswordHasher delegate;
    private final Limits limits;
    /** One permit per call admitted, running or waiting: {@code threads + queue} in all. */
    private final Semaphore admissions;
    private final ExecutorService workers;
    private final AtomicInteger running = new AtomicInteger();
    private final Map<Operation, LongAdder> done = new EnumMap<>(Operation.class);
    private final Map<Operation, LongAdder> rejected = new EnumMap<>(Operation.class);
    /** Moving average of one hash's duration in nanoseconds (0 until the first hash ends). */
    private volatile long averageNanos;

    public BoundedPasswordHasher(PasswordHasher delegate, Limits limits) {
        this.delegate = delegate;
        this.limits = limits;
        this.admissions = new Semaphore(limits.threads() + limits.queue());
        this.workers = Executors.newFixedThreadPool(limits.threads(),
                Thread.ofPlatform().daemon().name("password-hashing-", 0).factory());
        for (Operation operation : Operation.values()) {
            done.put(operation, new LongAdder());
            rejected.put(operation, new LongAdder());
        }
    }

    @Override
    public PasswordHash hash(PlainPassword password) {
        return run(Operation.HASH, () -> delegate.hash(password));
    }

    @Override
    public boolean matches(PlainPassword password, PasswordHash hash) {
        return run(Operation.VERIFY, () -> delegate.matches(password, hash));
    }

    /** Not on the pool: reading a hash's parameters costs no hashing. */
    @Override
    public boolean needsRehash(PasswordHash hash) {
        return delegate.needsRehash(hash);
    }

    @Override
    public boolean canVerify(PasswordHash hash) {
        return delegate.canVerify(hash);
    }

    private <T> T run(Operation operation, Supplier<T> work) {
        if (!admissions.tryAcquire()) {
            rejected.get(operation).increment();
            throw saturated();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            workers.execute(() -> compute(operation, work, result));
        } catch (RejectedExecutionException e) {
            admissions.release();
            throw new IllegalStateException("password hashing is shut down", e);
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            // The waiting call is given up; a hash not yet started is skipped (see compute).
            result.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for password hashing", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("password hashing failed", e.getCause());
        }
    }

    /** On a worker: hashes (unless the caller has given up), then frees the admission before answering. */
    private <T> void compute(Operation operation, Supplier<T> work, CompletableFuture<T> result) {
        if (result.isDone()) {
            admissions.release();
            return;
        }
        T value = null;
        Throwable failure = null;
        running.incrementAndGet();
        long start = System.nanoTime();
        try {
            value = work.get();
        } catch (Throwable t) {
            failure = t;
        } finally {
            record(System.nanoTime() - start);
            running.decrementAndGet();
            done.get(operation).increment();
            // Released before the caller hears back, so a caller that was answered can always be admitted again.
            admissions.release();
        }
        if (failure == null) {
            result.complete(value);
        } else {
            result.completeExceptionally(failure);
        }
    }

    /** Not atomic: two workers ending at once may lose a sample, which a moving average can afford. */
    private void record(long nanos) {
        long average = averageNanos;
        averageNanos = average == 0 ? nanos : average + (nanos - average) / 8;
    }

    private PasswordHashingSaturatedException saturated() {
        return new PasswordHashingSaturatedException("password hashing capacity is saturated ("
                + limits.threads() + " running, " + limits.queue() + " waiting); retry later", retryAfter());
    }

    /** About how long the calls admitted now need to drain: one hash per thread for each round of them. */
    Duration retryAfter() {
        long average = averageNanos;
        Duration hash = average == 0 ? UNMEASURED_HASH_TIME : Duration.ofNanos(average);
        int rounds = (limits.threads() + limits.queue() + limits.threads() - 1) / limits.threads();
        Duration drain = hash.multipliedBy(rounds);
        // Whole milliseconds, rounded up: a delay of 0 would invite an immediate retry.
        return Duration.ofMillis(Math.max(1, (drain.toNanos() + 999_999) / 1_000_000));
    }

    /** The limits this hasher was made with. */
    public Limits limits() {
        return limits;
    }

    /** Hashes being computed now. */
    public int running() {
        return running.get();
    }

    /** Calls admitted and waiting for a thread now. */
    public int waiting() {
        int admitted = limits.threads() + limits.queue() - admissions.availablePermits();
        return Math.max(0, admitted - running.get());
    }

    /** Hashes computed (whatever their result) since start. */
    public long done(Operation operation) {
        return done.get(operation).sum();
    }

    /** Calls refused with {@link PasswordHashingSaturatedException} since start. */
    public long rejected(Operation operation) {
        return rejected.get(operation).sum();
    }

    /**
     * Takes no new calls; those admitted still run (at most {@code threads + queue} hashes), on daemon
     * threads that never keep the JVM alive.
     */
    @Override
    public void close() {
        workers.shutdown();
    }
}
