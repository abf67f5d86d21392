#!/usr/bin/env python3
"""Calls userstream's two gRPC services the way a Python team would: with grpcio, the binding of
gRPC's C core (the same core C++, Ruby, PHP and C# Grpc.Core clients use).

No generated code: message classes come from a FileDescriptorSet (--protoset) that the Java test
writes from the descriptors the services are built from, so this client can never drift from the
API. Each check prints "PASS <name>" or "FAIL <name>: <why>"; the exit code is the number of failed
checks (0 = every check passed).

usage: interop_client.py --protoset FILE --user-service HOST:PORT --stats-service HOST:PORT
                         [--secured-user-service HOST:PORT --person-token JWT --person-id ID --other-id ID]

With --secured-user-service, also checks a user-service that has JWT authentication on: a call without
a token is UNAUTHENTICATED, a person (its token's subject is --person-id) reads its own account and is
PERMISSION_DENIED on --other-id.
"""
import argparse
import sys
import uuid

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

TIMEOUT = 30  # seconds; every call carries a deadline, as a well-behaved client does


class Api:
    """Message classes and unary callables built from the protoset."""

    def __init__(self, protoset_path):
        files = descriptor_pb2.FileDescriptorSet()
        with open(protoset_path, "rb") as f:
            files.ParseFromString(f.read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:  # written dependencies first
            self.pool.Add(file)
        self._factory = message_factory.MessageFactory(self.pool)

    def message(self, full_name):
        descriptor = self.pool.FindMessageTypeByName(full_name)
        if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
            return message_factory.GetMessageClass(descriptor)
        return self._factory.GetPrototype(descriptor)

    def unary(self, channel, service, method):
        return self._callable(channel.unary_unary, service, method)

    def bidi(self, channel, service, method):
        return self._callable(channel.stream_stream, service, method)

    def _callable(self, kind, service, method):
        descriptor = self.pool.FindServiceByName(service).FindMethodByName(method)
        return kind("/%s/%s" % (service, method),
                    request_serializer=lambda m: m.SerializeToString(),
                    response_deserializer=self.message(descriptor.output_type.full_name).FromString)


class Checks:
    def __init__(self):
        self.failed = 0

    def run(self, name, check):
        try:
            check()
            print("PASS " + name, flush=True)
        except grpc.RpcError as e:
            self.failed += 1
            print("FAIL %s: %s: %s" % (name, e.code(), e.details()), flush=True)
        except Exception as e:  # a failed check is reported, and the others still run
            self.failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def bad_request_fields(api, error):
    """The field names of the google.rpc.BadRequest detail in a failed call's trailers."""
    details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    expect(details is not None, "no grpc-status-details-bin trailer")
    status = api.message("google.rpc.Status").FromString(details)
    fields = []
    for detail in status.details:
        if detail.type_url.endswith("/google.rpc.BadRequest"):
            bad_request = api.message("google.rpc.BadRequest").FromString(detail.value)
            fields.extend(v.field for v in bad_request.field_violations)
    return fields


def expect_invalid_argument(api, call, request, field):
    try:
        call(request, timeout=TIMEOUT)
    except grpc.RpcError as error:
        expect(error.code() == grpc.StatusCode.INVALID_ARGUMENT,
               "expected INVALID_ARGUMENT, got %s: %s" % (error.code(), error.details()))
        fields = bad_request_fields(api, error)
        expect(field in fields, "BadRequest names %s, not %s" % (fields, field))
        return
    raise AssertionError("expected INVALID_ARGUMENT, the call succeeded")


def check_health(api, channel, service_name):
    check = api.unary(channel, "grpc.health.v1.Health", "Check")
    request_type = api.message("grpc.health.v1.HealthCheckRequest")
    serving = api.pool.FindEnumTypeByName(
        "grpc.health.v1.HealthCheckResponse.ServingStatus").values_by_name["SERVING"].number
    for name in ("", service_name):
        response = check(request_type(service=name), timeout=TIMEOUT)
        expect(response.status == serving, "health of '%s' is %s" % (name, response.status))


def check_reflection(api, channel, version, service_name, proto_file):
    service = "grpc.reflection.%s.ServerReflection" % version
    info = api.bidi(channel, service, "ServerReflectionInfo")
    request_type = api.message("grpc.reflection.%s.ServerReflectionRequest" % version)
    requests = [request_type(list_services=""), request_type(file_containing_symbol=service_name)]
    responses = list(info(iter(requests), timeout=TIMEOUT))
    expect(len(responses) == 2, "expected 2 reflection responses, got %d" % len(responses))
    listed = [s.name for s in responses[0].list_services_response.service]
    for expected in (service_name, "grpc.health.v1.Health"):
        expect(expected in listed, "%s not listed in %s" % (expected, listed))
    files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
             for raw in responses[1].file_descriptor_response.file_descriptor_proto]
    described = [f for f in files if f.name == proto_file]
    expect(described, "%s not among %s" % (proto_file, [f.name for f in files]))
    expect(service_name.split(".")[-1] in [s.name for s in described[0].service],
           "%s does not describe %s" % (proto_file, service_name))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protoset", required=True)
    parser.add_argument("--user-service", required=True)
    parser.add_argument("--stats-service", required=True)
    parser.add_argument("--secured-user-service")
    parser.add_argument("--person-token")
    parser.add_argument("--person-id")
    parser.add_argument("--other-id")
    parser.add_argument("--admin-token")
    args = parser.parse_args()
    api = Api(args.protoset)
    print("client: grpcio %s (gRPC C core)" % grpc.__version__, flush=True)

    users = grpc.insecure_channel(args.user_service)
    stats = grpc.insecure_channel(args.stats_service)
    user_service, stats_service = "userstream.user.v1.UserService", "userstream.userstats.v1.UserStatsService"
    checks = Checks()
    checks.run("user-service health", lambda: check_health(api, users, user_service))
    checks.run("user-stats-service health", lambda: check_health(api, stats, stats_service))
    for version in ("v1", "v1alpha"):
        checks.run("user-service reflection " + version, lambda: check_reflection(
            api, users, version, user_service, "userstream/user/v1/user_service.proto"))
        checks.run("user-stats-service reflection " + version, lambda: check_reflection(
            api, stats, version, stats_service, "userstream/userstats/v1/user_stats_service.proto"))

    created = {}

    def create_user():
        suffix = uuid.uuid4().hex[:12]
        request = api.message("userstream.user.v1.CreateUserRequest")(
            email="py-%s@example.org" % suffix, username="py_" + suffix, password="correct horse battery",
            first_name="Ada")
        correlation_id = "py-" + suffix
        user, call = api.unary(users, user_service, "CreateUser").with_call(
            request, timeout=TIMEOUT, metadata=(("x-correlation-id", correlation_id),))
        expect(user.id and user.version == 1, "unexpected user %s" % user)
        expect(user.email == request.email and user.first_name == "Ada", "fields not kept: %s" % user)
        echoed = dict(call.initial_metadata()).get("x-correlation-id")
        expect(echoed == correlation_id, "x-correlation-id echoed as %r" % echoed)
        created["user"] = user

    def get_user_with_min_version():
        user = created["user"]
        request = api.message("userstream.user.v1.GetUserRequest")(user_id=user.id, min_version=user.version)
        read = api.unary(users, user_service, "GetUser")(request, timeout=TIMEOUT)
        expect(read.id == user.id and read.version >= user.version and read.email == user.email,
               "read %s" % read)

    def malformed_id():
        expect_invalid_argument(api, api.unary(users, user_service, "GetUser"),
                                api.message("userstream.user.v1.GetUserRequest")(user_id="not-a-uuid"), "user_id")

    def get_user_stats():
        user = created["user"]
        request = api.message("userstream.userstats.v1.GetUserStatsRequest")(user_id=user.id)
        user_stats = api.unary(stats, stats_service, "GetUserStats")(request, timeout=TIMEOUT)
        active = api.pool.FindEnumTypeByName("userstream.userstats.v1.StatsStatus").values_by_name["ACTIVE"].number
        expect(user_stats.user_id == user.id and user_stats.status == active, "stats %s" % user_stats)
        expect(user_stats.last_event_version >= 1, "stats %s" % user_stats)

    def stats_malformed_id():
        expect_invalid_argument(api, api.unary(stats, stats_service, "GetUserStats"),
                                api.message("userstream.userstats.v1.GetUserStatsRequest")(user_id="not-a-uuid"),
                                "user_id")

    checks.run("CreateUser echoes x-correlation-id", create_user)
    checks.run("GetUser with min_version", get_user_with_min_version)
    checks.run("GetUser malformed id is INVALID_ARGUMENT with BadRequest", malformed_id)
    checks.run("GetUserStats", get_user_stats)
    checks.run("GetUserStats malformed id is INVALID_ARGUMENT with BadRequest", stats_malformed_id)
    if args.admin_token:
        check_legacy_import(api, checks, users, args.admin_token)
    if args.secured_user_service:
        check_secured(api, checks, args)
    users.close()
    stats.close()
    return checks.failed


