package io.userstream.bootstrap;

import com.google.protobuf.Timestamp;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.userstream.proto.admin.v1.DifferenceKind;
import io.userstream.proto.admin.v1.FieldDifference;
import io.userstream.proto.admin.v1.ListParkedEventsRequest;
import io.userstream.proto.admin.v1.ListProjectionsRequest;
import io.userstream.proto.admin.v1.Projection;
import io.userstream.proto.admin.v1.ProjectionAdminGrpc;
import io.userstream.proto.admin.v1.ProjectionState;
import io.userstream.proto.admin.v1.RebuildProjectionRequest;
import io.userstream.proto.admin.v1.ReplayStreamRequest;
import io.userstream.proto.admin.v1.UserDifference;
import io.userstream.proto.admin.v1.VerifyProjectionRequest;
import io.userstream.proto.admin.v1.VerifyProjectionResponse;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.DeactivateUserRequest;
import io.userstream.proto.user.v1.GetUserAtRequest;
import io.userstream.proto.user.v1.GetUserByEmailRequest;
import io.userstream.proto.user.v1.GetUserByUsernameRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserHistoryResponse;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.ListUsersResponse;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
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
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static io.userstream.bootstrap.EndToEnd.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The read side end to end: queries, read-your-writes, audit trail, time travel, admin API, metrics. */
class ReadSideEndToEndTest {

    private static TestUserService service;
    private static UserServiceGrpc.UserServiceBlockingStub users;

    @BeforeAll
    static void start() {
        service = new TestUserService();
        users = UserServiceGrpc.newBlockingStub(service.channel).withDeadlineAfter(Duration.ofMinutes(5));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void a_client_reads_its_own_writes_with_min_version() {
        User created = createUser();
        User changed = users.changeEmail(ChangeEmailRequest.newBuilder().setUserId(created.getId())
                .setNewEmail(unique() + "@example.org").build());

        User read = users.getUser(GetUserRequest.newBuilder().setUserId(created.getId())
                .setMinVersion(changed.getVersion()).build());

        assertThat(read).isEqualTo(changed);
    }

    @Test
    void a_read_model_held_back_past_the_deadline_fails_clearly_instead_of_answering_stale() throws Exception {
        // An open writing transaction holds the log's horizon back: nothing after it can be projected.
        try (Connection blocker = DriverManager.getConnection(TestUserService.DB_URL, TestUserService.DB_USER, "")) {
            blocker.setAutoCommit(false);
            try (Statement write = blocker.createStatement()) {
                write.execute("CREATE TEMPORARY TABLE hold_horizon (x int)");
                write.execute("INSERT INTO hold_horizon VALUES (1)");
            }
            User created = createUser();
            StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () ->
                    UserServiceGrpc.newBlockingStub(service.channel).withDeadlineAfter(Duration.ofMillis(800))
                            .getUser(GetUserRequest.newBuilder().setUserId(created.getId()).setMinVersion(1).build()));
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

            blocker.commit();
            assertThat(users.getUser(GetUserRequest.newBuilder().setUserId(created.getId()).setMinVersion(1).build()))
                    .isEqualTo(created);
        }
    }

    @Test
    void a_min_version_the_user_never_reached_is_out_of_range_at_once() {
        User created = createUser();
        assertStatus(Status.Code.OUT_OF_RANGE, () -> users.getUser(GetUserRequest.newBuilder()
                .setUserId(created.getId()).setMinVersion(99).build()));
    }

    @Test
    void users_are_found_by_email_case_insensitively_and_by_username() {
        User created = createUser();
        awaitVersion(created.getId(), 1);

        assertThat(users.getUserByEmail(GetUserByEmailRequest.newBuilder()
                .setEmail(created.getEmail().toUpperCase()).build()).getId()).isEqualTo(created.getId());
        assertThat(users.getUserByUsername(GetUserByUsernameRequest.newBuilder()
                .setUsername(created.getUsername()).build()).getId()).isEqualTo(created.getId());
        assertStatus(Status.Code.NOT_FOUND, () -> users.getUserByEmail(GetUserByEmailRequest.newBuilder()
                .setEmail(unique() + "@example.com").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> users.getUserByEmail(GetUserByEmailRequest.newBuilder()
                .setEmail("not an email").build()));
    }

    @Test
    void list_users_pages_through_everyone_without_duplicates_or_gaps_and_filters_by_status() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            created.add(createUser().getId());
        }
        User inactive = users.deactivateUser(DeactivateUserRequest.newBuilder().setUserId(created.get(3)).build());
        awaitVersion(inactive.getId(), inactive.getVersion());
        awaitVersion(created.getLast(), 1);

        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            ListUsersResponse page = users.listUsers(ListUsersRequest.newBuilder().setPageSize(7).setPageToken(token).build());
            assertThat(page.getUsersCount()).isLessThanOrEqualTo(7);
            page.getUsersList().forEach(user -> seen.add(user.getId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());

        assertThat(new HashSet<>(seen)).hasSize(seen.size());
        assertThat(seen).containsAll(created);
        assertThat(seen).isSorted();

        ListUsersResponse inactiveOnly = users.listUsers(ListUsersRequest.newBuilder().setPageSize(1000)
                .setStatus(UserStatus.INACTIVE).build());
        assertThat(inactiveOnly.getUsersList()).extracting(User::getId).contains(inactive.getId())
                .doesNotContain(created.get(4));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> users.listUsers(ListUsersRequest.newBuilder().setPageSize(1001).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> users.listUsers(ListUsersRequest.newBuilder().setPageToken("%%%").build()));
    }

