package io.userstream.adapters.postgres;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The subscription mechanism against the real PostgreSQL, with a projection that records every
 * application in a table whose UNIQUE(event_id) makes a double application fail loudly.
 */
class SubscriptionRunnerTest {

    static final SubscriptionSettings FAST = new SubscriptionSettings(50, Duration.ofMillis(200),
            Duration.ofMillis(200), 3, Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.PARK_AND_CONTINUE);

    private TestDatabase db;
    private PostgresUserEventStore store;
    private final List<PostgresProjections> started = new ArrayList<>();

    @BeforeEach
    void open() throws SQLException {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database().dataSource());
        try (Connection connection = db.rawConnection(); Statement ddl = connection.createStatement()) {
            ddl.execute("CREATE TABLE applied_events (seq BIGSERIAL PRIMARY KEY, position BIGINT NOT NULL,"
                    + " event_id UUID NOT NULL UNIQUE, stream_id UUID NOT NULL)");
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
        try (Connection connection = db.rawConnection(); Statement repair = connection.createStatement()) {
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
                corrupt.execute("UPDATE events SET schema_version = 99 WHERE stream_id = '" + broken + "'");
            }
        }
        UserId after = append();
        SubscriptionSettings stop = new SubscriptionSettings(50, Duration.ofMillis(200), Duration.ofMillis(200), 2,
                Duration.ofMillis(10), SubscriptionSettings.FailurePolicy.STOP);
        PostgresProjections projections = new PostgresProjections(db.database().dataSource(), stop,
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

    private PostgresProjections start(Projection projection) {
        PostgresProjections projections = new PostgresProjections(db.database().dataSource(), FAST,
                ProjectionObserver.NONE, List.of(projection));
        started.add(projections);
        projections.start();
        return projections;
    }

    /** Stream ids in the order their events were applied. */
    private List<UUID> appliedStreams() {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT stream_id FROM applied_events ORDER BY seq")) {
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
        @Override
        public String name() {
            return "recording";
        }

        @Override
        public String table() {
            return "applied_events";
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
}
