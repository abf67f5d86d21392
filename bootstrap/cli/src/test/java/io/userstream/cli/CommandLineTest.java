package io.userstream.cli;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.userstream.proto.admin.v1.ListProjectionsRequest;
import io.userstream.proto.admin.v1.ListProjectionsResponse;
import io.userstream.proto.admin.v1.Projection;
import io.userstream.proto.admin.v1.ProjectionAdminGrpc;
import io.userstream.proto.admin.v1.ProjectionState;
import io.userstream.proto.admin.v1.RebuildPhase;
import io.userstream.proto.admin.v1.RebuildProgress;
import io.userstream.proto.admin.v1.RebuildProjectionRequest;
import io.userstream.proto.user.v1.ChangeEmailRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.user.v1.UserStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line against a stand-in server on a free port: parsing, metadata, output formats, exit codes and
 * the rebuild's progress. The real services are driven by bootstrap's CliSmokeTest.
 */
class CommandLineTest {

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final List<String> AUTHORIZATIONS = new CopyOnWriteArrayList<>();
    private static final List<CreateUserRequest> CREATED = new CopyOnWriteArrayList<>();
    private static final AtomicInteger POLLS = new AtomicInteger();
    private static Server server;
    private static String target;

    static final User ALICE = User.newBuilder().setId("0193a5c2-7f1e-7c3a-9a41-2b7d0e6f1c55").setEmail("alice@example.org")
            .setUsername("alice").setStatus(UserStatus.ACTIVE).setVersion(3).build();

