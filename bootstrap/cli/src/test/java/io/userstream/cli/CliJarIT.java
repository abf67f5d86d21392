package io.userstream.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged jar (thin jar + libs/) started as a real process, the way people run it. */
class CliJarIT {

    private static final Path JAR = Path.of("target", "userstream-cli.jar");

    record Result(int exitCode, String out, String err) {
    }

    static Result java(String... args) throws IOException, InterruptedException {
        assertThat(JAR).as("the build packages the jar before integration tests").exists();
        assertThat(JAR.resolveSibling("libs")).isDirectory();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("userstream-cli", ".out");
        Path err = Files.createTempFile("userstream-cli", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("USERSTREAM_"));
            Process process = builder.start();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("finished within 60 s").isTrue();
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    withoutJvmWarnings(Files.readString(err, StandardCharsets.UTF_8)));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Java 24+ warns once on stderr when a library (Guava, protobuf) uses sun.misc.Unsafe, unless started with
     * --sun-misc-unsafe-memory-access=allow; that is the JVM's line, not the command's.
     */
    static String withoutJvmWarnings(String err) {
        return err.lines().filter(line -> !line.startsWith("WARNING: ")).map(line -> line + "\n")
                .collect(java.util.stream.Collectors.joining());
    }

    @Test
    void help_lists_the_commands_the_configuration_and_the_exit_codes() throws Exception {
        Result help = java("--help");
        assertThat(help.exitCode()).as(help.err()).isZero();
        assertThat(help.out()).startsWith("Usage: userstream")
                .contains("user", "stats", "projections", "parked")
                .contains("--user-service", "USERSTREAM_USER_SERVICE", "--stats-service", "USERSTREAM_STATS_SERVICE",
                        "--token", "USERSTREAM_TOKEN", "--tls-ca", "--tls-cert", "--tls-key", "--deadline", "--output")
                .contains("Exit codes:");
        assertThat(java("--version").out()).startsWith("userstream 0.1.0");
    }

    @Test
    void a_service_that_is_not_there_exits_6_with_one_line() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Result result = java("--user-service", "127.0.0.1:" + port, "--deadline", "3s", "user", "list");
        assertThat(result.exitCode()).isEqualTo(6);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).startsWith("userstream: UNAVAILABLE").doesNotContain("\tat ");
        assertThat(result.err().lines()).hasSize(1);
    }

    @Test
    void a_usage_error_exits_2() throws Exception {
        Result result = java("user", "frobnicate");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("frobnicate");
    }
}
