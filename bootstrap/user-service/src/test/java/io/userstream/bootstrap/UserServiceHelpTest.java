package io.userstream.bootstrap;

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
 * {@code --help} lists exactly the configuration {@link UserServiceSettings} reads: every key it looks up (recorded as
 * it looks them up, see {@link ConfigHelp#keysRead}) is listed with its environment variable, default and
 * meaning, and every key listed is one it looks up.
 */
class UserServiceHelpTest {

    private static final List<ConfigHelp.Entry> LISTED = ConfigHelp.entries(ServiceConfig.defaultsOf("user-service"));

    private static Set<String> listedKeys() {
        Set<String> keys = new TreeSet<>();
        LISTED.forEach(entry -> keys.add(entry.key()));
        return keys;
    }

    /** The keys read with the bundled defaults, and with {@code overrides} on top of them. */
    private static Set<String> keysRead(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(ConfigHelp.defaults(ServiceConfig.defaultsOf("user-service")));
        values.putAll(overrides);
        return ConfigHelp.keysRead(config -> UserServiceSettings.from(config), values);
    }

    @Test
    void every_key_the_settings_read_is_listed() {
        Set<String> read = new TreeSet<>(keysRead(Map.of()));
        read.addAll(keysRead(Map.of("userstream.auth.mode", "jwt")));

        assertThat(read).as("keys UserServiceSettings reads").hasSizeGreaterThan(15).allMatch(key -> key.startsWith("userstream."));
        assertThat(listedKeys()).containsAll(read);
    }

    @Test
    void every_listed_key_is_read_by_the_settings() {
        Set<String> read = new TreeSet<>(keysRead(Map.of()));
        // The token verifier's keys are read only when tokens are verified.
        read.addAll(keysRead(Map.of("userstream.auth.mode", "jwt")));

        assertThat(read).containsAll(listedKeys());
    }

    @Test
    void every_listed_key_has_a_meaning_and_its_environment_variable() {
        assertThat(LISTED).isNotEmpty().allSatisfy(entry -> {
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
            UserServiceMain.main(new String[] {"--help"});
            UserServiceMain.main(new String[] {"-h"});
        } finally {
            System.setOut(original);
        }
        String help = printed.toString(StandardCharsets.UTF_8);

        assertThat(help).contains("\n\nuser-service: ").startsWith("Usage: java -jar userstream-user-service.jar [--help]");
        for (ConfigHelp.Entry entry : LISTED) {
            assertThat(help).contains("\n  " + entry.key() + "\n      " + entry.environmentVariable() + "  (default: ");
        }
    }
}
