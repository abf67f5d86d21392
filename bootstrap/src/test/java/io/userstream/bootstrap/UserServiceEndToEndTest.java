package io.userstream.bootstrap;

import com.google.rpc.BadRequest;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.userstream.proto.user.v1.ActivateUserRequest;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.DeactivateUserRequest;
import io.userstream.proto.user.v1.DeleteUserRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.UserStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * user-service end to end: the real PostgreSQL (a private schema of userstream_test), the real
 * Helidon server, and a grpc-java client over a real channel.
 */
class UserServiceEndToEndTest {

    private static final String DB_URL = TestUserService.DB_URL;
    private static final String DB_USER = TestUserService.DB_USER;

    private static TestUserService service;
    private static String SCHEMA;
    private static UserServiceApp app;
    private static ManagedChannel channel;
    private static UserServiceGrpc.UserServiceBlockingStub users;

    @BeforeAll
    static void start() {
        service = new TestUserService();
        SCHEMA = service.schema;
        app = service.app;
        channel = service.channel;
        users = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofMinutes(5));
    }

    @AfterAll
    static void stop() throws Exception {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void create_user_returns_the_recorded_user_and_get_user_reads_it_back() {
        String name = unique();
        User created = users.createUser(CreateUserRequest.newBuilder()
                .setEmail("  " + name + "@Example.COM ").setUsername(name).setPassword("s3cret-password")
                .setFirstName("Ada").setLastName("Lovelace").setAvatarUrl("https://example.com/ada.png").build());

        assertThat(UUID.fromString(created.getId())).isNotNull();
        assertThat(created.getEmail()).isEqualTo(name + "@example.com");
        assertThat(created.getUsername()).isEqualTo(name);
        assertThat(created.getFirstName()).isEqualTo("Ada");
        assertThat(created.getStatus()).isEqualTo(UserStatus.ACTIVE);
        assertThat(created.getVersion()).isEqualTo(1);
        assertThat(created.hasCreatedAt()).isTrue();
        assertThat(created.hasDeletedAt()).isFalse();
        assertThat(created.toString()).doesNotContain("s3cret-password").doesNotContain("argon2");

        assertThat(users.getUser(GetUserRequest.newBuilder().setUserId(created.getId()).setMinVersion(1).build()))
                .isEqualTo(created);
    }

    @Test
    void every_command_changes_the_user_and_bumps_its_version() {
        User user = createUser();
        String id = user.getId();

        User emailChanged = users.changeEmail(ChangeEmailRequest.newBuilder().setUserId(id)
                .setNewEmail(unique() + "@example.org").setExpectedVersion(1).build());
        assertThat(emailChanged.getEmail()).endsWith("@example.org");
        assertThat(emailChanged.getVersion()).isEqualTo(2);

        User passwordChanged = users.changePassword(ChangePasswordRequest.newBuilder().setUserId(id)
                .setNewPassword("another-long-password").build());
        assertThat(passwordChanged.getVersion()).isEqualTo(3);

        User profiled = users.updateProfile(UpdateProfileRequest.newBuilder().setUserId(id).setLastName("Byron").build());
        assertThat(profiled.getLastName()).isEqualTo("Byron");
        assertThat(profiled.getFirstName()).as("absent fields are kept").isEqualTo(user.getFirstName());
        assertThat(profiled.getVersion()).isEqualTo(4);

        User deactivated = users.deactivateUser(DeactivateUserRequest.newBuilder().setUserId(id).build());
        assertThat(deactivated.getStatus()).isEqualTo(UserStatus.INACTIVE);
        assertThat(deactivated.getVersion()).isEqualTo(5);
        User deactivatedAgain = users.deactivateUser(DeactivateUserRequest.newBuilder().setUserId(id).build());
        assertThat(deactivatedAgain.getVersion()).as("deactivating an inactive user is a no-op").isEqualTo(5);

        User activated = users.activateUser(ActivateUserRequest.newBuilder().setUserId(id).build());
        assertThat(activated.getStatus()).isEqualTo(UserStatus.ACTIVE);
        assertThat(activated.getVersion()).isEqualTo(6);

        User deleted = users.deleteUser(DeleteUserRequest.newBuilder().setUserId(id).setExpectedVersion(6).build());
        assertThat(deleted.getStatus()).isEqualTo(UserStatus.DELETED);
        assertThat(deleted.hasDeletedAt()).isTrue();
        assertThat(deleted.getVersion()).isEqualTo(7);

        assertThat(users.getUser(GetUserRequest.newBuilder().setUserId(id).setMinVersion(7).build())).isEqualTo(deleted);
    }

    @Test
    void invalid_input_is_invalid_argument_naming_every_offending_field() {
        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () ->
                users.createUser(CreateUserRequest.newBuilder().setEmail("not-an-email").setUsername("A")
                        .setPassword("short").setAvatarUrl("ftp://example.com/a.png").build()));

        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequestFields(error)).containsExactly("email", "username", "password", "avatar_url");
        assertThat(error.getStatus().getDescription()).contains("email").contains("password");

        StatusRuntimeException badId = catchThrowableOfType(StatusRuntimeException.class, () ->
                users.getUser(GetUserRequest.newBuilder().setUserId("42").build()));
        assertThat(badId.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequestFields(badId)).containsExactly("user_id");

        StatusRuntimeException badVersion = catchThrowableOfType(StatusRuntimeException.class, () ->
                users.activateUser(ActivateUserRequest.newBuilder().setUserId(UUID.randomUUID().toString())
                        .setExpectedVersion(-1).build()));
        assertThat(badRequestFields(badVersion)).containsExactly("expected_version");
    }

    @Test
    void a_taken_email_or_username_is_already_exists() {
        User first = createUser();
        assertStatus(Status.Code.ALREADY_EXISTS, () -> users.createUser(CreateUserRequest.newBuilder()
                .setEmail(first.getEmail()).setUsername(unique()).setPassword("long-enough-pw").build()));
        assertStatus(Status.Code.ALREADY_EXISTS, () -> users.createUser(CreateUserRequest.newBuilder()
                .setEmail(unique() + "@example.com").setUsername(first.getUsername()).setPassword("long-enough-pw").build()));
        User second = createUser();
        assertStatus(Status.Code.ALREADY_EXISTS, () -> users.changeEmail(ChangeEmailRequest.newBuilder()
                .setUserId(second.getId()).setNewEmail(first.getEmail()).build()));
    }

    @Test
    void an_unknown_user_is_not_found() {
        String unknown = UUID.randomUUID().toString();
        assertStatus(Status.Code.NOT_FOUND, () -> users.getUser(GetUserRequest.newBuilder().setUserId(unknown).build()));
        assertStatus(Status.Code.NOT_FOUND, () -> users.deleteUser(DeleteUserRequest.newBuilder().setUserId(unknown).build()));
    }

    @Test
    void a_deleted_user_or_a_stale_expected_version_is_failed_precondition() {
        User user = createUser();
        StatusRuntimeException stale = assertStatus(Status.Code.FAILED_PRECONDITION, () -> users.updateProfile(
                UpdateProfileRequest.newBuilder().setUserId(user.getId()).setFirstName("X").setExpectedVersion(7).build()));
        assertThat(stale.getStatus().getDescription()).contains("version 1").contains("7");

        users.deleteUser(DeleteUserRequest.newBuilder().setUserId(user.getId()).build());
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> users.activateUser(
                ActivateUserRequest.newBuilder().setUserId(user.getId()).build()));
        assertStatus(Status.Code.FAILED_PRECONDITION, () -> users.deleteUser(
                DeleteUserRequest.newBuilder().setUserId(user.getId()).build()));
    }

    @Test
    void writers_that_keep_conflicting_get_aborted_and_nothing_is_written() throws Exception {
        User user = createUser();
        // Every append to this stream now fails exactly as a lost race does, at the database.
        sql("CREATE FUNCTION " + SCHEMA + ".always_conflict() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "RAISE unique_violation USING CONSTRAINT = 'events_stream_version_key', MESSAGE = 'simulated race'; END $$");
        sql("CREATE TRIGGER always_conflict BEFORE INSERT ON " + SCHEMA + ".events FOR EACH ROW "
                + "WHEN (NEW.stream_id = '" + user.getId() + "') EXECUTE FUNCTION " + SCHEMA + ".always_conflict()");
        try {
            StatusRuntimeException error = assertStatus(Status.Code.ABORTED, () -> users.updateProfile(
                    UpdateProfileRequest.newBuilder().setUserId(user.getId()).setFirstName("Never").build()));
            assertThat(error.getStatus().getDescription()).contains("retry");
        } finally {
            sql("DROP TRIGGER always_conflict ON " + SCHEMA + ".events");
        }
        assertThat(users.getUser(GetUserRequest.newBuilder().setUserId(user.getId()).setMinVersion(1).build())
                .getVersion()).isEqualTo(1);
    }

    @Test
    void concurrent_registrations_with_one_email_let_exactly_one_succeed() throws Exception {
        String email = unique() + "@example.com";
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Status.Code>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        users.createUser(CreateUserRequest.newBuilder().setEmail(email).setUsername(unique())
                                .setPassword("long-enough-pw").build());
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }, pool));
            }
            List<Status.Code> codes = new ArrayList<>();
            for (CompletableFuture<Status.Code> call : calls) {
                codes.add(call.get(60, TimeUnit.SECONDS));
            }
            assertThat(codes).containsOnlyOnce(Status.Code.OK);
            assertThat(codes).filteredOn(code -> code == Status.Code.ALREADY_EXISTS).hasSize(7);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void events_record_the_callers_correlation_id_and_actor() throws Exception {
        Metadata headers = new Metadata();
        String correlationId = "corr-" + unique();
        headers.put(Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER), correlationId);
        headers.put(Metadata.Key.of("x-actor", Metadata.ASCII_STRING_MARSHALLER), "admin-console");
        UserServiceGrpc.UserServiceBlockingStub traced = UserServiceGrpc.newBlockingStub(
                ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)));

        User user = traced.createUser(CreateUserRequest.newBuilder().setEmail(unique() + "@example.com")
                .setUsername(unique()).setPassword("long-enough-pw").build());

        try (Connection connection = DriverManager.getConnection(DB_URL, DB_USER, "");
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT metadata->>'correlation_id', metadata->>'actor' FROM "
                     + SCHEMA + ".events WHERE stream_id = '" + user.getId() + "'")) {
            assertThat(row.next()).isTrue();
            assertThat(row.getString(1)).isEqualTo(correlationId);
            assertThat(row.getString(2)).isEqualTo("admin-console");
        }
    }

    @Test
    void grpc_health_reports_serving_and_reflection_lists_the_user_service() throws Exception {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.newBuilder().setService("userstream.user.v1.UserService").build());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

        LinkedBlockingQueue<ServerReflectionResponse> responses = new LinkedBlockingQueue<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        ServerReflectionResponse listing = responses.poll(10, TimeUnit.SECONDS);
        requests.onCompleted();

        assertThat(listing).isNotNull();
        assertThat(listing.getListServicesResponse().getServiceList())
                .extracting(service -> service.getName())
                .contains("userstream.user.v1.UserService", "grpc.health.v1.Health");
    }

    @Test
    void metrics_and_health_are_served_on_the_http_port() throws Exception {
        createUser();
        HttpClient http = HttpClient.newHttpClient();

        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("eventstore_events_appended_total\\{event_type=\"UserCreated\",[^}]*} [1-9]")
                .contains("eventstore_append_seconds_count")
                .contains("eventstore_append_conflicts_total{reason=\"version\"");

        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.httpPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"name\":\"postgresql\",\"status\":\"UP\"");
    }

    private static User createUser() {
        String name = unique();
        return users.createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com").setUsername(name)
                .setPassword("long-enough-pw").setFirstName("Ada").build());
    }

    private static List<String> badRequestFields(StatusRuntimeException error) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        assertThat(status).as("rich status details").isNotNull();
        return status.getDetailsList().stream()
                .filter(any -> any.is(BadRequest.class))
                .flatMap(any -> {
                    try {
                        return any.unpack(BadRequest.class).getFieldViolationsList().stream();
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new AssertionError(e);
                    }
                })
                .map(BadRequest.FieldViolation::getField)
                .toList();
    }

    private static void sql(String statementText) throws Exception {
        try (Connection connection = DriverManager.getConnection(DB_URL, DB_USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute(statementText);
        }
    }

    private static String unique() {
        return "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
