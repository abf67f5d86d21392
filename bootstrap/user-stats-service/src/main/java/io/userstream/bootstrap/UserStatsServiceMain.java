package io.userstream.bootstrap;

import io.helidon.logging.common.LogConfig;

/** Starts user-stats-service with {@code user-stats-service.yaml} and environment overrides; stops cleanly on SIGTERM. */
public final class UserStatsServiceMain {

    private UserStatsServiceMain() {
    }

    public static void main(String[] args) {
        if (ConfigHelp.answered(args, "user-stats-service", UserStatsServiceMain.class)) {
            return;
        }
        LogConfig.configureRuntime();
        UserStatsServiceApp app = UserStatsServiceApp.start(UserStatsServiceSettings.from(ServiceConfig.load("user-stats-service")));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "user-stats-service-shutdown"));
    }
}
