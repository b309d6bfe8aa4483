#!/usr/bin/env bash
# Output delivery rates (BENCHMARKS.md): fills a journal with N alerts, then times each output to its real receiver
# (a file, rsyslogd over TLS, an in-process Kafka broker, an HTTP server on 127.0.0.1) until its lag is 0. Builds
# the test classes in this checkout (nothing is installed) and runs dev.hvwatch.collector.output.OutputRateBench:
#   bench/outputs.sh [ALERTS [BATCH_SIZE]]      e.g. bench/outputs.sh 100000 500
set -euo pipefail
exec "$(dirname "$(readlink -f "$0")")/run-test-class.sh" collector dev.hvwatch.collector.output.OutputRateBench "$@"
