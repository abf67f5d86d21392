package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;

/** Starts user-service with {@code application.yaml} and environment overrides; stops cleanly on SIGTERM. */
public final class UserServiceMain {

    private UserServiceMain() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        UserServiceApp app = UserServiceApp.start(UserServiceSettings.from(Config.create()));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "user-service-shutdown"));
    }
}
