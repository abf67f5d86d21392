package io.userstream.adapters.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;

/**
 * A private schema in the real test database ({@code userstream_test}, created by ops/setup.sh),
 * migrated by Flyway and dropped on close, so test classes never see each other's rows.
 * Override the server with {@code USERSTREAM_TEST_DB_URL} / {@code USERSTREAM_TEST_DB_USER}.
 */
final class TestDatabase implements AutoCloseable {

    static final String URL = env("USERSTREAM_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/userstream_test");
    static final String USER = env("USERSTREAM_TEST_DB_USER", "postgres");

    private final String schema;
    private final PostgresDatabase database;

    private TestDatabase(String schema, PostgresDatabase database) {
        this.schema = schema;
        this.database = database;
    }

    static TestDatabase create() {
        return create(20);
    }

    /** Like {@link #create()}, with a pool of at most {@code maxPoolSize} connections. */
    static TestDatabase create(int maxPoolSize) {
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        // The pool is named after the schema (its connections' application_name too), so a test can tell its own
        // connections from those of other test runs and services sharing the server.
        PostgresDatabase database = PostgresDatabase.open(
                new PostgresSettings(URL, USER, "", schema, maxPoolSize, Duration.ofSeconds(10)),
                "classpath:db/migration/users", schema);
        return new TestDatabase(schema, database);
    }


    PostgresDatabase database() {
        return database;
    }

    String schema() {
        return schema;
    }

    /** A raw connection on this schema, outside the pool, for tests that drive transactions by hand. */
    Connection rawConnection() throws SQLException {
        Connection connection = DriverManager.getConnection(URL, USER, "");
        connection.setSchema(schema);
        return connection;
    }

    /** A raw connection to the same server's {@code postgres} database: another database of the cluster. */
    Connection otherDatabaseConnection() throws SQLException {
        return DriverManager.getConnection(URL.replaceFirst("/[^/?]+(?=\\?|$)", "/postgres"), USER, "");
    }

    /**
     * Makes the next {@code times} rows inserted into {@code table} that match {@code when} (a condition on
     * {@code NEW}) fail at the database with {@code sqlState}, naming {@code constraint} if not null: a lost
     * race (23505 on a unique constraint) or an aborted transaction (40001, 40P01) on demand, as real ones
     * look to the adapter. The failures are counted by a sequence because, unlike a table, it is not rolled
     * back with the statement that fails.
     */
    void failNextInserts(String table, String when, int times, String sqlState, String constraint) throws SQLException {
        String name = "fault_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String raise = "RAISE EXCEPTION USING ERRCODE = '" + sqlState + "', MESSAGE = 'injected by the test'"
                + (constraint == null ? "" : ", CONSTRAINT = '" + constraint + "'");
        try (Connection connection = rawConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SEQUENCE " + name);
            statement.execute("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "IF nextval('" + schema + "." + name + "') <= " + times + " THEN " + raise + "; END IF; "
                    + "RETURN NEW; END $$");
            statement.execute("CREATE TRIGGER " + name + " BEFORE INSERT ON " + table + " FOR EACH ROW WHEN ("
                    + when + ") EXECUTE FUNCTION " + name + "()");
        }
    }

    @Override
    public void close() throws SQLException {
        database.close();
        try (Connection connection = DriverManager.getConnection(URL, USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
