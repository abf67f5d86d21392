package io.userstream.application.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.userstream.application.fakes.FakePasswordHasher;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.PasswordHashingSaturatedException;
import io.userstream.application.support.BoundedPasswordHasher.Limits;
import io.userstream.application.support.BoundedPasswordHasher.Operation;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bounded pool with a hasher that blocks until the test lets it go: every assertion is about who got
 * in and who was refused while the hashes are held, never about how long something took. The only
 * timeouts are there so that a broken pool fails the test instead of hanging it.
 */
class BoundedPasswordHasherTest {

    static final PlainPassword PASSWORD = PlainPassword.parse("correct horse battery staple");
    /** Long enough for a loaded 2-core CI machine; reached only if the pool is broken. */
    static final long TIMEOUT_SECONDS = 30;

    /** Blocks every hash until {@link #release()}; tells how many hashes have started. */
    static final class BlockingHasher implements PasswordHasher {
        final FakePasswordHasher real = new FakePasswordHasher();
        final CountDownLatch released = new CountDownLatch(1);
        final Semaphore started = new Semaphore(0);
        final AtomicInteger concurrent = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public PasswordHash hash(PlainPassword password) {
            hold();
            return real.hash(password);
        }

        @Override
        public boolean matches(PlainPassword password, PasswordHash hash) {
            hold();
            return real.matches(password, hash);
        }

