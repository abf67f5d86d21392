package io.userstream.bootstrap.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.logging.Logger;

/**
 * A real PostgreSQL (zonky's binaries, shipped as a Maven artifact) run as a child process of this JVM,
 * its data kept in a directory of ours so that users and stats survive a restart.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedPostgresServer.class.getName());
    /** The superuser initdb creates; trust authentication on localhost, as zonky sets it up. */
    public static final String USER = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDirectory) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
    }

    /**
     * Starts PostgreSQL on {@code port} (0 picks a free one) with its cluster in {@code directory}/data
     * (created by initdb the first time, reused afterwards) and creates {@code databases} if missing.
     */
    public static EmbeddedPostgresServer start(Path directory, int port, List<String> databases) {
        Path data = directory.resolve("data");
        try {
            Files.createDirectories(directory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(false)
                    // The binaries are unpacked next to the data, not in /tmp, so that everything is in one place.
                    .setOverrideWorkingDirectory(directory.resolve("runtime").toFile())
                    // Our own shutdown hook stops the services first, then PostgreSQL; zonky's would race it.
                    .setRegisterShutdownHook(false);
            if (port != 0) {
                builder.setPort(port);
            }
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(builder.start(), data);
            try {
                server.createMissing(databases);
            } catch (SQLException e) {
                server.close();
                throw new IllegalStateException("embedded PostgreSQL started but cannot create databases", e);
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + directory + ": " + e.getMessage(), e);
        }
    }

    private void createMissing(List<String> databases) throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?");
             Statement create = connection.createStatement()) {
            for (String database : databases) {
                exists.setString(1, database);
                try (ResultSet row = exists.executeQuery()) {
                    if (!row.next()) {
                        LOG.info(() -> "creating database " + database);
                        // Names are ours (constants), never user input.
                        create.execute("CREATE DATABASE " + database);
                    }
                }
            }
        }
    }

    /** The port PostgreSQL listens on (localhost). */
    public int port() {
        return postgres.getPort();
    }

    /** JDBC URL of {@code database} on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port() + "/" + database;
    }

    /** The cluster's data directory. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops PostgreSQL (a fast shutdown: open sessions are ended, committed data is on disk). */
    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop the embedded PostgreSQL", e);
        }
    }
}
