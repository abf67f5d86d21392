#!/usr/bin/env bash
# How fast the stats consumer drains its queue against a bare consume-and-ack loop (see ConsumerThroughputBenchmark).
# Usage: ops/bench-consumer.sh [events=20000] [users=1000] [rounds=3] [batch=4000] [workers=2]
# (prefetch: twice the batch per worker, at most 65535)
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh >/dev/null
# A reactor build of the module and what it needs (never install: ~/.m2 may be shared); the classpath then
# points at the reactor modules' target/classes.
./mvnw -B -ntp -q -pl adapters/rabbitmq-stats -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
exec "$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${BENCH_JAVA_OPTS:-} \
  -cp "adapters/rabbitmq-stats/target/test-classes:adapters/rabbitmq-stats/target/classes:$(cat adapters/rabbitmq-stats/target/bench.classpath)" \
  io.userstream.adapters.rabbitmq.ConsumerThroughputBenchmark "$@"
