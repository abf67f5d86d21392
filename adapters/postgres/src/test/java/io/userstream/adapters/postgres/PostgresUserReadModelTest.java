package io.userstream.adapters.postgres;

import io.userstream.application.view.UserView;
import io.userstream.domain.user.UserId;
import io.userstream.domain.user.UserStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Lookups by id, e-mail address and username; paging has its own test class and table. */
class PostgresUserReadModelTest {

    private static final Instant CREATED = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final Instant UPDATED = CREATED.plusSeconds(60);

    private static TestDatabase db;
    private static PostgresUserReadModel readModel;

    @BeforeAll
    static void open() {
        db = TestDatabase.create();
        readModel = new PostgresUserReadModel(db.database().dbClient());
    }

    @AfterAll
    static void close() throws Exception {
        db.close();
    }

    @Test
    void a_row_reads_back_as_the_user_it_shows() {
        UserView ada = new UserView(newId(), unique("Ada") + "@example.com", unique("ada"), "Ada", "Lovelace",
                "https://example.com/ada.png", UserStatus.INACTIVE, CREATED, UPDATED, null, 3);
        insert(ada);

        assertThat(readModel.findById(ada.id())).contains(ada);
    }

    @Test
    void a_deleted_user_is_found_by_id_with_its_deletion_time() {
        UserView gone = user(unique("gone") + "@example.com", unique("gone"), UserStatus.DELETED);
        insert(gone);

        Optional<UserView> read = readModel.findById(gone.id());

        assertThat(read).contains(gone);
        assertThat(read.orElseThrow().deletedAt()).isEqualTo(UPDATED);
    }

    @Test
    void an_unknown_id_finds_nothing() {
        assertThat(readModel.findById(newId())).isEmpty();
    }

    @Test
    void an_address_is_found_whatever_the_case_of_its_local_part() {
        String local = unique("Grace");
        UserView grace = user(local + "@example.com", unique("grace"), UserStatus.ACTIVE);
        insert(grace);

        assertThat(readModel.findByEmail(local.toLowerCase() + "@example.com")).contains(grace);
        assertThat(readModel.findByEmail(unique("nobody") + "@example.com")).isEmpty();
    }

    @Test
    void a_deleted_user_does_not_hold_its_address_or_username_any_more() {
        String email = unique("left") + "@example.com";
        String username = unique("left");
        insert(user(email, username, UserStatus.DELETED));

        assertThat(readModel.findByEmail(email)).isEmpty();
        assertThat(readModel.findByUsername(username)).isEmpty();
    }

    @Test
    void the_new_holder_of_an_address_or_username_a_deleted_user_gave_up_is_found() {
        String email = unique("reused") + "@example.com";
        String username = unique("reused");
        insert(user(email, username, UserStatus.DELETED));
        UserView newHolder = user(email, username, UserStatus.INACTIVE);
        insert(newHolder);

        assertThat(readModel.findByEmail(email)).contains(newHolder);
        assertThat(readModel.findByUsername(username)).contains(newHolder);
    }

    @Test
    void a_username_is_matched_exactly() {
        String username = unique("hopper");
        UserView hopper = user(unique("hopper") + "@example.com", username, UserStatus.ACTIVE);
        insert(hopper);

        assertThat(readModel.findByUsername(username)).contains(hopper);
        assertThat(readModel.findByUsername(username + "x")).isEmpty();
    }

    private static UserView user(String email, String username, UserStatus status) {
        return new UserView(newId(), email, username, "", "", "", status, CREATED, UPDATED,
                status == UserStatus.DELETED ? UPDATED : null, 2);
    }

    /** What the projection would write. */
    private static void insert(UserView view) {
        try (Connection connection = db.rawConnection();
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO user_read_model (id, email, username, first_name, last_name, avatar_url, status,
                                                  created_at, last_updated, deleted_at, version)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setObject(1, view.id().value());
            insert.setString(2, view.email());
            insert.setString(3, view.username());
            insert.setString(4, view.firstName());
            insert.setString(5, view.lastName());
            insert.setString(6, view.avatarUrl());
            insert.setString(7, view.status().name());
            insert.setTimestamp(8, Timestamp.from(view.createdAt()));
            insert.setTimestamp(9, Timestamp.from(view.updatedAt()));
            insert.setTimestamp(10, view.deletedAt() == null ? null : Timestamp.from(view.deletedAt()));
            insert.setLong(11, view.version());
            insert.executeUpdate();
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
