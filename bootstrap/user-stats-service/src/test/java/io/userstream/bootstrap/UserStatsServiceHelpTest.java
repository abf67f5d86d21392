package io.userstream.bootstrap;

import io.helidon.config.Config;

/**
 * {@code --help} lists exactly the configuration {@link UserStatsServiceSettings} reads: every key it looks up (recorded as
 * it looks them up, see {@link ConfigHelp#keysRead}) is listed with its environment variable, default and
 * meaning, and every key listed is one it looks up.
 */
class UserStatsServiceHelpTest extends ServiceHelpContract {

    @Override
    protected String service() {
        return "user-stats-service";
    }

    @Override
    protected String keyPrefix() {
        return "userstats";
    }

    @Override
    protected void readSettings(Config config) {
        UserStatsServiceSettings.from(config);
    }

    @Override
    protected void main(String[] args) {
        UserStatsServiceMain.main(args);
    }
}
