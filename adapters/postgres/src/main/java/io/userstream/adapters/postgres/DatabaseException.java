package io.userstream.adapters.postgres;

import io.userstream.application.port.out.StoreUnavailableException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** The database failed in a way that is not a client's mistake (corrupt row, unexpected SQL error). */
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
        String state = cause.getSQLState() == null ? "" : cause.getSQLState();
        if (cause instanceof SQLTransientConnectionException || state.startsWith("08") || state.startsWith("57P")) {
            return new StoreUnavailableException(message, cause);
        }
        return new DatabaseException(message, cause);
    }
}
