package io.userstream.cli;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The legacy CRUD {@code users} table, read over JDBC: which of its columns hold what (by name, or as mapped with
 * {@code --column}), and its rows as {@link Row}s. Only reads: the legacy application keeps owning the table.
 */
final class LegacyTable implements AutoCloseable {

    /** What the migration reads, and the column name it looks for unless mapped otherwise. */
    enum Field {
        ID("id", true), EMAIL("email", true), USERNAME("username", true), PASSWORD_HASH("password_hash", true),
        FIRST_NAME("first_name", false), LAST_NAME("last_name", false), AVATAR_URL("avatar_url", false),
        STATUS("status", false), ACTIVE("active", false), CREATED_AT("created_at", false),
        UPDATED_AT("updated_at", false), DELETED_AT("deleted_at", false);

        final String defaultColumn;
        final boolean required;

        Field(String defaultColumn, boolean required) {
            this.defaultColumn = defaultColumn;
            this.required = required;
        }

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A legacy status: from deleted_at, else the status column, else the active flag, else active. */
    enum Status { ACTIVE, INACTIVE, DELETED }

    /** One legacy row, as read. {@code updatedAt} is null when the table has no such column. */
    record Row(String legacyId, String email, String username, String passwordHash, String firstName,
               String lastName, String avatarUrl, Status status, Instant createdAt, Instant updatedAt) {
        @Override
        public String toString() {
            return "Row[legacyId=" + legacyId + ", passwordHash=redacted]";
        }
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
    private static final Set<String> ACTIVE_WORDS = Set.of("active", "enabled", "confirmed", "verified", "1", "true", "t", "y", "yes");
    private static final Set<String> INACTIVE_WORDS = Set.of("inactive", "disabled", "suspended", "locked", "blocked",
            "pending", "unverified", "0", "false", "f", "n", "no");
    private static final Set<String> DELETED_WORDS = Set.of("deleted", "removed", "closed", "archived");

    private final Connection connection;
    private final String table;
    private final Map<Field, String> columns;

    private LegacyTable(Connection connection, String table, Map<Field, String> columns) {
        this.connection = connection;
        this.table = table;
        this.columns = columns;
    }

    /**
     * Connects and finds the columns.
     *
     * @param mapping field key (e.g. {@code password_hash}) to the table's column name, for the names that differ
     * @throws CliException (usage) on an unknown field, a malformed name, or a required column the table lacks
     */
    static LegacyTable open(String jdbcUrl, String user, String password, String table, Map<String, String> mapping)
            throws SQLException {
        String quotedTable = quoteQualified(table);
        Map<Field, String> wanted = new LinkedHashMap<>();
        for (Field field : Field.values()) {
            wanted.put(field, field.defaultColumn);
        }
        mapping.forEach((key, column) -> {
            Field field = fieldOf(key);
            requireIdentifier(column, "--column " + key);
            wanted.put(field, column);
        });
        Connection connection = DriverManager.getConnection(jdbcUrl, user, password);
        try {
            connection.setReadOnly(true);
            // Actual column names by any case: PostgreSQL folds unquoted names to lower case, others do not.
            Map<String, String> present = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            try (Statement statement = connection.createStatement();
                 ResultSet empty = statement.executeQuery("SELECT * FROM " + quotedTable + " WHERE 1 = 0")) {
                ResultSetMetaData meta = empty.getMetaData();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    present.put(meta.getColumnName(i), meta.getColumnName(i));
                }
            }
            Map<Field, String> found = new LinkedHashMap<>();
            for (Map.Entry<Field, String> entry : wanted.entrySet()) {
                if (present.containsKey(entry.getValue())) {
                    found.put(entry.getKey(), present.get(entry.getValue()));
                } else if (entry.getKey().required || mapping.containsKey(entry.getKey().key())) {
                    throw new CliException(ExitCode.USAGE, "table " + table + " has no column '" + entry.getValue()
                            + "' for " + entry.getKey().key() + " (its columns: " + String.join(", ", present.values())
                            + "); map it with --column " + entry.getKey().key() + "=<column>");
                }
            }
            return new LegacyTable(connection, quotedTable, found);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Whether the table has an updated_at column (mapped or by name), which {@code migrate sync} follows. */
    boolean hasUpdatedAt() {
        return columns.containsKey(Field.UPDATED_AT);
    }

    /** The columns read, field key → column, for messages. */
    Map<String, String> columns() {
        Map<String, String> named = new LinkedHashMap<>();
        columns.forEach((field, column) -> named.put(field.key(), column));
        return named;
    }

    long count() throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT count(*) FROM " + table)) {
            result.next();
            return result.getLong(1);
        }
    }

    /** Every row, in id order, streamed (not all held in memory). */
    void forEachRow(Consumer<Row> action) throws SQLException {
        query("", List.of(), " ORDER BY " + quote(columns.get(Field.ID)), action);
    }

    /** The rows updated at or after {@code since}, oldest update first. */
    void forEachRowUpdatedSince(Instant since, Consumer<Row> action) throws SQLException {
        String updatedAt = quote(columns.get(Field.UPDATED_AT));
        query(" WHERE " + updatedAt + " >= ?", List.of(Timestamp.from(since)),
                " ORDER BY " + updatedAt + ", " + quote(columns.get(Field.ID)), action);
    }

