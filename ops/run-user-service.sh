#!/usr/bin/env bash
# Runs user-service on this machine: sets up the databases, builds the jars (without tests) and
# starts the service in the foreground. Configure with environment variables (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh
./mvnw -B -ntp -q install -DskipTests
exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${JAVA_OPTS:-} -jar bootstrap/target/userstream-bootstrap.jar
