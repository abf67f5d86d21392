package io.userstream.adapters.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** One transaction on a given connection, with commit, rollback and autocommit restored in one place. */
final class Transactions {

    /** Work that runs inside the transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    private Transactions() {
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
    static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; the server rolls the transaction back itself.
        }
    }
}
