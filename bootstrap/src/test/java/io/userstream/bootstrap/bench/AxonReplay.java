package io.userstream.bootstrap.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.jdbc.ConnectionWrapperFactory;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.eventhandling.pooled.PooledStreamingEventProcessor;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.eventsourcing.eventstore.EmbeddedEventStore;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.messaging.annotation.SourceId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The peer's replay: Axon Framework 4.12's {@link PooledStreamingEventProcessor} reading the same events from
 * its {@link JdbcEventStorageEngine} (through an {@link EmbeddedEventStore}) into a table of the same shape as
 * our {@code user_read_model}, the way its users write a projection: an annotated {@link EventHandler} per
 * event type, one upsert per event over JDBC, one transaction per batch (the processor's unit of work, with
 * the token update in the same transaction, through a {@link JdbcTokenStore}). Processor settings are
 * Axon's defaults (16 segments, a worker pool of 4 as its configuration module gives, the engine's fetch
 * batch of 100) except the processor's batch size, set to our engine's ({@code --axon-batch}).
 */
final class AxonReplay implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final JdbcEventStorageEngine engine;
    private final ThreadBoundTransactions transactions;
    private final JdbcTokenStore tokenStore;

    AxonReplay(String url, String user, String schema) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword("");
        config.setSchema(schema);
        config.setMaximumPoolSize(12);
        config.setPoolName("bench-axon-replay");
        config.addDataSourceProperty("ApplicationName", "userstream-bench-axon-replay");
        this.dataSource = new HikariDataSource(config);
        this.engine = AxonPeer.engine(dataSource);
        this.transactions = new ThreadBoundTransactions(dataSource);
        this.tokenStore = JdbcTokenStore.builder().connectionProvider(transactions).serializer(AxonPeer.serializer())
                .build();
    }

    /** Axon's event and token tables, and the read model: a copy of {@code ourSchema.user_read_model}. */
    void createSchema(String ourSchema) throws SQLException {
        engine.createSchema(PostgresEventTableFactory.INSTANCE);
        tokenStore.createSchema(PostgresTokenTableFactory.INSTANCE);
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE user_read_model (LIKE " + ourSchema + ".user_read_model INCLUDING ALL)");
        }
    }

    /**
     * Copies our log into Axon's table, in log order: the same events, as Axon stores them (aggregate id,
     * 0-based sequence number, payload and metadata JSON as bytea, payload type the harness's record class).
     */
    long copyEvents(String ourSchema) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            return statement.executeUpdate("""
                    INSERT INTO DomainEventEntry (aggregateIdentifier, sequenceNumber, type, eventIdentifier,
                                                  metaData, payload, payloadRevision, payloadType, timeStamp)
                    SELECT stream_id::text, version - 1, 'User', event_id::text, convert_to(metadata::text, 'UTF8'),
                           convert_to(payload::text, 'UTF8'), NULL,
                           CASE event_type WHEN 'UserCreated' THEN '%s' ELSE '%s' END,
                           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                    FROM %s.events ORDER BY transaction_id, position
                    """.formatted(BenchEvents.UserCreated.class.getName(), BenchEvents.ProfileUpdated.class.getName(),
                    ourSchema));
        }
    }

    /** Empties the read model and the tokens, for the next replay. */
    void reset() throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE user_read_model");
            statement.execute("DELETE FROM TokenEntry");
        }
    }

    /**
     * Replays the whole log into the (empty) read model; returns once {@code users} users are at version 2
     * (every generated user's last event), or throws after {@code limitSeconds}.
     */
    void replay(String name, int batchSize, int users, long limitSeconds) throws Exception {
        EmbeddedEventStore eventStore = EmbeddedEventStore.builder().storageEngine(engine).build();
        ScheduledExecutorService coordinator = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService workers = Executors.newScheduledThreadPool(4);
        PooledStreamingEventProcessor processor = PooledStreamingEventProcessor.builder()
                .name(name)
                .eventHandlerInvoker(SimpleEventHandlerInvoker.builder().eventHandlers(new Projector(transactions))
                        .build())
                .messageSource(eventStore)
                .tokenStore(tokenStore)
                .transactionManager(transactions)
                .coordinatorExecutor(coordinator)
                .workerExecutor(workers)
                .batchSize(batchSize)
                .build();
        try {
            processor.start();
            long deadline = System.nanoTime() + limitSeconds * 1_000_000_000L;
            while (done() < users) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Axon's replay did not finish in " + limitSeconds + " s: "
                            + done() + " of " + users + " users done");
                }
                Thread.sleep(20);
            }
        } finally {
            processor.shutDown();
            coordinator.shutdownNow();
            workers.shutdownNow();
            eventStore.shutDown();
        }
    }

    private long done() throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             var row = statement.executeQuery("SELECT count(*) FROM user_read_model WHERE version = 2")) {
            row.next();
            return row.getLong(1);
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }

    /** The projection, as an Axon user writes it: one handler and one upsert per event type. */
    public static final class Projector {
        private final ConnectionProvider connections;

        Projector(ConnectionProvider connections) {
            this.connections = connections;
        }

        @EventHandler
        public void on(BenchEvents.UserCreated event, @SourceId String userId, @SequenceNumber Long sequence,
                       @Timestamp Instant at) throws SQLException {
            try (Connection connection = connections.getConnection();
                 PreparedStatement upsert = connection.prepareStatement("""
                         INSERT INTO user_read_model (id, email, username, first_name, last_name, avatar_url, status,
                                                      created_at, last_updated, deleted_at, version)
                         VALUES (?::uuid, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?, NULL, ?)
                         ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, username = EXCLUDED.username,
                             first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                             avatar_url = EXCLUDED.avatar_url, status = EXCLUDED.status,
                             created_at = EXCLUDED.created_at, last_updated = EXCLUDED.last_updated,
                             deleted_at = NULL, version = EXCLUDED.version
                         """)) {
                OffsetDateTime time = at.atOffset(ZoneOffset.UTC);
                upsert.setString(1, userId);
                upsert.setString(2, event.personal().email());
                upsert.setString(3, event.data().username());
                upsert.setString(4, event.personal().firstName());
                upsert.setString(5, event.personal().lastName());
                upsert.setString(6, event.personal().avatarUrl());
                upsert.setObject(7, time);
                upsert.setObject(8, time);
                upsert.setLong(9, sequence + 1);
                upsert.executeUpdate();
            }
        }

        @EventHandler
        public void on(BenchEvents.ProfileUpdated event, @SourceId String userId, @SequenceNumber Long sequence,
                       @Timestamp Instant at) throws SQLException {
            try (Connection connection = connections.getConnection();
                 PreparedStatement update = connection.prepareStatement("""
                         UPDATE user_read_model SET first_name = ?, last_name = ?, avatar_url = ?, last_updated = ?,
                                                    version = ?
                         WHERE id = ?::uuid
                         """)) {
                update.setString(1, event.personal().firstName());
                update.setString(2, event.personal().lastName());
                update.setString(3, event.personal().avatarUrl());
                update.setObject(4, at.atOffset(ZoneOffset.UTC));
                update.setLong(5, sequence + 1);
                update.setString(6, userId);
                update.executeUpdate();
            }
        }
    }

    /**
     * A JDBC transaction manager for Axon without Spring: a transaction binds one pooled connection to the
     * thread (autocommit off) until it commits or rolls back; a transaction started inside another joins it
     * (Spring's REQUIRED). {@link #getConnection()} hands out the bound connection (its close does nothing),
     * so the handlers' upserts and the token store's update share the batch's transaction.
     */
    static final class ThreadBoundTransactions implements TransactionManager, ConnectionProvider {
        private final javax.sql.DataSource dataSource;
        private final ThreadLocal<Connection> bound = new ThreadLocal<>();

        ThreadBoundTransactions(javax.sql.DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public Transaction startTransaction() {
            if (bound.get() != null) {
                return new Transaction() {
                    @Override
                    public void commit() {
                    }

                    @Override
                    public void rollback() {
                    }
                };
            }
            Connection connection;
            try {
                connection = dataSource.getConnection();
                connection.setAutoCommit(false);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot begin a transaction", e);
            }
            bound.set(connection);
            return new Transaction() {
                @Override
                public void commit() {
                    end(connection, true);
                }

                @Override
                public void rollback() {
                    end(connection, false);
                }
            };
        }

        private void end(Connection connection, boolean commit) {
            bound.remove();
            try (connection) {
                if (commit) {
                    connection.commit();
                } else {
                    connection.rollback();
                }
                connection.setAutoCommit(true);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot " + (commit ? "commit" : "roll back"), e);
            }
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection connection = bound.get();
            return connection == null ? dataSource.getConnection()
                    : ConnectionWrapperFactory.wrap(connection, new ConnectionWrapperFactory.NoOpCloseHandler());
        }
    }
}
