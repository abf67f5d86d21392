package io.userstream.adapters.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

/**
 * The audit trail cannot be rewritten: the database refuses to update, delete or truncate stored events
 * (migration V6), for the role the service runs as; and a service role that does not own {@code events}
 * (the README's production set-up) can append and read but can neither change events nor switch the
 * refusal off.
 */
class ImmutableEventsTest {

    private TestDatabase db;
    private String stream;

    @BeforeEach
    void setUp() throws SQLException {
        db = TestDatabase.create(2);
        stream = UUID.randomUUID().toString();
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            statement.execute(insert(stream, 1));
        }
    }

    @AfterEach
    void tearDown() throws SQLException {
        db.close();
    }

    private static String insert(String stream, int version) {
        return "INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,"
                + " metadata, occurred_at) VALUES ('" + UUID.randomUUID() + "', '" + stream + "', 'User', " + version
                + ", 'UserCreated', 1, '{\"data\":{}}', '{}', now())";
    }

    @Test
    void update_delete_and_truncate_of_events_are_refused_for_the_services_role() throws SQLException {
        try (Connection connection = db.rawConnection(); Statement statement = connection.createStatement()) {
            for (String change : List.of(
                    "UPDATE events SET payload = '{\"data\":{\"forged\":true}}' WHERE stream_id = '" + stream + "'",
                    "DELETE FROM events WHERE stream_id = '" + stream + "'",
                    "TRUNCATE events")) {
                assertThatThrownBy(() -> statement.execute(change)).as(change)
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("events are immutable")
                        .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("42501");
            }
            try (ResultSet row = statement.executeQuery("SELECT count(*), min(payload::text) FROM events")) {
                row.next();
                assertThat(row.getInt(1)).isEqualTo(1);
                assertThat(row.getString(2)).doesNotContain("forged");
            }
            // Appending still works: immutability is about the past.
            statement.execute(insert(stream, 2));
        }
    }

    @Test
    void a_service_role_that_does_not_own_events_appends_and_reads_but_cannot_lift_the_refusal() throws SQLException {
        String role = "us_app_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection owner = db.rawConnection(); Statement admin = owner.createStatement()) {
            admin.execute("CREATE ROLE " + role + " LOGIN");
            admin.execute("GRANT USAGE ON SCHEMA " + db.schema() + " TO " + role);
            admin.execute("GRANT SELECT, INSERT ON events TO " + role);
            admin.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + db.schema() + " TO " + role);
            try {
                try (Connection service = DriverManager.getConnection(TestDatabase.URL, role, "");
                     Statement statement = service.createStatement()) {
                    service.setSchema(db.schema());
                    statement.execute(insert(stream, 2));
                    try (ResultSet row = statement.executeQuery("SELECT count(*) FROM events")) {
                        row.next();
                        assertThat(row.getInt(1)).isEqualTo(2);
                    }
                    for (String change : List.of("UPDATE events SET version = version + 100",
                            "DELETE FROM events", "ALTER TABLE events DISABLE TRIGGER events_are_immutable",
                            "DROP TRIGGER events_are_immutable ON events")) {
                        assertThatThrownBy(() -> statement.execute(change)).as(change).isInstanceOf(SQLException.class)
                                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("42501");
                    }
                }
            } finally {
                admin.execute("DROP OWNED BY " + role);
                admin.execute("DROP ROLE " + role);
            }
        }
    }
}
