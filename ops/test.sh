#!/usr/bin/env bash
# The test command: sets up this machine (ops/setup.sh), then builds userstream and runs every test
# against the real PostgreSQL and RabbitMQ. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/java-home.sh
bash ops/setup.sh --test-clients
exec ./mvnw -B -ntp verify "$@"
