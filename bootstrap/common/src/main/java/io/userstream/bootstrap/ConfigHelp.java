package io.userstream.bootstrap;

import io.helidon.config.Config;
import io.helidon.config.spi.ConfigNode;
import io.helidon.config.spi.ConfigSource;
import io.helidon.config.spi.LazyConfigSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service's {@code --help}: usage, and every configuration key it reads with its environment variable,
 * default and meaning. The list is read from the service's bundled defaults file (the very file its
 * configuration is loaded from, see {@link ServiceConfig}): each key's value there is its default and its
 * comment is its meaning; a commented-out key ({@code # threads:}) is one read without a fixed default. So a
 * key cannot be documented without having a default to run with, and each service's settings test checks
 * that the keys listed are the keys its settings class reads.
 */
final class ConfigHelp {

    /**
     * One configuration key.
     *
     * @param key          the full key, e.g. {@code userstats.db.url}
     * @param defaultValue its bundled default; empty if it has none (then the meaning says what unset does)
     * @param meaning      one line
     */
    record Entry(String key, Optional<String> defaultValue, String meaning) {

        /** The environment variable that overrides it, e.g. {@code USERSTATS_DB_URL}. */
        String environmentVariable() {
            return key.replace('.', '_').toUpperCase(Locale.ROOT);
        }
    }

    private static final Pattern KEY = Pattern.compile("^( *)([a-z][a-z0-9_]*):[ ]*(\"[^\"]*\"|[^#\\s][^#]*?)?[ ]*(?:#[ ]?(.*))?$");
    private static final Pattern UNSET_KEY = Pattern.compile("^( *)#[ ]*([a-z][a-z0-9_]*):[ ]*(?:#[ ]?(.*))?$");
    private static final Pattern COMMENT = Pattern.compile("^( *)#[ ]?(.*)$");

    private ConfigHelp() {
    }

    /** Whether the arguments ask for help ({@code --help} or {@code -h}). */
    static boolean wantsHelp(String[] args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Handles a service main's arguments before it starts anything: prints {@code service}'s help if asked for and
     * returns true (the main returns, exit status 0); refuses any other argument (exit status 2); else returns false.
     */
    static boolean answered(String[] args, String service, Class<?> mainClass) {
        if (wantsHelp(args)) {
            System.out.print(usage(service, mainClass));
            return true;
        }
        if (args.length > 0) {
            System.err.println(service + ": unknown argument '" + args[0] + "'; --help lists the options and the configuration");
            System.exit(2);
        }
        return false;
    }

    /** The keys of the classpath resource {@code resource}, a YAML file of nested keys with comments. */
    static List<Entry> entries(String resource) {
        return parse(lines(resource));
    }

    private static List<String> lines(String resource) {
        try (InputStream in = ConfigHelp.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Entry> parse(List<String> lines) {
        record Node(int indent, String name) {
        }
        Deque<Node> path = new ArrayDeque<>();
        List<Entry> entries = new ArrayList<>();
        int lastIndent = -1; // of the key the last entry came from; a deeper comment line continues its meaning
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            Matcher key = KEY.matcher(line);
            Matcher unset = UNSET_KEY.matcher(line);
            Matcher comment = COMMENT.matcher(line);
            if (key.matches()) {
                int indent = key.group(1).length();
                while (!path.isEmpty() && path.peekLast().indent() >= indent) {
                    path.removeLast();
                }
                String value = key.group(3);
                if (value == null) {
                    path.addLast(new Node(indent, key.group(2)));
                    lastIndent = -1;
                } else {
                    entries.add(new Entry(fullKey(path.stream().map(Node::name).toList(), key.group(2)),
                            Optional.of(unquote(value.strip())), meaning(key.group(4))));
                    lastIndent = indent;
                }
            } else if (unset.matches()) {
                int indent = unset.group(1).length();
                while (!path.isEmpty() && path.peekLast().indent() >= indent) {
                    path.removeLast();
                }
                entries.add(new Entry(fullKey(path.stream().map(Node::name).toList(), unset.group(2)), Optional.empty(),
                        meaning(unset.group(3))));
                lastIndent = indent;
            } else if (comment.matches() && lastIndent >= 0 && comment.group(1).length() > lastIndent) {
                Entry last = entries.removeLast();
                String more = comment.group(2).strip();
                entries.add(new Entry(last.key(), last.defaultValue(),
                        last.meaning().isEmpty() ? more : last.meaning() + " " + more));
            } else {
                lastIndent = -1;
            }
        }
        return List.copyOf(entries);
    }

    /**
     * The whole {@code --help} text of {@code service}, whose runnable jar is {@code userstream-<service>.jar}: its
     * summary (the first paragraph of its defaults file's leading comment) and every key of that file.
     */
    static String usage(String service, Class<?> mainClass) {
        String resource = ServiceConfig.defaultsOf(service);
        String jar = "userstream-" + service + ".jar";
        StringBuilder text = new StringBuilder();
        text.append("Usage: java -jar ").append(jar).append(" [--help]\n")
                .append("       java -cp ").append(jar).append(" ").append(mainClass.getName()).append(" [--help]\n\n")
                .append(summary(lines(resource))).append("\n\n")
                .append("Options:\n")
                .append("  -h, --help   print this help and exit\n\n")
                .append("Configuration of ").append(service).append(": the defaults bundled in ").append(resource)
                .append(", each overridden by its\nenvironment variable (or a Java system property -D<key>=<value>).")
                .append(" Key, environment variable, default, meaning:\n");
        for (Entry entry : entries(resource)) {
            text.append("\n  ").append(entry.key()).append("\n      ").append(entry.environmentVariable())
                    .append("  (default: ").append(entry.defaultValue()
                            .map(value -> value.isEmpty() ? "empty" : value).orElse("unset")).append(")\n");
            if (!entry.meaning().isEmpty()) {
                text.append("      ").append(entry.meaning()).append('\n');
            }
        }
        return text.toString();
    }

    /** The first paragraph of the file's leading comment, without the comment marks. */
    static String summary(List<String> lines) {
        List<String> paragraph = new ArrayList<>();
        for (String line : lines) {
            Matcher comment = COMMENT.matcher(line);
            if (!comment.matches() || comment.group(2).isBlank()) {
                break;
            }
            paragraph.add(comment.group(2).strip());
        }
        return String.join("\n", paragraph);
    }

    /**
     * The keys {@code reader} (a settings class's {@code from(Config)}) looks up when the configuration holds
     * {@code values} and nothing else: each lookup is recorded as it is made, so this is what the settings class
     * actually reads, not what a file says. A failure of {@code reader} (a combination of values it refuses)
     * ends the reading; the keys read until then are returned.
     */
    static Set<String> keysRead(Consumer<Config> reader, Map<String, String> values) {
        Set<String> asked = ConcurrentHashMap.newKeySet();
        final class Recording implements LazyConfigSource, ConfigSource {
            @Override
            public Optional<ConfigNode> node(String key) {
                asked.add(key);
                return Optional.ofNullable(values.get(key)).map(ConfigNode.ValueNode::create);
            }

            @Override
            public String description() {
                return "recording";
            }
        }
        Recording recording = new Recording();
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(List.of(() -> recording))
                .build();
        try {
            reader.accept(config);
        } catch (RuntimeException refused) {
            // The keys read before the refusal still count.
        }
        // A lookup of a.b.c also asks for a and a.b on the way; only the leaves are keys.
        Set<String> leaves = new TreeSet<>();
        for (String key : asked) {
            if (!key.isEmpty() && asked.stream().noneMatch(other -> other.startsWith(key + "."))) {
                leaves.add(key);
            }
        }
        return leaves;
    }

    /** The bundled defaults of {@code resource} as key-value pairs (keys without a default left out). */
    static Map<String, String> defaults(String resource) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Entry entry : entries(resource)) {
            entry.defaultValue().ifPresent(value -> values.put(entry.key(), value));
        }
        return values;
    }

    private static String fullKey(List<String> parents, String name) {
        List<String> parts = new ArrayList<>(parents);
        parts.add(name);
        return String.join(".", parts);
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1) : value;
    }

    private static String meaning(String comment) {
        return comment == null ? "" : comment.strip();
    }
}
