package io.userstream.bootstrap;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service's runnable artifact as a user gets it, after {@code package}: {@code target/userstream-<service>.jar} and the
 * {@code target/libs/} its manifest names, carrying its own context's code and none of the other's. Each service's IT
 * says what it must and must not carry.
 */
public abstract class ServiceArtifactContract {

    private static final Path TARGET = Path.of("target");

    /** The service's name, e.g. {@code user-service}: its jar is {@code userstream-<service>.jar}. */
    protected abstract String service();

    /** The main class its manifest names. */
    protected abstract String mainClass();

    /** Jars that must not be in libs/. */
    protected abstract Pattern forbiddenJars();

    /** Classes and resources that must not be in the jar or any of libs/. */
    protected abstract List<String> forbiddenEntries();

    /** What it does carry: the check of {@link #forbiddenEntries()} looks at the right files. */
    protected abstract List<String> requiredEntries();

    /** An environment variable its {@code --help} lists. */
    protected abstract String listedVariable();

    private Path jar() {
        return TARGET.resolve("userstream-" + service() + ".jar");
    }

    @Test
    void libs_hold_exactly_what_the_manifest_names() throws IOException {
        TreeSet<String> named = new TreeSet<>();
        try (JarFile jar = new JarFile(jar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo(mainClass());
            for (String entry : jar.getManifest().getMainAttributes().getValue("Class-Path").split(" ")) {
                named.add(entry);
            }
        }
        TreeSet<String> present = new TreeSet<>();
        for (Path lib : libs()) {
            present.add("libs/" + lib.getFileName());
        }
        assertThat(present).isEqualTo(named);
    }

    @Test
    void carries_no_code_of_the_other_context() throws IOException {
        List<String> jarNames = libs().stream().map(lib -> lib.getFileName().toString()).toList();
        assertThat(jarNames).as("libs/").noneMatch(name -> forbiddenJars().matcher(name).matches());

        List<String> found = new ArrayList<>();
        List<String> required = new ArrayList<>(requiredEntries());
        List<Path> jars = new ArrayList<>(libs());
        jars.add(jar());
        for (Path path : jars) {
            try (JarFile jar = new JarFile(path.toFile())) {
                for (String entry : forbiddenEntries()) {
                    if (jar.getEntry(entry) != null) {
                        found.add(entry + " in " + path.getFileName());
                    }
                }
                required.removeIf(entry -> jar.getEntry(entry) != null);
            }
        }
        assertThat(found).as("what the artifact must not carry").isEmpty();
        assertThat(required).as("what the artifact must carry but does not").isEmpty();
    }

    @Test
    void java_jar_help_lists_the_configuration_and_exits_0() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar().toString(), "--help").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).startsWith("Usage: java -jar userstream-" + service() + ".jar").contains(listedVariable());
    }

    private static List<Path> libs() throws IOException {
        try (Stream<Path> files = Files.list(TARGET.resolve("libs"))) {
            return files.filter(file -> file.toString().endsWith(".jar")).sorted().toList();
        }
    }
}
