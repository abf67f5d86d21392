package io.userstream.bootstrap;

import io.userstream.proto.user.v1.ActivateUserRequest;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.DeactivateUserRequest;
import io.userstream.proto.user.v1.DeleteUserRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.StatsStatus;
import io.userstream.proto.userstats.v1.UserStats;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.userstream.bootstrap.EndToEnd.await;
import static io.userstream.bootstrap.UserStatsRepairEndToEndTest.unique;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both services and the bus for real: user-service's outbox relay publishes to RabbitMQ, and
 * user-stats-service's consumer keeps stats that must equal what each user's history implies,
 * also across a RabbitMQ restart.
 */
class UserStatsFlowEndToEndTest {

    @RegisterExtension
    static final TestServices services = new TestServices(true);

    @Test
    void stats_equal_what_every_users_history_implies() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ids.add(changeAtRandom(createUser().getId(), i));
        }

        for (String id : ids) {
            awaitStatsMatchHistory(id);
        }
        assertThat(services.statsService().count("SELECT count(*) FROM user_stats WHERE repaired_at IS NOT NULL"))
                .as("every row came from events, none from repair").isZero();
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + services.userService().app.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("outbox_published_total\\{[^}]*} [1-9]")
                .contains("outbox_pending_events").contains("outbox_lag_seconds")
                .containsPattern("stats_events_consumed_total\\{result=\"applied\"[^}]*} [1-9]")
                .contains("stats_consumer_lag_seconds");
    }

    @Test
    void every_event_arrives_across_a_rabbitmq_restart_and_counters_are_exact() throws Exception {
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            before.add(changeAtRandom(createUser().getId(), i));
        }
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        List<String> during = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    during.add(changeAtRandom(createUser().getId(), i));
                }
            } catch (Throwable e) {
                writerFailure.set(e);
            }
        });
        rabbitmqctl("stop_app");
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
        writer.join(TimeUnit.MINUTES.toMillis(2));
        assertThat(writerFailure.get()).as("user-service keeps taking commands while the broker is down").isNull();

        List<String> all = new ArrayList<>(before);
        all.addAll(during);
        for (String id : all) {
            awaitStatsMatchHistory(id);
        }
    }

    /** Some commands, chosen by {@code seed}, so users' histories differ. */
    private static String changeAtRandom(String id, int seed) {
        for (int i = 0; i < seed % 3; i++) {
            services.users().updateProfile(UpdateProfileRequest.newBuilder().setUserId(id).setFirstName("n" + i).build());
        }
        if (seed % 2 == 0) {
            services.users().changeEmail(ChangeEmailRequest.newBuilder().setUserId(id).setNewEmail(unique() + "@example.org").build());
        }
        if (seed % 4 == 1) {
            services.users().changePassword(ChangePasswordRequest.newBuilder().setUserId(id).setNewPassword("pw-" + unique()).build());
        }
        if (seed % 5 == 2) {
            services.users().deactivateUser(DeactivateUserRequest.newBuilder().setUserId(id).build());
            services.users().activateUser(ActivateUserRequest.newBuilder().setUserId(id).build());
        }
        if (seed % 7 == 3) {
            services.users().deleteUser(DeleteUserRequest.newBuilder().setUserId(id).build());
        }
        return id;
    }

    /** Waits until the stats row has the user's whole history, then checks every counter against it. */
    private static void awaitStatsMatchHistory(String id) throws Exception {
        List<UserEventRecord> history = services.users().getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(id).build())
                .getEventsList();
        await("stats of " + id + " at version " + history.size(), () -> {
            try {
                return services.statsService().count("SELECT coalesce(max(last_event_version), 0) FROM user_stats WHERE user_id = '"
                        + id + "'") == history.size();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        UserStats stats = UserStatsServiceGrpc.newBlockingStub(services.statsService().channel)
                .getUserStats(GetUserStatsRequest.newBuilder().setUserId(id).build());
        assertThat(stats.getProfileUpdates()).isEqualTo(count(history, "ProfileUpdated"));
        assertThat(stats.getEmailChanges()).isEqualTo(count(history, "EmailChanged"));
        assertThat(stats.getPasswordChanges()).isEqualTo(count(history, "PasswordChanged"));
        assertThat(stats.getMemberSince()).isEqualTo(history.getFirst().getOccurredAt());
        assertThat(stats.getLastActivityAt()).isEqualTo(history.getLast().getOccurredAt());
        StatsStatus expected = switch (history.stream().map(UserEventRecord::getEventType)
                .filter(type -> type.equals("UserActivated") || type.equals("UserDeactivated") || type.equals("UserDeleted"))
                .reduce((first, second) -> second).orElse("UserActivated")) {
            case "UserDeactivated" -> StatsStatus.INACTIVE;
            case "UserDeleted" -> StatsStatus.DELETED;
            default -> StatsStatus.ACTIVE;
        };
        assertThat(stats.getStatus()).isEqualTo(expected);
    }

    private static long count(List<UserEventRecord> history, String type) {
        return history.stream().filter(event -> event.getEventType().equals(type)).count();
    }

    private static User createUser() {
        String name = unique();
        return services.users().createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com").setUsername(name)
                .setPassword("long-enough-pw").build());
    }

    private static void rabbitmqctl(String command) throws Exception {
        Process process = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("rabbitmqctl " + command + " finished").isTrue();
        assertThat(process.exitValue()).as("rabbitmqctl " + command + ": " + output).isZero();
    }
}
