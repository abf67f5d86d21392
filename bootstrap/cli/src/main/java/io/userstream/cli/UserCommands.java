package io.userstream.cli;

import com.google.protobuf.Timestamp;
import io.userstream.proto.user.v1.ActivateUserRequest;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.DeactivateUserRequest;
import io.userstream.proto.user.v1.DeleteUserRequest;
import io.userstream.proto.user.v1.GetUserAtRequest;
import io.userstream.proto.user.v1.GetUserByEmailRequest;
import io.userstream.proto.user.v1.GetUserByUsernameRequest;
import io.userstream.proto.user.v1.GetUserHistoryRequest;
import io.userstream.proto.user.v1.GetUserHistoryResponse;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.ListUsersRequest;
import io.userstream.proto.user.v1.ListUsersResponse;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserEventRecord;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.UserStatus;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** {@code userstream user ...}: UserService's commands and queries. */
@Command(name = "user", description = "Create, change and query users (UserService).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                UserCommands.Create.class,
                UserCommands.Get.class,
                UserCommands.ListUsers.class,
                UserCommands.History.class,
                UserCommands.At.class,
                UserCommands.ChangeEmail.class,
                UserCommands.UpdateProfile.class,
                UserCommands.Activate.class,
                UserCommands.Deactivate.class,
                UserCommands.Delete.class,
        })
final class UserCommands extends CommandGroup {

    static final String PASSWORD_ENV = "USERSTREAM_PASSWORD";

    /** Prints one user: a two-column record, or its JSON. */
    static void print(Output output, User user) {
        if (output.json()) {
            output.json(user);
            return;
        }
        output.record(List.of(
                Output.row("id", user.getId()),
                Output.row("email", user.getEmail()),
                Output.row("username", user.getUsername()),
                Output.row("first name", user.getFirstName()),
                Output.row("last name", user.getLastName()),
                Output.row("avatar url", user.getAvatarUrl()),
                Output.row("status", status(user.getStatus())),
                Output.row("version", Long.toString(user.getVersion())),
                Output.row("created", Output.time(user.getCreatedAt())),
                Output.row("updated", Output.time(user.getUpdatedAt())),
                Output.row("deleted", Output.time(user.getDeletedAt()))));
    }

    static String status(UserStatus status) {
        return status == UserStatus.USER_STATUS_UNSPECIFIED ? "" : status.name();
    }

    /** The expected_version option every command on one user shares. */
    static final class ExpectedVersion {
        @Option(names = "--expected-version", paramLabel = "N",
                description = "Apply only if the user is at exactly this version (else exit 4, FAILED_PRECONDITION).")
        Long value;
    }

    @Command(name = "create", description = "Register a user (new users are ACTIVE).")
    static final class Create extends ClientCommand {
        @Option(names = "--email", required = true, description = "E-mail address.")
        String email;
        @Option(names = "--username", required = true, description = "3-32 characters of a-z 0-9 . _ -")
        String username;
        @Option(names = "--password", paramLabel = "PASSWORD",
                description = "The password (8-128 characters). Visible to other users of this machine: prefer "
                        + "--password-stdin or the environment variable " + PASSWORD_ENV + ".")
        String password;
        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;
        @Option(names = "--first-name") String firstName;
        @Option(names = "--last-name") String lastName;
        @Option(names = "--avatar-url", description = "http(s) URL.") String avatarUrl;

        @Override
        public Integer call() throws IOException {
            CreateUserRequest.Builder request = CreateUserRequest.newBuilder()
                    .setEmail(email).setUsername(username).setPassword(password());
            if (firstName != null) {
                request.setFirstName(firstName);
            }
            if (lastName != null) {
                request.setLastName(lastName);
            }
            if (avatarUrl != null) {
                request.setAvatarUrl(avatarUrl);
            }
            print(output(), clients().users().createUser(request.build()));
            return ExitCode.OK;
        }

