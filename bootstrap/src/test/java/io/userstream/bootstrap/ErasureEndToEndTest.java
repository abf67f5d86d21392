package io.userstream.bootstrap;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static io.userstream.bootstrap.EndToEnd.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.userstream.proto.admin.v1.ListProjectionsRequest;
import io.userstream.proto.admin.v1.Projection;
import io.userstream.proto.admin.v1.ProjectionAdminGrpc;
import io.userstream.proto.admin.v1.ProjectionState;
import io.userstream.proto.admin.v1.RebuildProjectionRequest;
import io.userstream.proto.admin.v1.ReplayStreamRequest;
import io.userstream.proto.admin.v1.VerifyProjectionRequest;
import io.userstream.proto.events.v1.UserEvent;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.EraseUserRequest;
import io.userstream.proto.user.v1.EraseUserResponse;
import io.userstream.proto.user.v1.GetUserAtRequest;
import io.userstream.proto.user.v1.GetUserByEmailRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.user.v1.UserServiceGrpc;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Erasure by crypto-shredding, end to end: after EraseUser no personal field of the user is readable
 * anywhere — not in the stored events, the history, time travel, the read model (also after a rebuild and a
 * replay), nor on the bus, which announces user.erased — while the history keeps every event, and the
 * e-mail address and username can be used again.
 */
class ErasureEndToEndTest {

    @Test
    void an_erased_user_leaves_no_readable_personal_data_and_its_history_stays() throws Exception {
        String name = "er" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String email = name + "@example.org";
        String firstName = "Zelda" + name;
        String lastName = "Quux" + name;
        try (Connection rabbit = TestUserStatsService.rabbit(); TestUserService service = new TestUserService(true)) {
            Channel bus = rabbit.createChannel();
            bus.exchangeDeclare("userstream.events", BuiltinExchangeType.TOPIC, true);
            String queue = bus.queueDeclare("", false, true, true, null).getQueue();
            bus.queueBind(queue, "userstream.events", "#");
            var users = UserServiceGrpc.newBlockingStub(service.channel);
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                    "Bearer " + TestUserService.ADMIN_TOKEN);
            var admin = ProjectionAdminGrpc.newBlockingStub(ClientInterceptors.intercept(service.channel,
                    MetadataUtils.newAttachHeadersInterceptor(headers)));

            User created = users.createUser(CreateUserRequest.newBuilder().setEmail(email).setUsername(name)
                    .setPassword("correct horse battery").setFirstName(firstName).build());
            String id = created.getId();
            users.updateProfile(UpdateProfileRequest.newBuilder().setUserId(id).setLastName(lastName).build());
            users.getUser(GetUserRequest.newBuilder().setUserId(id).setMinVersion(2).build());

            EraseUserResponse erased = users.eraseUser(EraseUserRequest.newBuilder().setUserId(id).build());
            assertThat(erased.getUserId()).isEqualTo(id);
            assertThat(erased.getVersion()).isEqualTo(3);
            assertThat(erased.toString()).doesNotContain(email).doesNotContain(firstName);

            // The read model forgets the user; the address and the username are free again.
            await("the user leaves the read model", () -> {
                try {
                    users.getUser(GetUserRequest.newBuilder().setUserId(id).build());
                    return false;
                } catch (io.grpc.StatusRuntimeException e) {
                    return e.getStatus().getCode() == Status.Code.NOT_FOUND;
                }
            });
            assertStatus(Status.Code.NOT_FOUND, () -> users.getUserByEmail(
                    GetUserByEmailRequest.newBuilder().setEmail(email).build()));
            User again = users.createUser(CreateUserRequest.newBuilder().setEmail(email).setUsername(name)
                    .setPassword("correct horse battery").build());
            assertThat(again.getId()).isNotEqualTo(id);

            // The history keeps every event; its personal fields read [erased].
            List<UserEventRecord> history = users.getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(id)
                    .build()).getEventsList();
            assertThat(history).extracting(UserEventRecord::getEventType)
                    .containsExactly("UserCreated", "ProfileUpdated", "UserErased");
            assertThat(history.getFirst().getDataJson()).contains("\"email\":\"[erased]\"").contains(name);
            List<String> outputs = new ArrayList<>();
            history.forEach(record -> outputs.add(record.toString()));
            User past = users.getUserAt(GetUserAtRequest.newBuilder().setUserId(id).setVersion(2).build());
            assertThat(past.getEmail()).endsWith("@erased.invalid");
            assertThat(past.getFirstName()).isEmpty();
            outputs.add(past.toString());

            // Nothing stored can give it back: the key is gone and the events hold only ciphertext.
            try (var connection = DriverManager.getConnection(TestUserService.DB_URL, TestUserService.DB_USER, "");
                 Statement sql = connection.createStatement()) {
                connection.setSchema(service.schema);
                try (ResultSet row = sql.executeQuery("SELECT count(*) FROM user_keys WHERE stream_id = '" + id + "'")) {
                    row.next();
                    assertThat(row.getInt(1)).isZero();
                }
                try (ResultSet rows = sql.executeQuery("SELECT payload::text FROM events WHERE stream_id = '" + id + "'")) {
                    while (rows.next()) {
                        outputs.add(rows.getString(1));
                    }
                }
            }

            // Rebuilt and replayed, the read model still has no row for it, and agrees with the log.
            admin.rebuildProjection(RebuildProjectionRequest.newBuilder().setName("user_read_model").build());
            await("the rebuild finished", () -> {
                Projection status = admin.listProjections(ListProjectionsRequest.getDefaultInstance()).getProjections(0);
                return status.getState() == ProjectionState.RUNNING && !status.hasRebuild();
            });
            admin.replayStream(ReplayStreamRequest.newBuilder().setName("user_read_model").setUserId(id).build());
            assertStatus(Status.Code.NOT_FOUND, () -> users.getUser(GetUserRequest.newBuilder().setUserId(id).build()));
            assertThat(admin.verifyProjection(VerifyProjectionRequest.newBuilder().setName("user_read_model")
                    .setLimit(1000).build()).getUsersDiffering()).isZero();

            // Erasing again changes nothing.
            assertThat(users.eraseUser(EraseUserRequest.newBuilder().setUserId(id).build()).getVersion()).isEqualTo(3);

            // The bus announced it, and never carried the personal data.
            List<UserEvent> messages = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (messages.stream().noneMatch(m -> m.getUserId().equals(id) && m.getEventType().equals("user.erased"))) {
                assertThat(System.nanoTime()).as("user.erased on the bus within 30 s").isLessThan(deadline);
                GetResponse message = bus.basicGet(queue, true);
                if (message == null) {
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                } else {
                    messages.add(UserEvent.parseFrom(message.getBody()));
                    outputs.add(new String(message.getBody(), StandardCharsets.UTF_8));
                }
            }
            assertThat(messages).filteredOn(m -> m.getUserId().equals(id)).extracting(UserEvent::getEventType)
                    .containsExactly("user.created", "user.profile_updated", "user.erased");
            for (String output : outputs) {
                assertThat(output).doesNotContain(email).doesNotContain(firstName).doesNotContain(lastName);
            }
        }
    }
}
