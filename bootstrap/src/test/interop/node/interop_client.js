#!/usr/bin/env node
// Calls userstream's two gRPC services the way a Node team would: with grpc-js (pure JavaScript
// HTTP/2) and @grpc/proto-loader. No generated code: the services and messages come from a
// FileDescriptorSet (--protoset) that the Java test writes from the descriptors the services are
// built from. Each check prints "PASS <name>" or "FAIL <name>: <why>"; the exit code is the number
// of failed checks (0 = every check passed).
//
// usage: node interop_client.js --protoset FILE --user-service HOST:PORT --stats-service HOST:PORT
//          [--secured-user-service HOST:PORT --person-token JWT --person-id ID --other-id ID]
// With --secured-user-service, also checks a user-service that has JWT authentication on: a call
// without a token is UNAUTHENTICATED, a person (its token's subject is --person-id) reads its own
// account and is PERMISSION_DENIED on --other-id.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');
const descriptor = require('protobufjs/ext/descriptor');

const TIMEOUT_MS = 30000; // every call carries a deadline, as a well-behaved client does

function args() {
  const parsed = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    parsed[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  for (const required of ['protoset', 'user-service', 'stats-service']) {
    if (!parsed[required]) throw new Error('missing --' + required);
  }
  return parsed;
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function deadline() {
  return { deadline: Date.now() + TIMEOUT_MS };
}

function unary(client, method, request, metadata = new grpc.Metadata()) {
  return new Promise((resolve, reject) => {
    const echoed = {};
    const call = client[method](request, metadata, deadline(), (error, response) =>
      error ? reject(error) : resolve({ response, headers: echoed.headers }));
    call.on('metadata', (headers) => { echoed.headers = headers; });
  });
}

function reflect(client, requests) {
  return new Promise((resolve, reject) => {
    const responses = [];
    const stream = client.ServerReflectionInfo(new grpc.Metadata(), deadline());
    stream.on('data', (response) => responses.push(response));
    stream.on('error', reject);
    stream.on('end', () => resolve(responses));
    requests.forEach((request) => stream.write(request));
    stream.end();
  });
}

async function main() {
  const options = args();
  const protoset = fs.readFileSync(options.protoset);
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(protoset, {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const api = grpc.loadPackageDefinition(definition);
  // For what proto-loader does not decode: the status-details trailer and reflection's file descriptors.
  const types = protobuf.Root.fromDescriptor(descriptor.FileDescriptorSet.decode(protoset));
  const grpcJsVersion = require('@grpc/grpc-js/package.json').version;
  console.log(`client: @grpc/grpc-js ${grpcJsVersion} on Node ${process.version}`);

  const credentials = grpc.credentials.createInsecure();
  const target = { users: options['user-service'], stats: options['stats-service'] };
  const services = {
    users: { name: 'userstream.user.v1.UserService', file: 'userstream/user/v1/user_service.proto' },
    stats: { name: 'userstream.userstats.v1.UserStatsService', file: 'userstream/userstats/v1/user_stats_service.proto' },
  };
  const clients = [];
  const client = (Service, which) => {
    const made = new Service(target[which], credentials);
    clients.push(made);
    return made;
  };
  const users = client(api.userstream.user.v1.UserService, 'users');
  const stats = client(api.userstream.userstats.v1.UserStatsService, 'stats');

  let failed = 0;
  const check = async (name, body) => {
    try {
      await body();
      console.log('PASS ' + name);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${error.message}`);
    }
  };

  const badRequestFields = (error) => {
    const raw = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
    expect(raw, 'no grpc-status-details-bin trailer');
    const status = types.lookupType('google.rpc.Status').decode(raw);
    const badRequest = types.lookupType('google.rpc.BadRequest');
    return status.details
      .filter((detail) => detail.type_url.endsWith('/google.rpc.BadRequest'))
      .flatMap((detail) => badRequest.decode(detail.value).field_violations.map((v) => v.field));
  };
  const expectInvalidArgument = async (service, method, request, field) => {
    let error;
    try {
      await unary(service, method, request);
    } catch (e) {
      error = e;
    }
    expect(error, 'expected INVALID_ARGUMENT, the call succeeded');
    expect(error.code === grpc.status.INVALID_ARGUMENT, `expected INVALID_ARGUMENT, got ${error.code}: ${error.details}`);
    const fields = badRequestFields(error);
    expect(fields.includes(field), `BadRequest names ${JSON.stringify(fields)}, not ${field}`);
  };

  for (const which of ['users', 'stats']) {
    const label = which === 'users' ? 'user-service' : 'user-stats-service';
    const health = client(api.grpc.health.v1.Health, which);
    await check(`${label} health`, async () => {
      for (const service of ['', services[which].name]) {
        const { response } = await unary(health, 'Check', { service });
        expect(response.status === 'SERVING', `health of '${service}' is ${response.status}`);
      }
    });
    for (const version of ['v1', 'v1alpha']) {
      const reflection = client(api.grpc.reflection[version].ServerReflection, which);
      await check(`${label} reflection ${version}`, async () => {
        const responses = await reflect(reflection, [
          { list_services: '' }, { file_containing_symbol: services[which].name }]);
        expect(responses.length === 2, `expected 2 reflection responses, got ${responses.length}`);
        const listed = responses[0].list_services_response.service.map((s) => s.name);
        for (const expected of [services[which].name, 'grpc.health.v1.Health']) {
          expect(listed.includes(expected), `${expected} not listed in ${listed}`);
        }
        const files = responses[1].file_descriptor_response.file_descriptor_proto
          .map((raw) => descriptor.FileDescriptorProto.decode(raw));
        const described = files.find((f) => f.name === services[which].file);
        expect(described, `${services[which].file} not among ${files.map((f) => f.name)}`);
        const simpleName = services[which].name.split('.').pop();
        expect(described.service.some((s) => s.name === simpleName), `${described.name} does not describe ${simpleName}`);
      });
    }
  }

  let created;
  await check('CreateUser echoes x-correlation-id', async () => {
    const suffix = crypto.randomUUID().replace(/-/g, '').slice(0, 12);
    const request = {
      email: `js-${suffix}@example.org`, username: `js_${suffix}`, password: 'correct horse battery', first_name: 'Grace',
    };
    const metadata = new grpc.Metadata();
    metadata.set('x-correlation-id', `js-${suffix}`);
    const { response, headers } = await unary(users, 'CreateUser', request, metadata);
    expect(response.id && response.version === '1', `unexpected user ${JSON.stringify(response)}`);
    expect(response.email === request.email && response.first_name === 'Grace', `fields not kept: ${JSON.stringify(response)}`);
    const echoed = headers && headers.get('x-correlation-id')[0];
    expect(echoed === `js-${suffix}`, `x-correlation-id echoed as ${echoed}`);
    created = response;
  });
  await check('GetUser with min_version', async () => {
    const { response } = await unary(users, 'GetUser', { user_id: created.id, min_version: created.version });
    expect(response.id === created.id && Number(response.version) >= Number(created.version)
      && response.email === created.email, `read ${JSON.stringify(response)}`);
  });
  await check('GetUser malformed id is INVALID_ARGUMENT with BadRequest',
    () => expectInvalidArgument(users, 'GetUser', { user_id: 'not-a-uuid' }, 'user_id'));
  await check('GetUserStats', async () => {
    const { response } = await unary(stats, 'GetUserStats', { user_id: created.id });
    expect(response.user_id === created.id && response.status === 'ACTIVE'
      && Number(response.last_event_version) >= 1, `stats ${JSON.stringify(response)}`);
  });
  await check('GetUserStats malformed id is INVALID_ARGUMENT with BadRequest',
    () => expectInvalidArgument(stats, 'GetUserStats', { user_id: 'not-a-uuid' }, 'user_id'));

  if (options['admin-token']) {
    // A bcrypt hash from another implementation (libxcrypt), as a legacy CRUD table holds it.
    const legacyBcrypt = '$2b$10$kAXmj7nS18DApr1RDVbI/eLOmRxZ1LXn2OM3ZGQ7Gc.WGsTwHKpsS';
    const migration = client(api.userstream.admin.v1.LegacyMigration, 'users');
    const admin = () => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer ' + options['admin-token']);
      return metadata;
    };
    const suffix = crypto.randomUUID().replace(/-/g, '').slice(0, 12);
    const row = {
      source: 'interop-js', legacy_id: suffix, email: `legacy-${suffix}@example.org`, username: `legacy_${suffix}`,
      password_hash: legacyBcrypt, status: 'LEGACY_ACTIVE',
    };
    await check('ImportLegacyUser twice imports once', async () => {
      const first = (await unary(migration, 'ImportLegacyUser', row, admin())).response;
      const second = (await unary(migration, 'ImportLegacyUser', row, admin())).response;
      expect(first.outcome === 'CREATED' && first.password_verifiable, `first import ${JSON.stringify(first)}`);
      expect(second.outcome === 'UNCHANGED' && second.user.id === first.user.id && second.user.version === '1',
        `second import ${JSON.stringify(second)}`);
    });
    await check('ImportLegacyUser invalid row is INVALID_ARGUMENT with BadRequest', async () => {
      let error;
      try {
        await unary(migration, 'ImportLegacyUser', { ...row, legacy_id: suffix + '-bad', email: 'not-an-email' }, admin());
      } catch (e) {
        error = e;
      }
      expect(error, 'expected INVALID_ARGUMENT, the call succeeded');
      expect(error.code === grpc.status.INVALID_ARGUMENT, `expected INVALID_ARGUMENT, got ${error.code}: ${error.details}`);
      const fields = badRequestFields(error);
      expect(fields.includes('email'), `BadRequest names ${JSON.stringify(fields)}, not email`);
    });
  }

  if (options['secured-user-service']) {
    const secured = new api.userstream.user.v1.UserService(options['secured-user-service'], credentials);
    clients.push(secured);
    const bearer = () => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer ' + options['person-token']);
      return metadata;
    };
    const expectCode = async (code, request, metadata) => {
      let error;
      try {
        await unary(secured, 'GetUser', request, metadata);
      } catch (e) {
        error = e;
      }
      expect(error, `expected code ${code}, the call succeeded`);
      expect(error.code === code, `expected code ${code}, got ${error.code}: ${error.details}`);
    };
    await check('secured: no token is UNAUTHENTICATED',
      () => expectCode(grpc.status.UNAUTHENTICATED, { user_id: options['person-id'] }, new grpc.Metadata()));
    await check('secured: a person reads its own account', async () => {
      const { response } = await unary(secured, 'GetUser', { user_id: options['person-id'] }, bearer());
      expect(response.id === options['person-id'], `read ${JSON.stringify(response)}`);
    });
    await check('secured: another account is PERMISSION_DENIED',
      () => expectCode(grpc.status.PERMISSION_DENIED, { user_id: options['other-id'] }, bearer()));
  }

  clients.forEach((c) => c.close());
  return failed;
}

main().then((failed) => process.exit(failed), (error) => {
  console.log('FAIL client: ' + (error.stack || error));
  process.exit(100);
});
