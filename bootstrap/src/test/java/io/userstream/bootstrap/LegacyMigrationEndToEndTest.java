package io.userstream.bootstrap;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.userstream.proto.admin.v1.ImportLegacyUserRequest;
import io.userstream.proto.admin.v1.ImportLegacyUserResponse;
import io.userstream.proto.admin.v1.ImportOutcome;
import io.userstream.proto.admin.v1.LegacyMigrationGrpc;
import io.userstream.proto.admin.v1.LegacyUserStatus;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.UserStatus;
import io.userstream.proto.user.v1.VerifyPasswordRequest;
import io.userstream.proto.user.v1.VerifyPasswordResponse;

import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code LegacyMigration/ImportLegacyUser} on a real user-service: the server side of {@code userstream migrate}. */
class LegacyMigrationEndToEndTest {

    /** Made by libxcrypt (Python's crypt module, bcrypt cost 10) from "correct horse battery staple". */
    static final String BCRYPT = "$2b$10$kAXmj7nS18DApr1RDVbI/eLOmRxZ1LXn2OM3ZGQ7Gc.WGsTwHKpsS";

    private static TestUserService service;

    @BeforeAll
    static void start() {
        service = new TestUserService();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    private static LegacyMigrationGrpc.LegacyMigrationBlockingStub migration(String token) {
        return LegacyMigrationGrpc.newBlockingStub(service.channel).withCallCredentials(TestTokens.bearer(token));
    }

    private static ImportLegacyUserRequest.Builder row(String legacyId, String username) {
        return ImportLegacyUserRequest.newBuilder().setSource("crm.users").setLegacyId(legacyId)
                .setEmail(username + "@example.com").setUsername(username).setPasswordHash(BCRYPT)
                .setFirstName("Ada").setStatus(LegacyUserStatus.LEGACY_ACTIVE)
                .setCreatedAt(Timestamp.newBuilder().setSeconds(1_500_000_000L));
    }

    private static String unique() {
        return "legacy" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void a_row_imported_twice_is_recorded_once_and_its_bcrypt_password_works_then_is_rehashed_for_good() {
        String username = unique();
        ImportLegacyUserResponse first = migration(TestUserService.ADMIN_TOKEN).importLegacyUser(row("1001", username).build());
        ImportLegacyUserResponse second = migration(TestUserService.ADMIN_TOKEN).importLegacyUser(row("1001", username).build());

        assertThat(first.getOutcome()).isEqualTo(ImportOutcome.CREATED);
        assertThat(first.getPasswordVerifiable()).isTrue();
        assertThat(first.getUser().getCreatedAt().getSeconds()).isEqualTo(1_500_000_000L);
        assertThat(second.getOutcome()).isEqualTo(ImportOutcome.UNCHANGED);
        assertThat(second.getUser().getVersion()).isEqualTo(1);

        var users = UserServiceGrpc.newBlockingStub(service.channel);
        VerifyPasswordResponse check = users.verifyPassword(VerifyPasswordRequest.newBuilder()
                .setLogin(username).setPassword("correct horse battery staple").build());
        assertThat(check.getValid()).isTrue();
        assertThat(check.getUserId()).isEqualTo(first.getUser().getId());
        assertThat(check.getStatus()).isEqualTo(UserStatus.ACTIVE);

        // The successful check rehashed bcrypt to Argon2id; importing the unchanged row again keeps it that way.
        ImportLegacyUserResponse third = migration(TestUserService.ADMIN_TOKEN).importLegacyUser(row("1001", username).build());
        assertThat(third.getOutcome()).isEqualTo(ImportOutcome.UNCHANGED);
        assertThat(users.getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(first.getUser().getId()).build())
                .getEventsList()).extracting(UserEventRecord::getEventType)
                .containsExactly("UserCreated", "PasswordChanged");
        assertThat(users.verifyPassword(VerifyPasswordRequest.newBuilder().setLogin(username)
                .setPassword("correct horse battery staple").build()).getValid()).isTrue();
    }

    @Test
    void a_changed_row_records_what_changed() {
        String username = unique();
        migration(TestUserService.ADMIN_TOKEN).importLegacyUser(row("2002", username).build());

        ImportLegacyUserResponse changed = migration(TestUserService.ADMIN_TOKEN).importLegacyUser(
                row("2002", username).setLastName("Lovelace").setStatus(LegacyUserStatus.LEGACY_INACTIVE).build());

        assertThat(changed.getOutcome()).isEqualTo(ImportOutcome.UPDATED);
        assertThat(changed.getEventsAppended()).isEqualTo(2);
        assertThat(changed.getUser().getLastName()).isEqualTo("Lovelace");
        assertThat(changed.getUser().getStatus()).isEqualTo(UserStatus.INACTIVE);
    }

    @Test
    void an_invalid_row_is_refused_naming_its_fields_and_a_call_without_the_admin_token_is_unauthenticated() {
        Status refused = assertStatus(Status.Code.INVALID_ARGUMENT, () -> migration(TestUserService.ADMIN_TOKEN)
                .importLegacyUser(row("3003", unique()).setEmail("nope").clearStatus().build())).getStatus();
        assertStatus(Status.Code.UNAUTHENTICATED, () -> migration("not-the-token").importLegacyUser(row("3004", unique()).build()));

        assertThat(refused.getDescription()).contains("email").contains("status");
    }

    @Test
    void a_renamed_row_is_a_failed_precondition() {
        String username = unique();
        migration(TestUserService.ADMIN_TOKEN).importLegacyUser(row("4004", username).build());

        var refused = assertStatus(Status.Code.FAILED_PRECONDITION, () -> migration(TestUserService.ADMIN_TOKEN)
                .importLegacyUser(row("4004", username).setUsername(unique()).build()));

        assertThat(refused.getStatus().getDescription()).contains(username);
    }
}
