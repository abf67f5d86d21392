#!/usr/bin/env bash
# Benchmark of the write side against the real PostgreSQL (see AppendBenchmark's Javadoc).
# Usage: ops/bench-append.sh [threads=16] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh >/dev/null
./mvnw -B -ntp -q install -DskipTests
./mvnw -B -ntp -q -pl bootstrap test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS -cp "bootstrap/target/test-classes:bootstrap/target/classes:$(cat bootstrap/target/bench.classpath)" \
  io.userstream.bootstrap.bench.AppendBenchmark "$@"
