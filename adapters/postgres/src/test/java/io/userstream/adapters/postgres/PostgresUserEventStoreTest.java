package io.userstream.adapters.postgres;

import io.userstream.application.port.in.CommandContext;
import io.userstream.application.port.in.CreateUserUseCase.CreateUser;
import io.userstream.application.port.in.UpdateProfileUseCase.UpdateProfile;
import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.Reservation;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.port.out.StoreUnavailableException;
import io.userstream.application.service.UserCommandService;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserRejectedException;
import io.userstream.domain.user.UserRejection;
import io.userstream.domain.user.UserStatus;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PostgresUserEventStoreTest {

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final EventMetadata METADATA = new EventMetadata("corr-1", Optional.of("cause-1"), "tester");

    private static TestDatabase db;
    private static PostgresUserEventStore store;

    @BeforeAll
    static void open() {
        db = TestDatabase.create();
        store = new PostgresUserEventStore(db.database());
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @Test
    void appended_events_load_back_equal_with_versions_positions_and_metadata() {
        UserId id = newId();
        UserEvent created = created(id, "Ada@Example.com", unique("ada"));
        UserEvent renamed = new UserEvent.ProfileUpdated(id, new Profile("Ada", "Lovelace", "https://example.com/a.png"),
                T0.plusSeconds(1));
        UserEvent emailChanged = new UserEvent.EmailChanged(id, Email.parse("Ada@Example.com"),
                Email.parse(unique("ada") + "@example.org"), T0.plusSeconds(2));

        assertThat(append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created))
                .isEqualTo(new AppendOutcome.Appended(1));
        assertThat(append(id, 1, ReservationChanges.NONE, renamed, emailChanged))
                .isEqualTo(new AppendOutcome.Appended(3));

        List<RecordedUserEvent> history = store.load(id);
        assertThat(history).extracting(RecordedUserEvent::event).containsExactly(created, renamed, emailChanged);
        assertThat(history).extracting(RecordedUserEvent::version).containsExactly(1L, 2L, 3L);
        assertThat(history.get(1).position()).isLessThan(history.get(2).position());
        assertThat(history).allSatisfy(event -> assertThat(event.metadata()).isEqualTo(METADATA));
        assertThat(User.fromHistory(history.stream().map(RecordedUserEvent::event).toList()).version()).isEqualTo(3);
    }

    @Test
    void an_unknown_stream_loads_empty() {
        assertThat(store.load(newId())).isEmpty();
    }

    @Test
    void appending_at_a_stale_or_future_expected_version_is_a_conflict_and_writes_nothing() {
        UserId id = newId();
        UserEvent created = created(id, unique("x") + "@example.com", unique("x"));
        append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created);

        assertThat(append(id, 0, ReservationChanges.NONE, new UserEvent.UserDeactivated(id, T0)))
                .isEqualTo(new AppendOutcome.VersionConflict());
        assertThat(append(id, 5, ReservationChanges.NONE, new UserEvent.UserDeactivated(id, T0)))
                .isEqualTo(new AppendOutcome.VersionConflict());
        assertThat(store.load(id)).hasSize(1);
    }

    @Test
    void concurrent_appends_at_the_same_version_let_exactly_one_win() throws Exception {
        UserId id = newId();
        UserEvent created = created(id, unique("race") + "@example.com", unique("race"));
        append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created);

        List<AppendOutcome> outcomes = race(16, i -> append(id, 1, ReservationChanges.NONE,
                new UserEvent.PasswordChanged(id, new PasswordHash("$argon2id$" + i), T0)));

        assertThat(outcomes).filteredOn(AppendOutcome.Appended.class::isInstance).hasSize(1);
        assertThat(outcomes).filteredOn(AppendOutcome.VersionConflict.class::isInstance).hasSize(15);
        assertThat(store.load(id)).hasSize(2);
    }

    @Test
    void two_concurrent_registrations_with_one_email_exactly_one_succeeds() throws Exception {
        String email = unique("dup") + "@example.com";
        List<UserId> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(newId());
        }
        // Same address in different case of the local part: still one mailbox for uniqueness.
        List<AppendOutcome> outcomes = race(8, i -> {
            UserEvent created = created(ids.get(i), i % 2 == 0 ? email : email.toUpperCase().replace("EXAMPLE.COM", "example.com"),
                    unique("u" + i));
            return append(ids.get(i), 0, ReservationChanges.impliedBy(null, List.of(created)), created);
        });

        assertThat(outcomes).filteredOn(AppendOutcome.Appended.class::isInstance).hasSize(1);
        assertThat(outcomes).filteredOn(AppendOutcome.ReservationTaken.class::isInstance)
                .allSatisfy(o -> assertThat(((AppendOutcome.ReservationTaken) o).reservation())
                        .isEqualTo(new Reservation(Reservation.Kind.EMAIL, email.toLowerCase())))
                .hasSize(7);
        // The losers left no trace: no events, no username reservations.
        long streamsWithEvents = ids.stream().filter(id -> !store.load(id).isEmpty()).count();
        assertThat(streamsWithEvents).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM username_reservations WHERE stream_id = ANY (ARRAY["
                + String.join(",", ids.stream().map(id -> "'" + id + "'::uuid").toList()) + "])")).isEqualTo(1);
    }

    @Test
    void a_taken_username_is_reported_as_such() {
        String username = unique("taken");
        UserId first = newId();
        UserId second = newId();
        UserEvent a = created(first, unique("a") + "@example.com", username);
        UserEvent b = created(second, unique("b") + "@example.com", username);
        append(first, 0, ReservationChanges.impliedBy(null, List.of(a)), a);

        assertThat(append(second, 0, ReservationChanges.impliedBy(null, List.of(b)), b))
                .isEqualTo(new AppendOutcome.ReservationTaken(new Reservation(Reservation.Kind.USERNAME, username)));
        assertThat(store.load(second)).isEmpty();
    }

    @Test
    void held_tells_which_emails_and_usernames_a_stream_holds_and_forgets_released_ones() {
        String email = unique("held") + "@example.com";
        String username = unique("held");
        UserId id = newId();
        UserEvent a = created(id, email, username);
        Reservation emailKey = new Reservation(Reservation.Kind.EMAIL, email);
        Reservation usernameKey = new Reservation(Reservation.Kind.USERNAME, username);
        Reservation free = new Reservation(Reservation.Kind.EMAIL, unique("free") + "@example.com");
        // A username spelled like the held e-mail key is another namespace: not held.
        Reservation otherKind = new Reservation(Reservation.Kind.USERNAME, email);
        assertThat(store.held(List.of(emailKey, usernameKey))).isEmpty();

        append(id, 0, ReservationChanges.impliedBy(null, List.of(a)), a);

        assertThat(store.held(List.of(emailKey, usernameKey, free, otherKind)))
                .containsExactlyInAnyOrder(emailKey, usernameKey);
        assertThat(store.held(List.of(free))).isEmpty();
        assertThat(store.held(List.of())).isEmpty();

        UserEvent deleted = new UserEvent.UserDeleted(id, T0.plusSeconds(5));
        append(id, 1, ReservationChanges.impliedBy(User.fromHistory(List.of(a)), List.of(deleted)), deleted);
        assertThat(store.held(List.of(emailKey, usernameKey))).isEmpty();
    }

    @Test
    void deleting_a_user_releases_its_email_and_username_for_someone_else() {
        String email = unique("gone") + "@example.com";
        String username = unique("gone");
        UserId first = newId();
        UserEvent a = created(first, email, username);
        append(first, 0, ReservationChanges.impliedBy(null, List.of(a)), a);
        User before = User.fromHistory(List.of(a));
        UserEvent deleted = new UserEvent.UserDeleted(first, T0.plusSeconds(5));
        append(first, 1, ReservationChanges.impliedBy(before, List.of(deleted)), deleted);

        UserId second = newId();
        UserEvent b = created(second, email, username);
        assertThat(append(second, 0, ReservationChanges.impliedBy(null, List.of(b)), b))
                .isEqualTo(new AppendOutcome.Appended(1));
        assertThat(User.fromHistory(store.load(first).stream().map(RecordedUserEvent::event).toList()).status())
                .isEqualTo(UserStatus.DELETED);
    }

    @Test
    void the_payload_keeps_personal_data_apart_sealed_with_the_users_key_and_rows_record_the_transaction()
            throws Exception {
        UserId id = newId();
        String email = unique("pii") + "@example.com";
        UserEvent created = new UserEvent.UserCreated(id, Email.parse(email), Username.parse(unique("pii")),
                new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"), new Profile("Ada", "Lovelace", ""),
                T0.truncatedTo(ChronoUnit.MICROS));
        append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created);
        UserEvent renamed = new UserEvent.ProfileUpdated(id, new Profile("Augusta", "King", ""),
                T0.truncatedTo(ChronoUnit.MICROS));
        append(id, 1, ReservationChanges.NONE, renamed);

        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT payload->'personal'->>'alg', payload->'data' ? 'email',"
                     + " payload->'data' ? 'password_hash', transaction_id IS NOT NULL, stream_type, schema_version,"
                     + " metadata->>'correlation_id', payload::text FROM events WHERE stream_id = '" + id + "'"
                     + " ORDER BY version")) {
            assertThat(row.next()).isTrue();
            assertThat(row.getString(1)).as("personal part sealed").isEqualTo("A256GCM");
            assertThat(row.getBoolean(2)).as("email not under data").isFalse();
            assertThat(row.getBoolean(3)).as("password hash under data").isTrue();
            assertThat(row.getBoolean(4)).isTrue();
            assertThat(row.getString(5)).isEqualTo("user");
            assertThat(row.getInt(6)).as("UserCreated is at schema version 2").isEqualTo(2);
            assertThat(row.getString(7)).isEqualTo("corr-1");
            assertThat(row.getString(8)).doesNotContain(email).doesNotContain("Ada").doesNotContain("Lovelace");
            assertThat(row.next()).isTrue();
            assertThat(row.getString(1)).as("a one-event append seals too").isEqualTo("A256GCM");
            assertThat(row.getString(8)).doesNotContain("Augusta");
        }
        assertThat(count("SELECT count(*) FROM user_keys WHERE stream_id = '" + id + "'")).isEqualTo(1);
        User loaded = User.fromHistory(store.load(id).stream().map(RecordedUserEvent::event).toList());
        assertThat(loaded.email().value()).isEqualTo(email);
        assertThat(loaded.profile()).isEqualTo(new Profile("Augusta", "King", ""));
    }

    @Test
    void without_its_key_a_users_personal_data_reads_as_erased_and_plaintext_events_of_old_still_read()
            throws Exception {
        UserId erased = newId();
        UserEvent created = created(erased, unique("gone") + "@example.com", unique("gone"));
        append(erased, 0, ReservationChanges.impliedBy(null, List.of(created)), created);
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            statement.execute("DELETE FROM user_keys WHERE stream_id = '" + erased + "'");
        }
        User shredded = User.fromHistory(store.load(erased).stream().map(RecordedUserEvent::event).toList());
        assertThat(shredded.email().value()).isEqualTo(PersonalDataCipher.erasedEmail(erased.value()))
                .endsWith("@erased.invalid");
        assertThat(shredded.username()).isEqualTo(((UserEvent.UserCreated) created).username());
        assertThat(new PostgresAuditTrail(db.database().dbClient()).history(erased).getFirst().dataJson())
                .contains("\"email\":\"[erased]\"");

        // Stored before encryption: plaintext personal data, no key; it reads as it is.
        UserId old = newId();
        String oldEmail = unique("old") + "@example.com";
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version,"
                    + " payload, metadata, occurred_at) VALUES ('" + UUID.randomUUID() + "', '" + old + "', 'user', 1,"
                    + " 'UserCreated', 2, '{\"data\":{\"username\":\"" + unique("old") + "\",\"password_hash\":\"$x\"},"
                    + " \"personal\":{\"email\":\"" + oldEmail + "\",\"first_name\":\"\",\"last_name\":\"\","
                    + "\"avatar_url\":\"\"}}', '{}', now())");
        }
        assertThat(User.fromHistory(store.load(old).stream().map(RecordedUserEvent::event).toList()).email().value())
                .isEqualTo(oldEmail);
    }

    @Test
    void reserved_email_addresses_are_stored_as_keyed_hashes_and_old_plaintext_ones_are_hashed_at_start()
            throws Exception {
        UserId id = newId();
        String email = unique("hmac") + "@example.com";
        UserEvent created = created(id, email, unique("hmac"));
        append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created);
        Reservation reservation = Reservation.of(Email.parse(email));
        assertThat(count("SELECT count(*) FROM email_reservations WHERE email_key = '" + reservation.key() + "'"))
                .as("no plaintext address").isZero();
        assertThat(count("SELECT count(*) FROM email_reservations WHERE stream_id = '" + id + "'"
                + " AND email_key ~ '^[0-9a-f]{64}$'")).isEqualTo(1);
        assertThat(store.holder(reservation)).contains(id);
        assertThat(store.held(List.of(reservation))).containsExactly(reservation);

        // A reservation written in plaintext by an older version.
        UserId old = newId();
        String oldEmail = unique("plain") + "@example.com";
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO email_reservations (email_key, stream_id) VALUES ('" + oldEmail + "', '"
                    + old + "')");
        }
        assertThat(store.hashPlaintextReservations()).isEqualTo(1);
        assertThat(store.hashPlaintextReservations()).as("once").isZero();
        assertThat(store.holder(Reservation.of(Email.parse(oldEmail)))).contains(old);
        assertThat(count("SELECT count(*) FROM email_reservations WHERE strpos(email_key, '@') > 0")).isZero();
    }

    // ---- the database's errors keep their meaning ----

    @Test
    void a_duplicate_stream_version_at_the_database_is_a_version_conflict_that_commands_retry() throws Exception {
        UserId id = newId();
        UserEvent created = created(id, unique("dv") + "@example.com", unique("dv"));
        append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created);
        // The guard passes, then the unique (stream_id, version) constraint refuses: a race lost at the last moment.
        db.failNextInserts("events", "NEW.stream_id = '" + id + "'", 1, "23505", "events_stream_version_key");

        assertThat(append(id, 1, ReservationChanges.NONE, new UserEvent.UserDeactivated(id, T0)))
                .isEqualTo(new AppendOutcome.VersionConflict());

        db.failNextInserts("events", "NEW.stream_id = '" + id + "'", UserCommandService.MAX_ATTEMPTS - 1, "23505",
                "events_stream_version_key");
        User renamed = commands().updateProfile(new UpdateProfile(id.toString(), Optional.of("Retried"),
                Optional.empty(), Optional.empty(), OptionalLong.empty()), CONTEXT);
        assertThat(renamed.version()).isEqualTo(2);

        db.failNextInserts("events", "NEW.stream_id = '" + id + "'", UserCommandService.MAX_ATTEMPTS, "23505",
                "events_stream_version_key");
        UserRejectedException conflict = catchThrowableOfType(UserRejectedException.class, () -> commands().updateProfile(
                new UpdateProfile(id.toString(), Optional.of("Never"), Optional.empty(), Optional.empty(),
                        OptionalLong.empty()), CONTEXT));
        assertThat(conflict.rejection()).isEqualTo(new UserRejection.ConcurrencyConflict(id, UserCommandService.MAX_ATTEMPTS));
        assertThat(store.load(id)).hasSize(2);
    }

    @Test
    void a_clash_on_a_reservation_is_an_address_or_username_already_taken() {
        String email = unique("clash") + "@example.com";
        String username = unique("clash");
        commands().createUser(new CreateUser(email, username, "correct horse battery", null, null, null), CONTEXT);

        UserRejectedException emailTaken = catchThrowableOfType(UserRejectedException.class, () -> commands().createUser(
                new CreateUser(email.toUpperCase(), unique("other"), "correct horse battery", null, null, null), CONTEXT));
        UserRejectedException usernameTaken = catchThrowableOfType(UserRejectedException.class, () -> commands().createUser(
                new CreateUser(unique("other") + "@example.com", username, "correct horse battery", null, null, null),
                CONTEXT));

        assertThat(emailTaken.rejection()).isInstanceOf(UserRejection.EmailAlreadyTaken.class);
        assertThat(usernameTaken.rejection()).isEqualTo(new UserRejection.UsernameAlreadyTaken(Username.parse(username)));
        assertThat(count("SELECT count(*) FROM username_reservations WHERE username = '" + username + "'")).isEqualTo(1);
    }

    @Test
    void a_serialization_failure_or_a_deadlock_is_run_again_and_never_an_internal_error() throws Exception {
        UserId id = newId();
        UserEvent created = created(id, unique("ab") + "@example.com", unique("ab"));
        String stream = "NEW.stream_id = '" + id + "'";
        db.failNextInserts("events", stream, 1, "40001", null);
        assertThat(append(id, 0, ReservationChanges.impliedBy(null, List.of(created)), created))
                .isEqualTo(new AppendOutcome.Appended(1));

        db.failNextInserts("events", stream, Db.MAX_ATTEMPTS - 1, "40P01", null);
        assertThat(append(id, 1, ReservationChanges.NONE, new UserEvent.UserDeactivated(id, T0)))
                .isEqualTo(new AppendOutcome.Appended(2));

        // Aborted every time: unavailable (nothing written, try again later), not a bug in the service.
        db.failNextInserts("events", stream, Db.MAX_ATTEMPTS, "40P01", null);
        assertThat(catchThrowableOfType(StoreUnavailableException.class,
                () -> append(id, 2, ReservationChanges.NONE, new UserEvent.UserActivated(id, T0))))
                .hasMessageContaining("40P01");
        assertThat(store.load(id)).hasSize(2);
        assertThat(count("SELECT count(*) FROM email_reservations WHERE stream_id = '" + id + "'")).isEqualTo(1);
    }

    private static final CommandContext CONTEXT = new CommandContext("corr-2", Optional.empty(), "tester");

    /** The application's command handling over this store, with a stand-in for the (slow) password hashing. */
    private static UserCommandService commands() {
        PasswordHasher fast = new PasswordHasher() {
            @Override
            public PasswordHash hash(PlainPassword password) {
                return new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
            }

            @Override
            public boolean matches(PlainPassword password, PasswordHash hash) {
                return false;
            }
        };
        return new UserCommandService(store, fast, () -> T0, UUID::randomUUID);
    }

    private interface Attempt {
        AppendOutcome run(int index) throws Exception;
    }

    /** Runs {@code n} attempts released at the same instant and returns their outcomes. */
    private static List<AppendOutcome> race(int n, Attempt attempt) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<AppendOutcome>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return attempt.run(index);
                }));
            }
            start.countDown();
            List<AppendOutcome> outcomes = new ArrayList<>();
            for (Future<AppendOutcome> future : futures) {
                outcomes.add(future.get(30, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    private static AppendOutcome append(UserId id, long expectedVersion, ReservationChanges reservations, UserEvent... events) {
        List<NewUserEvent> newEvents = new ArrayList<>();
        for (UserEvent event : events) {
            newEvents.add(new NewUserEvent(UUID.randomUUID(), event));
        }
        return store.append(new AppendRequest(id, expectedVersion, newEvents, reservations, METADATA));
    }

    private static UserEvent created(UserId id, String email, String username) {
        return new UserEvent.UserCreated(id, Email.parse(email), Username.parse(username),
                new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"), new Profile("", "", ""),
                T0.truncatedTo(ChronoUnit.MICROS));
    }

    private static long count(String sql) {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static UserId newId() {
        return new UserId(UUID.randomUUID());
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
