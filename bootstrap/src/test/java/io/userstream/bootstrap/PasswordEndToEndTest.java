package io.userstream.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.grpc.StatusRuntimeException;
import io.userstream.adapters.crypto.Argon2idPasswordHasher;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserAtRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.UserStatus;
import io.userstream.proto.user.v1.VerifyPasswordRequest;
import io.userstream.proto.user.v1.VerifyPasswordResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** VerifyPassword over gRPC, its timing, and a scenario's every output scanned for passwords and hashes. */
class PasswordEndToEndTest {

    private static String unique() {
        return "p" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @Test
    void nothing_a_scenario_outputs_carries_a_password_or_its_hash() throws Exception {
        String first = "first secret " + unique();
        String second = "second secret " + unique();
        String wrong = "wrong secret " + unique();
        List<String> outputs = Collections.synchronizedList(new ArrayList<>());
        Handler capture = new Handler() {
            private final SimpleFormatter format = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                outputs.add(format.format(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        try (Connection rabbit = TestUserStatsService.rabbit(); TestUserService users = new TestUserService(true)) {
            // Attached once the service runs: starting Helidon re-reads the logging configuration, which drops
            // the root logger's handlers.
            root.addHandler(capture);
            Channel bus = rabbit.createChannel();
            bus.exchangeDeclare("userstream.events", BuiltinExchangeType.TOPIC, true);
            String queue = bus.queueDeclare("", false, true, true, null).getQueue();
            bus.queueBind(queue, "userstream.events", "#");

            var stub = UserServiceGrpc.newBlockingStub(users.channel);
            String name = unique();
            User created = stub.createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com")
                    .setUsername(name).setPassword(first).build());
            outputs.add(created.toString());
            String id = created.getId();
            outputs.add(stub.changePassword(ChangePasswordRequest.newBuilder().setUserId(id).setNewPassword(second)
                    .setCurrentPassword(first).build()).toString());
            VerifyPasswordResponse valid = stub.verifyPassword(VerifyPasswordRequest.newBuilder().setLogin(name)
                    .setPassword(second).build());
            assertThat(valid.getValid()).isTrue();
            assertThat(valid.getUserId()).isEqualTo(id);
            assertThat(valid.getStatus()).isEqualTo(UserStatus.ACTIVE);
            VerifyPasswordResponse invalid = stub.verifyPassword(VerifyPasswordRequest.newBuilder()
                    .setLogin(name + "@example.com").setPassword(wrong).build());
            assertThat(invalid.getValid()).isFalse();
            assertThat(invalid.getUserId()).isEmpty();
            outputs.add(valid.toString());
            outputs.add(invalid.toString());
            try {
                stub.changePassword(ChangePasswordRequest.newBuilder().setUserId(id).setNewPassword(first)
                        .setCurrentPassword(wrong).build());
            } catch (StatusRuntimeException refused) {
                outputs.add(refused.getStatus().toString());
            }
            outputs.add(stub.getUser(GetUserRequest.newBuilder().setUserId(id).setMinVersion(2).build()).toString());
            outputs.add(stub.getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(id).build()).toString());
            outputs.add(stub.getUserAt(GetUserAtRequest.newBuilder().setUserId(id).setVersion(1).build()).toString());
            outputs.add(stub.listUsers(ListUsersRequest.newBuilder().setPageSize(1000).build()).toString());

            List<String> secrets = new ArrayList<>(List.of(first, second, wrong));
            try (var connection = DriverManager.getConnection(TestUserService.DB_URL, TestUserService.DB_USER, "");
                 Statement sql = connection.createStatement()) {
                connection.setSchema(users.schema);
                try (ResultSet rows = sql.executeQuery("SELECT payload->'data'->>'password_hash' FROM events"
                        + " WHERE stream_id = '" + id + "' AND payload->'data' ? 'password_hash'")) {
                    while (rows.next()) {
                        String hash = rows.getString(1);
                        secrets.add(hash);
                        secrets.add(hash.substring(hash.lastIndexOf('$') + 1));   // the digest alone
                    }
                }
                assertThat(secrets).as("the event store holds both hashes").hasSize(7);
                try (ResultSet rows = sql.executeQuery("SELECT row_to_json(r)::text FROM user_read_model r")) {
                    while (rows.next()) {
                        outputs.add(rows.getString(1));
                    }
                }
            }
            // Both integration events of the user reach the bus.
            List<String> messages = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (messages.stream().filter(body -> body.contains(id)).count() < 2) {
                assertThat(System.nanoTime()).as("both of the user's messages on the bus within 30 s").isLessThan(deadline);
                GetResponse message = bus.basicGet(queue, true);
                if (message == null) {
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                } else {
                    messages.add(new String(message.getBody(), StandardCharsets.UTF_8) + message.getProps());
                }
            }
            outputs.addAll(messages);
        } finally {
            root.removeHandler(capture);
        }
        assertThat(outputs).as("logged lines included").anyMatch(line -> line.contains("password check"));
        for (String output : outputs) {
            for (String secret : List.of(first, second, wrong)) {
                assertThat(output).doesNotContain(secret);
            }
            assertThat(output).doesNotContainPattern("\\$argon2id\\$");
        }
    }

    @Test
    void an_unknown_login_takes_as_long_as_a_wrong_password() throws Exception {
        // Production's Argon2id cost, so that skipping the hash for unknown users would show plainly.
        try (TestUserService users = new TestUserService(TestUserService.TEST_HASHING,
                new Argon2idPasswordHasher(Argon2idPasswordHasher.OWASP))) {
            var stub = UserServiceGrpc.newBlockingStub(users.channel);
            int rounds = 15;
            List<String> known = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                String name = unique();
                stub.createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com").setUsername(name)
                        .setPassword("the right password").build());
                known.add(name);
            }
            List<Long> unknown = new ArrayList<>();
            List<Long> wrong = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                // Interleaved, so that the machine's changing load falls on both alike; one attempt per account.
                unknown.add(timed(stub, unique(), "a wrong password"));
                wrong.add(timed(stub, known.get(i), "a wrong password"));
            }
            double ratio = (double) median(unknown) / median(wrong);
            System.out.printf("VerifyPassword p50: unknown login %.1f ms, wrong password %.1f ms, ratio %.2f%n",
                    median(unknown) / 1e6, median(wrong) / 1e6, ratio);
            // Without the dummy comparison an unknown login would take a database read (~1 ms) against a
            // 19 MiB Argon2id run (tens of ms): a ratio far below 0.5.
            assertThat(ratio).isBetween(0.5, 2.0);
        }
    }

    private static long timed(UserServiceGrpc.UserServiceBlockingStub stub, String login, String password) {
        long start = System.nanoTime();
        VerifyPasswordResponse answer = stub.verifyPassword(VerifyPasswordRequest.newBuilder().setLogin(login)
                .setPassword(password).build());
        long elapsed = System.nanoTime() - start;
        assertThat(answer.getValid()).isFalse();
        return elapsed;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