# A bcrypt hash from another implementation (libxcrypt), as a legacy CRUD table holds it.
LEGACY_BCRYPT = "$2b$10$kAXmj7nS18DApr1RDVbI/eLOmRxZ1LXn2OM3ZGQ7Gc.WGsTwHKpsS"


def check_legacy_import(api, checks, users, admin_token):
    import_user = api.unary(users, "userstream.admin.v1.LegacyMigration", "ImportLegacyUser")
    request_type = api.message("userstream.admin.v1.ImportLegacyUserRequest")
    outcomes = api.pool.FindEnumTypeByName("userstream.admin.v1.ImportOutcome").values_by_name
    active = api.pool.FindEnumTypeByName("userstream.admin.v1.LegacyUserStatus").values_by_name["LEGACY_ACTIVE"].number
    bearer = (("authorization", "Bearer " + admin_token),)
    suffix = uuid.uuid4().hex[:12]
    row = dict(source="interop-py", legacy_id=suffix, email="legacy-%s@example.org" % suffix,
               username="legacy_" + suffix, password_hash=LEGACY_BCRYPT, status=active)

    def imports_once():
        first = import_user(request_type(**row), timeout=TIMEOUT, metadata=bearer)
        second = import_user(request_type(**row), timeout=TIMEOUT, metadata=bearer)
        expect(first.outcome == outcomes["CREATED"].number and first.password_verifiable, "first import %s" % first)
        expect(second.outcome == outcomes["UNCHANGED"].number and second.user.id == first.user.id
               and second.user.version == 1, "second import %s" % second)

    def invalid_row():
        try:
            import_user(request_type(**dict(row, legacy_id=suffix + "-bad", email="not-an-email")),
                        timeout=TIMEOUT, metadata=bearer)
        except grpc.RpcError as error:
            expect(error.code() == grpc.StatusCode.INVALID_ARGUMENT, "got %s: %s" % (error.code(), error.details()))
            fields = bad_request_fields(api, error)
            expect("email" in fields, "BadRequest names %s, not email" % fields)
            return
        raise AssertionError("expected INVALID_ARGUMENT, the call succeeded")

    checks.run("ImportLegacyUser twice imports once", imports_once)
    checks.run("ImportLegacyUser invalid row is INVALID_ARGUMENT with BadRequest", invalid_row)


