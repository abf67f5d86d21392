package io.userstream.bootstrap;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.userstream.proto.events.v1.EmailChanged;
import io.userstream.proto.events.v1.PasswordChanged;
import io.userstream.proto.events.v1.UserCreated;
import io.userstream.proto.events.v1.UserEvent;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.StatsStatus;
import io.userstream.proto.userstats.v1.UserStats;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static io.userstream.bootstrap.EndToEnd.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * user-stats-service against a user-service whose outbox relay is OFF (the plan's "event lost"
 * situation), the real PostgreSQL and RabbitMQ: on-read repair, and the consumer fed by hand.
 */
class UserStatsRepairEndToEndTest {

    @RegisterExtension
    static final TestServices services = new TestServices(false);
    private static UserStatsServiceGrpc.UserStatsServiceBlockingStub stats;

    @BeforeAll
    static void start() {
        stats = UserStatsServiceGrpc.newBlockingStub(services.statsService().channel).withDeadlineAfter(Duration.ofMinutes(5));
    }

    @Test
    void a_user_whose_events_never_arrived_gets_initialised_stats_on_read_and_a_row_now_exists() throws Exception {
        User user = createUser();
        services.users().changePassword(ChangePasswordRequest.newBuilder().setUserId(user.getId())
                .setNewPassword("another-long-password").build());
        assertThat(rowsFor(user.getId())).isZero();

        UserStats repaired = stats.getUserStats(GetUserStatsRequest.newBuilder().setUserId(user.getId()).build());

        assertThat(repaired.getUserId()).isEqualTo(user.getId());
        assertThat(repaired.getStatus()).isEqualTo(StatsStatus.ACTIVE);
        assertThat(repaired.getMemberSince()).isEqualTo(user.getCreatedAt());
        assertThat(repaired.getPasswordChanges()).as("filled from history, not empty").isEqualTo(1);
        assertThat(repaired.getLastEventVersion()).isEqualTo(2);
        assertThat(repaired.hasRepairedAt()).isTrue();
        assertThat(rowsFor(user.getId())).isEqualTo(1);
        assertThat(stats.getUserStats(GetUserStatsRequest.newBuilder().setUserId(user.getId()).build()))
                .as("the next read finds the row").isEqualTo(repaired);
    }

