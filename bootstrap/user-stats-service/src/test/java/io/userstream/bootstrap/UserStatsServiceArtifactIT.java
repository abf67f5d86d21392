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
 * The runnable artifact as a user gets it, after {@code package}: {@code target/userstream-user-stats-service.jar} and the {@code target/libs/}
 * its manifest names. user-stats-service's carries no event store, no write side and no password hashing: a user would notice it carrying
 * them (and their jars), and ArchitectureTest's rules alone would not show what the build packs.
 */
class UserStatsServiceArtifactIT {

    private static final Path TARGET = Path.of("target");
    private static final Path JAR = TARGET.resolve("userstream-user-stats-service.jar");

    /** Jars that must not be in libs/. */
    private static final Pattern FORBIDDEN_JARS = Pattern.compile("(userstream-(domain|application|adapter-(postgres|crypto|grpc|rabbitmq|metrics))-\\d.*|bcprov-.*|bcpkix-.*|bcutil-.*)\\.jar");

    /** Classes and resources that must not be in the jar or any of libs/. */
    private static final List<String> FORBIDDEN_ENTRIES = List.of(
            "io/userstream/adapters/postgres/PostgresUserEventStore.class",
            "io/userstream/adapters/postgres/PostgresProjections.class",
            "io/userstream/adapters/postgres/OutboxRelay.class",
            "io/userstream/adapters/postgres/PostgresDatabase.class",
            "io/userstream/domain/user/User.class",
            "io/userstream/domain/user/UserEvent.class",
            "io/userstream/application/service/UserCommandService.class",
            "io/userstream/application/port/out/UserEventStore.class",
            "io/userstream/application/port/out/PasswordHasher.class",
            "io/userstream/adapters/crypto/Argon2idPasswordHasher.class",
            "org/bouncycastle/crypto/generators/Argon2BytesGenerator.class",
            "io/userstream/adapters/rabbitmq/RabbitIntegrationEventPublisher.class",
            "io/userstream/adapters/grpc/UserGrpcService.class",
            "io/userstream/bootstrap/UserServiceMain.class",
            "db/migration/users/V1__event_store.sql",
            "user-service.yaml");

    /** What it does carry: the check above looks at the right files. */
    private static final List<String> REQUIRED_ENTRIES = List.of(
            "io/userstream/bootstrap/UserStatsServiceMain.class",
            "io/userstream/application/service/UserStatsService.class",
            "io/userstream/adapters/postgres/PostgresUserStatsStore.class",
            "io/userstream/adapters/rabbitmq/RabbitUserActivityConsumer.class",
            "io/userstream/adapters/grpc/UserStatsGrpcService.class",
            "db/migration/stats/V1__user_stats.sql",
            "user-stats-service.yaml");

    @Test
    void libs_hold_exactly_what_the_manifest_names() throws IOException {
        TreeSet<String> named = new TreeSet<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.userstream.bootstrap.UserStatsServiceMain");
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
        assertThat(output).startsWith("Usage: java -jar userstream-user-stats-service.jar").contains("USERSTATS_DB_URL");
    }

    private static List<Path> libs() throws IOException {
        try (Stream<Path> files = Files.list(TARGET.resolve("libs"))) {
            return files.filter(file -> file.toString().endsWith(".jar")).sorted().toList();
        }
    }
}
