package io.userstream.adapters.postgres;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The gap-safe read of the log, on the real PostgreSQL. */
class EventLogTest {

    private TestDatabase db;
    private final EventLog log = new EventLog();

    @BeforeEach
    void open() {
        db = TestDatabase.create();
    }

    @AfterEach
    void close() throws Exception {
        db.close();
    }

    /**
     * Regression: the read once sorted by the text of the transaction id ("100" before "99"), so a batch cut
     * by its LIMIT could end at a newer transaction than an event it had not read, and the next read, after
     * that checkpoint, passed the event for good.
     */
    @Test
    void events_are_read_in_transaction_id_order_as_numbers_so_a_limited_batch_never_passes_an_unread_event()
            throws SQLException {
        try (Connection connection = db.rawConnection()) {
            // Transaction ids of long-committed transactions (far below the horizon), across a decimal boundary.
            insert(connection, 100);
            insert(connection, 99);
            insert(connection, 1000);
            insert(connection, 99);

            List<LoggedEvent> first = log.after(connection, Checkpoint.START, 2);
            assertThat(first).extracting(LoggedEvent::transactionId).containsExactly(99L, 99L);
            List<LoggedEvent> rest = log.after(connection, first.getLast().checkpoint(), 10);
            assertThat(rest).extracting(LoggedEvent::transactionId).containsExactly(100L, 1000L);
        }
    }

    private static void insert(Connection connection, long transactionId) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO events (transaction_id, event_id, stream_id, stream_type, version, event_type,
                                    schema_version, payload, metadata, occurred_at)
                VALUES (?::text::xid8, ?, ?, 'user', 1, 'UserCreated', 2, '{}', '{}', now())
                """)) {
            insert.setString(1, Long.toString(transactionId));
            insert.setObject(2, UUID.randomUUID());
            insert.setObject(3, UUID.randomUUID());
            insert.executeUpdate();
        }
    }
}