def check_secured(api, checks, args):
    secured = grpc.insecure_channel(args.secured_user_service)
    get_user = api.unary(secured, "userstream.user.v1.UserService", "GetUser")
    request_type = api.message("userstream.user.v1.GetUserRequest")
    bearer = (("authorization", "Bearer " + args.person_token),)

    def expect_code(code, request, metadata=()):
        try:
            get_user(request, timeout=TIMEOUT, metadata=metadata)
        except grpc.RpcError as error:
            expect(error.code() == code, "expected %s, got %s: %s" % (code, error.code(), error.details()))
            return
        raise AssertionError("expected %s, the call succeeded" % code)

    def own_account():
        user = get_user(request_type(user_id=args.person_id), timeout=TIMEOUT, metadata=bearer)
        expect(user.id == args.person_id, "read %s" % user)

    checks.run("secured: no token is UNAUTHENTICATED",
               lambda: expect_code(grpc.StatusCode.UNAUTHENTICATED, request_type(user_id=args.person_id)))
    checks.run("secured: a person reads its own account", own_account)
    checks.run("secured: another account is PERMISSION_DENIED",
               lambda: expect_code(grpc.StatusCode.PERMISSION_DENIED, request_type(user_id=args.other_id), bearer))
    secured.close()


if __name__ == "__main__":
    sys.exit(main())
