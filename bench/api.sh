#!/usr/bin/env bash
# Collector HTTP API benchmarks (BENCHMARKS.md): page latency and paging rate over a journal of N alerts, ingest
# with and without a concurrent reader, live-stream fan-out. Builds the test classes in this checkout (nothing is
# installed) and runs dev.hvwatch.collector.api.ApiBench with the given arguments, e.g.
#   bench/api.sh query 100000
#   bench/api.sh stream 10 20000
set -euo pipefail
exec env JAVA_OPTS="-Dhvwatch.log.level=WARN ${JAVA_OPTS:--Xmx1g}" "$(dirname "$(readlink -f "$0")")/run-test-class.sh" collector dev.hvwatch.collector.api.ApiBench "$@"
