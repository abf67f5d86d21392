package io.userstream.bootstrap;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.userstream.application.port.out.PasswordHasher;
import io.userstream.application.support.BoundedPasswordHasher;
import io.userstream.domain.user.PasswordHash;
import io.userstream.domain.user.PlainPassword;
import io.userstream.proto.user.v1.ChangePasswordRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.GetUserRequest;
import io.userstream.proto.user.v1.UpdateProfileRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.user.v1.UserServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static io.userstream.bootstrap.EndToEnd.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The password hashing pool's back-pressure through the real server: a flood of CreateUser calls beyond
 * the pool's threads and queue is answered RESOURCE_EXHAUSTED at once, while the other commands and queries
 * are served. The hasher is held shut by the test, so "at once" and "served" are shown by calls that
 * complete while no hash can finish, never by a stopwatch; the deadlines only stop a broken server from
 * hanging the build.
 */
class PasswordHashingBackPressureEndToEndTest {

    /** One hash at a time and two waiting: the third call beyond them is refused. */
    static final BoundedPasswordHasher.Limits LIMITS = new BoundedPasswordHasher.Limits(1, 2);
    static final int ADMITTED = LIMITS.threads() + LIMITS.queue();
    static final int FLOOD = ADMITTED + 7;
    /** Generous for a loaded 2-core machine; reached only if the server is broken. */
    static final Duration DEADLINE = Duration.ofSeconds(60);

    static final GatedHasher hasher = new GatedHasher();
    static TestUserService service;

    @BeforeAll
    static void start() {
        service = new TestUserService(LIMITS, hasher);
    }

    @AfterAll
    static void stop() throws Exception {
        hasher.open();
        if (service != null) {
            service.close();
        }
    }

    @AfterEach
    void openTheGate() {
        hasher.open();
    }

    @Test
    void a_flood_of_registrations_beyond_the_pool_is_resource_exhausted_while_other_commands_are_served()
            throws Exception {
        User target = blocking().createUser(request(unique()));
        // In the read model before the pool is saturated, so that the query below waits for nothing else.
        blocking().getUser(GetUserRequest.newBuilder().setUserId(target.getId()).setMinVersion(1).build());
        hasher.shut();

        List<ListenableFuture<User>> flood = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
            flood.add(UserServiceGrpc.newFutureStub(service.channel).withDeadlineAfter(DEADLINE.toSeconds(),
                    TimeUnit.SECONDS).createUser(request(unique())));
        }
        hasher.awaitHashing(LIMITS.threads());
        // Every call beyond the admitted ones comes back while no hash can finish: refused, not queued.
        await("the calls beyond the pool to be answered",
                () -> flood.stream().filter(Future::isDone).count() >= FLOOD - ADMITTED);
        List<StatusRuntimeException> refused = new ArrayList<>();
        for (ListenableFuture<User> call : flood) {
            if (call.isDone()) {
                refused.add(failureOf(call));
            }
        }
        assertThat(refused).hasSize(FLOOD - ADMITTED);
        for (StatusRuntimeException error : refused) {
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(error.getStatus().getDescription())
                    .contains("password hashing capacity is saturated").contains("retry later");
            RetryInfo retry = retryInfo(error);
            assertThat(retry.getRetryDelay().getSeconds() * 1_000_000_000L + retry.getRetryDelay().getNanos())
                    .as("retry delay in ns").isPositive();
        }

