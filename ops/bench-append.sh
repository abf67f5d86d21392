#!/usr/bin/env bash
# Benchmark of the write side against the real PostgreSQL, then Argon2id hashes/s and UpdateProfile beside a
# CreateUser flood with and without the bounded hashing pool (see AppendBenchmark's Javadoc).
# Usage: ops/bench-append.sh [threads=16] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh >/dev/null
# One reactor build (-am): the class path points at this checkout's modules' target/classes, not at
# snapshot jars in ~/.m2 that another checkout may have installed meanwhile (and nothing is installed there).
./mvnw -B -ntp -q -pl bootstrap -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS -cp "bootstrap/target/test-classes:bootstrap/target/classes:$(cat bootstrap/target/bench.classpath)" \
  io.userstream.bootstrap.bench.AppendBenchmark "$@"
