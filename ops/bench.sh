#!/usr/bin/env bash
# The benchmark harness of issue 16, one command: builds (one -am reactor build, no install), runs
# io.userstream.bootstrap.bench.Bench against the local PostgreSQL, prints a table, and rewrites the
# generated section of BENCHMARKS.md (between <!-- bench.sh:begin --> and <!-- bench.sh:end -->).
# Every figure is measured beside its baselines in the same run (the JDBC limit: one autocommitted INSERT
# per event; the peer: Axon Framework 4.12's JdbcEventStorageEngine), as the median of several runs, and
# reported as a ratio to them. Finishes in under 10 minutes on a 2-core machine (about 8 by default).
#
# Usage: ops/bench.sh [--only append,load,rebuild,grpc,stats,rss] [--runs 3] [--seconds 3] [--load-seconds 1.5]
#                     [--warmup 1] [--threads 1,4,16,64] [--callers 1,4,16,32,64] [--stats-seconds 2]
#                     [--rebuild-users 50000] [--axon-batch N] [--no-markdown] [--markdown FILE]
# Parts: append, load, rebuild, grpc (UpdateProfile over gRPC into the real services, in process, vs the JDBC
# limit), stats (GetUserStats hit and repair), rss (peak RSS of each service as a JVM of its own), all by
# default; latency is a hook (ops/bench-projections.sh --only latency measures it). --help says more.
# Other benchmarks share this machine: run it as `flock /tmp/userstream-bench.lock bash ops/bench.sh`.
# Environment: USERSTREAM_TEST_DB_URL / USERSTREAM_TEST_DB_USER (default the local userstream_test),
# USERSTREAM_BENCH_JVM_FLAGS (extra JVM flags), USERSTREAM_BENCH_KEEP=1 (keep the throw-away schemas),
# USERSTREAM_BENCH_VERBOSE=1 (INFO logging), USERSTREAM_BENCH_STREAM (events per stream in the append part,
# default 10), USERSTREAM_BENCH_SERVICE_JVM_FLAGS (the rss part's services' JVM flags, e.g. -Xmx256m; default
# none: the JVM's default heap).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh >/dev/null
# A full run rewrites BENCHMARKS.md's generated section; a partial one (--only) only prints, unless given
# --markdown FILE.
markdown=(--markdown BENCHMARKS.md)
for arg in "$@"; do
  case "$arg" in
    -h|--help|--no-markdown|--only|--only=*) markdown=() ;;
  esac
done
# The grpc and stats parts run the real services in this JVM, the rss part each as a JVM of its own: the
# stats consumer's queue names are fixed, so each gets a RabbitMQ virtual host of this run's own (deleted on
# exit), away from tests and concurrent benchmarks.
if [ -z "${USERSTREAM_BENCH_GRPC_VHOST:-}" ] && command -v rabbitmqctl >/dev/null; then
  export USERSTREAM_BENCH_GRPC_VHOST="userstream_bench_grpc_$$"
  export USERSTREAM_BENCH_RSS_VHOST="userstream_bench_rss_$$"
  trap 'for v in "$USERSTREAM_BENCH_GRPC_VHOST" "$USERSTREAM_BENCH_RSS_VHOST"; do
          rabbitmqctl -q delete_vhost "$v" >/dev/null 2>&1 || true; done' EXIT
  for v in "$USERSTREAM_BENCH_GRPC_VHOST" "$USERSTREAM_BENCH_RSS_VHOST"; do
    rabbitmqctl -q add_vhost "$v"
    rabbitmqctl -q set_permissions -p "$v" guest ".*" ".*" ".*"
  done
fi
build_start=$SECONDS
# One reactor build (-am): the class path points at this worktree's modules' target/classes, not at
# snapshot jars in ~/.m2 that another checkout may have installed meanwhile.
./mvnw -B -ntp -q -pl bootstrap -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
export USERSTREAM_BENCH_BUILD_SECONDS=$((SECONDS - build_start))
export USERSTREAM_BENCH_COMMAND="ops/bench.sh${*:+ $*}"
# Not exec: the trap above deletes the virtual hosts when the benchmark ends.
"$JAVA_HOME/bin/java" $USERSTREAM_JVM_FLAGS ${USERSTREAM_BENCH_JVM_FLAGS:-} \
  -cp "bootstrap/target/test-classes:bootstrap/target/classes:$(cat bootstrap/target/bench.classpath)" \
  io.userstream.bootstrap.bench.Bench "${markdown[@]}" "$@"
