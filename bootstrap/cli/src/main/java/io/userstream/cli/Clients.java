package io.userstream.cli;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.userstream.proto.admin.v1.ProjectionAdminGrpc;
import io.userstream.proto.user.v1.UserServiceGrpc;
import io.userstream.proto.userstats.v1.UserStatsServiceGrpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * The channels of one execution, opened on first use with the {@link ConnectionOptions}, and blocking stubs on
 * them that carry the token and actor and the per-call deadline. New command groups take their stubs from here.
 */
public final class Clients implements AutoCloseable {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> ACTOR = Metadata.Key.of("x-actor", Metadata.ASCII_STRING_MARSHALLER);

    private final ConnectionOptions options;
    private ManagedChannel userChannel;
    private ManagedChannel statsChannel;

    Clients(ConnectionOptions options) {
        this.options = options;
    }

    /** UserService on --user-service, with this call's deadline. */
    public UserServiceGrpc.UserServiceBlockingStub users() {
        return UserServiceGrpc.newBlockingStub(userChannel())
                .withInterceptors(credentials())
                .withDeadlineAfter(options.deadline);
    }

    /** ProjectionAdmin on --user-service, with this call's deadline. */
    public ProjectionAdminGrpc.ProjectionAdminBlockingStub admin() {
        return ProjectionAdminGrpc.newBlockingStub(userChannel())
                .withInterceptors(credentials())
                .withDeadlineAfter(options.deadline);
    }

    /** UserStatsService on --stats-service, with this call's deadline. */
    public UserStatsServiceGrpc.UserStatsServiceBlockingStub stats() {
        return UserStatsServiceGrpc.newBlockingStub(statsChannel())
                .withInterceptors(credentials())
                .withDeadlineAfter(options.deadline);
    }

    /** The channel to user-service, for stubs of services this class does not name. */
    public synchronized ManagedChannel userChannel() {
        if (userChannel == null) {
            userChannel = open(options.userService);
        }
        return userChannel;
    }

    /** The channel to user-stats-service. */
    public synchronized ManagedChannel statsChannel() {
        if (statsChannel == null) {
            statsChannel = open(options.statsService);
        }
        return statsChannel;
    }

    /** The token and actor as call metadata, for stubs built on {@link #userChannel()} or {@link #statsChannel()}. */
    public ClientInterceptor credentials() {
        Metadata headers = new Metadata();
        options.token().ifPresent(token -> headers.put(AUTHORIZATION, "Bearer " + token));
        options.actor().ifPresent(actor -> headers.put(ACTOR, actor));
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private ManagedChannel open(String target) {
        return Grpc.newChannelBuilder(target, channelCredentials())
                .userAgent("userstream-cli")
                .build();
    }

    private ChannelCredentials channelCredentials() {
        if (!options.usesTls()) {
            return InsecureChannelCredentials.create();
        }
        if ((options.tlsCert == null) != (options.tlsKey == null)) {
            throw new CliException(ExitCode.USAGE, "--tls-cert and --tls-key go together");
        }
        try {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
            if (options.tlsCa != null) {
                tls.trustManager(options.tlsCa.toFile());
            }
            if (options.tlsCert != null) {
                tls.keyManager(options.tlsCert.toFile(), options.tlsKey.toFile());
            }
            return tls.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        for (ManagedChannel channel : new ManagedChannel[] {userChannel, statsChannel}) {
            if (channel != null) {
                channel.shutdownNow();
                try {
                    channel.awaitTermination(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        userChannel = null;
        statsChannel = null;
    }
}
