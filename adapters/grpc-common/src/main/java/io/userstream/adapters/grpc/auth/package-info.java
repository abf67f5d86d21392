/**
 * Who is calling and what they may do: JWT bearer tokens verified against configured public keys
 * ({@link io.userstream.adapters.grpc.auth.JwtTokenVerifier}), and a rule per RPC
 * ({@link io.userstream.adapters.grpc.auth.ApiAccess}) enforced before the services run
 * ({@link io.userstream.adapters.grpc.auth.Authentication}).
 */
package io.userstream.adapters.grpc.auth;
