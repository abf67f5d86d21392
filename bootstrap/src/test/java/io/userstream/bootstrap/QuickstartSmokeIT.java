package io.userstream.bootstrap;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.userstream.bootstrap.embedded.EmbeddedInfrastructure;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.UserStats;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's quickstart as a newcomer runs it: {@code ops/run.sh --embedded} from the repository
 * root (after {@code package}, hence a failsafe IT; the script's own build is skipped since the
 * reactor just built the jars), on free ports and a fresh data directory. It creates a user over
 * gRPC, reads it back, sees its stats arrive through the embedded broker (consumed, not repaired on
 * read), drives the {@code userstream} command line through create, change, stats, history and a rebuild,
 * then stops the script with SIGTERM and checks that nothing is left running.
 */
class QuickstartSmokeIT {

    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    /** Cold machines (first unpack of the PostgreSQL binaries, a busy CI host) get a generous start. */
    private static final Duration START = Duration.ofMinutes(3);
    private static final Pattern POSTGRES_PORT = Pattern.compile("jdbc:postgresql://localhost:(\\d+)/");
    private static final Pattern AMQP_PORT = Pattern.compile("amqp://[^@]+@127\\.0\\.0\\.1:(\\d+)/");
    private static final String ADMIN_TOKEN = "quickstart-" + UUID.randomUUID();
    /** The command line as built by the reactor (bootstrap/cli comes before this module). */
    private static final Path CLI_JAR = REPO.resolve("bootstrap/cli/target/userstream-cli.jar");

    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private Process run;
    private Thread reader;
    private ManagedChannel users;
    private ManagedChannel stats;

    @Test
    void readmeQuickstartRunsBothServicesOnEmbeddedServersAndStopsCleanly() throws Exception {
        assertThat(Files.readString(REPO.resolve("README.md")).contains("`ops/run.sh --embedded`"))
                .as("the README shows the command tested here").isTrue();
        int userGrpc = EmbeddedInfrastructure.freePort();
        int userHttp = EmbeddedInfrastructure.freePort();
        int statsGrpc = EmbeddedInfrastructure.freePort();
        int statsHttp = EmbeddedInfrastructure.freePort();
        Path data = Files.createTempDirectory(REPO.resolve("bootstrap/target"), "quickstart-data-");

        ProcessBuilder builder = new ProcessBuilder("ops/run.sh", "--embedded").directory(REPO.toFile())
                .redirectErrorStream(true);
        builder.environment().putAll(Map.of(
                "USERSTREAM_SKIP_BUILD", "1",
                "USERSTREAM_DATA_DIR", data.toString(),
                "USERSTREAM_GRPC_PORT", Integer.toString(userGrpc),
                "USERSTREAM_HTTP_PORT", Integer.toString(userHttp),
                "USERSTATS_GRPC_PORT", Integer.toString(statsGrpc),
                "USERSTATS_HTTP_PORT", Integer.toString(statsHttp),
                "USERSTREAM_ADMIN_TOKEN", ADMIN_TOKEN));
        run = builder.start();
        reader = Thread.ofPlatform().daemon().name("quickstart-output").start(this::collectOutput);

        awaitOutput(EmbeddedMain.READY, START);
        int postgresPort = portIn(POSTGRES_PORT);
        int amqpPort = portIn(AMQP_PORT);
        assertThat(String.join("\n", output)).contains("127.0.0.1:" + userGrpc, "127.0.0.1:" + statsGrpc,
                "http://127.0.0.1:" + userHttp + "/metrics", data.toString());

        users = NettyChannelBuilder.forAddress("127.0.0.1", userGrpc).usePlaintext().build();
        stats = NettyChannelBuilder.forAddress("127.0.0.1", statsGrpc).usePlaintext().build();
        String name = "newcomer" + UUID.randomUUID().toString().substring(0, 8);
        User created = UserServiceGrpc.newBlockingStub(users).withDeadlineAfter(30, TimeUnit.SECONDS)
                .createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com").setUsername(name)
                        .setPassword("correct horse battery").build());
        User read = UserServiceGrpc.newBlockingStub(users).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getUser(GetUserRequest.newBuilder().setUserId(created.getId()).setMinVersion(created.getVersion()).build());
        assertThat(read.getUsername()).isEqualTo(name);

