package io.userstream.adapters.postgres;

import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase;
import io.userstream.application.port.in.UpdateProfileUseCase;
import io.userstream.application.port.in.UserCommand;
import io.userstream.application.port.in.ChangeEmailUseCase;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.ProjectionObserver;
import io.userstream.application.view.ProjectionStatus.ProjectionState;
import io.userstream.application.view.ProjectionVerification;
import io.userstream.application.view.ProjectionVerification.DifferenceKind;
import io.userstream.application.view.ProjectionVerification.FieldDifference;
import io.userstream.application.view.ProjectionVerification.UserDifference;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.service.UserCommandService;
import io.userstream.application.support.UuidV7Generator;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The user read model as the projection keeps it, rebuilds it and replays into it, on the real PostgreSQL. */
class UserReadModelProjectionTest {

    private static final CommandContext CONTEXT = new CommandContext("test", Optional.empty(), "test");

    private TestDatabase db;
    private PostgresUserEventStore store;
    private UserCommandService commands;
    private PostgresProjections projections;

    @BeforeEach
    void open() {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
        PasswordHash constant = new PasswordHash("$argon2id$test");
        commands = new UserCommandService(store, new PasswordHasher() {
            @Override
            public PasswordHash hash(PlainPassword password) {
                return constant;
            }

            @Override
            public boolean matches(PlainPassword password, PasswordHash hash) {
                return false;
            }
        }, () -> Instant.now().truncatedTo(ChronoUnit.MICROS), new UuidV7Generator());
        projections = PostgresProjections.forUserService(db.database(), SubscriptionRunnerTest.FAST,
                ProjectionObserver.NONE);
        projections.start();
    }

    @AfterEach
    void close() throws Exception {
        projections.close();
        db.close();
    }

    @Test
    void the_read_model_follows_every_command() {
        User user = create();
        String id = user.id().toString();
        commands.changeEmail(new ChangeEmailUseCase.ChangeEmail(id, "changed-" + user.username() + "@example.org",
                OptionalLong.empty()), CONTEXT);
        commands.updateProfile(new UpdateProfileUseCase.UpdateProfile(id, Optional.of("Grace"), Optional.empty(),
                Optional.of("https://example.com/g.png"), OptionalLong.empty()), CONTEXT);
        commands.deactivateUser(new UserCommand(id, OptionalLong.empty()), CONTEXT);
        User deleted = commands.deleteUser(new UserCommand(id, OptionalLong.empty()), CONTEXT);

        awaitCaughtUp();
        assertThat(rows()).containsEntry(deleted.id().value(), row(deleted));
        assertThat(rows().get(deleted.id().value())).contains("DELETED", "Grace", "changed-");
    }

    @Test
    void one_set_based_batch_equals_the_events_applied_one_at_a_time_and_applying_it_again_changes_nothing()
            throws Exception {
        for (int i = 0; i < 5; i++) {
            User user = create();
            String id = user.id().toString();
            commands.changeEmail(new ChangeEmailUseCase.ChangeEmail(id, "batch-" + user.username() + "@example.org",
                    OptionalLong.empty()), CONTEXT);
            commands.updateProfile(new UpdateProfileUseCase.UpdateProfile(id, Optional.of("G" + i), Optional.of("H"),
                    Optional.empty(), OptionalLong.empty()), CONTEXT);
            if (i % 2 == 0) {
                commands.deactivateUser(new UserCommand(id, OptionalLong.empty()), CONTEXT);
            }
            if (i % 3 == 0) {
                commands.deleteUser(new UserCommand(id, OptionalLong.empty()), CONTEXT);
            }
        }
        awaitCaughtUp();
        UserEventCodec codec = new UserEventCodec();
        UserReadModelProjection projection = new UserReadModelProjection();
        try (Connection connection = db.rawConnection(); Statement sql = connection.createStatement()) {
            List<RecordedUserEvent> log = new EventLog().after(connection, Checkpoint.START, 10_000).stream()
                    .map(event -> event.decode(codec)).toList();
            sql.execute("CREATE TABLE whole_batch (LIKE user_read_model INCLUDING ALL)");
            sql.execute("CREATE TABLE split_batches (LIKE user_read_model INCLUDING ALL)");
            // The whole log as one batch (every user's events folded at once) ...
            SessionConnections.inTransaction(connection, () -> {
                projection.applyBatch(connection, "whole_batch", log);
                return null;
            });
            // ... and as batches that cut through users' streams, the second applied twice (a redelivery).
            int cut = log.size() / 2 + 1;
            SessionConnections.inTransaction(connection, () -> {
                projection.applyBatch(connection, "split_batches", log.subList(0, cut));
                projection.applyBatch(connection, "split_batches", log.subList(cut, log.size()));
                projection.applyBatch(connection, "split_batches", log.subList(cut, log.size()));
                projection.applyBatch(connection, "whole_batch", log);
                return null;
            });
            for (String table : List.of("whole_batch", "split_batches")) {
                // user_read_model was kept by the runner, batch by batch as the commands committed.
                try (ResultSet row = sql.executeQuery("SELECT (SELECT count(*) FROM user_read_model),"
                        + " (SELECT count(*) FROM (SELECT * FROM user_read_model EXCEPT SELECT * FROM " + table + ") d),"
                        + " (SELECT count(*) FROM (SELECT * FROM " + table + " EXCEPT SELECT * FROM user_read_model) d)")) {
                    row.next();
                    assertThat(row.getLong(1)).isEqualTo(5);
                    assertThat(row.getLong(2)).as(table + " lacks rows of user_read_model").isZero();
                    assertThat(row.getLong(3)).as(table + " has rows user_read_model lacks").isZero();
                }
            }
        }
    }