    @BeforeAll
    static void start() throws IOException {
        ServerInterceptor recordAuthorization = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                                ServerCallHandler<Q, R> next) {
                String value = headers.get(AUTHORIZATION);
                AUTHORIZATIONS.add(value == null ? "" : value);
                return next.startCall(call, headers);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new FakeUsers(), recordAuthorization))
                .addService(new FakeAdmin())
                .build().start();
        target = "127.0.0.1:" + server.getPort();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    record Run(int exitCode, String out, String err) {
    }

    static Run run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Userstream.commandLine(new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void a_user_is_shown_as_a_record_or_as_json_and_options_may_follow_the_command() {
        Run table = run("", "--user-service", target, "user", "get", ALICE.getId());
        assertThat(table.exitCode()).isZero();
        assertThat(table.out()).contains("username", "alice").containsPattern("status\\s+ACTIVE").containsPattern("version\\s+3");

        Run json = run("", "user", "get", ALICE.getId(), "-o", "json", "--user-service", target, "--token", "t0k3n");
        assertThat(json.exitCode()).isZero();
        assertThat(json.out()).contains("\"username\": \"alice\"", "\"status\": \"ACTIVE\"", "\"version\": \"3\"",
                "\"firstName\": \"\"");
        assertThat(AUTHORIZATIONS).contains("Bearer t0k3n");
    }

    @Test
    void the_password_comes_from_stdin_not_argv() {
        Run created = run("s3cret-passw0rd\n", "--user-service", target, "user", "create", "--email", "bob@example.org",
                "--username", "bob", "--password-stdin", "--first-name", "Bob");
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(CREATED).anySatisfy(request -> {
            assertThat(request.getUsername()).isEqualTo("bob");
            assertThat(request.getPassword()).isEqualTo("s3cret-passw0rd");
            assertThat(request.getFirstName()).isEqualTo("Bob");
        });

        Run both = run("x\n", "--user-service", target, "user", "create", "--email", "c@example.org", "--username",
                "carol", "--password-stdin", "--password", "whatever1");
        assertThat(both.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(both.err()).contains("not both");
    }

    @Test
    void a_rejection_is_one_line_on_stderr_naming_the_field_with_exit_code_4() {
        Run rejected = run("", "--user-service", target, "user", "change-email", ALICE.getId(), "not-an-email",
                "--expected-version", "3");
        assertThat(rejected.exitCode()).isEqualTo(ExitCode.REJECTED);
        assertThat(rejected.out()).isEmpty();
        assertThat(rejected.err().strip()).isEqualTo(
                "userstream: INVALID_ARGUMENT (new_email): invalid input [new_email: must be a valid e-mail address]");

        Run missing = run("", "--user-service", target, "user", "get", "0193a5c2-0000-7000-8000-000000000000");
        assertThat(missing.exitCode()).isEqualTo(ExitCode.NOT_FOUND);
        assertThat(missing.err()).startsWith("userstream: NOT_FOUND: ").doesNotContain("\tat ");
    }

    @Test
    void usage_errors_exit_2() {
        assertThat(run("", "no-such-command").exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(run("", "user").exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(run("").exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(run("", "user", "get").exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(run("", "--deadline", "soon", "user", "get", "x").exitCode()).isEqualTo(ExitCode.USAGE);
        Run help = run("", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("USERSTREAM_USER_SERVICE", "USERSTREAM_TOKEN", "--tls-ca", "Exit codes");
    }

    @Test
    void an_unreachable_service_exits_6() throws IOException {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Run unreachable = run("", "--user-service", "127.0.0.1:" + port, "--deadline", "2s", "user", "get", ALICE.getId());
        assertThat(unreachable.exitCode()).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(unreachable.err()).startsWith("userstream: UNAVAILABLE");
    }

    @Test
    void a_rebuild_shows_a_live_progress_bar_then_a_summary() {
        POLLS.set(0);
        Run rebuild = run("", "--user-service", target, "projections", "rebuild", "user_read_model", "--progress",
                "--poll-interval", "10ms");
        assertThat(rebuild.exitCode()).as(rebuild.err()).isZero();
        assertThat(rebuild.err()).contains("\ruser_read_model applying events [").contains("50/200", " 25%", "ETA 3.0s")
                .contains("building indexes");
        assertThat(rebuild.out()).startsWith("rebuilt user_read_model: 200 events in ").contains("RUNNING");

        POLLS.set(0);
        Run json = run("", "--user-service", target, "-o", "json", "projections", "rebuild", "user_read_model",
                "--no-progress", "--poll-interval", "10ms");
        assertThat(json.exitCode()).isZero();
        assertThat(json.out()).contains("\"name\": \"user_read_model\"", "\"state\": \"RUNNING\"");
        assertThat(json.err()).doesNotContain("\r").contains("rebuilt user_read_model: 200 events");
    }

    /** Alice exists; e-mail changes are invalid; everyone else is missing. */
    static final class FakeUsers extends UserServiceGrpc.UserServiceImplBase {
        @Override
        public void getUser(GetUserRequest request, StreamObserver<User> response) {
            if (request.getUserId().equals(ALICE.getId())) {
                response.onNext(ALICE);
                response.onCompleted();
            } else {
                response.onError(Status.NOT_FOUND.withDescription("no user " + request.getUserId()).asRuntimeException());
            }
        }

        @Override
        public void createUser(CreateUserRequest request, StreamObserver<User> response) {
            CREATED.add(request);
            response.onNext(ALICE.toBuilder().setUsername(request.getUsername()).setEmail(request.getEmail()).build());
            response.onCompleted();
        }

        @Override
        public void changeEmail(ChangeEmailRequest request, StreamObserver<User> response) {
            response.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                    .setCode(Code.INVALID_ARGUMENT_VALUE).setMessage("invalid input")
                    .addDetails(Any.pack(BadRequest.newBuilder().addFieldViolations(BadRequest.FieldViolation.newBuilder()
                            .setField("new_email").setDescription("must be a valid e-mail address")).build()))
                    .build()));
        }
    }

    /** A rebuild that waits one poll to start, applies 50 events a poll, builds its indexes, then is swapped in. */
    static final class FakeAdmin extends ProjectionAdminGrpc.ProjectionAdminImplBase {
        private static final Projection RUNNING = Projection.newBuilder().setName("user_read_model")
                .setState(ProjectionState.RUNNING).setCheckpoint("7/200").build();

        @Override
        public void rebuildProjection(RebuildProjectionRequest request, StreamObserver<Projection> response) {
            response.onNext(RUNNING.toBuilder().setRebuildRequested(true).build());
            response.onCompleted();
        }

        @Override
        public void listProjections(ListProjectionsRequest request, StreamObserver<ListProjectionsResponse> response) {
            int poll = POLLS.incrementAndGet();
            Projection projection = RUNNING;
            if (poll == 1) {
                projection = RUNNING.toBuilder().setRebuildRequested(true).build();    // asked for, not started yet
            } else if (poll <= 5) {
                int applied = poll - 1;
                projection = RUNNING.toBuilder().setState(ProjectionState.REBUILDING).setRebuildRequested(true)
                        .setRebuild(RebuildProgress.newBuilder()
                        .setPhase(RebuildPhase.APPLYING_EVENTS).setDone(applied * 50L).setTotal(200).setEventsPerSecond(50)
                        .setEta(com.google.protobuf.Duration.newBuilder().setSeconds(4 - applied))
                        .setStartedAt(com.google.protobuf.Timestamp.newBuilder()
                                .setSeconds(java.time.Instant.now().getEpochSecond() - 4))).build();
            } else if (poll == 6) {
                projection = RUNNING.toBuilder().setState(ProjectionState.REBUILDING).setRebuildRequested(true)
                        .setRebuild(RebuildProgress.newBuilder()
                        .setPhase(RebuildPhase.BUILDING_INDEXES).setDone(200).setTotal(200).setEventsPerSecond(50)
                        .setIndexesBuilt(1).setIndexesToBuild(2)).build();
            }
            response.onNext(ListProjectionsResponse.newBuilder().addProjections(projection).build());
            response.onCompleted();
        }
    }
}
