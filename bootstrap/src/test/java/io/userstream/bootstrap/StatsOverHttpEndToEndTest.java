package io.userstream.bootstrap;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import io.userstream.proto.user.v1.CreateUserRequest;
import io.userstream.proto.user.v1.User;
import io.userstream.proto.userstats.v1.StatsStatus;
import io.userstream.proto.userstats.v1.UserStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /stats/{user_id}} on user-stats-service's HTTP port, against real services, PostgreSQL
 * and RabbitMQ. The first test is the self-healing plan's own verification, step by step; bodies are
 * read back with the proto3 JSON parser, as a client that knows the gRPC messages would.
 */
class StatsOverHttpEndToEndTest {

    private static final Duration WAIT = Duration.ofMinutes(1);
    private static final JsonFormat.Parser PROTO_JSON = JsonFormat.parser()
            .usingTypeRegistry(JsonFormat.TypeRegistry.newBuilder().add(BadRequest.getDescriptor()).build());

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(WAIT).build();

    /** The outbox relay is off: a user created now never reaches user-stats-service by event. */
    @RegisterExtension
    static final TestServices services = new TestServices(false);

    @Test
    void the_self_healing_plans_verification_passes_over_http() throws Exception {
        // 1. A user created in user-service, bypassing the outbox.
        User user = createUser();
        assertThat(rowsFor(user.getId())).isZero();

        // 2. GET /stats for that user.
        HttpResponse<String> response = get(services.statsService(), "/stats/" + user.getId());

        // 3. Not 404: initialised stats.
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        UserStats stats = parse(response.body(), UserStats.newBuilder()).build();
        assertThat(stats.getUserId()).isEqualTo(user.getId());
        assertThat(stats.getStatus()).isEqualTo(StatsStatus.ACTIVE);
        assertThat(stats.getMemberSince()).isEqualTo(user.getCreatedAt());
        assertThat(stats.getLastEventVersion()).isEqualTo(1);
        assertThat(stats.hasRepairedAt()).isTrue();
        assertThat(response.body()).as("the proto3 JSON mapping: lowerCamelCase, int64 as a string")
                .contains("\"userId\"", "\"memberSince\"", "\"lastEventVersion\": \"1\"", "\"status\": \"ACTIVE\"");

        // 4. A row now exists, and the next read answers from it.
        assertThat(rowsFor(user.getId())).isEqualTo(1);
        HttpResponse<String> again = get(services.statsService(), "/stats/" + user.getId());
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(parse(again.body(), UserStats.newBuilder()).build()).isEqualTo(stats);
    }

    @Test
    void an_unknown_user_is_404_and_a_malformed_id_is_400_naming_the_field() throws Exception {
        String unknown = UUID.randomUUID().toString();
        HttpResponse<String> notFound = get(services.statsService(), "/stats/" + unknown);
        assertThat(notFound.statusCode()).as(notFound.body()).isEqualTo(404);
        assertThat(parse(notFound.body(), com.google.rpc.Status.newBuilder()).getCode())
                .isEqualTo(io.grpc.Status.Code.NOT_FOUND.value());
        assertThat(rowsFor(unknown)).isZero();

        HttpResponse<String> malformed = get(services.statsService(), "/stats/not-a-uuid");
        assertThat(malformed.statusCode()).as(malformed.body()).isEqualTo(400);
        com.google.rpc.Status error = parse(malformed.body(), com.google.rpc.Status.newBuilder()).build();
        assertThat(error.getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT.value());
        assertThat(error.getMessage()).isNotBlank();
        assertThat(error.getDetailsList()).filteredOn(any -> any.is(BadRequest.class))
                .flatExtracting(any -> unpack(any).getFieldViolationsList())
                .extracting(BadRequest.FieldViolation::getField).containsExactly("user_id");
    }

    @Test
    void when_user_service_cannot_be_reached_a_missing_row_is_503() throws Exception {
        try (TestUserStatsService orphan = new TestUserStatsService("127.0.0.1:1")) {
            String id = UUID.randomUUID().toString();
            HttpResponse<String> response = get(orphan, "/stats/" + id);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(parse(response.body(), com.google.rpc.Status.newBuilder()).getCode())
                    .isEqualTo(io.grpc.Status.Code.UNAVAILABLE.value());
            assertThat(orphan.count("SELECT count(*) FROM user_stats")).isZero();
        }
    }

    private static HttpResponse<String> get(TestUserStatsService service, String path)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.app.httpPort() + path))
                .timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static <B extends com.google.protobuf.Message.Builder> B parse(String json, B builder)
            throws InvalidProtocolBufferException {
        PROTO_JSON.merge(json, builder);
        return builder;
    }

    private static BadRequest unpack(Any any) {
        try {
            return any.unpack(BadRequest.class);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static User createUser() {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        return services.users().createUser(CreateUserRequest.newBuilder().setEmail("http-" + suffix + "@example.org")
                .setUsername("http_" + suffix).setPassword("correct horse battery").build());
    }

    private static long rowsFor(String userId) throws Exception {
        return services.statsService().count("SELECT count(*) FROM user_stats WHERE user_id::text = '" + userId + "'");
    }
}
