/**
 * gRPC adapter: grpc-java service implementations of the public API in {@code proto/}, translating
 * messages to use-case calls and rejections to status codes (in {@link io.userstream.adapters.grpc.GrpcErrors}).
 * user-service's API is this module (adapters/grpc); user-stats-service's, with its client of user-service, is
 * adapters/grpc-stats (errors in {@code StatsGrpcErrors}); authentication and call metadata are adapters/grpc-common.
 */
package io.userstream.adapters.grpc;
