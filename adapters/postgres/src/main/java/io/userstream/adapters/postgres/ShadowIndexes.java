package io.userstream.adapters.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The indexes of a rebuild's shadow table against the live table's, read from the catalog (so a rebuild that
 * resumes after a restart knows where it stands without a note of its own).
 *
 * <p>A shadow is filled by random-order upserts from the start of the log. Every index makes each of them
 * dearer, and more so as the index grows: its pages leave the cache, and after each checkpoint the first
 * change to each page writes the whole page to the WAL, which brings the next checkpoint nearer. So the
 * shadow is created with only the indexes a write needs or that guard its rows (the primary key, which the
 * upsert's {@code ON CONFLICT} names, and any unique or exclusion index), and the others ("deferred") are
 * built in one pass each (a sort) once every event up to the live checkpoint is in. An index is known by its
 * <em>shape</em>, its definition from {@code USING} on, which does not name the table or the index.
 *
 * <p>They are built {@code CONCURRENTLY}: a plain {@code CREATE INDEX} holds a transaction id for as long as it
 * sorts, and every subscription reads the log only below the oldest running one, so the live read model and the
 * relay would stall for the whole build. A concurrent build that fails leaves an invalid index behind, which
 * counts as missing and is dropped before the next try.
 */
final class ShadowIndexes {

    /**
     * One index of a table: its name, its shape, whether it may be built after the rows are in, and whether
     * it is valid (a failed concurrent build leaves an invalid one).
     */
    record Index(String name, String shape, boolean deferrable, boolean valid) {
    }

    private ShadowIndexes() {
    }

    /** The indexes of {@code table} in the current schema. */
    static List<Index> of(Connection connection, String table) throws SQLException {
        List<Index> indexes = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT c.relname, substring(pg_get_indexdef(i.indexrelid) FROM ' USING .*$'),
                       NOT (i.indisunique OR i.indisprimary OR i.indisexclusion), i.indisvalid
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_class t ON t.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = current_schema() AND t.relname = ?
                ORDER BY c.relname
                """)) {
            select.setString(1, table);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    indexes.add(new Index(rows.getString(1), rows.getString(2), rows.getBoolean(3),
                            rows.getBoolean(4)));
                }
            }
        }
        return indexes;
    }

    /**
     * Drops the deferrable indexes of a freshly created (empty) shadow; returns how many it dropped, which is
     * how many the index phase will build.
     */
    static int dropDeferrable(Connection connection, String shadow) throws SQLException {
        int dropped = 0;
        try (Statement ddl = connection.createStatement()) {
            for (Index index : of(connection, shadow)) {
                if (index.deferrable()) {
                    ddl.execute("DROP INDEX " + quote(index.name()));
                    dropped++;
                }
            }
        }
        return dropped;
    }

    /**
     * The live table's indexes that the shadow lacks (an invalid one does not count), each as many times as it
     * lacks its shape.
     */
    static List<Index> missing(Connection connection, String live, String shadow) throws SQLException {
        Map<String, Integer> inShadow = new HashMap<>();
        for (Index index : of(connection, shadow)) {
            if (index.valid()) {
                inShadow.merge(index.shape(), 1, Integer::sum);
            }
        }
        List<Index> missing = new ArrayList<>();
        for (Index index : of(connection, live)) {
            if (inShadow.merge(index.shape(), -1, Integer::sum) < 0) {
                missing.add(index);
            }
        }
        return missing;
    }

    /** Whether the shadow has an index left invalid by a failed concurrent build. */
    static boolean anyInvalid(Connection connection, String shadow) throws SQLException {
        return of(connection, shadow).stream().anyMatch(index -> !index.valid());
    }

    /** Drops what failed concurrent builds left on the shadow; in the caller's transaction. */
    static void dropInvalid(Connection connection, String shadow) throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            for (Index index : of(connection, shadow)) {
                if (!index.valid()) {
                    ddl.execute("DROP INDEX " + quote(index.name()));
                }
            }
        }
    }

    /**
     * Builds {@code liveIndex}'s shape on the shadow, concurrently (so the connection must be in autocommit
     * mode), under a name PostgreSQL chooses: the live name is taken until the swap, which gives the live
     * names back by shape ({@link #namesByShape}).
     */
    static void build(Connection connection, String shadow, Index liveIndex) throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("CREATE INDEX CONCURRENTLY ON " + shadow + " " + liveIndex.shape());
        }
    }

    /** Names of a table's valid indexes keyed by their shape. */
    static Map<String, String> namesByShape(Connection connection, String table) throws SQLException {
        Map<String, String> names = new HashMap<>();
        for (Index index : of(connection, table)) {
            if (index.valid()) {
                names.put(index.shape(), index.name());
            }
        }
        return names;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
