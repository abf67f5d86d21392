package io.userstream.adapters.postgres;

import io.userstream.application.port.in.NotFoundException;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.view.ProjectionStatus;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The subscription mechanism against the real PostgreSQL, with a projection that records every
 * application in a table whose UNIQUE(event_id) makes a double application fail loudly.
 */
class SubscriptionRunnerTest {

    static final SubscriptionSettings FAST = new SubscriptionSettings(50, Duration.ofMillis(200),
            Duration.ofMillis(200), 3, Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);

    /** A poll interval far longer than any deadline of these tests: only a NOTIFY or a prompt second look meets them. */
    static final SubscriptionSettings SLOW_POLL = new SubscriptionSettings(50, Duration.ofMinutes(2),
            Duration.ofMillis(200), 3, Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);

    private TestDatabase db;
    private PostgresUserEventStore store;
    private final List<PostgresProjections> started = new ArrayList<>();

    @BeforeEach
    void open() throws SQLException {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
        try (Connection connection = db.rawConnection(); Statement ddl = connection.createStatement()) {
            // A sequence of its own, not owned by the table: a rebuild swaps a copy (LIKE ... INCLUDING ALL) in
            // and drops the original, which an owned (SERIAL) sequence would forbid.
            ddl.execute("CREATE SEQUENCE applied_seq");
            ddl.execute("CREATE TABLE applied_events (seq BIGINT PRIMARY KEY DEFAULT nextval('applied_seq'),"
                    + " position BIGINT NOT NULL, event_id UUID NOT NULL UNIQUE, stream_id UUID NOT NULL)");
        }
    }

    @AfterEach
    void close() throws Exception {
        started.forEach(PostgresProjections::close);
        db.close();
    }

    @Test
    void an_event_committed_late_is_not_skipped_and_nothing_is_applied_twice() throws Exception {
        UserId before = append();                       // committed before the long transaction
        try (Connection longTransaction = db.rawConnection()) {
            longTransaction.setAutoCommit(false);
            UserId late = insertCreated(longTransaction);   // A: appended first, still open
            UserId early = append();                         // B: appended after A, committed first

            PostgresProjections projections = start(new RecordingProjection());
            Eventually.await("the event committed before A is applied", Duration.ofSeconds(10),
                    () -> appliedStreams().contains(before.value()));
            // The batch that applied it was read while B was committed: the horizon kept B out.
            assertThat(appliedStreams()).containsExactly(before.value());
            assertThat(projections.statuses().getFirst().horizonBlockedSeconds()).isGreaterThan(0);

            longTransaction.commit();
            Eventually.await("A and B are applied", Duration.ofSeconds(10), () -> appliedStreams().size() == 3);
            // In commit-safe order: A's transaction is older than B's.
            assertThat(appliedStreams()).containsExactly(before.value(), late.value(), early.value());
        }
    }

    @Test
    void an_event_held_back_by_a_transaction_that_sends_no_notify_is_applied_soon_after_it_ends_not_at_the_next_poll()
            throws Exception {
        PostgresProjections projections = start(SLOW_POLL, new RecordingProjection());
        UserId first = append();
        Eventually.await("the first event is applied (its NOTIFY wakes the runner)", Duration.ofSeconds(10),
                () -> appliedStreams().contains(first.value()));
        try (Connection holder = db.rawConnection(); Statement statement = holder.createStatement()) {
            // Holds a transaction id, as a batch of another subscription or a transaction in another database
            // does; it writes no event, so its end sends no NOTIFY.
            holder.setAutoCommit(false);
            statement.execute("SELECT pg_current_xact_id()");
            UserId held = append();
            Eventually.await("the holder has held the horizon for a while", Duration.ofSeconds(10),
                    () -> projections.statuses().getFirst().horizonBlockedSeconds() >= 0.5);
            assertThat(appliedStreams()).as("behind the horizon").doesNotContain(held.value());

            holder.commit();
            // Looked at again within 100 ms of backing off; without that second look, it waited 12 s here.
            Eventually.await("the held event is applied long before the next poll", Duration.ofSeconds(5),
                    () -> appliedStreams().contains(held.value()));
        }
    }

    @Test
    void a_long_transaction_in_another_database_of_the_cluster_does_not_hold_the_subscription_back() throws Exception {
        PostgresProjections projections = start(new RecordingProjection());
        try (Connection elsewhere = db.otherDatabaseConnection(); Statement statement = elsewhere.createStatement()) {
            // Holds a transaction id of the same cluster-wide counter, so it is in every snapshot's running list.
            elsewhere.setAutoCommit(false);
            statement.execute("SELECT pg_current_xact_id()");
            UserId during = append();
            Eventually.await("the event is applied while the other database's transaction stays open",
                    Duration.ofSeconds(10), () -> appliedStreams().contains(during.value()));
            assertThat(projections.statuses().getFirst().horizonBlockedSeconds())
                    .as("nothing of this database holds the horizon").isLessThan(0.5);
            elsewhere.rollback();
        }
    }

