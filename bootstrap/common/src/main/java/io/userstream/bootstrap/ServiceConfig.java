package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * A service's configuration: its bundled defaults ({@code <service>.yaml} in its jar, e.g.
 * {@code user-stats-service.yaml}, the file {@code --help} is made from), overridden by environment variables
 * (upper case, dots as underscores: {@code USERSTATS_DB_URL} for {@code userstats.db.url}) and Java system
 * properties.
 */
final class ServiceConfig {

    private ServiceConfig() {
    }

    /** The class path resource holding {@code service}'s bundled defaults, e.g. {@code user-service.yaml}. */
    static String defaultsOf(String service) {
        return service + ".yaml";
    }

    /** The configuration of {@code services} (the first one's defaults over the next one's), under the environment. */
    static Config load(String... services) {
        Config.Builder builder = Config.builder();
        for (String service : services) {
            builder.addSource(ConfigSources.classpath(defaultsOf(service)));
        }
        return builder.build();
    }
}
