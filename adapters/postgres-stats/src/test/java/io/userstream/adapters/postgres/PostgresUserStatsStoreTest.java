package io.userstream.adapters.postgres;

import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.application.port.out.UserStatsStore.StatsTransaction;
import io.userstream.domain.stats.StatsStatus;
import io.userstream.domain.stats.UserStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The stats and the inbox against the real PostgreSQL, in a schema migrated with the stats migrations. */
class PostgresUserStatsStoreTest {

    // Microseconds: what PostgreSQL keeps of an instant.
    private static final Instant MEMBER_SINCE = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final Instant LAST_ACTIVITY = MEMBER_SINCE.plusSeconds(3600);
    private static final Instant WRITTEN = Instant.parse("2026-02-03T04:05:06.654321Z");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestDatabase db;
    private static PostgresUserStatsStore store;

    @BeforeAll
    static void open() {
        db = TestDatabase.createStats();
        store = new PostgresUserStatsStore(db.database().dbClient());
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    private static UserStats stats(UUID user, long version) {
        return new UserStats(user, StatsStatus.ACTIVE, MEMBER_SINCE, version - 1, 0, 0, LAST_ACTIVITY, version, null,
                WRITTEN, WRITTEN.plusSeconds(version));
    }

    // ---- find and insertIfAbsent ----

    @Test
    void an_unknown_user_has_no_stats() {
        assertThat(store.find(UUID.randomUUID())).isEmpty();
    }

    @Test
    void stats_read_back_as_they_were_stored() {
        UserStats fromEvents = new UserStats(UUID.randomUUID(), StatsStatus.INACTIVE, MEMBER_SINCE, 3, 2, 1,
                LAST_ACTIVITY, 9, null, WRITTEN, WRITTEN.plusSeconds(1));
        UserStats repaired = new UserStats(UUID.randomUUID(), StatsStatus.DELETED, MEMBER_SINCE, 0, 0, 0,
                LAST_ACTIVITY, 2, WRITTEN, WRITTEN, WRITTEN);

        assertThat(store.insertIfAbsent(fromEvents)).isTrue();
        assertThat(store.insertIfAbsent(repaired)).isTrue();

        assertThat(store.find(fromEvents.userId())).contains(fromEvents);
        assertThat(store.find(repaired.userId())).contains(repaired);
    }

    @Test
    void a_second_insert_for_the_same_user_changes_nothing() {
        UUID user = UUID.randomUUID();
        UserStats first = stats(user, 1);

        assertThat(store.insertIfAbsent(first)).isTrue();
        assertThat(store.insertIfAbsent(stats(user, 5))).isFalse();

        assertThat(store.find(user)).contains(first);
    }

    @Test
    void of_twenty_concurrent_inserts_for_one_user_exactly_one_wins() throws Exception {
        int writers = 20;
        UUID user = UUID.randomUUID();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Boolean>> inserts = new ArrayList<>();
            for (int i = 1; i <= writers; i++) {
                UserStats candidate = stats(user, i);
                inserts.add(pool.submit(() -> {
                    assertThat(start.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                    return store.insertIfAbsent(candidate);
                }));
            }
            start.countDown();
            List<Integer> winners = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                if (inserts.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    winners.add(i + 1);
                }
            }

            assertThat(winners).hasSize(1);
            assertThat(store.find(user)).contains(stats(user, winners.getFirst()));
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- transactions ----

    @Test
    void a_transaction_commits_its_inbox_entry_and_its_stats_together() {
        UUID user = UUID.randomUUID();
        UUID event = UUID.randomUUID();

        String result = store.inTransaction(tx -> {
            assertThat(tx.markProcessed(event)).isTrue();
            assertThat(tx.lockStats(user)).isEmpty();
            tx.save(stats(user, 1));
            return "done";
        });

        assertThat(result).isEqualTo("done");
        assertThat(store.find(user)).contains(stats(user, 1));
        assertThat(inboxHolds(event)).isTrue();
    }

    @Test
    void a_transaction_whose_work_throws_leaves_neither_inbox_entry_nor_stats() {
        UUID user = UUID.randomUUID();
        UUID event = UUID.randomUUID();
        IllegalStateException failure = new IllegalStateException("the work failed");

        Throwable thrown = catchThrowable(() -> store.inTransaction(tx -> {
            tx.markProcessed(event);
            tx.save(stats(user, 1));
            throw failure;
        }));

        assertThat(thrown).isSameAs(failure);
        assertThat(store.find(user)).isEmpty();
        assertThat(inboxHolds(event)).isFalse();
        boolean processedLater = store.inTransaction(tx -> tx.markProcessed(event));
        assertThat(processedLater).as("the event can still be processed").isTrue();
    }

    @Test
    void a_transaction_the_database_aborts_is_rolled_back_and_run_again() throws SQLException {
        UUID user = UUID.randomUUID();
        UUID event = UUID.randomUUID();
        // The first save is aborted as in a deadlock, after the inbox entry of the same transaction.
        db.failNextInserts("user_stats", "NEW.user_id = '" + user + "'", 1, "40P01", null);
        AtomicInteger runs = new AtomicInteger();

        boolean applied = store.inTransaction(tx -> {
            runs.incrementAndGet();
            boolean fresh = tx.markProcessed(event);
            tx.save(stats(user, 1));
            return fresh;
        });

        assertThat(runs).hasValue(2);
        assertThat(applied).as("the aborted run's inbox entry was rolled back").isTrue();
        assertThat(store.find(user)).contains(stats(user, 1));
        assertThat(inboxHolds(event)).isTrue();
    }

    @Test
    void a_transaction_the_database_keeps_aborting_is_unavailable_and_leaves_nothing() throws SQLException {
        UUID user = UUID.randomUUID();
        UUID event = UUID.randomUUID();
        db.failNextInserts("user_stats", "NEW.user_id = '" + user + "'", Db.MAX_ATTEMPTS, "40001", null);

        assertThatThrownBy(() -> store.inTransaction(tx -> {
            tx.markProcessed(event);
            tx.save(stats(user, 1));
            return null;
        })).isInstanceOf(StoreUnavailableException.class).hasMessageContaining("40001");
        assertThat(inboxHolds(event)).isFalse();
        assertThat(store.find(user)).isEmpty();
    }

    @Test
    void an_event_is_processed_only_once() {
        UUID event = UUID.randomUUID();

        List<Boolean> inOneTransaction = store.inTransaction(tx -> List.of(tx.markProcessed(event),
                tx.markProcessed(event)));
        boolean inALaterOne = store.inTransaction(tx -> tx.markProcessed(event));

        assertThat(inOneTransaction).containsExactly(true, false);
        assertThat(inALaterOne).isFalse();
    }

    @Test
    void save_replaces_older_stats_and_never_goes_back_to_an_older_version() {
        UUID user = UUID.randomUUID();
        UserStats v3 = new UserStats(user, StatsStatus.DELETED, MEMBER_SINCE, 1, 1, 0, LAST_ACTIVITY.plusSeconds(60), 3,
                WRITTEN, WRITTEN, WRITTEN.plusSeconds(60));
        store.inTransaction(tx -> {
            tx.save(stats(user, 1));
            return null;
        });

        store.inTransaction(tx -> {
            tx.save(v3);
            return null;
        });
        store.inTransaction(tx -> {
            tx.save(stats(user, 2));
            tx.save(stats(user, 3));
            return null;
        });

        assertThat(store.find(user)).contains(v3);
    }

    @Test
    void lock_stats_reads_the_row_including_the_transactions_own_changes() {
        UUID user = UUID.randomUUID();
        store.insertIfAbsent(stats(user, 1));

        Optional<UserStats> seen = store.inTransaction(tx -> {
            tx.save(stats(user, 2));
            return tx.lockStats(user);
        });

        assertThat(seen).contains(stats(user, 2));
    }

    @Test
    void a_transaction_cannot_be_used_after_it_ended() {
        AtomicReference<StatsTransaction> leaked = new AtomicReference<>();
        store.inTransaction(tx -> {
            leaked.set(tx);
            return null;
        });

        assertThatThrownBy(() -> leaked.get().markProcessed(UUID.randomUUID()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the transaction has ended");
    }

    // ---- batches: one statement each for the inbox, the locks and the saves ----

    @Test
    void mark_all_processed_returns_only_the_events_not_recorded_before() {
        UUID seen = UUID.randomUUID();
        store.inTransaction(tx -> tx.markProcessed(seen));
        List<UUID> batch = List.of(UUID.randomUUID(), seen, UUID.randomUUID(), UUID.randomUUID());

        Set<UUID> fresh = store.inTransaction(tx -> tx.markAllProcessed(batch));

        assertThat(fresh).containsExactlyInAnyOrder(batch.get(0), batch.get(2), batch.get(3));
        assertThat(batch).allMatch(PostgresUserStatsStoreTest::inboxHolds);
        Set<UUID> again = store.inTransaction(tx -> tx.markAllProcessed(batch));
        Set<UUID> none = store.inTransaction(tx -> tx.markAllProcessed(List.of()));
        assertThat(again).as("all recorded now").isEmpty();
        assertThat(none).isEmpty();
    }

    @Test
    void a_batch_whose_work_throws_leaves_no_inbox_entry_and_no_stats() {
        List<UUID> events = List.of(UUID.randomUUID(), UUID.randomUUID());
        UUID user = UUID.randomUUID();

        assertThatThrownBy(() -> store.inTransaction(tx -> {
            tx.markAllProcessed(events);
            tx.saveAll(List.of(stats(user, 1)));
            throw new IllegalStateException("the work failed");
        })).hasMessage("the work failed");

        assertThat(events).noneMatch(PostgresUserStatsStoreTest::inboxHolds);
        assertThat(store.find(user)).isEmpty();
    }

    @Test
    void lock_all_stats_reads_the_rows_that_exist() {
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        UUID missing = UUID.randomUUID();
        store.insertIfAbsent(stats(first, 1));
        store.insertIfAbsent(stats(second, 4));

        Map<UUID, UserStats> locked = store.inTransaction(tx -> tx.lockAllStats(List.of(missing, second, first)));

        assertThat(locked).containsOnly(Map.entry(first, stats(first, 1)), Map.entry(second, stats(second, 4)));
        Map<UUID, UserStats> none = store.inTransaction(tx -> tx.lockAllStats(List.of()));
        assertThat(none).isEmpty();
    }

    @Test
    void lock_all_stats_makes_a_concurrent_locker_of_any_of_the_users_wait() throws Exception {
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        store.insertIfAbsent(stats(first, 1));
        store.insertIfAbsent(stats(second, 1));
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Connection other = db.rawConnection()) {
            int otherPid = backendPid(other);
            Future<?> holder = threads.submit(() -> store.inTransaction(tx -> {
                tx.lockAllStats(List.of(first, second));
                locked.countDown();
                awaitOrFail(release, "the test to release the locks");
                tx.saveAll(List.of(stats(second, 2)));
                return null;
            }));
            awaitOrFail(locked, "the store's transaction to lock the rows");

            Future<Long> otherLocker = threads.submit(() -> lockAndReadVersion(other, second));
            Eventually.await("the other locker waits for the batch's transaction", WAIT, () -> isBlocked(otherPid));
            assertThat(otherLocker).isNotDone();

            release.countDown();
            holder.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(otherLocker.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(2);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void save_all_inserts_new_rows_moves_older_ones_forward_and_never_back() {
        UUID fresh = UUID.randomUUID();
        UUID older = UUID.randomUUID();
        UUID newer = UUID.randomUUID();
        store.insertIfAbsent(stats(older, 2));
        store.insertIfAbsent(stats(newer, 7));
        UserStats repaired = new UserStats(fresh, StatsStatus.DELETED, MEMBER_SINCE, 3, 2, 1, LAST_ACTIVITY, 9,
                WRITTEN, WRITTEN, WRITTEN.plusSeconds(9));

        store.inTransaction(tx -> {
            tx.saveAll(List.of(repaired, stats(older, 5), stats(newer, 6)));
            return null;
        });

        assertThat(store.find(fresh)).contains(repaired);
        assertThat(store.find(older)).contains(stats(older, 5));
        assertThat(store.find(newer)).as("already further: kept").contains(stats(newer, 7));
    }

    @Test
    void save_all_takes_one_entry_per_user() {
        UUID user = UUID.randomUUID();

        assertThatThrownBy(() -> store.inTransaction(tx -> {
            tx.saveAll(List.of(stats(user, 1), stats(user, 2)));
            return null;
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(user.toString());
        assertThat(store.find(user)).isEmpty();
    }

    @Test
    void a_thousand_rows_in_one_batch() {
        List<UUID> events = new ArrayList<>();
        List<UserStats> rows = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            events.add(UUID.randomUUID());
            rows.add(stats(UUID.randomUUID(), 1 + i % 5));
        }

        int fresh = store.inTransaction(tx -> {
            int marked = tx.markAllProcessed(events).size();
            tx.saveAll(rows);
            return marked;
        });

        assertThat(fresh).isEqualTo(1_000);
        assertThat(rows).allMatch(row -> store.find(row.userId()).orElseThrow().equals(row));
    }

    // ---- row locks, shown by PostgreSQL's own view of who waits for whom ----

    @Test
    void locked_stats_make_a_concurrent_locker_wait_until_the_transaction_ends() throws Exception {
        UUID user = UUID.randomUUID();
        store.insertIfAbsent(stats(user, 1));
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Connection other = db.rawConnection()) {
            int otherPid = backendPid(other);
            Future<?> holder = threads.submit(() -> store.inTransaction(tx -> {
                tx.lockStats(user);
                locked.countDown();
                awaitOrFail(release, "the test to release the lock");
                // Only now: the save's own row lock must not be what made the other locker wait.
                tx.save(stats(user, 2));
                return null;
            }));
            awaitOrFail(locked, "the store's transaction to lock the row");

            Future<Long> otherLocker = threads.submit(() -> lockAndReadVersion(other, user));
            Eventually.await("the other locker waits for the store's transaction", WAIT,
                    () -> isBlocked(otherPid));
            assertThat(otherLocker).isNotDone();

            release.countDown();
            holder.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(otherLocker.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("the other locker reads what the store's transaction committed").isEqualTo(2);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void lock_stats_waits_for_a_concurrent_lock_holder() throws Exception {
        UUID user = UUID.randomUUID();
        store.insertIfAbsent(stats(user, 1));
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (Connection holder = db.rawConnection()) {
            int holderPid = backendPid(holder);
            holder.setAutoCommit(false);
            assertThat(lockAndReadVersionInOpenTransaction(holder, user)).isEqualTo(1);

            Future<Optional<UserStats>> storeLocker = threads.submit(() -> store.inTransaction(tx -> tx.lockStats(user)));
            Eventually.await("the store's lockStats waits for the holder", WAIT, () -> blocksSomeone(holderPid));
            assertThat(storeLocker).isNotDone();

            try (PreparedStatement update = holder.prepareStatement(
                    "UPDATE user_stats SET last_event_version = 2 WHERE user_id = ?")) {
                update.setObject(1, user);
                update.executeUpdate();
            }
            holder.commit();
            assertThat(storeLocker.get(WAIT.toSeconds(), TimeUnit.SECONDS).orElseThrow().lastEventVersion())
                    .as("lockStats reads the row as the holder committed it").isEqualTo(2);
        } finally {
            threads.shutdownNow();
        }
    }

    // ---- failures ----

    @Test
    void an_unreachable_database_is_unavailable_not_a_bug() {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setURL("jdbc:postgresql://127.0.0.1:1/userstream_stats?connectTimeout=2");
        PostgresUserStatsStore unreachable = new PostgresUserStatsStore(PostgresPool.dbClientOver(nowhere));

        assertThatThrownBy(() -> unreachable.find(UUID.randomUUID())).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(() -> unreachable.inTransaction(tx -> tx.markProcessed(UUID.randomUUID())))
                .isInstanceOf(StoreUnavailableException.class);
    }

    // ---- helpers ----

    private static boolean inboxHolds(UUID event) {
        try (Connection connection = db.rawConnection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT count(*) FROM processed_events WHERE event_id = ?")) {
            select.setObject(1, event);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1) == 1;
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static long lockAndReadVersion(Connection connection, UUID user) throws SQLException {
        connection.setAutoCommit(false);
        try {
            return lockAndReadVersionInOpenTransaction(connection, user);
        } finally {
            connection.commit();
        }
    }

    private static long lockAndReadVersionInOpenTransaction(Connection connection, UUID user) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT last_event_version FROM user_stats WHERE user_id = ? FOR UPDATE")) {
            select.setObject(1, user);
            try (ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getLong(1);
            }
        }
    }

    private static int backendPid(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT pg_backend_pid()");
             ResultSet rows = select.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /** Whether the backend with this pid waits for a lock another backend holds. */
    private static boolean isBlocked(int pid) {
        return queryBoolean("SELECT cardinality(pg_blocking_pids(?)) > 0", pid);
    }

    /** Whether some backend waits for a lock the backend with this pid holds. */
    private static boolean blocksSomeone(int pid) {
        return queryBoolean("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid)))", pid);
    }

    private static boolean queryBoolean(String sql, int pid) {
        try (Connection monitor = db.rawConnection();
             PreparedStatement select = monitor.prepareStatement(sql)) {
            select.setInt(1, pid);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitOrFail(CountDownLatch latch, String what) {
        try {
            if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
    }
}