    @Test
    void an_id_user_service_does_not_know_is_not_found_and_a_malformed_one_is_invalid() throws Exception {
        String unknown = UUID.randomUUID().toString();
        assertStatus(Status.Code.NOT_FOUND, () -> stats.getUserStats(GetUserStatsRequest.newBuilder().setUserId(unknown).build()));
        assertThat(rowsFor(unknown)).isZero();
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> stats.getUserStats(
                GetUserStatsRequest.newBuilder().setUserId("not-a-uuid").build()));
    }

    @Test
    void twenty_concurrent_reads_of_one_missing_row_all_succeed_and_create_one_row() throws Exception {
        User user = createUser();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<CompletableFuture<UserStats>> reads = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                reads.add(CompletableFuture.supplyAsync(() -> stats.getUserStats(
                        GetUserStatsRequest.newBuilder().setUserId(user.getId()).build()), pool));
            }
            List<UserStats> answers = new ArrayList<>();
            for (CompletableFuture<UserStats> read : reads) {
                answers.add(read.get(60, TimeUnit.SECONDS));
            }
            assertThat(answers).hasSize(20).allSatisfy(answer -> assertThat(answer).isEqualTo(answers.getFirst()));
        } finally {
            pool.shutdownNow();
        }
        assertThat(rowsFor(user.getId())).isEqualTo(1);
    }

    @Test
    void when_user_service_is_unreachable_a_missing_row_is_unavailable_never_made_up() throws Exception {
        try (TestUserStatsService orphan = new TestUserStatsService("127.0.0.1:1")) {
            String id = UUID.randomUUID().toString();
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () ->
                    UserStatsServiceGrpc.newBlockingStub(orphan.channel).withDeadlineAfter(Duration.ofSeconds(30))
                            .getUserStats(GetUserStatsRequest.newBuilder().setUserId(id).build()));
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(orphan.count("SELECT count(*) FROM user_stats")).isZero();
        }
    }

    @Test
    void the_same_message_twice_counts_once_and_a_skipped_version_resyncs_from_history() throws Exception {
        User user = createUser();
        services.users().changeEmail(ChangeEmailRequest.newBuilder().setUserId(user.getId()).setNewEmail(unique() + "@example.org").build());
        services.users().changePassword(ChangePasswordRequest.newBuilder().setUserId(user.getId()).setNewPassword("pw-long-enough-2").build());
        List<UserEventRecord> history = services.users().getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(user.getId()).build())
                .getEventsList();

        try (Connection rabbit = TestUserStatsService.rabbit(); Channel channel = rabbit.createChannel()) {
            publish(channel, message(user.getId(), history.get(0)));
            publish(channel, message(user.getId(), history.get(0)));   // redelivered duplicate
            await("created applied", () -> statsRow(user.getId()) == 1);
            publish(channel, message(user.getId(), history.get(2)));   // version 3: version 2 was lost
            await("resynced to version 3", () -> lastVersion(user.getId()) == 3);
        }
        UserStats resynced = stats.getUserStats(GetUserStatsRequest.newBuilder().setUserId(user.getId()).build());
        assertThat(resynced.getEmailChanges()).isEqualTo(1);
        assertThat(resynced.getPasswordChanges()).isEqualTo(1);
        assertThat(resynced.hasRepairedAt()).as("created by the consumer, not by repair").isFalse();
        assertThat(services.statsService().count("SELECT count(*) FROM processed_events")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void a_poison_message_goes_to_the_dead_letter_queue_and_later_messages_are_still_applied() throws Exception {
        User user = createUser();
        UserEventRecord created = services.users().getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(user.getId()).build())
                .getEvents(0);
        try (Connection rabbit = TestUserStatsService.rabbit(); Channel channel = rabbit.createChannel()) {
            long before = channel.messageCount("user-stats.user-events.dlq");
            channel.basicPublish("userstream.events", "user.created", new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).messageId("poison").build(), "this is not protobuf".getBytes());
            publish(channel, message(user.getId(), created));

            await("good message applied", () -> statsRow(user.getId()) == 1);
            await("poison dead-lettered", () -> {
                try {
                    return channel.messageCount("user-stats.user-events.dlq") == before + 1;
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    @Test
    void a_reconciliation_sweep_repairs_missing_rows_without_waiting_for_a_read() throws Exception {
        User user = createUser();
        // The sweep lists users from user-service's read model: wait until it has this one.
        services.users().getUser(GetUserRequest.newBuilder().setUserId(user.getId()).setMinVersion(1).build());
        assertThat(rowsFor(user.getId())).isZero();

        assertThat(services.statsService().app.reconcileNow()).isGreaterThanOrEqualTo(1);

        assertThat(rowsFor(user.getId())).isEqualTo(1);
        assertThat(services.statsService().app.reconcileNow()).as("nothing left to repair").isZero();
    }

    private static UserEvent message(String userId, UserEventRecord record) {
        UserEvent.Builder event = UserEvent.newBuilder().setEventId(record.getEventId()).setUserId(userId)
                .setStreamVersion(record.getVersion()).setOccurredAt(record.getOccurredAt());
        switch (record.getEventType()) {
            case "UserCreated" -> event.setEventType("user.created").setCreated(UserCreated.newBuilder().setUsername("x"));
            case "EmailChanged" -> event.setEventType("user.email_changed").setEmailChanged(EmailChanged.getDefaultInstance());
            case "PasswordChanged" -> event.setEventType("user.password_changed")
                    .setPasswordChanged(PasswordChanged.getDefaultInstance());
            default -> throw new IllegalArgumentException(record.getEventType());
        }
        return event.build();
    }

    private static void publish(Channel channel, UserEvent event) throws Exception {
        channel.basicPublish("userstream.events", event.getEventType(), new AMQP.BasicProperties.Builder()
                .deliveryMode(2).messageId(event.getEventId()).type(event.getEventType())
                .contentType("application/x-protobuf").build(), event.toByteArray());
    }

    private static long rowsFor(String userId) throws Exception {
        return services.statsService().count("SELECT count(*) FROM user_stats WHERE user_id = '" + userId + "'");
    }

    private static long statsRow(String userId) {
        try {
            return rowsFor(userId);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static long lastVersion(String userId) {
        try {
            return services.statsService().count("SELECT coalesce(max(last_event_version), 0) FROM user_stats WHERE user_id = '"
                    + userId + "'");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static User createUser() {
        String name = unique();
        return services.users().createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com").setUsername(name)
                .setPassword("long-enough-pw").build());
    }

    static String unique() {
        return "s" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
