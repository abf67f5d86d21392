package io.userstream.adapters.postgres;

import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group commit of single-event appends ({@link GroupCommitter} in {@link PostgresUserEventStore}). To make a
 * group for certain, a test holds the events table locked and lets two appends block on it: the first is
 * written on its caller's thread (nothing else was going on), the second by the one committer thread, which is
 * then busy. It queues the appends of the group behind them and releases the lock: the committer takes
 * everything queued as one group.
 */
class GroupCommitTest {

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final EventMetadata METADATA = new EventMetadata("corr-g", Optional.empty(), "tester");
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private TestDatabase db;
    private PostgresUserEventStore store;
    /** The tests' own queries: one connection, outside the pool. */
    private Connection queries;
    /** Groups written for the appends of the last {@link #inOneGroupOrFailures} (the blockers' not counted). */
    private long groupsOfLastCall;

    @BeforeEach
    void open() throws Exception {
        // A small pool: the server's connections are shared with other tests and services.
        db = TestDatabase.create(4);
        queries = db.rawConnection();
        store = new PostgresUserEventStore(db.database(), new GroupCommitSettings(true, 1, 256, Duration.ofSeconds(30)));
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        queries.close();
        db.close();
    }

    @Test
    void concurrent_appends_to_many_streams_commit_as_one_group_with_their_versions() throws Exception {
        List<UserId> streams = streams(20);

        List<AppendOutcome> outcomes = inOneGroup(streams.stream().map(id -> request(id, 1)).toList());

        assertThat(outcomes).containsOnly(new AppendOutcome.Appended(2));
        for (UserId id : streams) {
            assertThat(store.load(id)).extracting(RecordedUserEvent::version).containsExactly(1L, 2L);
        }
        // The 20 in ONE group: one statement, one transaction. (Not "positions without a gap": a sequence is
        // not transactional, so a concurrent insert, such as the test's own blocker, may take a value in between;
        // the subscriptions never rely on gap-free positions.)
        assertThat(groupsOfLastCall).isEqualTo(1);
        assertThat(query("SELECT count(DISTINCT transaction_id) FROM events WHERE version = 2 AND stream_id = ANY (?)",
                streams)).isEqualTo(1);
    }

    @Test
    void two_appends_to_one_stream_in_a_group_let_exactly_one_win() throws Exception {
        List<UserId> streams = streams(4);
        UserId contested = streams.getFirst();
        List<AppendRequest> requests = new ArrayList<>();
        requests.add(request(contested, 1));
        streams.subList(1, 4).forEach(id -> requests.add(request(id, 1)));
        requests.add(request(contested, 1));

        List<AppendOutcome> outcomes = inOneGroup(requests);

        assertThat(List.of(outcomes.getFirst(), outcomes.getLast()))
                .containsExactlyInAnyOrder(new AppendOutcome.Appended(2), new AppendOutcome.VersionConflict());
        assertThat(outcomes.subList(1, 4)).containsOnly(new AppendOutcome.Appended(2));
        assertThat(store.load(contested)).extracting(RecordedUserEvent::version).containsExactly(1L, 2L);
        // A stale expected version in a group is a conflict too, and writes nothing.
        assertThat(inOneGroup(List.of(request(streams.get(1), 1), request(streams.get(2), 2))))
                .containsExactly(new AppendOutcome.VersionConflict(), new AppendOutcome.Appended(3));
    }

    @Test
    void a_request_the_database_rejects_fails_alone_and_the_rest_of_its_group_is_appended() throws Exception {
        List<UserId> streams = streams(5);
        UserId poisoned = streams.get(2);
        db.failNextInserts("events", "NEW.stream_id = '" + poisoned.value() + "'", 1000, "23514", "poison_check");

        List<Object> results = inOneGroupOrFailures(streams.stream().map(id -> request(id, 1)).toList());

        assertThat(results.get(2)).isInstanceOf(DatabaseException.class);
        assertThat(((DatabaseException) results.get(2)).sqlState()).isEqualTo("23514");
        for (int i : new int[] {0, 1, 3, 4}) {
            assertThat(results.get(i)).isEqualTo(new AppendOutcome.Appended(2));
            assertThat(store.load(streams.get(i))).hasSize(2);
        }
        assertThat(store.load(poisoned)).hasSize(1);
    }

