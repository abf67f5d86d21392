#!/usr/bin/env bash
# Prepares this machine for running or testing userstream, idempotently:
#   - installs PostgreSQL and RabbitMQ from Debian's packages if they are missing and would run here
#     (as root, with apt-get; a fresh PostgreSQL cluster is set to trust local TCP connections, like a
#     development machine); never touches an installed one's configuration;
#   - starts PostgreSQL and RabbitMQ if they are installed but stopped, and waits until they answer;
#   - creates the databases userstream needs if they are missing;
#   - with --test-clients (ops/test.sh passes it): installs the interop tests' client stacks if they are
#     missing: Python's grpcio (gRPC's C core) from Debian, and grpc-js from npm.
# Connection defaults match a local install (127.0.0.1, trust auth); override with PGHOST/PGPORT/PGUSER.
set -euo pipefail

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER
DATABASES=(userstream_users userstream_stats userstream_test)

wait_for() { # wait_for <what> <seconds> <command...>
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "setup: $what did not become ready within ${seconds}s" >&2
      return 1
    fi
    sleep 1
  done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
is_local() { [ "$1" = 127.0.0.1 ] || [ "$1" = localhost ] || [ "$1" = ::1 ]; }

apt_install() { # apt_install <package...>: from Debian's archive, refreshing the index once if needed
  if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
    echo "setup: please install the Debian packages: $*" >&2
    return 1
  fi
  echo "setup: installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

# Debian's clusters require a password over TCP; a cluster installed here for userstream trusts
# connections from this machine instead (what the defaults and the tests expect).
trust_local_tcp() { # trust_local_tcp <pg_hba.conf>
  sed -i -E 's/^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1\/32|::1\/128)[[:space:]]+)[a-z0-9-]+/\1trust/' "$1"
}

# PostgreSQL
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
  if is_local "$PGHOST" && { ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; }; then
    apt_install postgresql
    for version in $(ls /etc/postgresql); do
      trust_local_tcp "/etc/postgresql/$version/main/pg_hba.conf"
      # The package may have started the cluster already (systemd machines): make it read the change.
      pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
    done
  fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      echo "setup: starting PostgreSQL $version"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  wait_for "PostgreSQL at $PGHOST:$PGPORT" 60 pg_isready -h "$PGHOST" -p "$PGPORT"
fi

for db in "${DATABASES[@]}"; do
  if [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    echo "setup: creating database $db"
    psql -d postgres -qc "CREATE DATABASE $db"
  fi
done

# RabbitMQ
RABBIT_HOST="${RABBITMQ_HOST:-127.0.0.1}"
RABBIT_PORT="${RABBITMQ_PORT:-5672}"
if ! port_open "$RABBIT_HOST" "$RABBIT_PORT"; then
  if is_local "$RABBIT_HOST" && ! command -v rabbitmq-server >/dev/null; then
    apt_install rabbitmq-server
  fi
  if command -v rabbitmq-server >/dev/null; then
    echo "setup: starting RabbitMQ"
    rabbitmq-server -detached || true
  fi
  wait_for "RabbitMQ at $RABBIT_HOST:$RABBIT_PORT" 120 port_open "$RABBIT_HOST" "$RABBIT_PORT"
fi
if command -v rabbitmqctl >/dev/null; then
  wait_for "RabbitMQ application" 120 rabbitmqctl await_startup
fi

# Tests use their own virtual host so they never touch the queues of a locally running service.
if command -v rabbitmqctl >/dev/null; then
  if ! rabbitmqctl -q list_vhosts | grep -qx userstream_test; then
    echo "setup: creating RabbitMQ virtual host userstream_test"
    rabbitmqctl -q add_vhost userstream_test
  fi
  rabbitmqctl -q set_permissions -p userstream_test guest ".*" ".*" ".*"
fi

echo "setup: PostgreSQL and RabbitMQ are ready"

[ "${1:-}" = "--test-clients" ] || exit 0

# The Python interop client runs on Debian's own Python (not a pyenv or venv one) with Debian's grpcio.
if ! /usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1; then
  apt_install python3 python3-grpcio python3-protobuf
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
NODE_CLIENT=bootstrap/src/test/interop/node
if [ ! -d "$NODE_CLIENT/node_modules/@grpc/grpc-js" ] \
   || [ "$NODE_CLIENT/package-lock.json" -nt "$NODE_CLIENT/node_modules/.package-lock.json" ]; then
  echo "setup: installing the Node interop client's packages (npm ci)"
  (cd "$NODE_CLIENT" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: interop test clients are ready (Python grpcio, Node grpc-js)"
