package io.userstream.bootstrap;

import io.helidon.config.Config;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service's {@code --help} lists exactly the configuration its settings read: every key they look up (recorded as
 * they look them up, see {@link ConfigHelp#keysRead}) is listed with its environment variable, default and meaning,
 * and every key listed is one they look up. Each service's test names its defaults file, key prefix, settings and main.
 */
public abstract class ServiceHelpContract {

    /** The service's name, also the base name of its bundled defaults file, e.g. {@code user-service}. */
    protected abstract String service();

    /** The first segment of its keys, e.g. {@code userstream}. */
    protected abstract String keyPrefix();

    /** Reads the service's settings from {@code config}, as its main does. */
    protected abstract void readSettings(Config config);

    /** Runs the service's main with {@code args}. */
    protected abstract void main(String[] args);

    private List<ConfigHelp.Entry> listed() {
        return ConfigHelp.entries(ServiceConfig.defaultsOf(service()));
    }

    private Set<String> listedKeys() {
        Set<String> keys = new TreeSet<>();
        listed().forEach(entry -> keys.add(entry.key()));
        return keys;
    }

    /** The keys read with the bundled defaults, and with {@code overrides} on top of them. */
    private Set<String> keysRead(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(ConfigHelp.defaults(ServiceConfig.defaultsOf(service())));
        values.putAll(overrides);
        return ConfigHelp.keysRead(this::readSettings, values);
    }

    @Test
    void every_key_the_settings_read_is_listed() {
        Set<String> read = new TreeSet<>(keysRead(Map.of()));
        read.addAll(keysRead(Map.of(keyPrefix() + ".auth.mode", "jwt")));

        assertThat(read).as("keys the settings of %s read", service()).hasSizeGreaterThan(15)
                .allMatch(key -> key.startsWith(keyPrefix() + "."));
        assertThat(listedKeys()).containsAll(read);
    }

    @Test
    void every_listed_key_is_read_by_the_settings() {
        Set<String> read = new TreeSet<>(keysRead(Map.of()));
        // The token verifier's keys are read only when tokens are verified.
        read.addAll(keysRead(Map.of(keyPrefix() + ".auth.mode", "jwt")));

        assertThat(read).containsAll(listedKeys());
    }

    @Test
    void every_listed_key_has_a_meaning_and_its_environment_variable() {
        assertThat(listed()).isNotEmpty().allSatisfy(entry -> {
            assertThat(entry.meaning()).as(entry.key()).isNotBlank();
            assertThat(entry.environmentVariable()).isEqualTo(entry.key().replace('.', '_').toUpperCase());
        });
    }

    @Test
    void help_prints_usage_and_every_key_and_starts_nothing() {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            // Returns at once: help is printed before any configuration is loaded or anything started.
            main(new String[] {"--help"});
            main(new String[] {"-h"});
        } finally {
            System.setOut(original);
        }
        String help = printed.toString(StandardCharsets.UTF_8);

        assertThat(help).contains("\n\n" + service() + ": ")
                .startsWith("Usage: java -jar userstream-" + service() + ".jar [--help]");
        for (ConfigHelp.Entry entry : listed()) {
            assertThat(help).contains("\n  " + entry.key() + "\n      " + entry.environmentVariable() + "  (default: ");
        }
    }
}
