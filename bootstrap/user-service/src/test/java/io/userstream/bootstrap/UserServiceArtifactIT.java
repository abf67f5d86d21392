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
 * The runnable artifact as a user gets it, after {@code package}: {@code target/userstream-user-service.jar} and the {@code target/libs/}
 * its manifest names. user-service's carries none of user-stats-service's code: the inverse of UserStatsServiceArtifactIT.
 */
class UserServiceArtifactIT {

    private static final Path TARGET = Path.of("target");
    private static final Path JAR = TARGET.resolve("userstream-user-service.jar");

    /** Jars that must not be in libs/. */
    private static final Pattern FORBIDDEN_JARS = Pattern.compile("userstream-(domain-stats|application-stats|adapter-[a-z]+-stats)-\\d.*\\.jar");

    /** Classes and resources that must not be in the jar or any of libs/. */
    private static final List<String> FORBIDDEN_ENTRIES = List.of(
            "io/userstream/adapters/postgres/PostgresUserStatsStore.class",
            "io/userstream/adapters/rabbitmq/RabbitUserActivityConsumer.class",
            "io/userstream/application/service/UserStatsService.class",
            "io/userstream/domain/stats/UserStats.class",
            "io/userstream/adapters/grpc/UserStatsGrpcService.class",
            "io/userstream/bootstrap/UserStatsServiceMain.class",
            "db/migration/stats/V1__user_stats.sql",
            "user-stats-service.yaml");

    /** What it does carry: the check above looks at the right files. */
    private static final List<String> REQUIRED_ENTRIES = List.of(
            "io/userstream/bootstrap/UserServiceMain.class",
            "io/userstream/adapters/postgres/PostgresUserEventStore.class",
            "io/userstream/adapters/crypto/Argon2idPasswordHasher.class",
            "db/migration/users/V1__event_store.sql",
            "user-service.yaml");

    @Test
    void libs_hold_exactly_what_the_manifest_names() throws IOException {
        TreeSet<String> named = new TreeSet<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.userstream.bootstrap.UserServiceMain");
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
        assertThat(jarNames).as("libs/").noneMatch(name -> FORBIDDEN_JARS.matcher(name).matches());

        List<String> found = new ArrayList<>();
        List<String> required = new ArrayList<>(REQUIRED_ENTRIES);
        List<Path> jars = new ArrayList<>(libs());
        jars.add(JAR);
        for (Path path : jars) {
            try (JarFile jar = new JarFile(path.toFile())) {
                for (String entry : FORBIDDEN_ENTRIES) {
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
                "-jar", JAR.toString(), "--help").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).startsWith("Usage: java -jar userstream-user-service.jar").contains("USERSTREAM_DB_URL");
    }

    private static List<Path> libs() throws IOException {
        try (Stream<Path> files = Files.list(TARGET.resolve("libs"))) {
            return files.filter(file -> file.toString().endsWith(".jar")).sorted().toList();
        }
    }
}
