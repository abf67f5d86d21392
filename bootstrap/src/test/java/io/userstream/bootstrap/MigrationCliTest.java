package io.userstream.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.userstream.cli.ExitCode;
import io.userstream.cli.Userstream;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.VerifyPasswordRequest;
import io.userstream.proto.user.v1.VerifyPasswordResponse;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code userstream migrate} against a legacy CRUD table this test creates (in a schema of its own) and a real
 * user-service: import, import again, verify, the legacy application changing a row, verify's mismatch report,
 * sync, and rows the event store refuses.
 */
class MigrationCliTest {

    /** Made by libxcrypt (Python's crypt module, bcrypt cost 10) from "correct horse battery staple". */
    static final String BCRYPT = "$2b$10$kAXmj7nS18DApr1RDVbI/eLOmRxZ1LXn2OM3ZGQ7Gc.WGsTwHKpsS";

    private TestUserService service;
    private String schema;

    record Run(int exitCode, String out, String err) {
    }

    @BeforeEach
    void start() throws SQLException {
        service = new TestUserService();
        schema = "legacy_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        legacySql("CREATE SCHEMA " + schema);
        legacySql("""
                CREATE TABLE %s.users (
                    id            bigserial PRIMARY KEY,
                    email         text NOT NULL,
                    username      text NOT NULL,
                    password_hash text NOT NULL,
                    first_name    text,
                    last_name     text,
                    status        text NOT NULL DEFAULT 'active',
                    created_at    timestamptz NOT NULL DEFAULT now(),
                    updated_at    timestamptz NOT NULL DEFAULT now(),
                    deleted_at    timestamptz
                )""".formatted(schema));
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        legacySql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    private static void legacySql(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(TestUserService.DB_URL, TestUserService.DB_USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private Run userstream(String... args) {
        List<String> all = new ArrayList<>(List.of("--user-service", "127.0.0.1:" + service.app.grpcPort(),
                "--token", TestUserService.ADMIN_TOKEN, "--deadline", "10s"));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Userstream.commandLine(new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(new byte[0])).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private Run migrate(String command, String... more) {
        List<String> args = new ArrayList<>(List.of("migrate", command, "--jdbc-url", TestUserService.DB_URL,
                "--jdbc-user", TestUserService.DB_USER, "--table", schema + ".users"));
        args.addAll(List.of(more));
        return userstream(args.toArray(String[]::new));
    }

    private void insert(String username, String email, String status, String deletedAt) throws SQLException {
        legacySql(("INSERT INTO %s.users (email, username, password_hash, first_name, last_name, status, created_at,"
                + " deleted_at) VALUES ('%s', '%s', '%s', 'Ada', 'Byron', '%s', '2015-06-01T12:00:00Z', %s)")
                .formatted(schema, email, username, BCRYPT, status, deletedAt));
    }

    @Test
    void import_twice_verify_follow_the_legacy_application_and_verify_again() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 6);
        insert("ada" + tag, "ada" + tag + "@Example.COM", "active", "NULL");
        insert("bob" + tag, "bob" + tag + "@example.com", "suspended", "NULL");
        insert("cyd" + tag, "cyd" + tag + "@example.com", "active", "'2020-01-01T00:00:00Z'");

        Run first = migrate("import-legacy");
        Run second = migrate("import-legacy");
        Run verified = migrate("verify");

        assertThat(first.exitCode()).as("stderr: %s", first.err()).isZero();
        assertThat(first.out()).contains("3 rows").contains("3 created, 0 updated, 0 unchanged, 0 failed");
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).as("running it twice imports nothing twice")
                .contains("0 created, 0 updated, 3 unchanged, 0 failed").contains("(0 events appended)");
        assertThat(verified.exitCode()).as("%s%s", verified.out(), verified.err()).isZero();
        assertThat(verified.out()).contains("3 legacy rows").contains("3 match, 0 differ, 0 missing");

        // The bcrypt hash came along: the legacy password works.
        var users = UserServiceGrpc.newBlockingStub(service.channel);
        VerifyPasswordResponse login = users.verifyPassword(VerifyPasswordRequest.newBuilder().setLogin("ada" + tag)
                .setPassword("correct horse battery staple").build());
        assertThat(login.getValid()).isTrue();

        // Phase 1: the legacy application still writes. verify sees the difference until sync follows it.
        legacySql("UPDATE %s.users SET email = 'ada.lovelace%s@example.org', last_name = 'Lovelace', updated_at = now()"
                .formatted(schema, tag) + " WHERE username = 'ada" + tag + "'");
        Run mismatch = migrate("verify");
        Run mismatchJson = userstream("-o", "json", "migrate", "verify", "--jdbc-url", TestUserService.DB_URL,
                "--jdbc-user", TestUserService.DB_USER, "--table", schema + ".users");
        Run synced = migrate("sync", "--once");
        Run again = migrate("verify");

        assertThat(mismatch.exitCode()).isEqualTo(ExitCode.DIFFERENCES);
        assertThat(mismatch.out()).contains("2 match, 1 differ").contains("LEGACY ID")
                .containsPattern("email\\s+ada.lovelace" + tag + "@example.org\\s+ada" + tag + "@example.com")
                .containsPattern("last_name\\s+Lovelace\\s+Byron");
        assertThat(mismatchJson.exitCode()).isEqualTo(ExitCode.DIFFERENCES);
        assertThat(mismatchJson.out()).contains("\"differing\": 1,").contains("\"field\": \"email\"");
        assertThat(synced.exitCode()).as("stderr: %s", synced.err()).isZero();
        assertThat(synced.out()).contains("1 updated").contains("(2 events appended)");
        assertThat(again.exitCode()).as(again.out()).isZero();

        String adaId = login.getUserId();
        assertThat(users.getUserHistory(GetUserHistoryRequest.newBuilder().setUserId(adaId).build()).getEventsList())
                .extracting(UserEventRecord::getEventType)
                .containsSubsequence("UserCreated", "EmailChanged", "ProfileUpdated");
    }

    @Test
    void rows_the_event_store_refuses_are_listed_and_the_others_still_import() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 6);
        insert("eve" + tag, "eve" + tag + "@example.com", "active", "NULL");
        insert("Not A Username", "x" + tag + "@example.com", "active", "NULL");
        insert("dup" + tag, "eve" + tag + "@example.com", "active", "NULL");

        Run imported = migrate("import-legacy");
        Run verified = migrate("verify");

        assertThat(imported.exitCode()).isEqualTo(ExitCode.REJECTED);
        assertThat(imported.out()).contains("1 created, 0 updated, 0 unchanged, 2 failed")
                .contains("INVALID_ARGUMENT").contains("username")
                .contains("ALREADY_EXISTS");
        assertThat(verified.exitCode()).isEqualTo(ExitCode.DIFFERENCES);
        assertThat(verified.out()).contains("1 match, 0 differ, 2 missing");
    }

    @Test
    void a_table_without_a_required_column_is_a_usage_error_naming_it() throws Exception {
        legacySql("ALTER TABLE " + schema + ".users RENAME COLUMN password_hash TO pwd");

        Run refused = migrate("import-legacy");
        Run mapped = migrate("import-legacy", "--column", "password_hash=pwd");

        assertThat(refused.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(refused.err()).contains("password_hash").contains("--column password_hash=<column>");
        assertThat(mapped.exitCode()).as(mapped.err()).isZero();
    }
}
