package io.userstream.adapters.postgres;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The one way the adapters take a plain JDBC connection of the pool (the DbClient draws its own from the
 * same pool, see {@link PostgresDatabase}), and run one transaction on it. Everything else goes through
 * the DbClient ({@link Db}). Used for exactly these, each for a reason the DbClient cannot meet; at the
 * root of the first two, {@code DbClient.unwrap(Connection.class)} hands out a new pooled connection,
 * never the one of a DbClient transaction, so no DbClient work can join a connection held as a session:
 *
 * <ul>
 *   <li><b>A subscription's session</b> ({@link SubscriptionRunner}): the connection that holds the
 *       subscription's session-level advisory lock for as long as it is active, and LISTENs for new
 *       events, is the one that commits each batch with its checkpoint (and any parking), so that if the
 *       process dies or the connection is cut, the lock and a half-done batch vanish together.</li>
 *   <li><b>The operator's replay of a stream</b> ({@link PostgresProjections#replayStream},
 *       {@link PostgresProjections#retryParkedEvent}): one transaction that takes the subscription's row
 *       lock and applies the projection through {@link Projection#apply}, the very code (on a
 *       {@link Connection}) that the runner's batches run in their session; a DbClient replay would need
 *       a second implementation of every projection.</li>
 *   <li><b>The operator's verification of a projection</b> ({@link PostgresProjections#verify}): the
 *       whole log and the whole table streamed with a fetch size, in one read-only snapshot; the
 *       DbClient has no fetch size and would read them whole into memory.</li>
 *   <li><b>The event store's stream load</b> ({@link PostgresUserEventStore#load}): before every command on a
 *       user the command side does not remember; the DbClient ran it at 0.50–0.66 × the throughput of plain
 *       JDBC (it copies every column of every row with its metadata), measured by {@code DbClientCostBenchmark}.</li>
 *   <li><b>The health check</b> ({@link PostgresDatabase#isReachable()}): {@link Connection#isValid(int)}
 *       answers within its own timeout; a DbClient query has none.</li>
 * </ul>
 */
final class SessionConnections {

    /** Work that runs inside the transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    private final DataSource pool;

    /** @param pool the very pool the DbClient draws from: one pool for both */
    SessionConnections(DataSource pool) {
        this.pool = pool;
    }

    /**
     * A connection of the pool for a subscription's session or an operator's replay (see above), in
     * autocommit mode; the caller closes it. Closing it ends its session: its advisory locks and LISTENs
     * go with it.
     */
    Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /** Whether a connection can be had and answers within {@code timeoutSeconds}; for health checks. */
    boolean isValid(int timeoutSeconds) {
        try (Connection connection = pool.getConnection()) {
            return connection.isValid(timeoutSeconds);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Runs {@code work} in one transaction on {@code connection}: commits if it returns, rolls back
     * and rethrows if it throws; the connection is back in autocommit mode either way.
     */
    static <T> T inTransaction(Connection connection, Work<T> work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            T result = work.run();
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly(connection);
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /** Rolls back, ignoring a broken connection: the server then rolls the transaction back itself. */
    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; the server rolls the transaction back itself.
        }
    }
}
