#!/usr/bin/env bash
# Runs user-stats-service on this machine: sets up the databases and RabbitMQ, builds the jars
# (without tests) and starts the service in the foreground. It asks user-service (USERSTATS_USERSERVICE_TARGET,
# default 127.0.0.1:9090) about users whose stats are missing. Configure with environment variables (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh
./mvnw -B -ntp -q install -DskipTests
exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${JAVA_OPTS:-} -cp bootstrap/target/userstream-bootstrap.jar \
  io.userstream.bootstrap.UserStatsServiceMain
