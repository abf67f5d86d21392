package io.userstream.application.fakes;

import io.userstream.application.port.out.UserStatsStore;
import io.userstream.domain.stats.UserStats;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * An in-memory {@link UserStatsStore} with the contract of the PostgreSQL one: a transaction's inbox
 * entries and saves become visible together at commit, or not at all if its work throws;
 * {@code insertIfAbsent} lets exactly one of many concurrent callers win; {@code save} never moves a
 * row back to an older version.
 *
 * <p>Transactions run one at a time, which is what row locks give transactions that touch the same
 * user (the only ones the tests run concurrently).
 */
public final class InMemoryUserStatsStore implements UserStatsStore {

    private final Map<UUID, UserStats> rows = new HashMap<>();
    private final Set<UUID> processed = new HashSet<>();
    private final ReentrantLock transactionLock = new ReentrantLock();
    private int inserts;
    private int commits;
    private int rollbacks;

    /** Stores {@code stats} as they are, as an earlier run of the service would have. */
    public synchronized void put(UserStats stats) {
        rows.put(stats.userId(), stats);
    }

    /** Records an event as processed, as an earlier run of the service would have. */
    public synchronized void putProcessed(UUID eventId) {
        processed.add(eventId);
    }

    @Override
    public synchronized Optional<UserStats> find(UUID userId) {
        return Optional.ofNullable(rows.get(userId));
    }

    @Override
    public synchronized boolean insertIfAbsent(UserStats stats) {
        if (rows.containsKey(stats.userId())) {
            return false;
        }
        rows.put(stats.userId(), stats);
        inserts++;
        return true;
    }

    @Override
    public <T> T inTransaction(Function<StatsTransaction, T> work) {
        transactionLock.lock();
        try {
            Transaction transaction = new Transaction();
            T result;
            try {
                result = work.apply(transaction);
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    rollbacks++;
                }
                throw e;
            } finally {
                transaction.open = false;
            }
            commit(transaction);
            return result;
        } finally {
            transactionLock.unlock();
        }
    }

    private synchronized void commit(Transaction transaction) {
        processed.addAll(transaction.processed);
        transaction.saved.values().forEach(this::saveCommitted);
        commits++;
    }

    private void saveCommitted(UserStats stats) {
        UserStats existing = rows.get(stats.userId());
        if (existing == null || existing.lastEventVersion() < stats.lastEventVersion()) {
            rows.put(stats.userId(), stats);
        }
    }

    /** Whether the inbox holds the event (committed). */
    public synchronized boolean isProcessed(UUID eventId) {
        return processed.contains(eventId);
    }

    /** How many rows {@link #insertIfAbsent} created. */
    public synchronized int inserts() {
        return inserts;
    }

    public synchronized int commits() {
        return commits;
    }

    public synchronized int rollbacks() {
        return rollbacks;
    }

    public synchronized int size() {
        return rows.size();
    }

    /** Changes staged until commit; reads see them on top of the committed state. */
    private final class Transaction implements StatsTransaction {

        private final Set<UUID> processed = new HashSet<>();
        private final Map<UUID, UserStats> saved = new LinkedHashMap<>();
        private volatile boolean open = true;

        @Override
        public boolean markProcessed(UUID eventId) {
            requireOpen();
            synchronized (InMemoryUserStatsStore.this) {
                if (InMemoryUserStatsStore.this.processed.contains(eventId)) {
                    return false;
                }
            }
            return processed.add(eventId);
        }

        @Override
        public Optional<UserStats> lockStats(UUID userId) {
            requireOpen();
            UserStats staged = saved.get(userId);
            return staged != null ? Optional.of(staged) : find(userId);
        }

        @Override
        public void save(UserStats stats) {
            requireOpen();
            UserStats existing = lockStats(stats.userId()).orElse(null);
            if (existing == null || existing.lastEventVersion() < stats.lastEventVersion()) {
                saved.put(stats.userId(), stats);
            }
        }

        private void requireOpen() {
            if (!open) {
                throw new IllegalStateException("the transaction has ended");
            }
        }
    }
}
