#!/usr/bin/env bash
# Benchmark of the read side (projections catch-up and rebuild, outbox relay, stats consumer) against the
# real PostgreSQL and RabbitMQ, each figure a ratio to a baseline of the same run (see ProjectionsBenchmark's
# Javadoc). Uses a throw-away schema and its own RabbitMQ virtual host (USERSTREAM_BENCH_VHOST,
# default userstream_bench, created here if rabbitmqctl is at hand).
# Usage: ops/bench-projections.sh [users=100000] [--only catchup,rebuild,writers,relay,stats,latency]
# (latency: end to end through the real services started in this JVM, see ProjectionsBenchmark#latency).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh >/dev/null
VHOST="${USERSTREAM_BENCH_VHOST:-userstream_bench}"
if command -v rabbitmqctl >/dev/null; then
  if ! rabbitmqctl -q list_vhosts | grep -qx "$VHOST"; then
    echo "bench: creating RabbitMQ virtual host $VHOST"
    rabbitmqctl -q add_vhost "$VHOST"
  fi
  rabbitmqctl -q set_permissions -p "$VHOST" guest ".*" ".*" ".*"
fi
# The latency part runs the real user-stats-service, whose queue names are fixed: on a virtual host of
# its own for this run (deleted on exit), a concurrent benchmark's relay/stats parts neither consume its
# events nor delete its queue, and the other way round.
if [ -z "${USERSTREAM_BENCH_LATENCY_VHOST:-}" ] && command -v rabbitmqctl >/dev/null; then
  export USERSTREAM_BENCH_LATENCY_VHOST="${VHOST}_e2e_$$"
  rabbitmqctl -q add_vhost "$USERSTREAM_BENCH_LATENCY_VHOST"
  trap 'rabbitmqctl -q delete_vhost "$USERSTREAM_BENCH_LATENCY_VHOST" >/dev/null 2>&1 || true' EXIT
  rabbitmqctl -q set_permissions -p "$USERSTREAM_BENCH_LATENCY_VHOST" guest ".*" ".*" ".*"
fi
# One reactor build (-am): the class path points at this worktree's modules' target/classes, not at
# snapshot jars in ~/.m2 that another checkout may have installed meanwhile.
./mvnw -B -ntp -q -pl bootstrap -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
# USERSTREAM_BENCH_JVM_FLAGS: extra JVM flags, e.g. -Xlog:gc:file=/tmp/bench-gc.log. Not exec: the trap
# above deletes the latency part's virtual host when the benchmark ends.
"$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${USERSTREAM_BENCH_JVM_FLAGS:-} -cp "bootstrap/target/test-classes:bootstrap/target/classes:$(cat bootstrap/target/bench.classpath)" \
  io.userstream.bootstrap.bench.ProjectionsBenchmark "$@"
