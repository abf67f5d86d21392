/**
 * gRPC adapter: grpc-java service implementations of the public API in {@code proto/}, translating
 * messages to use-case calls and rejections to status codes (in {@link io.userstream.adapters.grpc.GrpcErrors}).
 */
package io.userstream.adapters.grpc;
