package io.userstream.bootstrap;

import io.helidon.logging.common.LogConfig;

/**
 * Starts user-stats-service with its bundled defaults ({@code user-stats-service.yaml}) and environment
 * overrides; stops cleanly on SIGTERM. {@code --help} lists the configuration and starts nothing.
 */
public final class UserStatsServiceMain {

    /** The bundled defaults: the configuration's base, and what {@code --help} lists. */
    static final String DEFAULTS = "user-stats-service.yaml";

    private UserStatsServiceMain() {
    }

    public static void main(String[] args) {
        if (ConfigHelp.wantsHelp(args)) {
            System.out.print(help());
            return;
        }
        if (args.length > 0) {
            System.err.println("user-stats-service: unknown argument '" + args[0] + "'; --help lists the configuration");
            System.exit(2);
        }
        LogConfig.configureRuntime();
        UserStatsServiceApp app = UserStatsServiceApp.start(UserStatsServiceSettings.from(ServiceConfig.load(DEFAULTS)));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "user-stats-service-shutdown"));
    }

    static String help() {
        return ConfigHelp.usage("user-stats-service", "userstream-user-stats-service.jar",
                UserStatsServiceMain.class.getName(),
                "Starts user-stats-service: consumes user-service's events from RabbitMQ into per-user stats in its own\n"
                        + "PostgreSQL database (migrated on start), serves them over gRPC and HTTP, and repairs missing\n"
                        + "stats from user-service's history.", DEFAULTS);
    }
}
