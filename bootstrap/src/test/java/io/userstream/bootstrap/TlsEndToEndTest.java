package io.userstream.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * user-service over mutual TLS, with certificates made by {@code openssl} for this test: a client with a
 * certificate signed by the configured CA gets through; one without, one with a stranger's certificate,
 * and a plaintext one do not; user-stats-service's repair reaches it with its own certificate.
 */
class TlsEndToEndTest {

    @TempDir
    static Path dir;
    private static TestUserService users;

    @BeforeAll
    static void start() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=userstream test CA",
                "-keyout", "ca.key", "-out", "ca.pem");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=stranger CA",
                "-keyout", "stranger-ca.key", "-out", "stranger-ca.pem");
        issue("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        issue("client", "ca", "extendedKeyUsage=clientAuth");
        issue("stranger", "stranger-ca", "extendedKeyUsage=clientAuth");
        users = new TestUserService(new SecuritySettings(SecuritySettings.Profile.DEVELOPMENT, Optional.empty(),
                Optional.of(new SecuritySettings.Tls(dir.resolve("server.pem"), dir.resolve("server.key"),
                        Optional.of(dir.resolve("ca.pem"))))));
    }

    @AfterAll
    static void stop() throws Exception {
        users.close();
    }

    @Test
    void a_client_with_a_certificate_from_the_configured_ca_gets_through() throws Exception {
        assertThat(health(TlsChannelCredentials.newBuilder().trustManager(dir.resolve("ca.pem").toFile())
                .keyManager(dir.resolve("client.pem").toFile(), dir.resolve("client.key").toFile()).build()))
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void clients_without_a_trusted_certificate_or_without_tls_do_not() {
        List<ChannelCredentials> refused = List.of(
                tls(null),
                tls("stranger"));
        for (ChannelCredentials credentials : refused) {
            assertThatThrownBy(() -> health(credentials)).isInstanceOf(StatusRuntimeException.class)
                    .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
                    .isEqualTo(Status.Code.UNAVAILABLE);
        }
        // users.channel is plaintext: the TLS port does not speak to it.
        assertThatThrownBy(() -> HealthGrpc.newBlockingStub(users.channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())).isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void user_stats_service_reaches_user_service_over_mutual_tls() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forTarget("127.0.0.1:" + users.app.grpcPort(), tls("client")).build();
        try {
            String name = "tls" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            String id = io.userstream.proto.user.v1.UserServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createUser(io.userstream.proto.user.v1.CreateUserRequest.newBuilder().setEmail(name + "@example.org")
                            .setUsername(name).setPassword("correct horse battery").build()).getId();
            var request = io.userstream.proto.userstats.v1.GetUserStatsRequest.newBuilder().setUserId(id).build();
            // No stats row: the on-read repair must ask user-service, over TLS with this service's certificate.
            try (TestUserStatsService stats = new TestUserStatsService("127.0.0.1:" + users.app.grpcPort(),
                    TestUserService.RABBIT, SecuritySettings.OFF, new UserStatsServiceSettings.UserServiceClient(
                            Optional.empty(), Optional.of(dir.resolve("ca.pem")), Optional.of(dir.resolve("client.pem")),
                            Optional.of(dir.resolve("client.key"))))) {
                assertThat(io.userstream.proto.userstats.v1.UserStatsServiceGrpc.newBlockingStub(stats.channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).getUserStats(request).getUserId()).isEqualTo(id);
            }
            // Without a client certificate user-service does not answer it: the repair is UNAVAILABLE.
            try (TestUserStatsService stats = new TestUserStatsService("127.0.0.1:" + users.app.grpcPort(),
                    TestUserService.RABBIT, SecuritySettings.OFF, new UserStatsServiceSettings.UserServiceClient(
                            Optional.empty(), Optional.of(dir.resolve("ca.pem")), Optional.empty(), Optional.empty()))) {
                String other = io.userstream.proto.user.v1.UserServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .createUser(io.userstream.proto.user.v1.CreateUserRequest.newBuilder()
                                .setEmail("o" + name + "@example.org").setUsername("o" + name)
                                .setPassword("correct horse battery").build()).getId();
                assertThatThrownBy(() -> io.userstream.proto.userstats.v1.UserStatsServiceGrpc.newBlockingStub(stats.channel)
                        .withDeadlineAfter(20, TimeUnit.SECONDS)
                        .getUserStats(request.toBuilder().setUserId(other).build()))
                        .isInstanceOf(StatusRuntimeException.class)
                        .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
                        .isEqualTo(Status.Code.UNAVAILABLE);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ChannelCredentials tls(String clientCertificate) {
        try {
            TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder()
                    .trustManager(dir.resolve("ca.pem").toFile());
            if (clientCertificate != null) {
                builder.keyManager(dir.resolve(clientCertificate + ".pem").toFile(),
                        dir.resolve(clientCertificate + ".key").toFile());
            }
            return builder.build();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HealthCheckResponse.ServingStatus health(ChannelCredentials credentials) throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forTarget("127.0.0.1:" + users.app.grpcPort(), credentials).build();
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** A key and a certificate {@code name}.pem/.key signed by {@code ca}, with one X.509 extension. */
    private static void issue(String name, String ca, String extension) throws Exception {
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".key",
                "-out", name + ".csr");
        java.nio.file.Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-days", "1", "-extfile", name + ".ext", "-out", name + ".pem");
    }

    private static void openssl(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", arguments) + " failed: " + output);
        }
    }
}
