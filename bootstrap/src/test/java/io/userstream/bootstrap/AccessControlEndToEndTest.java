package io.userstream.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.userstream.adapters.grpc.auth.Scopes;
import io.userstream.proto.admin.v1.ProjectionAdminGrpc;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.userstats.v1.GetUserStatsRequest;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Who may call what, with authentication on (JWT bearer tokens), against the real services: every RPC
 * refuses a missing, badly signed, expired or foreign-issued token ({@code UNAUTHENTICATED}) and a token
 * without its scope ({@code PERMISSION_DENIED}); a person reaches only its own account; the actor on the
 * audit trail is the token's subject, whatever {@code x-actor} claims.
 */
class AccessControlEndToEndTest {

    private static TestTokens tokens;
    private static TestUserService users;
    private static String admin;
    private static String ownerId;
    private static String otherId;
    private static final String PASSWORD = "correct horse battery";

    @BeforeAll
    static void start() {
        tokens = new TestTokens();
        users = new TestUserService(tokens.security());
        admin = tokens.token("ops-alice", Scopes.ADMIN);
        ownerId = create(admin).getId();
        otherId = create(admin).getId();
    }

    @AfterAll
    static void stop() throws Exception {
        users.close();
    }

    private static User create(String token) {
        String name = "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        return userStub(token).createUser(CreateUserRequest.newBuilder().setEmail(name + "@example.com")
                .setUsername(name).setPassword(PASSWORD).build());
    }

    private static UserServiceGrpc.UserServiceBlockingStub userStub(String token) {
        return UserServiceGrpc.newBlockingStub(users.channel).withCallCredentials(TestTokens.bearer(token));
    }

    /** Every method user-service serves, UserService and ProjectionAdmin alike. */
    private static List<MethodDescriptor<?, ?>> userServiceMethods() {
        List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
        for (var service : List.of(UserServiceGrpc.getServiceDescriptor(), ProjectionAdminGrpc.getServiceDescriptor())) {
            methods.addAll(service.getMethods());
        }
        return methods;
    }

    /** Calls {@code method} with its empty request (its user_id set to {@code userId}) and {@code token}. */
    private static Status.Code call(ManagedChannel channel, MethodDescriptor<?, ?> method, String userId,
                                    String token, Metadata extra) {
        @SuppressWarnings("unchecked")
        MethodDescriptor<Message, Message> typed = (MethodDescriptor<Message, Message>) method;
        Message prototype = ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller()).getMessagePrototype()
                instanceof Message message ? message : null;
        Message.Builder request = prototype.toBuilder();
        FieldDescriptor field = prototype.getDescriptorForType().findFieldByName("user_id");
        if (field != null && userId != null) {
            request.setField(field, userId);
        }
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS);
        if (token != null) {
            options = options.withCallCredentials(TestTokens.bearer(token));
        }
        try {
            var intercepted = io.grpc.ClientInterceptors.intercept(channel,
                    MetadataUtils.newAttachHeadersInterceptor(extra));
            ClientCalls.blockingUnaryCall(intercepted, typed, options, request.build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static Status.Code call(MethodDescriptor<?, ?> method, String userId, String token) {
        return call(users.channel, method, userId, token, new Metadata());
    }

    @Test
    void every_rpc_refuses_a_call_without_a_token_it_can_trust() {
        Map<String, Function<String, String>> badTokens = Map.of(
                "none", subject -> null,
                "garbage", subject -> "not-a-jwt",
                "expired", subject -> tokens.expired(subject, Scopes.ADMIN),
                "signed by an unknown key", subject -> tokens.signedByStranger(subject, Scopes.ADMIN),
                "from another issuer", subject -> tokens.fromOtherIssuer(subject, Scopes.ADMIN),
                "the static admin token", subject -> TestUserService.ADMIN_TOKEN);
        for (MethodDescriptor<?, ?> method : userServiceMethods()) {
            badTokens.forEach((kind, token) -> assertThat(call(method, ownerId, token.apply("ops-alice")))
                    .as("%s with a token that is %s", method.getFullMethodName(), kind)
                    .isEqualTo(Status.Code.UNAUTHENTICATED));
        }
    }

    @Test
    void every_rpc_refuses_a_token_without_its_scope() {
        String unrelated = tokens.token(ownerId, "profile:read", "email");
        for (MethodDescriptor<?, ?> method : userServiceMethods()) {
            assertThat(call(method, ownerId, unrelated)).as(method.getFullMethodName())
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
        }
    }

    @Test
    void a_person_reaches_its_own_account_and_no_other() {
        String person = tokens.token(ownerId, Scopes.READ, Scopes.WRITE);
        Set<String> ownAccount = Set.of("ChangeEmail", "ChangePassword", "UpdateProfile", "DeleteUser",
                "GetUser", "GetUserHistory", "GetUserAt");
        for (MethodDescriptor<?, ?> method : UserServiceGrpc.getServiceDescriptor().getMethods()) {
            String name = method.getBareMethodName();
            if (ownAccount.contains(name)) {
                assertThat(call(method, otherId, person)).as(name + " on another account")
                        .isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(call(method, otherId.toUpperCase(), person)).as(name + " on another account, upper case")
                        .isEqualTo(Status.Code.PERMISSION_DENIED);
            } else if (!name.equals("CreateUser")) {
                // Look-ups, listing, activation: other people's accounts by nature, so never a person's.
                assertThat(call(method, ownerId, person)).as(name).isEqualTo(Status.Code.PERMISSION_DENIED);
            }
        }
        for (MethodDescriptor<?, ?> method : ProjectionAdminGrpc.getServiceDescriptor().getMethods()) {
            assertThat(call(method, null, person)).as(method.getFullMethodName()).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
        // Its own account: reads and writes go through (their answers are the usual ones).
        assertThat(userStub(person).getUser(GetUserRequest.newBuilder().setUserId(ownerId).build()).getId())
                .isEqualTo(ownerId);
        assertThat(userStub(person).getUser(GetUserRequest.newBuilder().setUserId(ownerId.toUpperCase()).build()).getId())
                .isEqualTo(ownerId);
    }

    @Test
    void the_audit_trail_records_the_tokens_subject_not_what_x_actor_claims() {
        String person = tokens.token(ownerId, Scopes.READ, Scopes.WRITE);
        Metadata forged = new Metadata();
        forged.put(Metadata.Key.of("x-actor", Metadata.ASCII_STRING_MARSHALLER), "ops-alice");
        UserServiceGrpc.newBlockingStub(users.channel).withCallCredentials(TestTokens.bearer(person))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
                .updateProfile(UpdateProfileRequest.newBuilder().setUserId(ownerId).setFirstName("Ann").build());
        var history = userStub(person).getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(ownerId).build());
        var last = history.getEventsList().getLast();
        assertThat(last.getEventType()).isEqualTo("ProfileUpdated");
        assertThat(last.getActor()).isEqualTo(ownerId);
        assertThat(history.getEventsList().getFirst().getActor()).as("created by the admin").isEqualTo("ops-alice");
    }

    @Test
    void a_person_changes_its_own_password_only_with_the_current_one() {
        String id = create(admin).getId();
        String person = tokens.token(id, Scopes.READ, Scopes.WRITE);
        ChangePasswordRequest.Builder change = ChangePasswordRequest.newBuilder().setUserId(id)
                .setNewPassword("a new long password");

        assertThatThrownBy(() -> userStub(person).changePassword(change.build()))
                .satisfies(failure -> {
                    StatusRuntimeException status = (StatusRuntimeException) failure;
                    assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    BadRequest details = StatusProto.fromThrowable(status).getDetails(0).unpack(BadRequest.class);
                    assertThat(details.getFieldViolations(0).getField()).isEqualTo("current_password");
                });
        assertThatThrownBy(() -> userStub(person).changePassword(change.setCurrentPassword("wrong password!").build()))
                .extracting(failure -> ((StatusRuntimeException) failure).getStatus().getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        long before = userStub(person).getUser(GetUserRequest.newBuilder().setUserId(id).build()).getVersion();
        assertThat(before).as("refused changes wrote nothing").isEqualTo(1);

        User changed = userStub(person).changePassword(change.setCurrentPassword(PASSWORD).build());
        assertThat(changed.getVersion()).isEqualTo(2);
        // An administrator resets without it.
        User reset = userStub(admin).changePassword(ChangePasswordRequest.newBuilder().setUserId(id)
                .setNewPassword("reset by the operator").build());
        assertThat(reset.getVersion()).isEqualTo(3);
    }

    @Test
    void look_ups_and_listing_need_read_all_and_the_admin_api_needs_admin() throws Exception {
        String service = tokens.token("user-stats-service", Scopes.READ_ALL);
        // The listing reads the read model, which follows the users' creation a moment later.
        EndToEnd.await("both users listed", () -> userStub(service)
                .listUsers(ListUsersRequest.newBuilder().setPageSize(1000).build()).getUsersList().stream()
                .map(User::getId).toList().containsAll(java.util.List.of(ownerId, otherId)));
        assertThat(userStub(service).getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(otherId).build())
                .getEventsCount()).isPositive();
        // Reading everything is not changing anything.
        assertThat(call(UserServiceGrpc.getUpdateProfileMethod(), otherId, service)).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(call(ProjectionAdminGrpc.getListProjectionsMethod(), null, service))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(call(ProjectionAdminGrpc.getListProjectionsMethod(), null, admin)).isEqualTo(Status.Code.OK);
    }

    @Test
    void health_and_reflection_stay_open_for_probes_and_tools() {
        var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(users.channel)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void stats_needs_a_token_too_and_asks_user_service_with_its_own() throws Exception {
        String statsToken = tokens.token("user-stats-service", Scopes.READ_ALL);
        try (TestUserStatsService stats = new TestUserStatsService("127.0.0.1:" + users.app.grpcPort(),
                TestUserService.RABBIT, tokens.security(), new UserStatsServiceSettings.UserServiceClient(
                        java.util.Optional.of(statsToken), java.util.Optional.empty(), java.util.Optional.empty(),
                        java.util.Optional.empty()))) {
            String person = tokens.token(ownerId, Scopes.READ);
            var stub = UserStatsServiceGrpc.newBlockingStub(stats.channel);
            // No stats row yet: the on-read repair asks user-service, with the service's token.
            assertThat(stub.withCallCredentials(TestTokens.bearer(person))
                    .getUserStats(GetUserStatsRequest.newBuilder().setUserId(ownerId).build()).getUserId())
                    .isEqualTo(ownerId);
            assertThat(call(stats.channel, UserStatsServiceGrpc.getGetUserStatsMethod(), otherId, person, new Metadata()))
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(call(stats.channel, UserStatsServiceGrpc.getGetUserStatsMethod(), ownerId, null, new Metadata()))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);

            HttpClient http = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + stats.app.httpPort() + "/stats/" + ownerId);
            assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(401);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stats.app.httpPort() + "/stats/"
                    + otherId)).header("Authorization", "Bearer " + person).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
            assertThat(http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + person).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }
}
