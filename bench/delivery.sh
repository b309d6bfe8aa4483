#!/usr/bin/env bash
# Delivery benchmarks (BENCHMARKS.md): spool append rate, collector ingest rate, agent→collector latency, drain
# rate after an outage. Builds the test classes in this checkout (nothing is installed) and runs
# dev.hvwatch.agent.delivery.DeliveryBench with the given arguments, e.g.
#   bench/delivery.sh spool 1000000
#   bench/delivery.sh ingest 4 500000 1000
#   bench/delivery.sh latency 1000 30
#   bench/delivery.sh drain 200000
set -euo pipefail
exec "$(dirname "$(readlink -f "$0")")/run-test-class.sh" agent dev.hvwatch.agent.delivery.DeliveryBench "$@"
