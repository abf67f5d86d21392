package io.userstream.bootstrap;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.userstream.bootstrap.EndToEnd.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limits and the shutdown behaviour of the gRPC server both services share, checked with a
 * small echo service on a real socket.
 */
class GrpcServerTest {

    private static final Duration WAIT = Duration.ofMinutes(1);
    private static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("test.Echo/Echo")
            .setRequestMarshaller(new Bytes())
            .setResponseMarshaller(new Bytes())
            .build();

    /** Released by a test to let a call that is in flight finish. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch entered = new CountDownLatch(1);
    private GrpcServer server;
    private ManagedChannel channel;

    private void start(boolean holdCalls) {
        BindableService echo = () -> ServerServiceDefinition.builder("test.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                    entered.countDown();
                    if (holdCalls) {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            response.onError(Status.CANCELLED.asRuntimeException());
                            return;
                        }
                    }
                    response.onNext(request);
                    response.onCompleted();
                }))
                .build();
        server = GrpcServer.start("127.0.0.1", 0, 0, List.of(echo), List.of(), List.of("test.Echo"), Map.of(),
                List.of());
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext()
                .maxInboundMessageSize(16 * 1024 * 1024).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.stop();
        }
    }

    private byte[] echo(byte[] payload) {
        return ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT.withDeadlineAfter(WAIT), payload);
    }

    @Test
    void a_request_over_the_size_limit_is_resource_exhausted_and_the_connection_keeps_serving() {
        start(false);
        byte[] tooLarge = new byte[GrpcServer.MAX_INBOUND_MESSAGE_BYTES + 1];

        assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> echo(tooLarge));

        byte[] justFits = new byte[GrpcServer.MAX_INBOUND_MESSAGE_BYTES - 64];
        assertThat(echo(justFits)).hasSize(justFits.length);
    }

    @Test
    void stopping_lets_calls_in_flight_finish_and_refuses_new_ones() throws Exception {
        start(true);
        // Own threads: the common pool may have a single thread on a 2-core machine, and both block.
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CompletableFuture<byte[]> inFlight = CompletableFuture.supplyAsync(() -> echo(new byte[] {42}), threads);
        assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the call reached the service").isTrue();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop, threads);
        // New calls are refused once the drain has begun (health, served by the same server, is one).
        ManagedChannel fresh = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
        try {
            EndToEnd.await("the draining server refuses new calls", () -> {
                try {
                    HealthGrpc.newBlockingStub(fresh).withDeadlineAfter(WAIT)
                            .check(HealthCheckRequest.newBuilder().build());
                    return false;
                } catch (StatusRuntimeException refused) {
                    return refused.getStatus().getCode() == Status.Code.UNAVAILABLE;
                }
            });
        } finally {
            fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(stopping).as("stop waits for the call in flight").isNotDone();

        release.countDown();
        assertThat(inFlight.get(WAIT.toSeconds(), TimeUnit.SECONDS)).containsExactly(42);
        stopping.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        server = null;
        threads.shutdown();
    }

    @Test
    void grpc_health_reports_serving_for_the_server_and_each_named_service() {
        start(false);
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(WAIT);
        for (String service : List.of("", "test.Echo")) {
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
                    .as("health of '%s'", service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
        assertStatus(Status.Code.NOT_FOUND,
                () -> health.check(HealthCheckRequest.newBuilder().setService("no.Such").build()));
    }

    /** Raw bytes in and out: the test needs payload sizes, not a schema. */
    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
