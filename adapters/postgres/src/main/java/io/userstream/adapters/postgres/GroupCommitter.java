package io.userstream.adapters.postgres;

import io.userstream.application.port.out.StoreUnavailableException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: concurrent requests are written together, one statement and one commit for a group,
 * instead of one each. No thread of its own and no timer: the callers commit. A caller queues its request
 * and, if fewer than {@code committers} groups are being committed, becomes a committer itself: it takes
 * everything queued at that moment (its own request among it, at most {@code maxGroup}), writes it, hands
 * every request of the group its result, and wakes the oldest request still queued, whose caller then
 * commits the next group. Otherwise it waits for its result, or for its turn to commit. A lone request is
 * therefore written at once on its caller's thread, as if there were no grouping: nothing lingers for
 * company, and no hand-off to another thread costs a wake-up; requests group only while others are being
 * committed, exactly as much as the database makes them wait.
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
    /** Guarded by {@link #lock}: requests no committer has taken yet, oldest first. */
    private final ArrayDeque<Slot<T, R>> queue = new ArrayDeque<>();
    /** Guarded by {@link #lock}: groups being committed now. */
    private int committing;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    private final LongAdder groups = new LongAdder();
    private final LongAdder grouped = new LongAdder();

    GroupCommitter(Writer<T, R> writer, GroupCommitSettings settings) {
        this.writer = writer;
        this.committers = settings.committers();
        this.maxGroup = settings.maxGroup();
        this.maxWaitNanos = settings.maxWait().toNanos();
    }

    /**
     * Writes {@code request} in a group and returns its result, or throws what writing it threw (or a
     * {@link StoreUnavailableException} if it waited {@code maxWait} in the queue or the committer is closed).
     */
    R submit(T request) {
        Slot<T, R> slot = new Slot<>(request);
        long deadline = System.nanoTime() + maxWaitNanos;
        lock.lock();
        try {
            if (closed) {
                throw new StoreUnavailableException("cannot append: the event store is closed", null);
            }
            queue.addLast(slot);
        } finally {
            lock.unlock();
        }
        while (!slot.done) {
            List<Slot<T, R>> group = takeGroup();
            if (group != null) {
                commit(group);
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 && giveUp(slot)) {
                break;
            }
            // Woken by its result, or to commit the next group; re-checks at the deadline at the latest
            // (then, if taken meanwhile, once a second until its committer gives it its result).
            LockSupport.parkNanos(this, left > 0 ? left : TimeUnit.SECONDS.toNanos(1));
        }
        if (slot.failure != null) {
            throw slot.failure;
        }
        return slot.result;
    }

    /** A group to commit if a committer is free and anything is queued; else null. */
    private List<Slot<T, R>> takeGroup() {
        lock.lock();
        try {
            if (committing >= committers || queue.isEmpty()) {
                return null;
            }
            committing++;
            List<Slot<T, R>> group = new ArrayList<>(Math.min(queue.size(), maxGroup));
            while (group.size() < maxGroup && !queue.isEmpty()) {
                Slot<T, R> slot = queue.pollFirst();
                slot.taken = true;
                group.add(slot);
            }
            return group;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes the group; whatever happens, every slot gets a result, the committer is free again, and the
     * oldest request still queued is woken to commit the next group.
     */
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
                slot.fail(new IllegalStateException("group commit gave this append no result"));
            }
            Thread next = null;
            lock.lock();
            try {
                committing--;
                if (!queue.isEmpty()) {
                    next = queue.peekFirst().caller;
                }
            } finally {
                lock.unlock();
            }
            if (next != null) {
                LockSupport.unpark(next);
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

    /** Refuses new requests and fails the queued ones (nothing of them written); groups being committed finish. */
    @Override
    public void close() {
        List<Slot<T, R>> refused;
        lock.lock();
        try {
            closed = true;
            refused = new ArrayList<>(queue);
            queue.clear();
            refused.forEach(slot -> slot.taken = true);
        } finally {
            lock.unlock();
        }
        for (Slot<T, R> slot : refused) {
            slot.fail(new StoreUnavailableException("cannot append: the event store closed; nothing was written",
                    null));
        }
    }
}