        private void hold() {
            threads.add(Thread.currentThread());
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            started.release();
            try {
                if (!released.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the hasher");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                concurrent.decrementAndGet();
            }
        }

        void awaitStarted(int hashes) throws InterruptedException {
            assertThat(started.tryAcquire(hashes, TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .as("%d hashes started", hashes).isTrue();
        }

        void release() {
            released.countDown();
        }
    }

    BlockingHasher blocking;
    BoundedPasswordHasher bounded;
    ExecutorService callers;

    @BeforeEach
    void setUp() {
        blocking = new BlockingHasher();
        callers = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void tearDown() {
        blocking.release();
        callers.shutdownNow();
        if (bounded != null) {
            bounded.close();
        }
    }

    /** Starts {@code count} hash calls from virtual threads, like gRPC calls. */
    List<Future<PasswordHash>> hashFrom(int count) {
        List<Future<PasswordHash>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(callers.submit(() -> bounded.hash(PASSWORD)));
        }
        return calls;
    }

    /** Waits until the pool counts {@code count} calls waiting for a thread. */
    void awaitWaiting(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (bounded.waiting() < count) {
            assertThat(System.nanoTime()).as("%d calls waiting", count).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void when_threads_and_queue_are_full_the_next_call_is_refused_at_once_and_later_calls_succeed() throws Exception {
        bounded = new BoundedPasswordHasher(blocking, new Limits(2, 3));
        List<Future<PasswordHash>> admitted = hashFrom(5);
        blocking.awaitStarted(2);
        awaitWaiting(3);

        // Saturated: refused on the calling thread, without waiting for the held hashes.
        PasswordHashingSaturatedException refused = catchThrowableOfType(PasswordHashingSaturatedException.class,
                () -> bounded.hash(PASSWORD));
        assertThat(refused).isNotNull();
        assertThat(refused.getMessage()).contains("password hashing capacity is saturated").contains("retry later");
        assertThat(refused.retryAfter()).isPositive();
        assertThatThrownBy(() -> bounded.matches(PASSWORD, new PasswordHash("$fake$1$00")))
                .isInstanceOf(PasswordHashingSaturatedException.class);
        assertThat(bounded.rejected(Operation.HASH)).isEqualTo(1);
        assertThat(bounded.rejected(Operation.VERIFY)).isEqualTo(1);
        assertThat(bounded.running()).isEqualTo(2);
        assertThat(bounded.waiting()).isEqualTo(3);
        assertThat(admitted).noneMatch(Future::isDone);

        blocking.release();

        for (Future<PasswordHash> call : admitted) {
            assertThat(call.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).encoded()).startsWith("$fake$");
        }
        assertThat(blocking.maxConcurrent).hasValue(2);
        assertThat(bounded.done(Operation.HASH)).isEqualTo(5);
        // Capacity is free again as soon as the callers were answered.
        assertThat(bounded.running()).isZero();
        assertThat(bounded.waiting()).isZero();
        PasswordHash after = bounded.hash(PASSWORD);
        assertThat(bounded.matches(PASSWORD, after)).isTrue();
        assertThat(bounded.done(Operation.VERIFY)).isEqualTo(1);
    }

    @Test
    void with_no_queue_only_as_many_calls_as_threads_are_admitted() throws Exception {
        bounded = new BoundedPasswordHasher(blocking, new Limits(1, 0));
        List<Future<PasswordHash>> admitted = hashFrom(1);
        blocking.awaitStarted(1);

        assertThatThrownBy(() -> bounded.hash(PASSWORD)).isInstanceOf(PasswordHashingSaturatedException.class);

        blocking.release();
        admitted.getFirst().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        // Answered means released: the very next call is admitted, with no race against the worker.
        assertThat(bounded.hash(PASSWORD).encoded()).startsWith("$fake$");
    }

    @Test
    void a_flood_gets_exactly_threads_plus_queue_admissions_and_the_rest_refused() throws Exception {
        bounded = new BoundedPasswordHasher(blocking, new Limits(1, 2));
        List<Future<PasswordHash>> calls = hashFrom(20);
        blocking.awaitStarted(1);
        awaitWaiting(2);

        // While the hashes are held, every call beyond the three admitted comes back, refused.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (calls.stream().filter(Future::isDone).count() < 17) {
            assertThat(System.nanoTime()).as("17 calls refused").isLessThan(deadline);
            Thread.sleep(1);
        }
        int refused = 0;
        for (Future<PasswordHash> call : calls) {
            if (call.isDone()) {
                assertThat(call.state()).isEqualTo(Future.State.FAILED);
                assertThat(call.exceptionNow()).isInstanceOf(PasswordHashingSaturatedException.class);
                refused++;
            }
        }
        assertThat(refused).isEqualTo(17);
        assertThat(bounded.rejected(Operation.HASH)).isEqualTo(17);

        blocking.release();
        int hashed = 0;
        for (Future<PasswordHash> call : calls) {
            try {
                call.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                hashed++;
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(PasswordHashingSaturatedException.class);
            }
        }
        assertThat(hashed).isEqualTo(3);
        assertThat(blocking.maxConcurrent).hasValue(1);
    }

    @Test
    void hashes_run_on_the_pools_platform_threads_not_on_the_callers_virtual_threads() throws Exception {
        bounded = new BoundedPasswordHasher(blocking, new Limits(1, 0));
        blocking.release();

        callers.submit(() -> bounded.hash(PASSWORD)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

        Thread worker = blocking.threads.getFirst();
        assertThat(worker.isVirtual()).isFalse();
        assertThat(worker.isDaemon()).isTrue();
        assertThat(worker.getName()).startsWith("password-hashing-");
    }

    @Test
    void a_failure_of_the_hasher_reaches_the_caller_and_frees_the_capacity() {
        PasswordHasher failing = new PasswordHasher() {
            @Override
            public PasswordHash hash(PlainPassword password) {
                throw new IllegalArgumentException("unsupported");
            }

            @Override
            public boolean matches(PlainPassword password, PasswordHash hash) {
                return false;
            }
        };
        bounded = new BoundedPasswordHasher(failing, new Limits(1, 0));

        assertThatThrownBy(() -> bounded.hash(PASSWORD)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported");
        assertThatThrownBy(() -> bounded.hash(PASSWORD)).isInstanceOf(IllegalArgumentException.class);
        assertThat(bounded.matches(PASSWORD, new PasswordHash("$fake$1$00"))).isFalse();
    }

    @Test
    void a_closed_hasher_refuses_new_calls() {
        bounded = new BoundedPasswordHasher(new FakePasswordHasher(), new Limits(1, 1));
        bounded.close();

        assertThatThrownBy(() -> bounded.hash(PASSWORD)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shut down");
        // The refused call gave its admission back.
        assertThat(bounded.waiting()).isZero();
    }

    @Test
    void the_retry_hint_is_the_time_to_drain_what_is_admitted() {
        bounded = new BoundedPasswordHasher(new FakePasswordHasher(), new Limits(2, 4));
        // Before any hash is timed: the estimate, times 3 rounds of 2 threads for 6 admitted calls.
        assertThat(bounded.retryAfter()).isEqualTo(BoundedPasswordHasher.UNMEASURED_HASH_TIME.multipliedBy(3));

        bounded.hash(PASSWORD);

        assertThat(bounded.retryAfter()).isPositive().isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void limits_default_to_one_thread_fewer_than_the_cores_and_twice_as_many_waiting() {
        assertThat(Limits.forProcessors(1)).isEqualTo(new Limits(1, 2));
        assertThat(Limits.forProcessors(2)).isEqualTo(new Limits(1, 2));
        assertThat(Limits.forProcessors(8)).isEqualTo(new Limits(7, 14));
        assertThatThrownBy(() -> new Limits(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Limits(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
