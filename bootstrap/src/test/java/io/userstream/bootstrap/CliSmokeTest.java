package io.userstream.bootstrap;

import io.userstream.cli.ExitCode;
import io.userstream.cli.Userstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code userstream} command line against the real services (user-service with its relay, user-stats-service
 * consuming): create, change, stats, history, rebuild, and the failures a script must tell apart, by output
 * (tables and JSON) and exit code. Runs the commands in this JVM through picocli, stdout and stderr captured.
 */
class CliSmokeTest {

    @RegisterExtension
    static final TestServices services = new TestServices(true);

    record Run(int exitCode, String out, String err) {
        Run succeeded() {
            assertThat(exitCode).as("exit code; stderr: %s", err).isZero();
            return this;
        }
    }

    private static Run withStdin(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--user-service", "127.0.0.1:" + services.userService().app.grpcPort(),
                "--stats-service", "127.0.0.1:" + services.statsService().app.grpcPort(),
                "--deadline", "10s"));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Userstream.commandLine(new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private static Run userstream(String... args) {
        return withStdin("", args);
    }

    /** Runs the command until its result satisfies {@code condition}, for up to 30 s. */
    private static Run awaitRun(Predicate<Run> condition, String... args) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Run run = userstream(args);
        while (!condition.test(run)) {
            assertThat(System.nanoTime()).as("waiting for `%s`; last: %s", String.join(" ", args), run).isLessThan(deadline);
            Thread.sleep(50);
            run = userstream(args);
        }
        return run;
    }

    private static String field(String json, String name) {
        Matcher matcher = Pattern.compile("\"" + name + "\": \"?([^\",\\n]*)\"?").matcher(json);
        assertThat(matcher.find()).as("%s in %s", name, json).isTrue();
        return matcher.group(1);
    }

    @Test
    void create_change_stats_history_rebuild() throws Exception {
        String name = "cli" + UUID.randomUUID().toString().substring(0, 8);

        // create, the password from stdin
        Run created = withStdin("correct-horse-battery\n", "user", "create", "--email", name + "@example.org",
                "--username", name, "--password-stdin", "--first-name", "Ada", "-o", "json").succeeded();
        String id = field(created.out(), "id");
        assertThat(field(created.out(), "status")).isEqualTo("ACTIVE");
        assertThat(field(created.out(), "version")).isEqualTo("1");

        // change: e-mail at the expected version, then the profile
        Run changed = userstream("user", "change-email", id, name + "@example.net", "--expected-version", "1").succeeded();
        assertThat(changed.out()).containsPattern("email\\s+" + name + "@example.net").containsPattern("version\\s+2");
        userstream("user", "update-profile", id, "--last-name", "Lovelace").succeeded();

        Run read = userstream("user", "get", id, "--min-version", "3").succeeded();
        assertThat(read.out()).containsPattern("first name\\s+Ada").containsPattern("last name\\s+Lovelace")
                .containsPattern("status\\s+ACTIVE");
        assertThat(userstream("user", "list", "--all").succeeded().out()).contains(id, name + "@example.net");
        assertThat(userstream("user", "get", "--username", name).succeeded().out()).contains(id);

        // stats: the events reach user-stats-service through RabbitMQ
        Run stats = awaitRun(run -> run.exitCode() == 0 && run.out().contains("\"emailChanges\": \"1\"")
                && run.out().contains("\"profileUpdates\": \"1\""), "stats", "get", id, "-o", "json");
        assertThat(field(stats.out(), "lastEventVersion")).isEqualTo("3");
        assertThat(userstream("stats", "get", id).succeeded().out()).containsPattern("email changes\\s+1")
                .containsPattern("status\\s+ACTIVE");

        // history and time travel
        Run history = userstream("user", "history", id).succeeded();
        assertThat(history.out().lines()).hasSize(4);
        assertThat(history.out()).startsWith("VERSION").contains("UserCreated", "EmailChanged", "ProfileUpdated");
        assertThat(userstream("user", "history", id, "-o", "json").succeeded().out()).contains("\"eventType\": \"EmailChanged\"");
        assertThat(userstream("user", "at", id, "--version", "1").succeeded().out())
                .containsPattern("email\\s+" + name + "@example.org");

        // the admin API: list, rebuild with its summary, replay, parked
        String token = TestUserService.ADMIN_TOKEN;
        assertThat(userstream("projections", "list", "--token", token).succeeded().out())
                .startsWith("NAME").containsPattern("user_read_model\\s+(RUNNING|CATCHING_UP)");
        Run rebuilt = userstream("projections", "rebuild", "user_read_model", "--token", token, "--progress",
                "--timeout", "60s").succeeded();
        // A rebuild of this test's few events may start and swap between two looks of the CLI (it polls every
        // 50 ms until it sees it): then there is no rate to show, and the summary says so instead of inventing one.
        assertThat(rebuilt.out()).startsWith("rebuilt user_read_model").containsPattern(
                "events/s|too quick to see its progress").containsPattern("user_read_model\\s+(RUNNING|CATCHING_UP)");
        Run rebuiltJson = userstream("-o", "json", "projections", "rebuild", "user_read_model", "--token", token,
                "--no-progress").succeeded();
        assertThat(field(rebuiltJson.out(), "name")).isEqualTo("user_read_model");
        assertThat(rebuiltJson.out()).doesNotContain("\"rebuild\":");
        assertThat(rebuiltJson.err()).startsWith("rebuilt user_read_model");
        assertThat(userstream("user", "get", id).succeeded().out()).containsPattern("last name\\s+Lovelace");
        assertThat(userstream("projections", "replay", "user_read_model", id, "--token", token).succeeded().out())
                .isEqualTo("replayed 3 events of user " + id + " into user_read_model" + System.lineSeparator());
        assertThat(userstream("parked", "list", "--token", token).succeeded().out()).startsWith("PROJECTION");
        assertThat(userstream("projections", "verify", "user_read_model", "--token", token).succeeded().out())
                .startsWith("user_read_model at ").contains(" 0 differ");

        // the rest of the lifecycle
        assertThat(userstream("user", "deactivate", id).succeeded().out()).containsPattern("status\\s+INACTIVE");
        assertThat(userstream("user", "activate", id).succeeded().out()).containsPattern("status\\s+ACTIVE");
        assertThat(userstream("user", "delete", id, "--expected-version", "5").succeeded().out())
                .containsPattern("status\\s+DELETED");
    }

    @Test
    void failures_are_one_line_on_stderr_and_an_exit_code_per_kind() {
        Run missing = userstream("user", "get", UUID.randomUUID().toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
        assertThat(missing.out()).isEmpty();
        assertThat(missing.err()).startsWith("userstream: NOT_FOUND: ");
        assertThat(missing.err().lines()).hasSize(1);

        String name = "cli" + UUID.randomUUID().toString().substring(0, 8);
        String id = field(userstream("user", "create", "--email", name + "@example.org", "--username", name,
                "--password", "correct-horse-battery", "-o", "json").succeeded().out(), "id");

        Run invalid = userstream("user", "change-email", id, "not-an-email");
        assertThat(invalid.exitCode()).isEqualTo(ExitCode.REJECTED);
        assertThat(invalid.err()).startsWith("userstream: INVALID_ARGUMENT (new_email): ");
        assertThat(invalid.err().lines()).hasSize(1);

        Run stale = userstream("user", "change-email", id, name + "@example.net", "--expected-version", "7");
        assertThat(stale.exitCode()).isEqualTo(ExitCode.REJECTED);
        assertThat(stale.err()).startsWith("userstream: FAILED_PRECONDITION: ");

        Run taken = userstream("user", "create", "--email", name + "@example.org", "--username", name + "x",
                "--password", "correct-horse-battery");
        assertThat(taken.exitCode()).isEqualTo(ExitCode.REJECTED);
        assertThat(taken.err()).startsWith("userstream: ALREADY_EXISTS: ");

        Run unauthenticated = userstream("projections", "list");
        assertThat(unauthenticated.exitCode()).isEqualTo(ExitCode.NOT_ALLOWED);
        assertThat(unauthenticated.err()).startsWith("userstream: UNAUTHENTICATED");

        Run unknownProjection = userstream("projections", "rebuild", "no_such_projection", "--token",
                TestUserService.ADMIN_TOKEN);
        assertThat(unknownProjection.exitCode()).isEqualTo(ExitCode.NOT_FOUND);

        Run usage = userstream("user", "get");
        assertThat(usage.exitCode()).isEqualTo(ExitCode.USAGE);
    }
}
