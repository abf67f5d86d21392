#!/usr/bin/env bash
# What the Helidon DbClient costs over plain JDBC on the same pool and SQL (see DbClientCostBenchmark's Javadoc).
# Usage: ops/bench-dbclient.sh [threads=16] [seconds-per-round=5] [rounds=4]
# Extra JVM flags in BENCH_JAVA_OPTS, e.g. BENCH_JAVA_OPTS=-XX:StartFlightRecording=filename=dbclient.jfr,settings=profile
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh >/dev/null
# A reactor build of the module and what it needs (never install: ~/.m2 may be shared; adapters/postgres now
# needs postgres-common and application-common from this checkout); the classpath then points at their target/classes.
./mvnw -B -ntp -q -pl adapters/postgres -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${BENCH_JAVA_OPTS:-} \
  -cp "adapters/postgres/target/test-classes:adapters/postgres/target/classes:$(cat adapters/postgres/target/bench.classpath)" \
  io.userstream.adapters.postgres.DbClientCostBenchmark "$@"