        private String password() throws IOException {
            if (password != null && passwordStdin) {
                throw new CliException(ExitCode.USAGE, "give the password with --password or --password-stdin, not both");
            }
            if (password != null) {
                return password;
            }
            if (passwordStdin) {
                String line = new BufferedReader(new InputStreamReader(stdin(), StandardCharsets.UTF_8)).readLine();
                if (line == null) {
                    throw new CliException(ExitCode.USAGE, "--password-stdin: standard input is empty");
                }
                return line;
            }
            String fromEnvironment = System.getenv(PASSWORD_ENV);
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                return fromEnvironment;
            }
            throw new CliException(ExitCode.USAGE,
                    "a password is needed: --password-stdin, " + PASSWORD_ENV + " or --password");
        }
    }

    @Command(name = "get", description = "Show a user by id, e-mail address or username (deleted users too).")
    static final class Get extends ClientCommand {
        @ArgGroup(multiplicity = "1")
        Key key;
        @Option(names = "--min-version", paramLabel = "N",
                description = "Wait (up to --deadline) until the read model has this version of the user.")
        Long minVersion;

        static final class Key {
            @Parameters(paramLabel = "USER_ID", description = "The user's id.") String id;
            @Option(names = "--email", description = "The user holding this e-mail address.") String email;
            @Option(names = "--username", description = "The user holding this username.") String username;
        }

        @Override
        public Integer call() {
            User user;
            if (key.email != null) {
                user = clients().users().getUserByEmail(GetUserByEmailRequest.newBuilder().setEmail(key.email).build());
            } else if (key.username != null) {
                user = clients().users().getUserByUsername(
                        GetUserByUsernameRequest.newBuilder().setUsername(key.username).build());
            } else {
                GetUserRequest.Builder request = GetUserRequest.newBuilder().setUserId(key.id);
                if (minVersion != null) {
                    request.setMinVersion(minVersion);
                }
                user = clients().users().getUser(request.build());
            }
            print(output(), user);
            return ExitCode.OK;
        }
    }

    @Command(name = "list", description = "List users in id order (roughly creation order), a page at a time.")
    static final class ListUsers extends ClientCommand {
        @Option(names = "--status", description = "Only users in this status: ${COMPLETION-CANDIDATES}.")
        Status status;
        @Option(names = "--page-size", paramLabel = "N", defaultValue = "100", description = "1-1000 (default ${DEFAULT-VALUE}).")
        int pageSize;
        @Option(names = "--page-token", paramLabel = "TOKEN", description = "From the previous page.")
        String pageToken;
        @Option(names = "--all", description = "Follow the pages to the end.")
        boolean all;

        enum Status { ACTIVE, INACTIVE, DELETED }

        @Override
        public Integer call() {
            List<User> users = new ArrayList<>();
            String token = pageToken == null ? "" : pageToken;
            String next;
            do {
                ListUsersRequest.Builder request = ListUsersRequest.newBuilder().setPageSize(pageSize).setPageToken(token);
                if (status != null) {
                    request.setStatus(UserStatus.valueOf(status.name()));
                }
                ListUsersResponse page = clients().users().listUsers(request.build());
                users.addAll(page.getUsersList());
                next = page.getNextPageToken();
                token = next;
            } while (all && !next.isEmpty());
            Output output = output();
            if (output.json()) {
                output.json(ListUsersResponse.newBuilder().addAllUsers(users).setNextPageToken(next).build());
                return ExitCode.OK;
            }
            List<String[]> rows = new ArrayList<>();
            for (User user : users) {
                rows.add(Output.row(user.getId(), user.getUsername(), user.getEmail(), status(user.getStatus()),
                        Long.toString(user.getVersion()), Output.time(user.getCreatedAt())));
            }
            output.table(Output.row("ID", "USERNAME", "EMAIL", "STATUS", "VERSION", "CREATED"), rows);
            if (!next.isEmpty()) {
                err().println("more: --page-token " + next);
                err().flush();
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "history", description = "The user's audit trail: every event, oldest first (password hashes redacted).")
    static final class History extends ClientCommand {
        @Parameters(paramLabel = "USER_ID") String id;
        @Option(names = "--without-data", description = "Only the events' types and metadata.") boolean withoutData;

        @Override
        public Integer call() {
            GetUserHistoryResponse history = clients().users().getUserHistory(
                    GetUserHistoryRequest.newBuilder().setUserId(id).setWithoutData(withoutData).build());
            Output output = output();
            if (output.json()) {
                output.json(history);
                return ExitCode.OK;
            }
            List<String[]> rows = new ArrayList<>();
            for (UserEventRecord event : history.getEventsList()) {
                rows.add(Output.row(Long.toString(event.getVersion()), event.getEventType(),
                        Output.time(event.getOccurredAt()), event.getActor(), event.getDataJson()));
            }
            output.table(Output.row("VERSION", "EVENT", "OCCURRED", "ACTOR", "DATA"), rows);
            return ExitCode.OK;
        }
    }

    @Command(name = "at", description = "Time travel: the user as it was at a version or at a point in time.")
    static final class At extends ClientCommand {
        @Parameters(paramLabel = "USER_ID") String id;
        @ArgGroup(multiplicity = "1")
        Point point;

        static final class Point {
            @Option(names = "--version", paramLabel = "N", description = "After exactly this many events.") Long version;
            @Option(names = "--as-of", paramLabel = "INSTANT",
                    description = "After every event at or before it, e.g. 2026-11-30T13:22:51Z.") String asOf;
        }

        @Override
        public Integer call() {
            GetUserAtRequest.Builder request = GetUserAtRequest.newBuilder().setUserId(id);
            if (point.version != null) {
                request.setVersion(point.version);
            } else {
                Instant instant;
                try {
                    instant = Instant.parse(point.asOf);
                } catch (DateTimeParseException e) {
                    throw new CliException(ExitCode.USAGE,
                            "--as-of: '" + point.asOf + "' is not an ISO-8601 instant such as 2026-11-30T13:22:51Z");
                }
                request.setAsOf(Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()));
            }
            print(output(), clients().users().getUserAt(request.build()));
            return ExitCode.OK;
        }
    }

    @Command(name = "change-email", description = "Replace the user's e-mail address.")
    static final class ChangeEmail extends ClientCommand {
        @Parameters(index = "0", paramLabel = "USER_ID") String id;
        @Parameters(index = "1", paramLabel = "NEW_EMAIL") String email;
        @picocli.CommandLine.Mixin ExpectedVersion expected;

        @Override
        public Integer call() {
            ChangeEmailRequest.Builder request = ChangeEmailRequest.newBuilder().setUserId(id).setNewEmail(email);
            if (expected.value != null) {
                request.setExpectedVersion(expected.value);
            }
            print(output(), clients().users().changeEmail(request.build()));
            return ExitCode.OK;
        }
    }

    @Command(name = "update-profile", description = "Change the profile fields given; an empty value clears a field.")
    static final class UpdateProfile extends ClientCommand {
        @Parameters(paramLabel = "USER_ID") String id;
        @Option(names = "--first-name") String firstName;
        @Option(names = "--last-name") String lastName;
        @Option(names = "--avatar-url") String avatarUrl;
        @picocli.CommandLine.Mixin ExpectedVersion expected;

        @Override
        public Integer call() {
            if (firstName == null && lastName == null && avatarUrl == null) {
                throw new CliException(ExitCode.USAGE, "give at least one of --first-name, --last-name, --avatar-url");
            }
            UpdateProfileRequest.Builder request = UpdateProfileRequest.newBuilder().setUserId(id);
            if (firstName != null) {
                request.setFirstName(firstName);
            }
            if (lastName != null) {
                request.setLastName(lastName);
            }
            if (avatarUrl != null) {
                request.setAvatarUrl(avatarUrl);
            }
            if (expected.value != null) {
                request.setExpectedVersion(expected.value);
            }
            print(output(), clients().users().updateProfile(request.build()));
            return ExitCode.OK;
        }
    }

    /** activate, deactivate and delete: a user id and an optional expected version in, the user out. */
    abstract static class LifecycleCommand extends ClientCommand {
        @Parameters(paramLabel = "USER_ID") String id;
        @picocli.CommandLine.Mixin ExpectedVersion expected;

        /** Sends this command's request; {@code expectedVersion} is null when not given. */
        abstract User send(UserServiceGrpc.UserServiceBlockingStub users, String id, Long expectedVersion);

        @Override
        public Integer call() {
            print(output(), send(clients().users(), id, expected.value));
            return ExitCode.OK;
        }
    }

    @Command(name = "activate", description = "Activate the user (an active user stays as it is).")
    static final class Activate extends LifecycleCommand {
        @Override
        User send(UserServiceGrpc.UserServiceBlockingStub users, String id, Long expectedVersion) {
            ActivateUserRequest.Builder request = ActivateUserRequest.newBuilder().setUserId(id);
            return users.activateUser((expectedVersion == null ? request : request.setExpectedVersion(expectedVersion)).build());
        }
    }

    @Command(name = "deactivate", description = "Deactivate the user (an inactive user stays as it is).")
    static final class Deactivate extends LifecycleCommand {
        @Override
        User send(UserServiceGrpc.UserServiceBlockingStub users, String id, Long expectedVersion) {
            DeactivateUserRequest.Builder request = DeactivateUserRequest.newBuilder().setUserId(id);
            return users.deactivateUser((expectedVersion == null ? request : request.setExpectedVersion(expectedVersion)).build());
        }
    }

    @Command(name = "delete", description = "Soft-delete the user, freeing its e-mail address and username.")
    static final class Delete extends LifecycleCommand {
        @Override
        User send(UserServiceGrpc.UserServiceBlockingStub users, String id, Long expectedVersion) {
            DeleteUserRequest.Builder request = DeleteUserRequest.newBuilder().setUserId(id);
            return users.deleteUser((expectedVersion == null ? request : request.setExpectedVersion(expectedVersion)).build());
        }
    }
}