    @Test
    void a_group_the_database_aborts_is_run_again_and_every_append_succeeds() throws Exception {
        List<UserId> streams = streams(6);
        // Aborts the group's statement once (a serialization failure), as a real one looks to the adapter.
        db.failNextInserts("events", "NEW.stream_id = '" + streams.get(3).value() + "'", 1, "40001", null);

        List<AppendOutcome> outcomes = inOneGroup(streams.stream().map(id -> request(id, 1)).toList());

        assertThat(outcomes).containsOnly(new AppendOutcome.Appended(2));
        assertThat(query("SELECT count(*) FROM events WHERE version = 2 AND stream_id = ANY (?)", streams)).isEqualTo(6);
    }

    @Test
    void closing_fails_the_queued_appends_with_nothing_written_and_refuses_new_ones() throws Exception {
        List<UserId> streams = streams(5);
        List<CompletableFuture<AppendOutcome>> queued;
        List<CompletableFuture<AppendOutcome>> blockers;
        try (Connection lock = db.rawConnection(); Statement statement = lock.createStatement()) {
            lock.setAutoCommit(false);
            statement.execute("LOCK TABLE events IN SHARE MODE");
            blockers = block(streams.subList(0, 2));
            queued = streams.subList(2, 5).stream().map(id -> async(() -> store.append(request(id, 1)))).toList();
            Eventually.await("3 appends queued", DEADLINE, () -> store.queuedAppends() == 3);

            store.close();

            for (CompletableFuture<AppendOutcome> waiter : queued) {
                assertThat(failureOf(waiter)).isInstanceOf(StoreUnavailableException.class);
            }
            assertThat(failureOf(async(() -> store.append(request(streams.get(1), 1)))))
                    .isInstanceOf(StoreUnavailableException.class);
            lock.rollback();
        }
        // The appends being written when the store closed finish.
        for (CompletableFuture<AppendOutcome> blocker : blockers) {
            assertThat(blocker.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new AppendOutcome.Appended(2));
        }
        assertThat(query("SELECT count(*) FROM events WHERE version = 2 AND stream_id = ANY (?)", streams)).isEqualTo(2);
    }

    @Test
    void an_append_no_committer_takes_in_time_fails_as_unavailable_with_nothing_written() throws Exception {
        store.close();
        store = new PostgresUserEventStore(db.database(), new GroupCommitSettings(true, 1, 256, Duration.ofMillis(300)));
        List<UserId> streams = streams(3);
        CompletableFuture<AppendOutcome> late;
        try (Connection lock = db.rawConnection(); Statement statement = lock.createStatement()) {
            lock.setAutoCommit(false);
            statement.execute("LOCK TABLE events IN SHARE MODE");
            List<CompletableFuture<AppendOutcome>> blockers = block(streams.subList(0, 2));
            late = async(() -> store.append(request(streams.getLast(), 1)));
            assertThat(failureOf(late)).isInstanceOf(StoreUnavailableException.class);
            lock.rollback();
            for (CompletableFuture<AppendOutcome> blocker : blockers) {
                assertThat(blocker.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new AppendOutcome.Appended(2));
            }
        }
        assertThat(store.load(streams.getLast())).hasSize(1);
    }

    @Test
    void with_group_commit_off_appends_are_written_one_by_one() {
        store.close();
        store = new PostgresUserEventStore(db.database(), GroupCommitSettings.OFF);
        UserId id = streams(1).getFirst();
        assertThat(store.append(request(id, 1))).isEqualTo(new AppendOutcome.Appended(2));
        assertThat(store.append(request(id, 1))).isEqualTo(new AppendOutcome.VersionConflict());
        assertThat(store.groupCommits()).isZero();
        assertThat(store.groupCommittedAppends()).isZero();
    }

