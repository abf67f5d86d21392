package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * A service's configuration: its bundled defaults ({@code user-service.yaml} or {@code user-stats-service.yaml}
 * in its jar, the file {@code --help} is made from), overridden by environment variables (upper case, dots as
 * underscores: {@code USERSTATS_DB_URL} for {@code userstats.db.url}) and Java system properties.
 */
final class ServiceConfig {

    private ServiceConfig() {
    }

    /** The bundled defaults of {@code resources} (later ones under earlier ones), under the environment. */
    static Config load(String... resources) {
        Config.Builder builder = Config.builder();
        for (String resource : resources) {
            builder.addSource(ConfigSources.classpath(resource));
        }
        return builder.build();
    }
}
