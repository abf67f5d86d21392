#!/usr/bin/env bash
# Runs userstream on this machine: sets up PostgreSQL, RabbitMQ and the databases, builds the jars
# (without tests), then starts user-service and user-stats-service together in the foreground
# (Ctrl-C stops both). `ops/run.sh user-service` or `ops/run.sh user-stats-service` starts one.
# Configure with environment variables (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh
./mvnw -B -ntp -q install -DskipTests

run() { # run <main class>
  "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${JAVA_OPTS:-} -cp bootstrap/target/userstream-bootstrap.jar "$1"
}

case "${1:-all}" in
  user-service) run io.userstream.bootstrap.UserServiceMain ;;
  user-stats-service) run io.userstream.bootstrap.UserStatsServiceMain ;;
  all)
    run io.userstream.bootstrap.UserServiceMain &
    user_service=$!
    trap 'kill "$user_service" 2>/dev/null; wait "$user_service" 2>/dev/null' EXIT INT TERM
    run io.userstream.bootstrap.UserStatsServiceMain
    ;;
  *) echo "usage: ops/run.sh [all|user-service|user-stats-service]" >&2; exit 2 ;;
esac