    // ---- helpers ----

    /** Streams at version 1 each. */
    private List<UserId> streams(int n) {
        List<UserId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            UserId id = new UserId(UUID.randomUUID());
            assertThat(store.append(request(id, 0))).isEqualTo(new AppendOutcome.Appended(1));
            ids.add(id);
        }
        return ids;
    }

    private static AppendRequest request(UserId id, long expectedVersion) {
        UserEvent event = new UserEvent.ProfileUpdated(id, new Profile("v" + (expectedVersion + 1), "L", ""), T0);
        return new AppendRequest(id, expectedVersion, List.of(new NewUserEvent(UUID.randomUUID(), event)),
                ReservationChanges.NONE, METADATA);
    }

    private List<AppendOutcome> inOneGroup(List<AppendRequest> requests) throws Exception {
        List<Object> results = inOneGroupOrFailures(requests);
        for (Object result : results) {
            if (result instanceof Throwable failure) {
                throw new AssertionError("an append of the group failed", failure);
            }
        }
        return results.stream().map(AppendOutcome.class::cast).toList();
    }

    /**
     * Appends {@code requests} concurrently, all queued behind a committer blocked on the locked table, so that
     * they are written as one group; returns each one's outcome, or its failure, in order.
     */
    private List<Object> inOneGroupOrFailures(List<AppendRequest> requests) throws Exception {
        List<UserId> blockerStreams = streams(2);
        List<CompletableFuture<AppendOutcome>> calls;
        List<CompletableFuture<AppendOutcome>> blockers;
        long groupsBefore;
        try (Connection lock = db.rawConnection(); Statement statement = lock.createStatement()) {
            lock.setAutoCommit(false);
            statement.execute("LOCK TABLE events IN SHARE MODE");
            blockers = block(blockerStreams);
            groupsBefore = store.groupCommits();
            calls = requests.stream().map(request -> async(() -> store.append(request))).toList();
            Eventually.await(requests.size() + " appends queued", DEADLINE,
                    () -> store.queuedAppends() == requests.size());
            lock.rollback();
        }
        for (CompletableFuture<AppendOutcome> blocker : blockers) {
            assertThat(blocker.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new AppendOutcome.Appended(2));
        }
        List<Object> results = new ArrayList<>();
        for (CompletableFuture<AppendOutcome> call : calls) {
            try {
                results.add(call.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                results.add(e.getCause());
            }
        }
        groupsOfLastCall = store.groupCommits() - groupsBefore;
        return results;
    }

    /**
     * With the table locked: appends to {@code streams} (at version 1, two of them) until both block on the
     * lock, the first on its caller's thread, the second on the committer thread, which is then busy.
     */
    private List<CompletableFuture<AppendOutcome>> block(List<UserId> streams) {
        CompletableFuture<AppendOutcome> first = async(() -> store.append(request(streams.get(0), 1)));
        awaitBlockedOnLock(1);
        CompletableFuture<AppendOutcome> second = async(() -> store.append(request(streams.get(1), 1)));
        awaitBlockedOnLock(2);
        return List.of(first, second);
    }

    /** Waits until {@code n} of this test's pooled connections wait for a lock: appends blocked on the table. */
    private void awaitBlockedOnLock(int n) {
        Eventually.await(n + " appends blocked on the locked table", DEADLINE,
                () -> query("SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'",
                        db.schema()) == n);
    }

    private static <T> CompletableFuture<T> async(Supplier<T> work) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                future.complete(work.get());
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
        return future;
    }

    private static Throwable failureOf(CompletableFuture<?> call) throws Exception {
        try {
            Object result = call.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + result);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private long query(String sql, Object parameter) {
        Connection connection = queries;
        try (var statement = connection.prepareStatement(sql)) {
            if (parameter instanceof List<?> ids) {
                statement.setArray(1, connection.createArrayOf("uuid",
                        ids.stream().map(id -> ((UserId) id).value()).toArray()));
            } else {
                statement.setObject(1, parameter);
            }
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }
}
