package io.userstream.bootstrap;

import io.helidon.logging.common.LogConfig;

/**
 * Starts user-service with its bundled defaults ({@code user-service.yaml}) and environment overrides; stops
 * cleanly on SIGTERM. {@code --help} lists the configuration and starts nothing.
 */
public final class UserServiceMain {

    /** The bundled defaults: the configuration's base, and what {@code --help} lists. */
    static final String DEFAULTS = "user-service.yaml";

    private UserServiceMain() {
    }

    public static void main(String[] args) {
        if (ConfigHelp.wantsHelp(args)) {
            System.out.print(help());
            return;
        }
        if (args.length > 0) {
            System.err.println("user-service: unknown argument '" + args[0] + "'; --help lists the configuration");
            System.exit(2);
        }
        LogConfig.configureRuntime();
        UserServiceApp app = UserServiceApp.start(UserServiceSettings.from(ServiceConfig.load(DEFAULTS)));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "user-service-shutdown"));
    }

    static String help() {
        return ConfigHelp.usage("user-service", "userstream-user-service.jar", UserServiceMain.class.getName(),
                "Starts user-service: the event-sourced user API (gRPC), its projections and the outbox relay that\n"
                        + "publishes user events to RabbitMQ. Needs PostgreSQL (its database is migrated on start) and,\n"
                        + "with the outbox on, RabbitMQ.", DEFAULTS);
    }
}
