package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import io.userstream.bootstrap.embedded.EmbeddedInfrastructure;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts user-service and user-stats-service in this one JVM against an embedded PostgreSQL and an
 * embedded AMQP broker ({@code ops/run.sh --embedded}, or {@code ops/run.sh} where neither server is
 * installed); prints where everything listens; on SIGINT/SIGTERM stops the services, then the servers.
 *
 * <p>Configuration is the usual one (both services' bundled defaults, {@code user-service.yaml} and
 * {@code user-stats-service.yaml}, and environment overrides, e.g. {@code USERSTREAM_GRPC_PORT}) with the database and broker settings replaced by the embedded ones;
 * {@code USERSTREAM_DATA_DIR} names the data directory, {@code USERSTREAM_EMBEDDED_POSTGRES_PORT} and
 * {@code USERSTREAM_EMBEDDED_AMQP_PORT} fix the servers' ports (default: free ones).
 *
 * <p>Both services share Helidon's global meter registry here, so each {@code /metrics} shows the
 * meters of both; their names do not overlap.
 */
public final class EmbeddedMain {

    private static final Logger LOG = Logger.getLogger(EmbeddedMain.class.getName());
    /** Printed once everything is up; ops' smoke test waits for it. */
    static final String READY = "userstream is ready";

    private EmbeddedMain() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Config base = ServiceConfig.load("user-service", "user-stats-service");
        Path dataDirectory = Path.of(base.get("userstream.data.dir").asString().orElse(".userstream-data"));
        Running running = new Running();
        // Registered first, so that a Ctrl-C during the start also stops what has started.
        Runtime.getRuntime().addShutdownHook(new Thread(running::close, "userstream-shutdown"));
        try {
            running.infrastructure = EmbeddedInfrastructure.start(dataDirectory,
                    base.get("userstream.embedded.postgres.port").asInt().orElse(0),
                    base.get("userstream.embedded.amqp.port").asInt().orElse(0));
            Map<String, String> overrides = new HashMap<>(running.infrastructure.configuration());
            running.users = UserServiceApp.start(UserServiceSettings.from(layered(base, overrides)));
            // user-stats-service repairs through the user-service of this JVM, wherever it listens.
            overrides.put("userstats.userservice.target", "127.0.0.1:" + running.users.grpcPort());
            running.stats = UserStatsServiceApp.start(UserStatsServiceSettings.from(layered(base, overrides)));
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "start failed", e);
            System.err.println("userstream could not start: " + describe(e));
            System.exit(1); // runs the shutdown hook, which stops what did start
        }
        EmbeddedInfrastructure servers = running.infrastructure;
        System.out.println(String.join(System.lineSeparator(),
                "",
                READY + " (embedded PostgreSQL and AMQP broker; Ctrl-C stops everything):",
                "  user-service        gRPC  127.0.0.1:" + running.users.grpcPort()
                        + "   metrics/health  http://127.0.0.1:" + running.users.httpPort() + "/metrics",
                "  user-stats-service  gRPC  127.0.0.1:" + running.stats.grpcPort()
                        + "   metrics/health  http://127.0.0.1:" + running.stats.httpPort() + "/metrics",
                "  PostgreSQL          " + servers.postgres().jdbcUrl(EmbeddedInfrastructure.USERS_DATABASE)
                        + " (and " + EmbeddedInfrastructure.STATS_DATABASE + "), user postgres, no password",
                "  AMQP 0-9-1 broker   amqp://" + EmbeddedInfrastructure.AMQP_USER + ":" + EmbeddedInfrastructure.AMQP_PASSWORD
                        + "@127.0.0.1:" + servers.broker().port() + "/ (Apache Qpid Broker-J, messages in memory)",
                "  data                " + servers.dataDirectory(),
                ""));
    }

    /** {@code overrides} on top of {@code base}: the embedded servers win over any configured ones. */
    private static Config layered(Config base, Map<String, String> overrides) {
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(overrides), ConfigSources.create(base))
                .build();
    }

    /** The message chain of a failure, e.g. "cannot listen for gRPC on 0.0.0.0:9090: Address already in use". */
    private static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder(String.valueOf(failure.getMessage()));
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(": ").append(cause.getMessage());
            }
        }
        return text.toString();
    }

    /** What has started so far; stopped in reverse order, whatever the stage. */
    private static final class Running {
        volatile EmbeddedInfrastructure infrastructure;
        volatile UserServiceApp users;
        volatile UserStatsServiceApp stats;

        synchronized void close() {
            stop(stats);
            stop(users);
            stop(infrastructure);
            System.out.println("userstream stopped");
        }

        private static void stop(AutoCloseable part) {
            if (part == null) {
                return;
            }
            try {
                part.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "while stopping " + part.getClass().getSimpleName(), e);
            }
        }
    }
}
