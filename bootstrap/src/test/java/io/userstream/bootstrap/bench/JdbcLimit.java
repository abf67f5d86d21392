package io.userstream.bootstrap.bench;

import io.userstream.application.support.UuidV7Generator;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Properties;
import java.util.UUID;

/**
 * The limit: plain JDBC, one autocommitted {@code INSERT} per event, each writer thread on a connection of
 * its own with the statement prepared once (what {@code pgbench -M prepared} does). The table is a copy of
 * our {@code events} table ({@code LIKE … INCLUDING ALL}: the same columns, identity, defaults, checks,
 * {@code UNIQUE (stream_id, version)} and indexes; never a trigger), in a schema of its own; the rows carry
 * the same payloads and metadata as our events ({@link BenchEvents}), with UUIDv7 ids like ours.
 *
 * <p>For the load part, {@link #loader} is the plain-JDBC read of one of our streams: our event store's
 * columns as text, nothing decoded (what any event store's load costs at least).
 */
final class JdbcLimit {

    static final String INSERT = """
            INSERT INTO events (event_id, stream_id, stream_type, version, event_type, schema_version, payload,
                                metadata, occurred_at)
            VALUES (?, ?, 'user', ?, ?, ?, ?::jsonb, ?::jsonb, ?)
            """;

    private final String url;
    private final String user;
    private final String schema;
    private final String passwordHash;

    JdbcLimit(String url, String user, String schema, String passwordHash) {
        this.url = url;
        this.user = user;
        this.schema = schema;
        this.passwordHash = passwordHash;
    }

    /** Creates the limit's schema and its copy of {@code ourSchema.events}. */
    void create(String ourSchema) throws SQLException {
        try (Connection connection = connect(null); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            statement.execute("CREATE TABLE " + schema + ".events (LIKE " + ourSchema + ".events INCLUDING ALL)");
        }
    }

    Connection connect(String searchPath) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", "");
        properties.setProperty("ApplicationName", "userstream-bench-limit");
        if (searchPath != null) {
            properties.setProperty("currentSchema", searchPath);
        }
        return DriverManager.getConnection(url, properties);
    }

    /** A writer thread: the same events as our writers, one autocommitted INSERT each. */
    Measurement.Worker writer(String tag, int thread) {
        try {
            Connection connection = connect(schema);
            PreparedStatement insert = connection.prepareStatement(INSERT);
            UuidV7Generator ids = new UuidV7Generator();
            return new CloseableWorker(connection) {
                private long stream;
                private long version;
                private BenchEvents.StreamUser current;
                private UUID id;

                @Override
                public int step() throws SQLException {
                    long next = version + 1;
                    if (next == 1) {
                        current = BenchEvents.StreamUser.of(tag, thread, stream);
                        id = ids.newId();
                    }
                    insert.setObject(1, ids.newId());
                    insert.setObject(2, id);
                    insert.setLong(3, next);
                    insert.setString(4, next == 1 ? "UserCreated" : "ProfileUpdated");
                    insert.setInt(5, next == 1 ? 2 : 1);
                    insert.setString(6, BenchEvents.json(next == 1 ? current.created(passwordHash)
                            : current.updated(next)));
                    insert.setString(7, BenchEvents.metadataJson(UUID.randomUUID().toString()));
                    insert.setTimestamp(8, Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MICROS)));
                    insert.executeUpdate();
                    version = next == BenchEvents.STREAM_LENGTH ? 0 : next;
                    if (version == 0) {
                        stream++;
                    }
                    return next == 1 ? 0 : 1;
                }
            };
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A loader thread reading our streams with plain JDBC: one {@code SELECT} of the columns our event store
     * reads, every value fetched as text, nothing decoded.
     */
    Measurement.Worker loader(String ourSchema, UUID[] streams, int expected) {
        try {
            Connection connection = connect(ourSchema);
            PreparedStatement select = connection.prepareStatement("""
                    SELECT event_id, version, position, event_type, schema_version, payload::text AS payload,
                           metadata::text AS metadata, occurred_at, recorded_at
                    FROM events WHERE stream_id = ? ORDER BY version
                    """);
            return new CloseableWorker(connection) {
                private int next;

                @Override
                public int step() throws SQLException {
                    select.setObject(1, streams[next++ % streams.length]);
                    int rows = 0;
                    try (ResultSet result = select.executeQuery()) {
                        while (result.next()) {
                            for (int column = 1; column <= 9; column++) {
                                result.getString(column);
                            }
                            rows++;
                        }
                    }
                    if (rows != expected) {
                        throw new IllegalStateException("read " + rows + " events, expected " + expected);
                    }
                    return 0;
                }
            };
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A worker that closes its own connection when the run ends. */
    private abstract static class CloseableWorker implements Measurement.Worker, AutoCloseable {
        private final Connection connection;

        CloseableWorker(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void close() throws SQLException {
            connection.close();
        }
    }
}
