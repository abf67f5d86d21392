package io.userstream.adapters.postgres;

import io.userstream.application.port.out.StoreUnavailableException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/**
 * The database failed in a way that is not a client's mistake (corrupt row, unexpected SQL error).
 * {@link #sqlState()} and {@link #constraint()} tell an adapter which failures it expects and turns into
 * outcomes (a unique violation on a known constraint, for example).
 */
public final class DatabaseException extends RuntimeException {

    public DatabaseException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Classifies a JDBC failure: lost or unobtainable connections (SQLSTATE class 08, pool timeouts,
     * server shutting down: 57P0x) are {@link StoreUnavailableException}s a caller may retry; the rest
     * are {@link DatabaseException}s.
     */
    static RuntimeException of(String message, SQLException cause) {
        return of(message, (Throwable) cause);
    }

    /**
     * Like {@link #of(String, SQLException)} for a failure that carries its {@link SQLException} somewhere
     * on its cause chain, as the DbClient's exceptions do; {@code failure} itself stays the cause.
     */
    static RuntimeException of(String message, Throwable failure) {
        Optional<SQLException> sql = sqlException(failure);
        if (sql.isPresent() && isUnavailable(sql.get())) {
            return new StoreUnavailableException(message, failure);
        }
        return new DatabaseException(message, failure);
    }

    /** The SQLSTATE of the failure, e.g. {@code 23505}; empty if the database gave none. */
    public String sqlState() {
        return sqlState(this);
    }

    /** The constraint the failure names (for integrity violations); empty if it names none. */
    public String constraint() {
        return sqlException(this)
                .filter(PSQLException.class::isInstance)
                .map(e -> ((PSQLException) e).getServerErrorMessage())
                .map(ServerErrorMessage::getConstraint)
                .orElse("");
    }

    /** The SQLSTATE of the first {@link SQLException} on the cause chain of {@code failure}; empty if none. */
    static String sqlState(Throwable failure) {
        return sqlException(failure).map(SQLException::getSQLState).orElse("");
    }

    /**
     * Whether the database aborted the work (SQLSTATE class 40: serialization failure, deadlock): it
     * wrote nothing and may simply be run again. One definition for every caller that retries.
     */
    static boolean isAborted(Throwable failure) {
        return sqlState(failure).startsWith("40");
    }

    private static boolean isUnavailable(SQLException cause) {
        String state = cause.getSQLState() == null ? "" : cause.getSQLState();
        return cause instanceof SQLTransientConnectionException || state.startsWith("08") || state.startsWith("57P");
    }

    private static Optional<SQLException> sqlException(Throwable failure) {
        // Bounded: a cause chain may be circular.
        Throwable current = failure;
        for (int depth = 0; current != null && depth < 32; depth++, current = current.getCause()) {
            if (current instanceof SQLException sql) {
                return Optional.of(sql);
            }
        }
        return Optional.empty();
    }
}
