package io.userstream.bootstrap;

import io.helidon.logging.common.LogConfig;

/** Starts user-service with {@code user-service.yaml} and environment overrides; stops cleanly on SIGTERM. */
public final class UserServiceMain {

    private UserServiceMain() {
    }

    public static void main(String[] args) {
        if (ConfigHelp.answered(args, "user-service", UserServiceMain.class)) {
            return;
        }
        LogConfig.configureRuntime();
        UserServiceApp app = UserServiceApp.start(UserServiceSettings.from(ServiceConfig.load("user-service")));
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "user-service-shutdown"));
    }
}