        // The event travels outbox -> embedded broker -> consumer; only then ask for the stats, so that
        // they cannot come from the on-read repair (which would set repaired_at).
        await("user-stats-service to consume the event", Duration.ofSeconds(60),
                () -> consumedEvents(statsHttp) >= 1);
        UserStats userStats = UserStatsServiceGrpc.newBlockingStub(stats).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getUserStats(GetUserStatsRequest.newBuilder().setUserId(created.getId()).build());
        assertThat(userStats.getLastEventVersion()).isGreaterThanOrEqualTo(1);
        assertThat(userStats.hasRepairedAt()).as("stats came from the consumer, not from repair").isFalse();

        drivesTheCommandLine(userGrpc, statsGrpc, statsHttp);

        users.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        stats.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        // The JVM (run.sh execs it) and PostgreSQL's processes: pg_ctl detaches the postmaster from the
        // JVM, so it is found through its pid file, and its backends as its children.
        ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(
                Files.readAllLines(data.resolve("postgres/data/postmaster.pid")).getFirst().strip())).orElseThrow();
        List<ProcessHandle> started = Stream.of(Stream.of(run.toHandle(), postmaster), run.descendants(),
                postmaster.descendants()).flatMap(handles -> handles).toList();
        // SIGTERM, as from a service manager (Ctrl-C's SIGINT takes the same shutdown hook). Through the
        // handle: Process.destroy() would also close the pipe, losing what the shutdown prints.
        run.toHandle().destroy();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("ops/run.sh stops within a minute").isTrue();
        awaitOutput("userstream stopped", Duration.ofSeconds(5));
        assertThat(started.stream().filter(QuickstartSmokeIT::running).map(ProcessHandle::info))
                .as("no process left behind").isEmpty();
        assertThat(data.resolve("postgres/data/postmaster.pid")).as("PostgreSQL stopped").doesNotExist();
        for (int port : List.of(postgresPort, amqpPort, userGrpc, userHttp, statsGrpc, statsHttp)) {
            assertThat(listening(port)).as("nothing listens on port " + port + " any more").isFalse();
        }
    }

    /** What a run of the {@code userstream} jar printed, and its exit code. */
    private record Cli(int exitCode, String out, String err) {
        Cli succeeded() {
            assertThat(exitCode).as("exit code; stdout: %s; stderr: %s", out, err).isZero();
            return this;
        }
    }

    /**
     * The operator's side of the quickstart: the real {@code userstream} jar, as a process, through create →
     * change → stats → history → rebuild against the embedded services, by outputs and exit codes.
     */
    private void drivesTheCommandLine(int userGrpc, int statsGrpc, int statsHttp) throws Exception {
        String name = "cli" + UUID.randomUUID().toString().substring(0, 8);
        double consumedBefore = consumedEvents(statsHttp);
        Cli created = cli(userGrpc, statsGrpc, "correct horse battery\n", "user", "create", "--email",
                name + "@example.com", "--username", name, "--password-stdin", "-o", "json").succeeded();
        String id = jsonField(created.out(), "id");
        assertThat(jsonField(created.out(), "version")).isEqualTo("1");

        assertThat(cli(userGrpc, statsGrpc, "", "user", "change-email", id, name + "@example.org",
                "--expected-version", "1").succeeded().out()).containsPattern("version\\s+2");
        assertThat(cli(userGrpc, statsGrpc, "", "user", "update-profile", id, "--first-name", "Ada")
                .succeeded().out()).containsPattern("first name\\s+Ada");
        Cli stale = cli(userGrpc, statsGrpc, "", "user", "change-email", id, name + "@example.net",
                "--expected-version", "1");
        assertThat(stale.exitCode()).as("a stale expected version is a rejection").isEqualTo(4);
        assertThat(stale.err()).contains("FAILED_PRECONDITION");

        // Three more events consumed by user-stats-service through the embedded broker.
        await("the CLI user's events consumed", Duration.ofSeconds(60), () -> consumedEvents(statsHttp) >= consumedBefore + 3);
        Cli userStats = cli(userGrpc, statsGrpc, "", "stats", "get", id, "-o", "json").succeeded();
        assertThat(userStats.out()).contains("\"emailChanges\": \"1\"", "\"profileUpdates\": \"1\"")
                .doesNotContain("repairedAt");

        Cli history = cli(userGrpc, statsGrpc, "", "user", "history", id).succeeded();
        assertThat(history.out()).contains("UserCreated", "EmailChanged", "ProfileUpdated");
        assertThat(history.out().lines()).as("a header and three events").hasSize(4);

        Cli rebuilt = cli(userGrpc, statsGrpc, "", "--token", ADMIN_TOKEN, "projections", "rebuild", "user_read_model",
                "--timeout", "120s").succeeded();
        assertThat(rebuilt.out()).startsWith("rebuilt user_read_model");
        assertThat(cli(userGrpc, statsGrpc, "", "user", "get", id).succeeded().out())
                .as("the rebuilt read model serves the user").containsPattern("email\\s+" + name + "@example.org");

        Cli unknown = cli(userGrpc, statsGrpc, "", "user", "get", UUID.randomUUID().toString());
        assertThat(unknown.exitCode()).as("NOT_FOUND").isEqualTo(3);
        assertThat(unknown.err()).startsWith("userstream: NOT_FOUND");
    }

    private static Cli cli(int userGrpc, int statsGrpc, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--sun-misc-unsafe-memory-access=allow", "-jar", CLI_JAR.toString(),
                "--user-service", "127.0.0.1:" + userGrpc, "--stats-service", "127.0.0.1:" + statsGrpc,
                "--deadline", "30s"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("userstream-cli", ".out");
        Path err = Files.createTempFile("userstream-cli", ".err");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (var input = process.getOutputStream()) {
            input.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("userstream %s ends", String.join(" ", args)).isTrue();
        Cli run = new Cli(process.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    private static String jsonField(String json, String name) {
        Matcher matcher = Pattern.compile("\"" + name + "\": \"?([^\",\\n]*)\"?").matcher(json);
        assertThat(matcher.find()).as("%s in %s", name, json).isTrue();
        return matcher.group(1);
    }

    @AfterEach
    void stopWhateverIsLeft() throws InterruptedException {
        for (ManagedChannel channel : new ManagedChannel[] {users, stats}) {
            if (channel != null) {
                channel.shutdownNow();
            }
        }
        if (run != null && run.isAlive()) {
            run.descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        System.out.println("ops/run.sh --embedded printed:\n" + String.join("\n", output));
    }

    private void collectOutput() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                output.add(line);
            }
        } catch (IOException e) {
            output.add("(output unreadable: " + e + ")");
        }
    }

    private void awaitOutput(String text, Duration within) throws InterruptedException {
        await("'" + text + "' in the output of ops/run.sh", within, () -> {
            synchronized (output) {
                return output.stream().anyMatch(line -> line.contains(text));
            }
        });
    }

    private int portIn(Pattern pattern) {
        synchronized (output) {
            for (String line : output) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find()) {
                    return Integer.parseInt(matcher.group(1));
                }
            }
        }
        throw new AssertionError("no " + pattern + " in the output");
    }

    /** {@code stats_events_consumed_total{result="applied"}} on user-stats-service's /metrics. */
    private static double consumedEvents(int httpPort) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + httpPort + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher applied = Pattern.compile("(?m)^stats_events_consumed_total\\{[^}]*result=\"applied\"[^}]*} (\\S+)")
                    .matcher(metrics);
            return applied.find() ? Double.parseDouble(applied.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            // Fails fast when the script died (its output, printed after the test, says why).
            assertThat(run.isAlive() || reader.isAlive()).as("ops/run.sh ended while waiting for " + what).isTrue();
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /**
     * Alive and not a zombie: the postmaster, detached from the JVM, is reaped by PID 1, which in a
     * container may take its time; a zombie has exited all the same.
     */
    private static boolean running(ProcessHandle process) {
        try {
            return process.isAlive()
                    && !Files.readString(Path.of("/proc/" + process.pid() + "/status")).contains("State:\tZ");
        } catch (IOException gone) {
            return false;
        }
    }

    private static boolean listening(int port) {
        try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
