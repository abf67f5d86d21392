package io.userstream.bootstrap.embedded;

import org.apache.qpid.server.SystemLauncher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A real AMQP 0-9-1 broker in this JVM: Apache Qpid Broker-J with an in-memory virtual host, reachable
 * with the RabbitMQ Java client on localhost as virtual host {@code /} with user name and password.
 *
 * <p>It has no quorum queues, so user-stats-service declares classic ones on it (see
 * {@code RabbitSettings#quorumQueues}); messages live in memory and are gone after a stop.
 */
public final class EmbeddedAmqpBroker implements AutoCloseable {

    private static final String INITIAL_CONFIG = "embedded/qpid-initial-config.json";

    private final SystemLauncher launcher;
    private final int port;

    private EmbeddedAmqpBroker(SystemLauncher launcher, int port) {
        this.launcher = launcher;
        this.port = port;
    }

    /**
     * Starts the broker listening on 127.0.0.1:{@code port} (which must be free), keeping its working
     * files (no messages: the store is in memory) under {@code workDirectory}.
     */
    public static EmbeddedAmqpBroker start(Path workDirectory, int port, String user, String password) {
        URL initialConfig = Objects.requireNonNull(EmbeddedAmqpBroker.class.getClassLoader().getResource(INITIAL_CONFIG),
                INITIAL_CONFIG);
        try {
            Files.createDirectories(workDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + workDirectory, e);
        }
        SystemLauncher launcher = new SystemLauncher();
        try {
            launcher.startup(Map.of(
                    "type", "Memory",
                    "initialConfigurationLocation", initialConfig.toExternalForm(),
                    "startupLoggedToSystemOut", false,
                    "context", Map.of(
                            "qpid.work_dir", workDirectory.toAbsolutePath().toString(),
                            "qpid.amqp_port", Integer.toString(port),
                            "userstream.amqp.user", user,
                            "userstream.amqp.password", password,
                            // A port that cannot bind must fail the start, not leave a broker without a listener.
                            "qpid.broker.failStartupWithErroredChild", "true",
                            // User preferences are a management-UI feature; keep them off disk.
                            "qpid.broker.defaultPreferenceStoreAttributes", "{\"type\": \"Noop\"}")));
        } catch (Exception e) {
            launcher.shutdown();
            throw new IllegalStateException("cannot start the embedded AMQP broker on port " + port + ": " + e.getMessage(), e);
        }
        return new EmbeddedAmqpBroker(launcher, port);
    }

    /** The AMQP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** Closes the connections and stops the broker; in-memory messages are dropped. */
    @Override
    public void close() {
        launcher.shutdown();
    }
}