    @Test
    void a_rebuild_while_writers_and_readers_run_ends_equal_to_the_fold_of_every_stream() throws Exception {
        List<UserId> ids = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 300; i++) {
            ids.add(create().id());
        }
        awaitCaughtUp();

        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong reads = new AtomicLong();
        Thread writer = Thread.ofPlatform().start(() -> {
            int i = 0;
            while (running.get()) {
                try {
                    if (i % 3 == 0) {
                        ids.add(create().id());
                    } else {
                        commands.updateProfile(new UpdateProfileUseCase.UpdateProfile(ids.get(i % ids.size()).toString(),
                                Optional.of("n" + i), Optional.empty(), Optional.empty(), OptionalLong.empty()), CONTEXT);
                    }
                    i++;
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        });
        Thread reader = Thread.ofPlatform().start(() -> {
            while (running.get()) {
                try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
                     ResultSet row = statement.executeQuery("SELECT count(*) FROM user_read_model")) {
                    row.next();
                    if (row.getLong(1) < 300) {
                        failures.add(new AssertionError("a reader saw only " + row.getLong(1) + " users"));
                    }
                    reads.incrementAndGet();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        });

        try {
            projections.requestRebuild(UserReadModelProjection.NAME);
            Eventually.await("rebuild starts", Duration.ofSeconds(10), () -> status().rebuild().isPresent()
                    || rebuildFinished());
            // The rebuild has to read the log as it stood, then catch up with the live table once.
            Eventually.await("rebuild completes", Duration.ofSeconds(30).plusMillis(50 * eventCount()),
                    this::rebuildFinished);
        } finally {
            // Also when the wait fails: the threads must not outlive the test (and its schema).
            running.set(false);
            writer.join();
            reader.join();
        }

        assertThat(failures).isEmpty();
        assertThat(reads.get()).isPositive();
        awaitCaughtUp();
        Map<UUID, String> expected = new HashMap<>();
        for (UserId id : ids) {
            List<RecordedUserEvent> history = store.load(id);
            expected.put(id.value(), row(User.fromHistory(history.stream().map(RecordedUserEvent::event).toList())));
        }
        assertThat(rows()).isEqualTo(expected);
        assertThat(projections.parkedEvents(Optional.empty())).as("valid events parked").isEmpty();
        assertThat(status().state()).isEqualTo(ProjectionState.RUNNING);
        assertThat(indexNames()).as("the swapped-in table keeps the live index names migrations refer to")
                .containsExactlyInAnyOrder("user_read_model_pkey", "user_read_model_email_idx", "user_read_model_username_idx",
                        "user_read_model_status_id_idx");
    }

    @Test
    void a_row_missing_under_the_projection_is_rebuilt_from_the_log_when_the_users_next_event_arrives()
            throws Exception {
        User user = create();
        String id = user.id().toString();
        commands.changeEmail(new ChangeEmailUseCase.ChangeEmail(id, "first-" + user.username() + "@example.org",
                OptionalLong.empty()), CONTEXT);
        awaitCaughtUp();
        try (Connection connection = db.rawConnection(); Statement tamper = connection.createStatement()) {
            // Whatever removed it (an operator, a bug), the log still holds the user's first two events.
            tamper.execute("DELETE FROM user_read_model WHERE id = '" + id + "'");
        }

        User updated = commands.updateProfile(new UpdateProfileUseCase.UpdateProfile(id, Optional.of("Grace"),
                Optional.empty(), Optional.empty(), OptionalLong.empty()), CONTEXT);
        awaitCaughtUp();

        assertThat(rows().get(user.id().value())).isEqualTo(row(updated));
        assertThat(projections.parkedEvents(Optional.empty())).as("nothing parked").isEmpty();
    }

    @Test
    void replaying_a_stream_repairs_a_tampered_row() throws Exception {
        User user = create();
        awaitCaughtUp();
        try (Connection connection = db.rawConnection(); Statement tamper = connection.createStatement()) {
            tamper.execute("UPDATE user_read_model SET email = 'wrong@example.com', version = 99 WHERE id = '"
                    + user.id() + "'");
        }

        assertThat(projections.replayStream(UserReadModelProjection.NAME, user.id())).isEqualTo(1);
        assertThat(rows().get(user.id().value())).isEqualTo(row(user));
    }

    @Test
    void verification_names_exactly_the_damaged_users_in_id_order_without_their_personal_data() throws Exception {
        List<User> users = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            users.add(create());
        }
        // Every kind of event, so the clean verification below compares every column the projection writes.
        String first = users.get(0).id().toString();
        commands.changeEmail(new ChangeEmailUseCase.ChangeEmail(first, "other-" + users.get(0).username()
                + "@example.org", OptionalLong.empty()), CONTEXT);
        commands.updateProfile(new UpdateProfileUseCase.UpdateProfile(users.get(1).id().toString(),
                Optional.of("Grace"), Optional.of("Hopper"), Optional.of("https://example.com/g.png"),
                OptionalLong.empty()), CONTEXT);
        commands.deactivateUser(new UserCommand(users.get(2).id().toString(), OptionalLong.empty()), CONTEXT);
        commands.deleteUser(new UserCommand(users.get(3).id().toString(), OptionalLong.empty()), CONTEXT);
        awaitCaughtUp();

        ProjectionVerification clean = verify(20);
        assertThat(clean.usersChecked()).isEqualTo(12);
        assertThat(clean.usersDiffering()).isZero();
        assertThat(clean.usersSkipped()).isZero();
        assertThat(clean.differences()).isEmpty();
        assertThat(clean.checkpoint()).isEqualTo(status().checkpoint());

        User tampered = users.get(4);
        User removed = users.get(5);
        UUID orphan = UUID.fromString("ffffffff-ffff-7fff-bfff-ffffffffffff");
        try (Connection connection = db.rawConnection(); Statement tamper = connection.createStatement()) {
            tamper.execute("UPDATE user_read_model SET email = 'wrong@example.com', status = 'INACTIVE' WHERE id = '"
                    + tampered.id() + "'");
            tamper.execute("DELETE FROM user_read_model WHERE id = '" + removed.id() + "'");
            tamper.execute("INSERT INTO user_read_model (id, email, username, status, created_at, last_updated,"
                    + " version) VALUES ('" + orphan + "', 'ghost@example.com', 'ghost', 'ACTIVE', now(), now(), 1)");
        }

        ProjectionVerification all = verify(10);
        assertThat(all.usersChecked()).isEqualTo(13);
        assertThat(all.usersDiffering()).isEqualTo(3);
        List<UUID> damaged = List.of(tampered.id().value(), removed.id().value()).stream()
                .sorted(UserReadModelVerifier::compareAsPostgres).toList();
        assertThat(all.differences()).extracting(UserDifference::userId)
                .containsExactly(damaged.get(0), damaged.get(1), orphan);
        assertThat(all.differences()).filteredOn(d -> d.userId().equals(tampered.id().value())).singleElement()
                .satisfies(d -> {
                    assertThat(d.kind()).isEqualTo(DifferenceKind.FIELDS_DIFFER);
                    assertThat(d.fields()).containsExactly(new FieldDifference("email", true, "", ""),
                            new FieldDifference("status", false, "ACTIVE", "INACTIVE"));
                });
        assertThat(all.differences()).filteredOn(d -> d.userId().equals(removed.id().value()))
                .extracting(UserDifference::kind).containsExactly(DifferenceKind.ROW_MISSING);
        assertThat(all.differences().getLast().kind()).isEqualTo(DifferenceKind.ROW_WITHOUT_STREAM);
        assertThat(all.toString()).doesNotContain("example.com").doesNotContain("Ada");

        ProjectionVerification limited = verify(2);
        assertThat(limited.usersDiffering()).isEqualTo(3);
        assertThat(limited.differences()).extracting(UserDifference::userId).containsExactlyElementsOf(damaged);
    }

    @Test
    void streams_with_events_after_the_checkpoint_are_skipped_not_reported() {
        User kept = create();
        User changedLater = create();
        awaitCaughtUp();
        // Stopped, the projection holds its checkpoint: what follows is in the log but not yet due in the table.
        projections.close();
        commands.changeEmail(new ChangeEmailUseCase.ChangeEmail(changedLater.id().toString(),
                "later-" + changedLater.username() + "@example.org", OptionalLong.empty()), CONTEXT);
        create();

        ProjectionVerification verification = verify(20);
        assertThat(verification.usersChecked()).isEqualTo(1);
        assertThat(verification.usersSkipped()).isEqualTo(2);
        assertThat(verification.usersDiffering()).isZero();
        assertThat(rows()).containsEntry(kept.id().value(), row(kept));
    }

    @Test
    void only_projections_that_keep_a_table_can_be_verified() {
        PostgresProjections withRelay = PostgresProjections.forUserService(db.database(), SubscriptionRunnerTest.FAST,
                ProjectionObserver.NONE, events -> { });
        assertThat(withRelay.verify("outbox_relay", 20)).isEmpty();
    }

    @Test
    void uuids_compare_as_postgresql_orders_them() {
        UUID low = UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff");
        UUID high = UUID.fromString("80000000-0000-0000-8000-000000000000");
        assertThat(low.compareTo(high)).as("Java's own order is signed").isPositive();
        assertThat(UserReadModelVerifier.compareAsPostgres(low, high)).isNegative();
        assertThat(UserReadModelVerifier.compareAsPostgres(high, high)).isZero();
    }

    private ProjectionVerification verify(int limit) {
        return projections.verify(UserReadModelProjection.NAME, limit).orElseThrow();
    }

    private List<String> indexNames() {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                     + " AND tablename = 'user_read_model'")) {
            List<String> names = new ArrayList<>();
            while (rows.next()) {
                names.add(rows.getString(1));
            }
            return names;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private long eventCount() {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT count(*) FROM events")) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private boolean rebuildFinished() {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(
                     "SELECT rebuild_requested_at IS NULL FROM subscriptions WHERE name = 'user_read_model'")) {
            return row.next() && row.getBoolean(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private io.userstream.application.view.ProjectionStatus status() {
        return projections.statuses().getFirst();
    }

    private void awaitCaughtUp() {
        Eventually.await("projection caught up", Duration.ofSeconds(30), () -> status().lagEvents() == 0);
    }

    private User create() {
        String name = "u" + UUID.randomUUID().toString().substring(0, 12);
        return commands.createUser(new CreateUserUseCase.CreateUser(name + "@example.com", name, "long-enough-pw",
                "Ada", "", ""), CONTEXT);
    }

    /** A user as one comparable line, in the read model's terms. */
    private static String row(User user) {
        return String.join("|", user.email().value(), user.username().value(), user.profile().firstName(),
                user.profile().lastName(), user.profile().avatarUrl(), user.status().name(),
                user.createdAt().toString(), user.updatedAt().toString(),
                String.valueOf(user.deletedAt()), Long.toString(user.version()));
    }

    private Map<UUID, String> rows() {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id, email, username, first_name, last_name, avatar_url,"
                     + " status, created_at, last_updated, deleted_at, version FROM user_read_model")) {
            Map<UUID, String> result = new HashMap<>();
            while (rows.next()) {
                result.put(rows.getObject(1, UUID.class), String.join("|", rows.getString(2), rows.getString(3),
                        rows.getString(4), rows.getString(5), rows.getString(6), rows.getString(7),
                        rows.getTimestamp(8).toInstant().toString(), rows.getTimestamp(9).toInstant().toString(),
                        String.valueOf(rows.getTimestamp(10) == null ? null : rows.getTimestamp(10).toInstant()),
                        Long.toString(rows.getLong(11))));
            }
            return result;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
