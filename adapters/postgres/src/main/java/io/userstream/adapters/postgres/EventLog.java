package io.userstream.adapters.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads the event log for subscriptions, on the connection of the runner's session or of a replay
 * transaction (see {@link SessionConnections}): what it reads is applied in that same transaction.
 */
final class EventLog {

    /** The columns of an event, and its user's data key (null once the user is erased), from {@link #FROM}. */
    private static final String COLUMNS = """
            e.transaction_id::text, e.position, e.event_id, e.stream_id, e.version, e.event_type, e.schema_version,
            e.payload::text, e.metadata::text, e.occurred_at, e.recorded_at, k.data_key
            """;

    /** The log with each event's data key: one primary-key probe of {@code user_keys} per event. */
    private static final String FROM = " FROM events e LEFT JOIN user_keys k ON k.stream_id = e.stream_id ";

    /*
     * The heart of gap-safe tailing. Positions are assigned at INSERT, so a transaction that inserted
     * position 10 may commit after one that inserted 11. Reading "position > checkpoint" would pass
     * 10 for ever. Instead read in (transaction_id, position) order and only events of transactions
     * older than the oldest one still running (the snapshot's xmin): no transaction below that horizon
     * can still commit, so nothing can later appear before the checkpoint.
     *
     * The ORDER BY names the table's columns (e.transaction_id), never the bare name: a bare name in ORDER BY
     * means the OUTPUT column first, and the output column transaction_id is the ::text cast, so the log was
     * once read in the text order of transaction ids ("100" before "99"). With the LIMIT, a batch could then
     * end at a newer transaction than events it had not read yet, and the checkpoint passed them for good.
     * Ordered by the xid8 column, the read also walks the (transaction_id, position) index and stops at LIMIT.
     *
     * The horizon is the snapshot's xmin, except that transactions of OTHER databases of the cluster are passed
     * over: they hold transaction ids from the same cluster-wide counter, so they are in the snapshot's list of
     * running ones, yet they cannot write this database's events. Without this, a long transaction anywhere in
     * the cluster (user-stats-service's database, a migration, another team's job) held every subscription
     * back until it ended. A running transaction is passed over only if pg_stat_activity names it as another
     * database's (readable by any role); one it no longer lists, or lists without a database, still counts.
     * A transaction id belongs to one transaction in one database for ever, so however late pg_stat_activity
     * is read, what it says of an id stays true. With no other database's transaction running, this is
     * exactly the snapshot's xmin. The oldest is taken with ORDER BY ... LIMIT 1, not min(): min(xid8) only
     * exists from PostgreSQL 15 on, and the embedded mode (ops/run.sh --embedded) runs 14.
     */
    private static final String AFTER = "SELECT " + COLUMNS + FROM + """
            WHERE (e.transaction_id, e.position) > (?::text::xid8, ?)
              AND e.transaction_id < coalesce(
                  (SELECT running.xid FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid)
                   WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity other
                                     WHERE other.backend_xid = xid(running.xid)
                                       AND other.datid <> (SELECT oid FROM pg_database
                                                           WHERE datname = current_database()))
                   ORDER BY running.xid LIMIT 1),
                  pg_snapshot_xmax(pg_current_snapshot()))
            ORDER BY e.transaction_id, e.position
            LIMIT ?
            """;

    /** Whether anything at all follows the checkpoint, horizon or not: an index probe. */
    private static final String ANY_AFTER = """
            SELECT EXISTS (SELECT 1 FROM events e WHERE (e.transaction_id, e.position) > (?::text::xid8, ?))
            """;

    private static final String STREAMS = "SELECT " + COLUMNS + FROM
            + "WHERE e.stream_id = ANY (?) ORDER BY e.stream_id, e.version";

    private static final String BY_STREAM = "SELECT " + COLUMNS + FROM + "ORDER BY e.stream_id, e.version";

    /** What {@link #scanByStream} hands each event to. */
    @FunctionalInterface
    interface Handler {
        void accept(LoggedEvent event) throws SQLException;
    }

    /** Up to {@code limit} committed events after {@code checkpoint}, below the transaction horizon. */
    List<LoggedEvent> after(Connection connection, Checkpoint checkpoint, int limit) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(AFTER)) {
            statement.setString(1, Long.toString(checkpoint.transactionId()));
            statement.setLong(2, checkpoint.position());
            statement.setInt(3, limit);
            return read(statement);
        }
    }

    /**
     * Whether the log holds events after {@code checkpoint} that {@link #after} may not return yet, because an
     * older transaction is still running: with nothing read, this tells "at the end" from "held back".
     */
    boolean anyAfter(Connection connection, Checkpoint checkpoint) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(ANY_AFTER)) {
            statement.setString(1, Long.toString(checkpoint.transactionId()));
            statement.setLong(2, checkpoint.position());
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getBoolean(1);
            }
        }
    }

    /** Every event of one stream, in version order. */
    List<LoggedEvent> stream(Connection connection, UUID streamId) throws SQLException {
        return streams(connection, List.of(streamId)).getOrDefault(streamId, List.of());
    }

    /** Every event of each of {@code streamIds}, in version order per stream, in one statement. */
    Map<UUID, List<LoggedEvent>> streams(Connection connection, List<UUID> streamIds) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(STREAMS)) {
            statement.setArray(1, connection.createArrayOf("uuid", streamIds.toArray()));
            Map<UUID, List<LoggedEvent>> streams = new LinkedHashMap<>();
            for (LoggedEvent event : read(statement)) {
                streams.computeIfAbsent(event.streamId(), id -> new ArrayList<>()).add(event);
            }
            return streams;
        }
    }

    /**
     * Hands every event of the log that the transaction's snapshot sees to {@code handler}, stream by
     * stream ({@code stream_id} as PostgreSQL orders uuids: bytewise), each in version order. Streams
     * the rows {@code fetchSize} at a time, so the log never has to fit in memory; that needs the
     * connection out of autocommit (in a transaction), else the driver reads everything at once.
     */
    void scanByStream(Connection connection, int fetchSize, Handler handler) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(BY_STREAM)) {
            statement.setFetchSize(fetchSize);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    handler.accept(event(rows));
                }
            }
        }
    }

    private static List<LoggedEvent> read(PreparedStatement statement) throws SQLException {
        List<LoggedEvent> events = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                events.add(event(rows));
            }
        }
        return events;
    }

    private static LoggedEvent event(ResultSet rows) throws SQLException {
        return new LoggedEvent(Long.parseLong(rows.getString(1)), rows.getLong(2),
                rows.getObject(3, UUID.class), rows.getObject(4, UUID.class), rows.getLong(5),
                rows.getString(6), rows.getInt(7), rows.getString(8), rows.getString(9),
                rows.getTimestamp(10).toInstant(), rows.getTimestamp(11).toInstant(), rows.getBytes(12));
    }
}