        // Still saturated: the other commands and queries do not wait for hashing.
        User updated = blocking().updateProfile(UpdateProfileRequest.newBuilder().setUserId(target.getId())
                .setFirstName("Served").build());
        assertThat(updated.getVersion()).isEqualTo(2);
        assertThat(blocking().getUser(GetUserRequest.newBuilder().setUserId(target.getId()).build()).getId())
                .isEqualTo(target.getId());
        // A registration bound to fail is refused before it asks for a hash.
        assertStatus(Status.Code.ALREADY_EXISTS, () -> blocking().createUser(CreateUserRequest.newBuilder()
                .setEmail(target.getEmail()).setUsername(unique()).setPassword("long-enough-pw").build()));
        // ChangePassword hashes on the same pool.
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> blocking().changePassword(ChangePasswordRequest.newBuilder()
                .setUserId(target.getId()).setNewPassword("another-long-password").build()));
        // VerifyPassword too: a flood of verifications is refused, not queued without bound.
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> blocking().verifyPassword(
                io.userstream.proto.user.v1.VerifyPasswordRequest.newBuilder().setLogin(target.getUsername())
                        .setPassword("long-enough-pw").build()));
        assertThat(flood.stream().filter(Future::isDone).count()).as("admitted calls still held")
                .isEqualTo(FLOOD - ADMITTED);

        hasher.open();
        int created = 0;
        for (ListenableFuture<User> call : flood) {
            try {
                assertThat(call.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).getVersion()).isEqualTo(1);
                created++;
            } catch (ExecutionException e) {
                assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            }
        }
        assertThat(created).isEqualTo(ADMITTED);
        // Capacity is back: the next registration and password change go through.
        assertThat(blocking().createUser(request(unique())).getVersion()).isEqualTo(1);
        assertThat(blocking().changePassword(ChangePasswordRequest.newBuilder().setUserId(target.getId())
                .setNewPassword("another-long-password").build()).getVersion()).isEqualTo(3);
    }

    @Test
    void the_pools_meters_are_exposed() throws Exception {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.app.httpPort() + "/metrics"))
                        .header("Accept", "text/plain").timeout(DEADLINE).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("password_hashing_running", "password_hashing_waiting",
                "password_hashing_threads", "password_hashing_queue", "password_hashes_total{",
                "password_hashing_rejected_total{");
    }

    private static UserServiceGrpc.UserServiceBlockingStub blocking() {
        return UserServiceGrpc.newBlockingStub(service.channel).withDeadlineAfter(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    private static CreateUserRequest request(String name) {
        return CreateUserRequest.newBuilder().setEmail(name + "@example.com").setUsername(name)
                .setPassword("long-enough-pw").build();
    }

    private static String unique() {
        return "bp" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static StatusRuntimeException failureOf(Future<User> call) {
        assertThat(call.state()).as("a refused call").isEqualTo(Future.State.FAILED);
        assertThat(call.exceptionNow()).isInstanceOf(StatusRuntimeException.class);
        return (StatusRuntimeException) call.exceptionNow();
    }

    private static RetryInfo retryInfo(StatusRuntimeException error) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        assertThat(status).isNotNull();
        return status.getDetailsList().stream().filter(detail -> detail.is(RetryInfo.class)).findFirst()
                .map(detail -> {
                    try {
                        return detail.unpack(RetryInfo.class);
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new AssertionError(e);
                    }
                })
                .orElseThrow(() -> new AssertionError("no google.rpc.RetryInfo in " + status));
    }

    /**
     * A fast hasher the test can hold shut: while shut, every hash waits at the gate, so the pool's threads
     * and queue stay full for as long as the test needs. Hashes are {@code $test$<n>$<sha-256>}; the
     * plaintext is never kept.
     */
    static final class GatedHasher implements PasswordHasher {
        private volatile CountDownLatch gate = new CountDownLatch(0);
        private final Semaphore hashing = new Semaphore(0);
        private final AtomicInteger produced = new AtomicInteger();

        void shut() {
            hashing.drainPermits();
            gate = new CountDownLatch(1);
        }

        void open() {
            gate.countDown();
        }

        /** Waits until {@code count} hashes are held at the shut gate. */
        void awaitHashing(int count) throws InterruptedException {
            assertThat(hashing.tryAcquire(count, DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("%d hashes started", count).isTrue();
        }

        @Override
        public PasswordHash hash(PlainPassword password) {
            pass();
            return new PasswordHash("$test$" + produced.incrementAndGet() + "$" + digest(password));
        }

        @Override
        public boolean matches(PlainPassword password, PasswordHash hash) {
            pass();
            return hash.encoded().startsWith("$test$") && hash.encoded().endsWith("$" + digest(password));
        }

        private void pass() {
            hashing.release();
            try {
                if (!gate.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the hashing gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private static String digest(PlainPassword password) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(password.reveal().getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
