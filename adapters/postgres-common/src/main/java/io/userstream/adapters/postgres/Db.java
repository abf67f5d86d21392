package io.userstream.adapters.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.userstream.application.port.out.StoreUnavailableException;

import java.sql.Timestamp;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How the adapters run their ordinary SQL through the {@link DbClient}: one unit of work, either
 * autocommitted statements or one {@link DbTransaction}, with the database's failures given their meaning
 * in one place.
 *
 * <ul>
 *   <li>A unit the database aborts (SQLSTATE class 40: serialization failure, deadlock) wrote nothing and is
 *       run again, up to {@link #MAX_ATTEMPTS} times in all; if it is still aborted the store is reported
 *       unavailable ({@link StoreUnavailableException}: nothing written, try again), never as a bug.</li>
 *   <li>Other failures of the DbClient become {@link DatabaseException#of(String, Throwable)}: a lost or
 *       unobtainable connection is a {@link StoreUnavailableException}, the rest a
 *       {@link DatabaseException} whose {@link DatabaseException#sqlState() SQLSTATE} and
 *       {@link DatabaseException#constraint() constraint} the caller may inspect.</li>
 *   <li>Any other exception thrown by the work (the application's own) passes through as it is.</li>
 * </ul>
 *
 * <p>Also maps the column types the DbClient hands back as JDBC types ({@code timestamptz} is a
 * {@link Timestamp}), so that the stores read rows one way.
 */
final class Db {

    /** Runs of a unit of work the database keeps aborting, the first one included. */
    static final int MAX_ATTEMPTS = 3;

    private final DbClient client;

    Db(DbClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * Runs {@code work} outside a transaction of ours: each statement autocommits. Because an aborted
     * unit is run again, {@code work} must be safe to repeat after any of its statements failed: one
     * statement, or only reads.
     *
     * @param what what the work does, for error messages: "cannot " + what
     */
    <T> T execute(String what, Function<DbExecute, T> work) {
        return withRetries(what, () -> work.apply(client.execute()));
    }

    /**
     * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws (a failing
     * rollback is ignored: the server then ends the transaction itself). Because an aborted transaction is
     * run again, {@code work} must act only through its transaction.
     *
     * @param what what the work does, for error messages: "cannot " + what
     */
    <T> T inTransaction(String what, Function<DbTransaction, T> work) {
        return withRetries(what, () -> {
            DbTransaction transaction = client.transaction();
            try {
                T result = work.apply(transaction);
                transaction.commit();
                return result;
            } catch (RuntimeException | Error e) {
                rollbackQuietly(transaction, e);
                throw e;
            }
        });
    }

    /** Plain-JDBC work on a connection of {@link SessionConnections}. */
    @FunctionalInterface
    interface JdbcWork<T> {
        T run() throws SQLException;
    }

    /**
     * Runs plain-JDBC {@code work} (the few places listed in {@link SessionConnections}) with the same error
     * classification and the same retries of an aborted unit (SQLSTATE class 40) as the DbClient's work.
     */
    static <T> T jdbc(String what, JdbcWork<T> work) {
        return withRetries(what, () -> {
            try {
                return work.run();
            } catch (SQLException e) {
                throw new JdbcFailure(e);
            }
        });
    }

    /** Carries a plain-JDBC {@link SQLException} through {@link #withRetries}. */
    private static final class JdbcFailure extends RuntimeException {
        JdbcFailure(SQLException cause) {
            super(cause);
        }
    }

    private static <T> T withRetries(String what, Supplier<T> unit) {
        for (int attempt = 1; ; attempt++) {
            try {
                return unit.get();
            } catch (DbClientException | JdbcFailure e) {
                if (!DatabaseException.isAborted(e)) {
                    throw DatabaseException.of("cannot " + what, e);
                }
                if (attempt >= MAX_ATTEMPTS) {
                    throw new StoreUnavailableException("cannot " + what + ": the database aborted it " + attempt
                            + " times in a row (SQLSTATE " + DatabaseException.sqlState(e) + ")", e);
                }
                pauseBeforeRetry(attempt);
            }
        }
    }

    /** A short random pause, growing with the attempt, so that two deadlocked units do not meet again. */
    private static void pauseBeforeRetry(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 10L * attempt + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After a failing statement the DbClient has already closed the transaction's connection, so rollback
     * may throw; that second failure is kept with the first, never instead of it.
     */
    private static void rollbackQuietly(DbTransaction transaction, Throwable failure) {
        try {
            transaction.rollback();
        } catch (RuntimeException secondary) {
            failure.addSuppressed(secondary);
        }
    }

    // ---- binding parameters and reading rows ----

    /**
     * An instant as a parameter for {@code ?::timestamptz}: ISO-8601 with its offset ({@code Z}), which
     * PostgreSQL reads as the same instant rounded to microseconds, as it would a bound timestamp. Null
     * stays null.
     */
    static String timestamptz(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** A {@code uuid} column; null for SQL NULL. */
    static UUID uuid(DbRow row, String column) {
        return (UUID) value(row, column);
    }

    /** A {@code text} column; null for SQL NULL. */
    static String text(DbRow row, String column) {
        return (String) value(row, column);
    }

    /** A {@code bigint} column; SQL NULL is not allowed. */
    static long int8(DbRow row, String column) {
        return ((Number) value(row, column)).longValue();
    }

    /** An {@code integer} column; SQL NULL is not allowed. */
    static int int4(DbRow row, String column) {
        return ((Number) value(row, column)).intValue();
    }

    /** A {@code double precision} column; SQL NULL is not allowed. */
    static double float8(DbRow row, String column) {
        return ((Number) value(row, column)).doubleValue();
    }

    /** A {@code boolean} column; SQL NULL is not allowed. */
    static boolean bool(DbRow row, String column) {
        return (Boolean) value(row, column);
    }

    /** A {@code timestamptz} column; null for SQL NULL. */
    static Instant instant(DbRow row, String column) {
        Timestamp timestamp = (Timestamp) value(row, column);
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static Object value(DbRow row, String column) {
        return row.column(column).asOptional().orElse(null);
    }
}