    @Test
    void appends_wake_the_subscription_at_once_even_after_the_notifier_lost_its_connection() throws Exception {
        start(SLOW_POLL, new RecordingProjection());
        UserId first = append();
        Eventually.await("the first append's notification wakes the runner (its poll is 2 min away)",
                Duration.ofSeconds(10), () -> appliedStreams().contains(first.value()));

        // This test's own notifier: other runs' and services' on the same server are not counted (nor killed).
        assertThat(queryLong("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE query LIKE '%set_config(''synchronous_commit''%' AND pid <> pg_backend_pid()"
                + " AND application_name = '" + db.schema() + "'"))
                .as("the notifier's connection, killed").isEqualTo(1);
        UserId second = append();
        Eventually.await("the notifier reconnects and the next append wakes the runner", Duration.ofSeconds(10),
                () -> appliedStreams().contains(second.value()));
    }

    @Test
    void a_connection_killed_mid_batch_loses_nothing_and_applies_nothing_twice() throws Exception {
        List<UserId> users = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            users.add(append());
        }
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger applications = new AtomicInteger();
        start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                super.apply(tx, table, event);
                // Halfway through the second batch, the database kills our session: the batch rolls back.
                if (applications.incrementAndGet() == 75 && killed.compareAndSet(false, true)) {
                    try (Statement kill = tx.createStatement()) {
                        kill.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                    }
                }
            }
        });

        Eventually.await("all 120 events applied", Duration.ofSeconds(20), () -> appliedStreams().size() == 120);
        assertThat(killed).isTrue();
        assertThat(appliedStreams()).containsExactlyElementsOf(users.stream().map(UserId::value).toList());
    }

    @Test
    void of_two_instances_only_one_is_active_and_the_other_takes_over_when_it_stops() throws Exception {
        PostgresProjections first = start(new RecordingProjection());
        Eventually.await("first instance active", Duration.ofSeconds(5), () -> first.isActive("recording"));
        PostgresProjections second = start(new RecordingProjection());
        append();
        Eventually.await("event applied", Duration.ofSeconds(5), () -> appliedStreams().size() == 1);
        assertThat(second.isActive("recording")).isFalse();
        assertThat(first.statuses().getFirst().state()).isIn(ProjectionStatus.ProjectionState.RUNNING);

        first.close();
        Eventually.await("second instance takes over", Duration.ofSeconds(5), () -> second.isActive("recording"));
        append();
        Eventually.await("new event applied by the second instance", Duration.ofSeconds(5),
                () -> appliedStreams().size() == 2);
    }

    @Test
    void a_failing_event_is_parked_with_its_error_the_rest_goes_on_and_it_can_be_retried() throws Exception {
        UserId good = append();
        UserId broken;
        try (Connection connection = db.rawConnection()) {
            broken = insertCreated(connection);
            try (Statement corrupt = connection.createStatement()) {
                breakGlass(corrupt);
                corrupt.execute("UPDATE events SET payload = '{\"data\":{},\"personal\":{}}' WHERE stream_id = '" + broken + "'");
            }
        }
        UserId after = append();
        PostgresProjections projections = start(new RecordingProjection());

        Eventually.await("the events around it applied", Duration.ofSeconds(10),
                () -> appliedStreams().containsAll(List.of(good.value(), after.value())));
        Eventually.await("the broken one parked", Duration.ofSeconds(10),
                () -> projections.parkedEvents(Optional.empty()).size() == 1);
        var parked = projections.parkedEvents(Optional.of("recording")).getFirst();
        assertThat(parked.streamId()).isEqualTo(broken.value());
        assertThat(parked.eventType()).isEqualTo("UserCreated");
        assertThat(parked.attempts()).isEqualTo(3);
        assertThat(parked.error()).contains("lacks text field");
        assertThat(projections.statuses().getFirst().parkedEvents()).isEqualTo(1);
        assertThat(appliedStreams()).doesNotContain(broken.value());

        assertThat(projections.retryParkedEvent("recording", parked.position())).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("lacks text field");
        assertThat(projections.parkedEvents(Optional.of("recording"))).singleElement().satisfies(again -> {
            assertThat(again.attempts()).as("the failed retry is counted").isEqualTo(4);
            assertThat(again.error()).contains("lacks text field");
        });
        assertThatThrownBy(() -> projections.retryParkedEvent("recording", Long.MAX_VALUE))
                .isInstanceOf(NotFoundException.class);
        try (Connection connection = db.rawConnection(); Statement repair = connection.createStatement()) {
            breakGlass(repair);
            repair.execute("UPDATE events SET payload = jsonb_build_object('data', jsonb_build_object('username', 'fixed-"
                    + broken.value().toString().substring(0, 8) + "', 'password_hash', '$x'), 'personal',"
                    + " jsonb_build_object('email', 'fixed@example.com', 'first_name', '', 'last_name', '', 'avatar_url', ''))"
                    + " WHERE stream_id = '" + broken + "'");
        }
        assertThat(projections.retryParkedEvent("recording", parked.position())).isEmpty();
        assertThat(appliedStreams()).contains(broken.value());
        assertThat(projections.parkedEvents(Optional.empty())).isEmpty();
    }

    @Test
    void with_the_stop_policy_a_failing_event_halts_the_subscription_before_it() throws Exception {
        UserId good = append();
        try (Connection connection = db.rawConnection()) {
            UserId broken = insertCreated(connection);
            try (Statement corrupt = connection.createStatement()) {
                breakGlass(corrupt);
                corrupt.execute("UPDATE events SET schema_version = 99 WHERE stream_id = '" + broken + "'");
            }
        }
        UserId after = append();
        SubscriptionSettings stop = new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200), 2,
                Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.STOP);
        PostgresProjections projections = new PostgresProjections(db.database(), stop,
                ProjectionObserver.NONE, List.of(new RecordingProjection()));
        started.add(projections);
        projections.start();

        Eventually.await("subscription failed", Duration.ofSeconds(10),
                () -> projections.statuses().getFirst().state() == ProjectionStatus.ProjectionState.FAILED);
        assertThat(appliedStreams()).containsExactly(good.value());
        assertThat(projections.statuses().getFirst().lastError()).get().asString().contains("schema version 99");
        assertThat(projections.parkedEvents(Optional.empty())).isEmpty();
        assertThat(appliedStreams()).doesNotContain(after.value());
    }

    @Test
    void a_rebuild_completes_under_a_writer_that_never_lets_its_reads_come_back_empty() throws Exception {
        for (int i = 0; i < 120; i++) {
            append();
        }
        PostgresProjections projections = start(new RecordingProjection() {
            private boolean firstOfBatch;

            @Override
            public void beginBatch() {
                firstOfBatch = true;
            }

            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                super.apply(tx, table, event);
                if (table.endsWith("_shadow") && firstOfBatch) {
                    // A writer that commits a new event during every rebuild batch: the next rebuild read is
                    // never empty, so the rebuild must end by comparing checkpoints, not by running dry.
                    firstOfBatch = false;
                    append();
                }
            }
        });
        Eventually.await("the log applied live", deadlineFor(120), () -> appliedStreams().size() == 120);

        projections.requestRebuild("recording");
        Eventually.await("rebuild completes", deadlineFor(1200), this::rebuildFinished);

        // One event was appended per rebuild batch. The shadow reaches the live checkpoint after about
        // 120 / 50 batches, and the rebuild must end right there: not keep following the writer until a
        // read happens to come back empty (which only another transaction holding the horizon allows).
        assertThat(eventCount() - 120).as("rebuild batches").isBetween(1L, 120L / 50 + 10);
        Eventually.await("caught up", deadlineFor(eventCount()), () -> projections.statuses().getFirst().lagEvents() == 0);
        assertEveryEventAppliedOnce();
        assertThat(projections.statuses().getFirst().state()).isEqualTo(ProjectionStatus.ProjectionState.RUNNING);
        assertThat(projections.parkedEvents(Optional.empty())).isEmpty();
        assertThat(tableExists("applied_events_shadow")).isFalse();
    }

    @Test
    void a_failing_event_backs_off_outside_the_transaction_so_what_precedes_it_and_other_subscriptions_go_on()
            throws Exception {
        try (Connection connection = db.rawConnection(); Statement ddl = connection.createStatement()) {
            ddl.execute("CREATE TABLE other_events (LIKE applied_events INCLUDING ALL)");
        }
        UserId before = append();
        UserId poison = append();
        // The back-off is far longer than any wait below: whatever happens during it cannot be luck.
        SubscriptionSettings slowRetry = new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200), 3,
                Duration.ofMinutes(2), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);
        start(slowRetry, new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (event.event().userId().equals(poison)) {
                    throw new IllegalStateException("cannot apply " + poison + " yet");
                }
                super.apply(tx, table, event);
            }
        }, new RecordingProjection("other", "other_events"));

        // The event before the failing one, read in the same batch, is committed at once ...
        Eventually.await("the event before the failing one is committed", Duration.ofSeconds(30),
                () -> appliedStreams().contains(before.value()));
        // ... and no transaction stays open during the back-off, so the horizon moves for everyone.
        UserId later = append();
        Eventually.await("another subscription passes a later event", Duration.ofSeconds(30),
                () -> streamsIn("other_events").contains(later.value()));
        assertThat(appliedStreams()).containsExactly(before.value());
    }

    @Test
    void a_rebuild_that_parks_an_event_is_not_swapped_in_and_parks_apart_from_the_live_subscription()
            throws Exception {
        UserId first = append();
        UserId poison = append();
        UserId last = append();
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow") && event.event().userId().equals(poison)) {
                    throw new IllegalStateException("the new code cannot apply " + poison);
                }
                super.apply(tx, table, event);
            }
        });
        Eventually.await("all applied live", deadlineFor(3), () -> appliedStreams().size() == 3);

        projections.requestRebuild("recording");
        Eventually.await("the rebuild fails", deadlineFor(3),
                () -> projections.statuses().getFirst().state() == ProjectionStatus.ProjectionState.FAILED);

        ProjectionStatus status = projections.statuses().getFirst();
        assertThat(status.lastError()).get().asString().contains("not swapped in").contains("recording#rebuild");
        assertThat(status.rebuild()).isEmpty();
        assertThat(status.parkedEvents()).isZero();
        assertThat(projections.parkedEvents(Optional.of("recording"))).isEmpty();
        assertThat(projections.parkedEvents(Optional.empty())).singleElement().satisfies(parked -> {
            assertThat(parked.projection()).isEqualTo("recording#rebuild");
            assertThat(parked.streamId()).isEqualTo(poison.value());
        });
        // The live table was kept, whole, and keeps following the log.
        assertThat(appliedStreams()).containsExactly(first.value(), poison.value(), last.value());
        assertThat(tableExists("applied_events_shadow")).isFalse();
        UserId after = append();
        Eventually.await("the live table follows", deadlineFor(1), () -> appliedStreams().contains(after.value()));
    }

    @Test
    void a_rebuilt_shadow_that_missed_an_event_without_an_error_is_not_swapped_in() throws Exception {
        UserId first = append();
        UserId missed = append();
        UserId last = append();
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                // Models any way an event could be passed without being applied: no error, no park.
                if (!(table.endsWith("_shadow") && event.event().userId().equals(missed))) {
                    super.apply(tx, table, event);
                }
            }

            @Override
            public long rowsBehind(Connection tx, String live, String shadow) throws SQLException {
                try (Statement count = tx.createStatement(); ResultSet row = count.executeQuery(
                        "SELECT count(*) FROM " + live + " l WHERE NOT EXISTS (SELECT 1 FROM " + shadow
                                + " s WHERE s.event_id = l.event_id)")) {
                    row.next();
                    return row.getLong(1);
                }
            }
        });
        Eventually.await("all applied live", deadlineFor(3), () -> appliedStreams().size() == 3);

        projections.requestRebuild("recording");
        Eventually.await("the rebuild fails", deadlineFor(3),
                () -> projections.statuses().getFirst().state() == ProjectionStatus.ProjectionState.FAILED);

        assertThat(projections.statuses().getFirst().lastError()).get().asString()
                .contains("1 row(s) older than the live table").contains("not swapped in");
        assertThat(appliedStreams()).as("the live table is kept whole")
                .containsExactly(first.value(), missed.value(), last.value());
        assertThat(tableExists("applied_events_shadow")).isFalse();
    }

    @Test
    void with_the_stop_policy_a_rebuild_stops_at_a_failing_event_parks_nothing_and_is_not_swapped_in()
            throws Exception {
        UserId first = append();
        UserId poison = append();
        SubscriptionSettings stop = new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200), 2,
                Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.STOP);
        PostgresProjections projections = start(stop, new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow") && event.event().userId().equals(poison)) {
                    throw new IllegalStateException("the new code cannot apply " + poison);
                }
                super.apply(tx, table, event);
            }
        });
        Eventually.await("all applied live", deadlineFor(2), () -> appliedStreams().size() == 2);

        projections.requestRebuild("recording");
        Eventually.await("the rebuild stops", deadlineFor(2),
                () -> projections.statuses().getFirst().state() == ProjectionStatus.ProjectionState.FAILED);

        assertThat(projections.statuses().getFirst().lastError()).get().asString()
                .contains("stopped before event at position").contains("not swapped in");
        assertThat(projections.parkedEvents(Optional.empty())).isEmpty();
        assertThat(appliedStreams()).containsExactly(first.value(), poison.value());
        assertThat(rebuildFinished()).isTrue();
    }

    @Test
    void a_replay_during_a_rebuild_waits_for_the_batch_in_progress_so_no_valid_event_is_parked() throws Exception {
        UserId held = append();
        UserId replayed = append();
        CountDownLatch batchInProgress = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                super.apply(tx, table, event);
                if (table.endsWith("_shadow") && event.event().userId().equals(held) && batchInProgress.getCount() > 0) {
                    // The rebuild batch that will apply `replayed` next is open: hold it while the replay runs.
                    batchInProgress.countDown();
                    awaitLatch(release);
                }
            }
        });
        Eventually.await("all applied live", deadlineFor(2), () -> appliedStreams().size() == 2);
        projections.requestRebuild("recording");
        awaitLatch(batchInProgress);

        CompletableFuture<Long> replay = CompletableFuture.supplyAsync(
                () -> projections.replayStream("recording", replayed));
        // Either the replay is done (it did not wait for the batch) or it waits for the batch's lock.
        Eventually.await("the replay finished or waits for the batch", Duration.ofSeconds(30),
                () -> replay.isDone() || queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%pg_advisory_xact_lock%'") > 0);
        release.countDown();

        assertThat(replay.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        Eventually.await("rebuild completes", deadlineFor(2), this::rebuildFinished);
        assertThat(projections.parkedEvents(Optional.empty())).isEmpty();
        assertThat(projections.statuses().getFirst().state()).isEqualTo(ProjectionStatus.ProjectionState.RUNNING);
        assertEveryEventAppliedOnce();
    }

    @Test
    void a_rebuild_requested_while_one_runs_is_queued_and_runs_after_it() throws Exception {
        append();
        UserId held = append();
        AtomicBoolean hold = new AtomicBoolean(true);
        // Each rebuild has its own start time: the rebuilds that applied anything to a shadow, by start time.
        java.util.Set<String> rebuildsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        SubscriptionSettings patient = new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200),
                Integer.MAX_VALUE, Duration.ofMillis(20), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);
        PostgresProjections projections = start(patient, new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow")) {
                    try (Statement select = tx.createStatement(); ResultSet row = select.executeQuery(
                            "SELECT rebuild_started_at::text FROM subscriptions WHERE name = 'recording'")) {
                        row.next();
                        rebuildsSeen.add(row.getString(1));
                    }
                    if (event.event().userId().equals(held) && hold.get()) {
                        // Keeps the first rebuild running (retrying, outside any transaction) until released.
                        throw new IllegalStateException("held");
                    }
                }
                super.apply(tx, table, event);
            }
        });
        Eventually.await("all applied live", deadlineFor(2), () -> appliedStreams().size() == 2);
        projections.requestRebuild("recording");
        Eventually.await("the first rebuild runs", deadlineFor(2), () -> rebuildsSeen.size() == 1);

        ProjectionStatus whileRunning = projections.requestRebuild("recording");
        assertThat(whileRunning.state()).isEqualTo(ProjectionStatus.ProjectionState.REBUILDING);
        assertThat(whileRunning.rebuildRequested()).as("what `userstream projections rebuild` waits on").isTrue();
        hold.set(false);

        Eventually.await("a second rebuild ran", deadlineFor(4), () -> rebuildsSeen.size() == 2);
        Eventually.await("and completed", deadlineFor(2), this::rebuildFinished);
        assertThat(projections.statuses().getFirst().rebuildRequested()).as("nothing asked for any more").isFalse();
        assertThat(projections.parkedEvents(Optional.empty())).isEmpty();
        assertEveryEventAppliedOnce();
    }

    @Test
    void a_failing_event_in_a_large_backlog_is_isolated_by_splitting_batches_not_by_a_transaction_per_event()
            throws Exception {
        List<UserId> users = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            users.add(append());
        }
        UserId poison = users.get(137);
        AtomicInteger batches = new AtomicInteger();
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void applyBatch(Connection tx, String table, List<RecordedUserEvent> events) throws SQLException {
                batches.incrementAndGet();
                if (events.stream().anyMatch(event -> event.event().userId().equals(poison))) {
                    throw new IllegalStateException("cannot apply " + poison);
                }
                super.applyBatch(tx, table, events);
            }
        });

        Eventually.await("the poison parked", deadlineFor(200), () -> projections.parkedEvents(Optional.empty()).size() == 1);
        Eventually.await("every other event applied", deadlineFor(200), () -> appliedStreams().size() == 199);
        assertThat(appliedStreams()).containsExactlyElementsOf(
                users.stream().filter(user -> !user.equals(poison)).map(UserId::value).toList());
        assertThat(projections.parkedEvents(Optional.empty()).getFirst().streamId()).isEqualTo(poison.value());
        // Batches of up to 50, halved around the failure: a few dozen transactions, where a transaction (or a
        // savepoint) per event would take more than 200.
        assertThat(batches.get()).as("batches applied").isLessThan(40);
    }

    @Test
    void the_live_table_keeps_following_the_log_while_a_rebuild_is_held_up() throws Exception {
        append();
        CountDownLatch rebuildHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow")) {
                    rebuildHeld.countDown();
                    awaitLatch(release);
                }
                super.apply(tx, table, event);
            }
        });
        Eventually.await("applied live", deadlineFor(1), () -> appliedStreams().size() == 1);
        projections.requestRebuild("recording");
        awaitLatch(rebuildHeld);
        try {
            // The rebuild runs on its own thread and connection: the live track neither waits for it nor
            // takes turns with it. (Its open batch holds the log's horizon, so these wait until it writes.)
            UserId during = append();
            Eventually.await("an event appended during the rebuild is applied live", deadlineFor(1),
                    () -> appliedStreams().contains(during.value()) || release.getCount() == 0);
        } finally {
            release.countDown();
        }
        Eventually.await("rebuild completes", deadlineFor(2), this::rebuildFinished);
        assertEveryEventAppliedOnce();
    }

    @Test
    void a_swap_gives_up_on_a_long_reader_after_its_lock_timeout_so_other_readers_are_not_frozen_and_tries_again()
            throws Exception {
        append();
        PostgresProjections projections = start(new RecordingProjection());
        Eventually.await("applied live", deadlineFor(1), () -> appliedStreams().size() == 1);
        try (Connection longReader = db.rawConnection(); Connection reader = db.rawConnection()) {
            longReader.setAutoCommit(false);
            try (Statement read = longReader.createStatement()) {
                read.executeQuery("SELECT count(*) FROM applied_events").close();
            }
            projections.requestRebuild("recording");
            Eventually.await("the swap waits for the long reader", deadlineFor(1),
                    () -> queryLong("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            + " AND query LIKE 'ALTER TABLE applied_events RENAME%'") > 0);
            // Without a lock timeout this read would queue behind the waiting rename until the long reader
            // ends, which it does not before this read returns: the statement timeout would fail the test.
            try (Statement read = reader.createStatement()) {
                read.execute("SET statement_timeout = '60s'");
                try (ResultSet row = read.executeQuery("SELECT count(*) FROM applied_events")) {
                    row.next();
                    assertThat(row.getLong(1)).isEqualTo(1);
                }
            }
            assertThat(rebuildFinished()).as("not swapped in while the long reader reads").isFalse();
            longReader.commit();
        }
        Eventually.await("the swap is tried again and completes", deadlineFor(2), this::rebuildFinished);
        assertEveryEventAppliedOnce();
        assertThat(projections.statuses().getFirst().state()).isEqualTo(ProjectionStatus.ProjectionState.RUNNING);
    }

    @Test
    void a_rebuild_applies_the_log_to_a_shadow_without_its_secondary_indexes_and_swaps_in_the_live_index_set()
            throws Exception {
        addSecondaryIndexes();
        List<String> before = indexes("applied_events");
        for (int i = 0; i < 60; i++) {
            append();
        }
        java.util.Set<String> shadowShapes = java.util.concurrent.ConcurrentHashMap.newKeySet();
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow")) {
                    shadowShapes.addAll(shapes(tx, table));
                }
                super.apply(tx, table, event);
            }
        });
        Eventually.await("the log applied live", deadlineFor(60), () -> appliedStreams().size() == 60);

        projections.requestRebuild("recording");
        Eventually.await("rebuild completes", deadlineFor(120), this::rebuildFinished);

        // While the events were applied: only the indexes a write needs or that guard the rows.
        assertThat(shadowShapes).containsExactlyInAnyOrder(" USING btree (seq)", " USING btree (event_id)");
        assertThat(indexes("applied_events")).as("the live table's indexes, names and definitions")
                .isEqualTo(before);
        assertEveryEventAppliedOnce();
        assertThat(projections.statuses().getFirst().state()).isEqualTo(ProjectionStatus.ProjectionState.RUNNING);
    }

    @Test
    void a_rebuild_stopped_half_way_resumes_where_its_shadow_stands_and_builds_only_the_indexes_it_lacks()
            throws Exception {
        addSecondaryIndexes();
        List<String> before = indexes("applied_events");
        List<UserId> users = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            users.add(append());
        }
        UserId held = users.get(75);
        AtomicBoolean hold = new AtomicBoolean(true);
        java.util.Set<String> rebuildsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        SubscriptionSettings patient = new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200),
                Integer.MAX_VALUE, Duration.ofMillis(20), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);
        RecordingProjection projection = new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow")) {
                    try (Statement select = tx.createStatement(); ResultSet row = select.executeQuery(
                            "SELECT rebuild_started_at::text FROM subscriptions WHERE name = 'recording'")) {
                        row.next();
                        rebuildsSeen.add(row.getString(1));
                    }
                    if (event.event().userId().equals(held) && hold.get()) {
                        throw new IllegalStateException("held");
                    }
                }
                super.apply(tx, table, event);
            }
        };
        PostgresProjections first = start(patient, projection);
        Eventually.await("the log applied live", deadlineFor(120), () -> appliedStreams().size() == 120);
        first.requestRebuild("recording");
        Eventually.await("the rebuild applied the events before the held one", deadlineFor(120),
                () -> queryLong("SELECT coalesce(rebuild_done, -1) FROM subscriptions WHERE name = 'recording'") == 75);
        ProjectionStatus.RebuildProgress progress = first.statuses().getFirst().rebuild().orElseThrow();
        assertThat(progress.phase()).isEqualTo(ProjectionStatus.RebuildPhase.APPLYING_EVENTS);
        assertThat(progress.indexesBuilt()).isZero();
        assertThat(progress.indexesToBuild()).isEqualTo(3);
        assertThat(progress.done()).isEqualTo(75);
        assertThat(shapes("applied_events_shadow")).containsExactlyInAnyOrder(" USING btree (seq)",
                " USING btree (event_id)");

        // The restart: the rebuild stops where it stands, its shadow and progress kept.
        first.close();
        // As an index phase stopped after its first index would have left the shadow.
        execute("CREATE INDEX CONCURRENTLY applied_events_shadow_stream_idx ON applied_events_shadow (stream_id)");
        hold.set(false);
        PostgresProjections second = start(patient, projection);
        Eventually.await("the resumed rebuild completes", deadlineFor(240), this::rebuildFinished);

        assertThat(rebuildsSeen).as("one rebuild, resumed rather than started again").hasSize(1);
        assertThat(indexes("applied_events")).as("each index once, under its live name").isEqualTo(before);
        assertEveryEventAppliedOnce();
        assertThat(second.parkedEvents(Optional.empty())).isEmpty();
        assertThat(second.statuses().getFirst().state()).isEqualTo(ProjectionStatus.ProjectionState.RUNNING);
    }

    @Test
    void while_a_rebuild_builds_its_indexes_the_status_says_so_and_the_live_table_keeps_following() throws Exception {
        addSecondaryIndexes();
        List<String> before = indexes("applied_events");
        append();
        append();
        CountDownLatch rebuildHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PostgresProjections projections = start(new RecordingProjection() {
            @Override
            public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
                if (table.endsWith("_shadow") && rebuildHeld.getCount() > 0) {
                    rebuildHeld.countDown();
                    awaitLatch(release);
                }
                super.apply(tx, table, event);
            }
        });
        Eventually.await("applied live", deadlineFor(2), () -> appliedStreams().size() == 2);
        projections.requestRebuild("recording");
        awaitLatch(rebuildHeld);
        try (Connection writer = db.rawConnection()) {
            // A writer of the shadow (as a replay into it would be): a concurrent index build waits for it.
            writer.setAutoCommit(false);
            try (Statement lock = writer.createStatement()) {
                lock.execute("LOCK TABLE applied_events_shadow IN ROW EXCLUSIVE MODE");
            }
            release.countDown();
            Eventually.await("the rebuild is building indexes", deadlineFor(2), () -> projections.statuses().getFirst()
                    .rebuild().map(rebuild -> rebuild.phase() == ProjectionStatus.RebuildPhase.BUILDING_INDEXES)
                    .orElse(false));
            ProjectionStatus status = projections.statuses().getFirst();
            assertThat(status.state()).isEqualTo(ProjectionStatus.ProjectionState.REBUILDING);
            ProjectionStatus.RebuildProgress progress = status.rebuild().orElseThrow();
            assertThat(progress.done()).isEqualTo(2);
            assertThat(progress.indexesBuilt()).isZero();
            assertThat(progress.indexesToBuild()).isEqualTo(3);
            assertThat(progress.eta()).as("no index built yet, so no rate").isEmpty();

            UserId during = append();
            Eventually.await("an event appended during the index build is applied live", deadlineFor(1),
                    () -> appliedStreams().contains(during.value()));
            writer.commit();
        }
        Eventually.await("rebuild completes", deadlineFor(3), this::rebuildFinished);
        assertThat(indexes("applied_events")).isEqualTo(before);
        assertEveryEventAppliedOnce();
    }

    /** Secondary indexes of the recording table: plain, partial, and on an expression with included columns. */
    private void addSecondaryIndexes() {
        execute("CREATE INDEX applied_events_stream_idx ON applied_events (stream_id)");
        execute("CREATE INDEX applied_events_recent_idx ON applied_events (position DESC) WHERE position > 10");
        execute("CREATE INDEX applied_events_stream_text_idx ON applied_events ((stream_id::text)) INCLUDE (position)");
    }

    /** A table's indexes as "name: definition from USING on", sorted. */
    private List<String> indexes(String table) {
        try (Connection connection = db.rawConnection(); PreparedStatement select = connection.prepareStatement("""
                SELECT indexname || ':' || substring(indexdef FROM ' USING .*$') FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename = ? ORDER BY 1
                """)) {
            select.setString(1, table);
            List<String> indexes = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    indexes.add(rows.getString(1));
                }
            }
            return indexes;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private List<String> shapes(String table) {
        try (Connection connection = db.rawConnection()) {
            return shapes(connection, table);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** A table's index definitions from USING on, which name neither the table nor the index. */
    private static List<String> shapes(Connection connection, String table) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT substring(indexdef FROM ' USING .*$') FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename = ?
                """)) {
            select.setString(1, table);
            List<String> shapes = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    shapes.add(rows.getString(1));
                }
            }
            return shapes;
        }
    }

    private void execute(String sql) {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out waiting for a latch");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private PostgresProjections start(Projection projection) {
        return start(FAST, projection);
    }

    private PostgresProjections start(SubscriptionSettings settings, Projection... projections) {
        PostgresProjections started = new PostgresProjections(db.database(), settings,
                ProjectionObserver.NONE, List.of(projections));
        this.started.add(started);
        started.start();
        return started;
    }

    /** Time enough for the runner to handle {@code events} events on a slow, shared machine, and then some. */
    private static Duration deadlineFor(long events) {
        return Duration.ofSeconds(20).plusMillis(50 * events);
    }

    private long eventCount() {
        return queryLong("SELECT count(*) FROM events");
    }

    private long queryLong(String sql) {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private boolean rebuildFinished() {
        return queryLong("SELECT count(*) FROM subscriptions WHERE name = 'recording' AND rebuild_requested_at IS NULL"
                + " AND rebuild_started_at IS NULL") == 1;
    }

    private boolean tableExists(String table) {
        return queryLong("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '"
                + table + "'") == 1;
    }

    /** The live table holds every event of the log exactly once (UNIQUE(event_id) rules out doubles). */
    private void assertEveryEventAppliedOnce() {
        assertThat(queryLong("SELECT count(*) FROM applied_events")).isEqualTo(eventCount());
        assertThat(queryLong("SELECT count(*) FROM events e WHERE NOT EXISTS"
                + " (SELECT 1 FROM applied_events a WHERE a.event_id = e.event_id)")).isZero();
    }

    /** Stream ids in the order their events were applied. */
    private List<UUID> appliedStreams() {
        return streamsIn("applied_events");
    }

    /** Stream ids in the order their events were applied to {@code table}. */
    private List<UUID> streamsIn(String table) {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT stream_id FROM " + table + " ORDER BY seq")) {
            List<UUID> streams = new ArrayList<>();
            while (rows.next()) {
                streams.add(rows.getObject(1, UUID.class));
            }
            return streams;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private UserId append() {
        UserId id = new UserId(UUID.randomUUID());
        store.append(new AppendRequest(id, 0, List.of(new NewUserEvent(UUID.randomUUID(), created(id))),
                ReservationChanges.NONE, new EventMetadata("test", Optional.empty(), "test")));
        return id;
    }

    /** Inserts a UserCreated on the given connection (in its transaction, if one is open). */
    private static UserId insertCreated(Connection connection) throws SQLException {
        UserId id = new UserId(UUID.randomUUID());
        UserEventCodec codec = new UserEventCodec();
        UserEventCodec.Encoded encoded = codec.encode(created(id));
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,
                                    metadata, occurred_at)
                VALUES (?, ?, 'user', 1, ?, ?, ?::jsonb, '{"correlation_id":"t","actor":"t"}', now())
                """)) {
            insert.setObject(1, UUID.randomUUID());
            insert.setObject(2, id.value());
            insert.setString(3, encoded.eventType());
            insert.setInt(4, encoded.schemaVersion());
            insert.setString(5, encoded.payload());
            insert.executeUpdate();
        }
        return id;
    }

    private static UserEvent created(UserId id) {
        String name = "u" + id.value().toString().substring(0, 8);
        return new UserEvent.UserCreated(id, Email.parse(name + "@example.com"), Username.parse(name),
                new PasswordHash("$argon2id$test"), Profile.EMPTY, Instant.now().truncatedTo(ChronoUnit.MICROS));
    }

    /** Records each application; applying an event twice violates UNIQUE(event_id). */
    static class RecordingProjection implements Projection {
        private final String name;
        private final String table;

        RecordingProjection() {
            this("recording", "applied_events");
        }

        RecordingProjection(String name, String table) {
            this.name = name;
            this.table = table;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String table() {
            return table;
        }

        @Override
        public void apply(Connection tx, String table, RecordedUserEvent event) throws SQLException {
            try (PreparedStatement insert = tx.prepareStatement(
                    "INSERT INTO " + table + " (position, event_id, stream_id) VALUES (?, ?, ?)")) {
                insert.setLong(1, event.position());
                insert.setObject(2, event.eventId());
                insert.setObject(3, event.event().userId().value());
                insert.executeUpdate();
            }
        }

        @Override
        public void forget(Connection tx, String table, UUID streamId) throws SQLException {
            try (PreparedStatement delete = tx.prepareStatement("DELETE FROM " + table + " WHERE stream_id = ?")) {
                delete.setObject(1, streamId);
                delete.executeUpdate();
            }
        }
    }

    /**
     * Events are immutable (migration V6); to stage a corrupt event, or an operator's hand repair of one,
     * the test takes the documented break-glass: a superuser session with triggers off.
     */
    private static void breakGlass(Statement statement) throws java.sql.SQLException {
        statement.execute("SET session_replication_role = replica");
    }
}
