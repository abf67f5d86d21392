package io.userstream.adapters.postgres;

import io.userstream.application.port.out.StoreUnavailableException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: concurrent requests are written together, one statement and one commit for a group,
 * instead of one each. A request that finds nothing being written and nothing queued is written at once on
 * its caller's thread, as if there were no grouping: no timer, nothing lingers for company, no hand-off to
 * another thread. Otherwise it is queued, and one of {@code committers} threads of the committer's own takes
 * everything queued at that moment (at most {@code maxGroup}), writes it, hands every request of the group
 * its result, and goes straight on with whatever queued meanwhile. So requests group exactly as much as the
 * database makes them wait, and under load a committer never waits to be scheduled between two groups.
 *
 * <p>A request that waits longer than {@code maxWait} in the queue (no committer took it) is taken out and
 * fails with {@link StoreUnavailableException}: nothing of it was written. One that a committer has taken
 * waits for its result, which the committer always gives (its outcome or its failure), whatever happens.
 * {@link #close()} refuses new requests and fails the queued ones the same way; groups already being
 * committed finish.
 *
 * @param <T> a request
 * @param <R> its result
 */
final class GroupCommitter<T, R> implements AutoCloseable {

    /** Writes one group: must {@link Slot#complete} or {@link Slot#fail} every slot it is given. */
    @FunctionalInterface
    interface Writer<T, R> {
        void write(List<Slot<T, R>> group);
    }

    /** One queued request and, once written, its result. */
    static final class Slot<T, R> {
        private final T request;
        private final Thread caller = Thread.currentThread();
        private volatile boolean done;
        private R result;
        private RuntimeException failure;
        /** Guarded by the committer's lock: taken out of the queue by a committer (or by its own timeout). */
        private boolean taken;

        private Slot(T request) {
            this.request = request;
        }

        T request() {
            return request;
        }

        void complete(R value) {
            if (!done) {
                result = value;
                done = true;
                LockSupport.unpark(caller);
            }
        }

        void fail(RuntimeException e) {
            if (!done) {
                failure = e;
                done = true;
                LockSupport.unpark(caller);
            }
        }

        boolean isDone() {
            return done;
        }
    }

    private final Writer<T, R> writer;
    private final int committers;
    private final int maxGroup;
    private final long maxWaitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    /** Guarded by {@link #lock}: requests no committer has taken yet, oldest first. */
    private final ArrayDeque<Slot<T, R>> queue = new ArrayDeque<>();
    /** Requests written at once on their callers' threads at most ({@link GroupCommitSettings#inline}). */
    private final int maxInline;
    /** Guarded by {@link #lock}: requests being written on their callers' threads. */
    private int inline;
    /** Guarded by {@link #lock}: groups the committer threads are writing now. */
    private int committing;
    /** Guarded by {@link #lock}: the committer threads, started with the first queued request. */
    private final List<Thread> threads = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private boolean closed;
    private final LongAdder groups = new LongAdder();
    private final LongAdder grouped = new LongAdder();

    GroupCommitter(Writer<T, R> writer, GroupCommitSettings settings) {
        this.writer = writer;
        this.committers = settings.committers();
        this.maxGroup = settings.maxGroup();
        this.maxWaitNanos = settings.maxWait().toNanos();
        this.maxInline = settings.inline();
    }

    /**
     * Writes {@code request} in a group and returns its result, or throws what writing it threw (or a
     * {@link StoreUnavailableException} if it waited {@code maxWait} in the queue or the committer is closed).
     */
    R submit(T request) {
        Slot<T, R> slot = new Slot<>(request);
        long deadline = System.nanoTime() + maxWaitNanos;
        boolean alone;
        lock.lock();
        try {
            if (closed) {
                throw new StoreUnavailableException("cannot append: the event store is closed", null);
            }
            alone = inline < maxInline && committing == 0 && queue.isEmpty();
            if (alone) {
                inline++;
                slot.taken = true;
            } else {
                queue.addLast(slot);
                if (threads.size() < committers) {
                    startCommitter();
                }
                queued.signal();
            }
        } finally {
            lock.unlock();
        }
        if (alone) {
            try {
                commit(List.of(slot));
            } finally {
                lock.lock();
                try {
                    inline--;
                } finally {
                    lock.unlock();
                }
            }
        }
        while (!slot.done) {
            long left = deadline - System.nanoTime();
            if (left <= 0 && giveUp(slot)) {
                break;
            }
            // Woken by its result; re-checks at the deadline at the latest (then, if taken meanwhile, once a
            // second until its committer gives it its result).
            LockSupport.parkNanos(this, left > 0 ? left : TimeUnit.SECONDS.toNanos(1));
        }
        if (slot.failure != null) {
            throw slot.failure;
        }
        return slot.result;
    }

    /** Guarded by {@link #lock}. */
    private void startCommitter() {
        threads.add(Thread.ofPlatform().daemon().name("userstream-group-commit-" + threads.size())
                .start(this::runCommitter));
    }

    /** A committer thread: takes everything queued, writes it, and again, until closed. */
    private void runCommitter() {
        while (true) {
            List<Slot<T, R>> group;
            lock.lock();
            try {
                while (queue.isEmpty() && !closed) {
                    queued.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return; // closed
                }
                committing++;
                group = new ArrayList<>(Math.min(queue.size(), maxGroup));
                while (group.size() < maxGroup && !queue.isEmpty()) {
                    Slot<T, R> slot = queue.pollFirst();
                    slot.taken = true;
                    group.add(slot);
                }
            } finally {
                lock.unlock();
            }
            try {
                commit(group);
            } catch (Error e) {
                // Every request of the group has its failure already; this thread goes on with the next group.
            } finally {
                lock.lock();
                try {
                    committing--;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Writes the group; whatever happens, every slot gets a result (its outcome or a failure). */
    private void commit(List<Slot<T, R>> group) {
        try {
            groups.increment();
            grouped.add(group.size());
            writer.write(group);
        } catch (RuntimeException | Error e) {
            RuntimeException failure = e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("group commit failed", e);
            for (Slot<T, R> slot : group) {
                slot.fail(failure);
            }
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            for (Slot<T, R> slot : group) {
                if (!slot.isDone()) {
                    slot.fail(new IllegalStateException("group commit gave this append no result"));
                }
            }
        }
    }

    /** Takes an expired slot out of the queue and fails it; false if a committer has taken it already. */
    private boolean giveUp(Slot<T, R> slot) {
        lock.lock();
        try {
            if (slot.taken) {
                return false;
            }
            queue.remove(slot);
            slot.taken = true;
        } finally {
            lock.unlock();
        }
        slot.fail(new StoreUnavailableException("cannot append: no committer took it within "
                + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos) + " ms; nothing was written", null));
        return true;
    }

    /** Requests queued now, no committer has taken them yet; for tests. */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Groups committed so far. */
    long groups() {
        return groups.sum();
    }

    /** Requests committed in groups so far; divided by {@link #groups()}, the mean group size. */
    long grouped() {
        return grouped.sum();
    }

    /**
     * Refuses new requests and fails the queued ones (nothing of them written); groups being committed finish,
     * and the committer threads end.
     */
    @Override
    public void close() {
        List<Slot<T, R>> refused;
        lock.lock();
        try {
            closed = true;
            refused = new ArrayList<>(queue);
            queue.clear();
            refused.forEach(slot -> slot.taken = true);
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        for (Slot<T, R> slot : refused) {
            slot.fail(new StoreUnavailableException("cannot append: the event store closed; nothing was written",
                    null));
        }
    }
}
