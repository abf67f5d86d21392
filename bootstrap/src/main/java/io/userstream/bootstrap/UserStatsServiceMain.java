package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;

/** Starts user-stats-service with {@code application.yaml} and environment overrides; stops cleanly on SIGTERM. */
public final class UserStatsServiceMain {

    private UserStatsServiceMain() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        UserStatsServiceApp app = UserStatsServiceApp.start(UserStatsServiceSettings.from(Config.create()));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "user-stats-service-shutdown"));
    }
}