    @Test
    void the_audit_trail_lists_every_event_with_metadata_and_redacts_password_hashes() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("x-actor", Metadata.ASCII_STRING_MARSHALLER), "support-desk");
        headers.put(Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER), "ticket-42");
        UserServiceGrpc.UserServiceBlockingStub desk = UserServiceGrpc.newBlockingStub(
                ClientInterceptors.intercept(service.channel, MetadataUtils.newAttachHeadersInterceptor(headers)));
        User created = createUser();
        desk.changePassword(ChangePasswordRequest.newBuilder().setUserId(created.getId())
                .setNewPassword("a-new-long-password").build());

        GetUserHistoryResponse history = users.getUserHistory(GetUserHistoryRequest.newBuilder()
                .setUserId(created.getId()).build());

        assertThat(history.getEventsList()).extracting(UserEventRecord::getEventType)
                .containsExactly("UserCreated", "PasswordChanged");
        assertThat(history.getEventsList()).extracting(UserEventRecord::getVersion).containsExactly(1L, 2L);
        UserEventRecord passwordChanged = history.getEvents(1);
        assertThat(passwordChanged.getActor()).isEqualTo("support-desk");
        assertThat(passwordChanged.getCorrelationId()).isEqualTo("ticket-42");
        assertThat(passwordChanged.hasRecordedAt()).isTrue();
        assertThat(history.getEventsList()).allSatisfy(event ->
                assertThat(event.getDataJson()).doesNotContain("argon2").doesNotContain("a-new-long-password"));
        assertThat(history.getEvents(0).getDataJson()).contains("[redacted]").contains(created.getEmail());

        // What user-stats-service asks for: the same events, without their data (no personal data travels).
        GetUserHistoryResponse withoutData = users.getUserHistory(GetUserHistoryRequest.newBuilder()
                .setUserId(created.getId()).setWithoutData(true).build());
        assertThat(withoutData.getEventsList()).extracting(UserEventRecord::getEventType)
                .containsExactly("UserCreated", "PasswordChanged");
        assertThat(withoutData.getEventsList()).extracting(UserEventRecord::getDataJson).containsOnly("");
    }

    @Test
    void time_travel_shows_the_user_as_it_was_at_a_version_or_instant() {
        User created = createUser();
        User changed = users.changeEmail(ChangeEmailRequest.newBuilder().setUserId(created.getId())
                .setNewEmail(unique() + "@example.org").build());

        User atVersion1 = users.getUserAt(GetUserAtRequest.newBuilder().setUserId(created.getId()).setVersion(1).build());
        assertThat(atVersion1).isEqualTo(created);
        User asOfCreation = users.getUserAt(GetUserAtRequest.newBuilder().setUserId(created.getId())
                .setAsOf(created.getCreatedAt()).build());
        assertThat(asOfCreation.getEmail()).isEqualTo(created.getEmail());
        User now = users.getUserAt(GetUserAtRequest.newBuilder().setUserId(created.getId())
                .setAsOf(Timestamp.newBuilder().setSeconds(changed.getUpdatedAt().getSeconds() + 60)).build());
        assertThat(now).isEqualTo(changed);
        assertStatus(Status.Code.NOT_FOUND, () -> users.getUserAt(GetUserAtRequest.newBuilder().setUserId(created.getId())
                .setAsOf(Timestamp.newBuilder().setSeconds(created.getCreatedAt().getSeconds() - 3600)).build()));
        assertStatus(Status.Code.OUT_OF_RANGE, () -> users.getUserAt(GetUserAtRequest.newBuilder()
                .setUserId(created.getId()).setVersion(5).build()));
    }

    @Test
    void the_admin_api_requires_the_bearer_token() {
        ProjectionAdminGrpc.ProjectionAdminBlockingStub anonymous = ProjectionAdminGrpc.newBlockingStub(service.channel);
        assertStatus(Status.Code.UNAUTHENTICATED, () -> anonymous.listProjections(ListProjectionsRequest.getDefaultInstance()));
        assertStatus(Status.Code.UNAUTHENTICATED, () -> admin("wrong-token").listProjections(
                ListProjectionsRequest.getDefaultInstance()));

        List<Projection> projections = admin(TestUserService.ADMIN_TOKEN)
                .listProjections(ListProjectionsRequest.getDefaultInstance()).getProjectionsList();
        assertThat(projections).extracting(Projection::getName).containsExactly("user_read_model");
        assertStatus(Status.Code.NOT_FOUND, () -> admin(TestUserService.ADMIN_TOKEN).rebuildProjection(
                RebuildProjectionRequest.newBuilder().setName("no_such_projection").build()));
    }

    @Test
    void an_operator_rebuilds_and_replays_the_read_model_while_it_keeps_serving() throws Exception {
        ProjectionAdminGrpc.ProjectionAdminBlockingStub admin = admin(TestUserService.ADMIN_TOKEN);
        User user = createUser();
        awaitVersion(user.getId(), 1);
        service.sql("UPDATE user_read_model SET first_name = 'tampered' WHERE id = '" + user.getId() + "'");

        assertThat(admin.replayStream(ReplayStreamRequest.newBuilder().setName("user_read_model")
                .setUserId(user.getId()).build()).getEventsReplayed()).isEqualTo(1);
        assertThat(users.getUser(GetUserRequest.newBuilder().setUserId(user.getId()).build()).getFirstName())
                .isEqualTo(user.getFirstName());

        admin.rebuildProjection(RebuildProjectionRequest.newBuilder().setName("user_read_model").build());
        User during = createUser();
        await("rebuild finished", () -> {
            Projection status = admin.listProjections(ListProjectionsRequest.getDefaultInstance()).getProjections(0);
            return status.getState() == ProjectionState.RUNNING && !status.hasRebuild();
        });
        assertThat(users.getUser(GetUserRequest.newBuilder().setUserId(during.getId()).setMinVersion(1).build()))
                .isEqualTo(during);
        assertThat(admin.listParkedEvents(ListParkedEventsRequest.getDefaultInstance()).getEventsList()).isEmpty();
    }

    @Test
    void an_operator_finds_a_damaged_row_without_knowing_its_id() throws Exception {
        ProjectionAdminGrpc.ProjectionAdminBlockingStub admin = admin(TestUserService.ADMIN_TOKEN);
        User user = createUser();
        awaitVersion(user.getId(), 1);
        service.sql("UPDATE user_read_model SET first_name = 'tampered', status = 'DELETED' WHERE id = '"
                + user.getId() + "'");
        VerifyProjectionRequest request = VerifyProjectionRequest.newBuilder().setName("user_read_model")
                .setLimit(1000).build();
        try {
            VerifyProjectionResponse verification = admin.verifyProjection(request);

            assertThat(verification.getUsersDiffering()).isPositive();
            assertThat(verification.getDifferencesList()).filteredOn(d -> d.getUserId().equals(user.getId()))
                    .singleElement().satisfies(difference -> {
                        assertThat(difference.getKind()).isEqualTo(DifferenceKind.FIELDS_DIFFER);
                        assertThat(difference.getFieldsList()).containsExactly(
                                FieldDifference.newBuilder().setField("first_name").setPersonal(true).build(),
                                FieldDifference.newBuilder().setField("status").setExpected("ACTIVE")
                                        .setActual("DELETED").build());
                    });
            assertThat(verification.toString()).as("no personal data").doesNotContain("tampered");
        } finally {
            // Repaired, so that the damage is not seen by the other tests.
            admin.replayStream(ReplayStreamRequest.newBuilder().setName("user_read_model").setUserId(user.getId())
                    .build());
        }
        assertThat(admin.verifyProjection(request).getDifferencesList()).extracting(UserDifference::getUserId)
                .doesNotContain(user.getId());

        assertStatus(Status.Code.UNAUTHENTICATED, () -> ProjectionAdminGrpc.newBlockingStub(service.channel)
                .verifyProjection(request));
        assertStatus(Status.Code.NOT_FOUND, () -> admin.verifyProjection(request.toBuilder().setName("nope").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, () -> admin.verifyProjection(request.toBuilder().setLimit(1001)
                .build()));
    }

    @Test
    void projection_metrics_are_exposed_for_prometheus() throws Exception {
        awaitVersion(createUser().getId(), 1);
        HttpClient http = HttpClient.newHttpClient();
        URI metrics = URI.create("http://127.0.0.1:" + service.app.httpPort() + "/metrics");

        await("processed events counted", () -> {
            try {
                return http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body()
                        .matches("(?s).*projection_events_processed_total\\{projection=\"user_read_model\",[^}]*} [1-9].*");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        String body = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(body).contains("projection_lag_seconds{projection=\"user_read_model\"")
                .contains("projection_lag_events{projection=\"user_read_model\"")
                .contains("projection_parked_events{projection=\"user_read_model\"")
                .contains("projection_failures_total{projection=\"user_read_model\"")
                .contains("eventstore_horizon_blocked_seconds")
                .containsPattern("query_seconds_count\\{query=\"GetUser\"");
    }

    private static ProjectionAdminGrpc.ProjectionAdminBlockingStub admin(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return ProjectionAdminGrpc.newBlockingStub(ClientInterceptors.intercept(service.channel,
                MetadataUtils.newAttachHeadersInterceptor(headers)));
    }

    private static void awaitVersion(String userId, long version) {
        users.getUser(GetUserRequest.newBuilder().setUserId(userId).setMinVersion(version).build());
    }

    private static User createUser() {
        String name = unique();
        return users.createUser(CreateUserRequest.newBuilder().setEmail(name + "@Example.com").setUsername(name)
                .setPassword("long-enough-pw").setFirstName("Ada").build());
    }

    private static String unique() {
        return "r" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
