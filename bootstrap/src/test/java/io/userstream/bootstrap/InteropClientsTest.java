package io.userstream.bootstrap;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.grpc.health.v1.HealthProto;
import io.userstream.proto.user.v1.UserServiceProto;
import io.userstream.proto.userstats.v1.UserStatsServiceProto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both services called directly by the client stacks our non-Java callers use: Python's grpcio
 * (gRPC's C core, shared by C++, Ruby, PHP and C# Grpc.Core) and Node's grpc-js. Each client runs as
 * its own process against real services on the real PostgreSQL and RabbitMQ, and prints one
 * {@code PASS}/{@code FAIL} line per check; {@code ops/setup.sh} installs both stacks. Both also call a
 * user-service with JWT authentication on, with a token minted here, to check that the bearer token
 * and the access rules work for them as for Java.
 */
class InteropClientsTest {

    private static final Path INTEROP = Path.of("src/test/interop");
    /** Generous: a cold Node or Python start plus a dozen calls on a loaded 2-core machine. */
    private static final Duration CLIENT_DEADLINE = Duration.ofMinutes(3);
    private static final List<String> CHECKS = List.of(
            "user-service health", "user-stats-service health",
            "user-service reflection v1", "user-stats-service reflection v1",
            "user-service reflection v1alpha", "user-stats-service reflection v1alpha",
            "CreateUser echoes x-correlation-id", "GetUser with min_version",
            "GetUser malformed id is INVALID_ARGUMENT with BadRequest", "GetUserStats",
            "GetUserStats malformed id is INVALID_ARGUMENT with BadRequest",
            "ImportLegacyUser twice imports once", "ImportLegacyUser invalid row is INVALID_ARGUMENT with BadRequest",
            "secured: no token is UNAUTHENTICATED", "secured: a person reads its own account",
            "secured: another account is PERMISSION_DENIED");

    @RegisterExtension
    static final TestServices services = new TestServices(false);
    @TempDir
    static Path work;
    private static Path protoset;
    /** A second user-service, with JWT authentication on, and two of its users. */
    private static TestTokens tokens;
    private static TestUserService secured;
    private static String personId;
    private static String otherId;

    @BeforeAll
    static void start() throws IOException {
        protoset = work.resolve("userstream.protoset");
        Files.write(protoset, descriptorSet(UserServiceProto.getDescriptor(), UserStatsServiceProto.getDescriptor(),
                io.userstream.proto.admin.v1.LegacyMigrationProto.getDescriptor(),
                HealthProto.getDescriptor(), io.grpc.reflection.v1.ServerReflectionProto.getDescriptor(),
                io.grpc.reflection.v1alpha.ServerReflectionProto.getDescriptor(),
                com.google.rpc.ErrorDetailsProto.getDescriptor(), com.google.rpc.StatusProto.getDescriptor())
                .toByteArray());
        tokens = new TestTokens();
        secured = new TestUserService(tokens.security());
        var admin = io.userstream.proto.user.v1.UserServiceGrpc.newBlockingStub(secured.channel)
                .withCallCredentials(TestTokens.bearer(tokens.token("interop-admin",
                        io.userstream.adapters.grpc.auth.Scopes.ADMIN)));
        String[] ids = new String[2];
        for (int i = 0; i < 2; i++) {
            String name = "interop" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            ids[i] = admin.createUser(io.userstream.proto.user.v1.CreateUserRequest.newBuilder()
                    .setEmail(name + "@example.org").setUsername(name).setPassword("correct horse battery").build())
                    .getId();
        }
        personId = ids[0];
        otherId = ids[1];
    }

    @AfterAll
    static void stopSecured() throws Exception {
        if (secured != null) {
            secured.close();
        }
    }

    @Test
    void a_python_grpcio_client_on_the_c_core_passes_every_check() throws Exception {
        assertEveryCheckPasses(run(List.of("/usr/bin/python3", INTEROP.resolve("python/interop_client.py").toString())));
    }

    @Test
    void a_node_grpc_js_client_passes_every_check() throws Exception {
        assertEveryCheckPasses(run(List.of("node", INTEROP.resolve("node/interop_client.js").toString())));
    }

    private static void assertEveryCheckPasses(ClientRun run) {
        assertThat(run.output).as("client output").doesNotContain("FAIL ");
        for (String check : CHECKS) {
            assertThat(run.output).as("client output").contains("PASS " + check + "\n");
        }
        assertThat(run.exitCode).as("exit code (failed checks); output:%n%s", run.output).isZero();
    }

    private record ClientRun(int exitCode, String output) {
    }

    private static ClientRun run(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of("--protoset", protoset.toString(),
                "--user-service", "127.0.0.1:" + services.userService().app.grpcPort(),
                "--stats-service", "127.0.0.1:" + services.statsService().app.grpcPort(),
                "--secured-user-service", "127.0.0.1:" + secured.app.grpcPort(),
                "--person-token", tokens.token(personId, io.userstream.adapters.grpc.auth.Scopes.READ),
                "--person-id", personId, "--other-id", otherId, "--admin-token", TestUserService.ADMIN_TOKEN));
        Path log = Files.createTempFile(work, "client", ".log");
        Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(CLIENT_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + CLIENT_DEADLINE + "; output:\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        return new ClientRun(process.exitValue(), output);
    }

    /** The files and every file they import, dependencies first, as protoc's --descriptor_set_out writes them. */
    static FileDescriptorSet descriptorSet(FileDescriptor... files) {
        Set<FileDescriptor> ordered = new LinkedHashSet<>();
        for (FileDescriptor file : files) {
            addWithDependencies(file, ordered);
        }
        FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
        ordered.forEach(file -> set.addFile(file.toProto()));
        return set.build();
    }

    private static void addWithDependencies(FileDescriptor file, Set<FileDescriptor> ordered) {
        if (ordered.contains(file)) {
            return;
        }
        file.getDependencies().forEach(dependency -> addWithDependencies(dependency, ordered));
        ordered.add(file);
    }
}