    private void query(String where, List<Object> parameters, String order, Consumer<Row> action) throws SQLException {
        StringBuilder select = new StringBuilder("SELECT ");
        String separator = "";
        for (String column : columns.values()) {
            select.append(separator).append(quote(column));
            separator = ", ";
        }
        select.append(" FROM ").append(table).append(where).append(order);
        // PostgreSQL streams with a fetch size only inside a transaction.
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (PreparedStatement statement = connection.prepareStatement(select.toString())) {
            statement.setFetchSize(500);
            for (int i = 0; i < parameters.size(); i++) {
                statement.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    action.accept(row(rows));
                }
            }
        } finally {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
        }
    }

    private Row row(ResultSet rows) throws SQLException {
        return new Row(text(rows, Field.ID), text(rows, Field.EMAIL), text(rows, Field.USERNAME),
                text(rows, Field.PASSWORD_HASH), text(rows, Field.FIRST_NAME), text(rows, Field.LAST_NAME),
                text(rows, Field.AVATAR_URL), status(rows), instant(rows, Field.CREATED_AT),
                instant(rows, Field.UPDATED_AT));
    }

    private Status status(ResultSet rows) throws SQLException {
        if (columns.containsKey(Field.DELETED_AT) && rows.getObject(columns.get(Field.DELETED_AT)) != null) {
            return Status.DELETED;
        }
        if (columns.containsKey(Field.STATUS)) {
            String value = Optional.ofNullable(rows.getString(columns.get(Field.STATUS))).orElse("")
                    .strip().toLowerCase(Locale.ROOT);
            if (DELETED_WORDS.contains(value)) {
                return Status.DELETED;
            }
            if (INACTIVE_WORDS.contains(value)) {
                return Status.INACTIVE;
            }
            if (ACTIVE_WORDS.contains(value)) {
                return Status.ACTIVE;
            }
            throw new CliException(ExitCode.USAGE, "row " + text(rows, Field.ID) + ": status '" + value
                    + "' is none of " + new TreeSet<>(ACTIVE_WORDS) + " (active), " + new TreeSet<>(INACTIVE_WORDS)
                    + " (inactive), " + new TreeSet<>(DELETED_WORDS) + " (deleted)");
        }
        if (columns.containsKey(Field.ACTIVE)) {
            Object active = rows.getObject(columns.get(Field.ACTIVE));
            return active == null || Boolean.TRUE.equals(active) || "1".equals(String.valueOf(active))
                    || "true".equalsIgnoreCase(String.valueOf(active)) ? Status.ACTIVE : Status.INACTIVE;
        }
        return Status.ACTIVE;
    }

    private String text(ResultSet rows, Field field) throws SQLException {
        return columns.containsKey(field) ? rows.getString(columns.get(field)) : null;
    }

    private Instant instant(ResultSet rows, Field field) throws SQLException {
        if (!columns.containsKey(field)) {
            return null;
        }
        Timestamp timestamp = rows.getTimestamp(columns.get(field));
        return timestamp == null ? null : timestamp.toInstant();
    }

    /**
     * The user id user-service gives a legacy row: the legacy id if it is a UUID, else a name-based UUID of source
     * and id. The same rule as LegacyImportService.userIdOf on the server (the migration tests hold them together).
     */
    static String userIdOf(String source, String legacyId) {
        try {
            return UUID.fromString(legacyId.strip()).toString();
        } catch (IllegalArgumentException notAUuid) {
            return UUID.nameUUIDFromBytes(("userstream:legacy:" + source + ":" + legacyId.strip())
                    .getBytes(StandardCharsets.UTF_8)).toString();
        }
    }

    private static Field fieldOf(String key) {
        for (Field field : Field.values()) {
            if (field.key().equals(key.strip().toLowerCase(Locale.ROOT))) {
                return field;
            }
        }
        List<String> keys = java.util.Arrays.stream(Field.values()).map(Field::key).toList();
        throw new CliException(ExitCode.USAGE, "--column " + key + ": no such field; the fields are " + keys);
    }

    private static String quoteQualified(String table) {
        String[] parts = table.split("\\.", -1);
        if (parts.length > 2) {
            throw new CliException(ExitCode.USAGE, "--table " + table + ": give TABLE or SCHEMA.TABLE");
        }
        StringBuilder quoted = new StringBuilder();
        for (String part : parts) {
            requireIdentifier(part, "--table");
            // Unquoted, as the legacy application's SQL names it: checked to be a plain name, so nothing to escape.
            quoted.append(quoted.isEmpty() ? "" : ".").append(part);
        }
        return quoted.toString();
    }

    private static void requireIdentifier(String name, String option) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new CliException(ExitCode.USAGE, option + ": '" + name + "' is not a plain SQL name");
        }
    }

    /** Column names come from the table's own metadata: quoted, they name exactly that column. */
    private static String quote(String name) {
        return "\"" + name + "\"";
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
