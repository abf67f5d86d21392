package io.userstream.bootstrap;

import io.helidon.config.Config;

/**
 * {@code --help} lists exactly the configuration {@link UserServiceSettings} reads: every key it looks up (recorded as
 * it looks them up, see {@link ConfigHelp#keysRead}) is listed with its environment variable, default and
 * meaning, and every key listed is one it looks up.
 */
class UserServiceHelpTest extends ServiceHelpContract {

    @Override
    protected String service() {
        return "user-service";
    }

    @Override
    protected String keyPrefix() {
        return "userstream";
    }

    @Override
    protected void readSettings(Config config) {
        UserServiceSettings.from(config);
    }

    @Override
    protected void main(String[] args) {
        UserServiceMain.main(args);
    }
}
