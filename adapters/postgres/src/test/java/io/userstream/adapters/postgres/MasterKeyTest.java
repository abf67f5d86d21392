package io.userstream.adapters.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userstream.application.port.out.AppendOutcome;
import io.userstream.application.port.out.AppendRequest;
import io.userstream.application.port.out.EventMetadata;
import io.userstream.application.port.out.NewUserEvent;
import io.userstream.application.port.out.RecordedUserEvent;
import io.userstream.application.port.out.ReservationChanges;
import io.userstream.domain.user.Email;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.Profile;
import io.userstream.domain.user.User;
import io.userstream.domain.user.UserEvent;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.Username;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Data keys wrapped under a master key: stored wrapped, opened on every read with the master key, not
 * without it; keys stored before the master key was configured still open.
 */
class MasterKeyTest {

    private static final byte[] MASTER = random(32);
    private TestDatabase db;
    /** A second pool on the same schema, with the master key: "the service after it was configured". */
    private PostgresDatabase withMaster;

    @BeforeEach
    void open() {
        db = TestDatabase.create(4);
        withMaster = PostgresDatabase.open(new PostgresSettings(TestDatabase.URL, TestDatabase.USER, "", db.schema(),
                4, Duration.ofSeconds(10)), "classpath:db/migration/users", db.schema() + "_mk").useMasterKey(MASTER);
    }

    @AfterEach
    void close() throws Exception {
        withMaster.close();
        db.close();
    }

    @Test
    void with_a_master_key_data_keys_are_stored_wrapped_and_every_read_unwraps_them() throws Exception {
        PostgresUserEventStore store = new PostgresUserEventStore(withMaster);
        String email = "mk" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        UserId id = create(store, email);

        byte[] stored = storedKey(id);
        assertThat(stored).as("wrapped: version byte, nonce, key and tag").hasSize(61);
        User loaded = User.fromHistory(store.load(id).stream().map(RecordedUserEvent::event).toList());
        assertThat(loaded.email().value()).isEqualTo(email);
        assertThat(new PostgresAuditTrail(withMaster).history(id).getFirst().dataJson()).contains(email);
        // The service's projections use the same database's codec.
        assertThat(new UserReadModelProjection(withMaster.codec()).name()).isEqualTo(UserReadModelProjection.NAME);

        // Without the master key, nothing opens: a copy of the database alone does not hold the personal data.
        PostgresUserEventStore withoutMaster = new PostgresUserEventStore(db.database());
        assertThatThrownBy(() -> withoutMaster.load(id)).hasMessageContaining("master key");
    }

    @Test
    void the_read_model_projection_unwraps_with_the_databases_master_key() throws Exception {
        String email = "rm" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        UserId id = create(new PostgresUserEventStore(withMaster), email);
        try (PostgresProjections projections = PostgresProjections.forUserService(withMaster,
                SubscriptionRunnerTest.FAST, io.userstream.application.port.out.ProjectionObserver.NONE)) {
            projections.start();
            PostgresUserReadModel readModel = new PostgresUserReadModel(withMaster.dbClient());
            Eventually.await("the user in the read model", Duration.ofSeconds(30),
                    () -> readModel.findById(id).isPresent());
            assertThat(readModel.findById(id).orElseThrow().email()).isEqualTo(email);
            assertThat(projections.statuses().getFirst().parkedEvents()).isZero();
        }
    }

    @Test
    void keys_stored_before_the_master_key_was_configured_still_open() throws Exception {
        UserId before = create(new PostgresUserEventStore(db.database()), "old" + UUID.randomUUID().toString()
                .substring(0, 8) + "@example.com");
        assertThat(storedKey(before)).as("stored as it is").hasSize(PersonalDataCipher.KEY_BYTES);
        PostgresUserEventStore store = new PostgresUserEventStore(withMaster);
        assertThat(User.fromHistory(store.load(before).stream().map(RecordedUserEvent::event).toList()).email().value())
                .startsWith("old");
        // A later event of that user is sealed with its (unwrapped) key and reads back.
        assertThat(store.append(new AppendRequest(before, 1, List.of(new NewUserEvent(UUID.randomUUID(),
                new UserEvent.ProfileUpdated(before, new Profile("Ada", "", ""), now()))), ReservationChanges.NONE,
                new EventMetadata("corr", Optional.empty(), "test")))).isEqualTo(new AppendOutcome.Appended(2));
        assertThat(User.fromHistory(store.load(before).stream().map(RecordedUserEvent::event).toList()).profile()
                .firstName()).isEqualTo("Ada");
    }

    @Test
    void a_master_key_must_be_32_bytes() {
        assertThatThrownBy(() -> KeyWrap.withMasterKey(new byte[16])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
        KeyWrap wrap = KeyWrap.withMasterKey(MASTER);
        UUID stream = UUID.randomUUID();
        byte[] key = random(32);
        byte[] wrapped = wrap.wrap(key, stream);
        assertThat(wrap.unwrap(wrapped, stream)).isEqualTo(key);
        assertThatThrownBy(() -> wrap.unwrap(wrapped, UUID.randomUUID())).as("bound to its user")
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> KeyWrap.withMasterKey(random(32)).unwrap(wrapped, stream)).as("another master key")
                .isInstanceOf(IllegalStateException.class);
    }

    private static UserId create(PostgresUserEventStore store, String email) {
        UserId id = new UserId(UUID.randomUUID());
        UserEvent created = new UserEvent.UserCreated(id, Email.parse(email),
                Username.parse("u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)),
                new PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"), Profile.EMPTY, now());
        assertThat(store.append(new AppendRequest(id, 0, List.of(new NewUserEvent(UUID.randomUUID(), created)),
                ReservationChanges.impliedBy(null, List.of(created)), new EventMetadata("corr", Optional.empty(), "test"))))
                .isEqualTo(new AppendOutcome.Appended(1));
        return id;
    }

    private byte[] storedKey(UserId id) throws Exception {
        try (Connection connection = DriverManager.getConnection(TestDatabase.URL, TestDatabase.USER, "");
             Statement statement = connection.createStatement()) {
            connection.setSchema(db.schema());
            try (ResultSet row = statement.executeQuery("SELECT data_key FROM user_keys WHERE stream_id = '" + id + "'")) {
                assertThat(row.next()).isTrue();
                return row.getBytes(1);
            }
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
