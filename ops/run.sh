#!/usr/bin/env bash
# Runs userstream on this machine in the foreground; Ctrl-C stops everything it started.
#
#   ops/run.sh              both services against the PostgreSQL and RabbitMQ configured or installed here
#                           (ops/setup.sh starts them if stopped and creates the databases); where none is
#                           configured, installed or answering on localhost, against embedded ones instead
#   ops/run.sh --embedded   both services in one JVM with an embedded PostgreSQL and AMQP broker on free
#                           ports of their own, even where real ones run; data under $USERSTREAM_DATA_DIR
#                           (default .userstream-data in this repository)
#   ops/run.sh user-service | user-stats-service    one service, against the configured servers
#
# It builds the jars first (without tests) when they are missing or older than the sources;
# USERSTREAM_SKIP_BUILD=1 skips that. Configure with environment variables (see README; each service's
# `--help` lists its own: java -jar bootstrap/user-stats-service/target/userstream-user-stats-service.jar --help).
# Each service runs from its own thin jar and libs/ (bootstrap/user-service/target, bootstrap/user-stats-service/target);
# the embedded mode runs both from bootstrap/target/userstream-embedded.jar with libs-embedded/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: ops/run.sh [--embedded] [all|user-service|user-stats-service]" >&2; exit 2; }
mode="" what=all
for arg in "$@"; do
  case "$arg" in
    --embedded) mode=embedded ;;
    all|user-service|user-stats-service) what="$arg" ;;
    *) usage ;;
  esac
done

source ops/java-home.sh

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if [ -z "$mode" ]; then
  configured=""
  for variable in USERSTREAM_DB_URL USERSTATS_DB_URL USERSTREAM_RABBITMQ_HOST USERSTATS_RABBITMQ_HOST PGHOST RABBITMQ_HOST; do
    [ -n "${!variable:-}" ] && configured="$configured $variable"
  done
  if [ -n "$configured" ] \
     || { { port_open 127.0.0.1 5432 || command -v pg_ctlcluster >/dev/null; } \
          && { port_open 127.0.0.1 5672 || command -v rabbitmq-server >/dev/null; }; }; then
    mode=external
  else
    echo "run: no PostgreSQL and RabbitMQ configured, installed or answering on localhost:" \
         "starting embedded ones (as ops/run.sh --embedded)"
    mode=embedded
  fi
fi
if [ "$mode" = embedded ] && [ "$what" != all ]; then
  echo "run: --embedded runs both services together; 'ops/run.sh $what' needs a configured PostgreSQL and RabbitMQ" >&2
  exit 2
fi

# Fails early, and says which setting moves it, when a port the services listen on is taken.
check_port() { # check_port <environment variable> <default port> <what listens there>
  local port="${!1:-$2}"
  if [ "$port" != 0 ] && port_open 127.0.0.1 "$port"; then
    echo "run: port $port ($3) is already taken by another process: stop that process, or choose another" \
         "port with $1=<port> (0 picks a free one)" >&2
    exit 1
  fi
}
if [ "$what" != user-stats-service ]; then
  check_port USERSTREAM_GRPC_PORT 9090 "user-service gRPC"
  check_port USERSTREAM_HTTP_PORT 9091 "user-service metrics and health"
fi
if [ "$what" != user-service ]; then
  check_port USERSTATS_GRPC_PORT 9190 "user-stats-service gRPC"
  check_port USERSTATS_HTTP_PORT 9191 "user-stats-service metrics and health"
fi

user_service_jar=bootstrap/user-service/target/userstream-user-service.jar
user_stats_service_jar=bootstrap/user-stats-service/target/userstream-user-stats-service.jar
embedded_jar=bootstrap/target/userstream-embedded.jar
jars=("$user_service_jar" "$user_stats_service_jar" "$embedded_jar")
outdated() { # whether a jar is missing or a build input is newer than the oldest of them
  local jar
  for jar in "${jars[@]}"; do
    [ -f "$jar" ] || return 0
  done
  [ ! -d bootstrap/target/libs-embedded ] || [ -n "$(find . \
    \( -name .git -o -name target -o -name node_modules -o -name .userstream-data \) -prune -o \
    \( -name pom.xml -o -path '*/src/main/*' \) \( -newer "${jars[0]}" -o -newer "${jars[1]}" -o -newer "${jars[2]}" \) \
    -print -quit)" ]
}
if [ "${USERSTREAM_SKIP_BUILD:-0}" != 1 ] && outdated; then
  echo "run: building (./mvnw package -DskipTests; the first time this downloads Maven and the dependencies)"
  ./mvnw -B -ntp -q package -DskipTests
  touch "${jars[@]}"
fi

if [ "$mode" = embedded ]; then
  export USERSTREAM_DATA_DIR="${USERSTREAM_DATA_DIR:-$PWD/.userstream-data}"
  # exec: Ctrl-C and SIGTERM reach the JVM itself, whose shutdown hook stops the services, then the servers.
  exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${JAVA_OPTS:-} \
    -cp "$embedded_jar:bootstrap/target/libs-embedded/*" io.userstream.bootstrap.EmbeddedMain
fi

bash ops/setup.sh
run() { # run <service jar>: its manifest names its main class and its libs/
  "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${JAVA_OPTS:-} -jar "$1"
}
case "$what" in
  user-service) run "$user_service_jar" ;;
  user-stats-service) run "$user_stats_service_jar" ;;
  all)
    run "$user_service_jar" &
    user_service=$!
    trap 'kill "$user_service" 2>/dev/null; wait "$user_service" 2>/dev/null' EXIT INT TERM
    run "$user_stats_service_jar"
    ;;
esac
