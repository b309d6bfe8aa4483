#!/usr/bin/env bash
# Builds and runs the agent pipeline benchmarks (JMH), then the paced latency benchmark.
#   bench/jmh.sh                 all JMH benchmarks with the GC profiler, then LatencyBench at 1M events/s
#   bench/jmh.sh REGEX [ARGS]    only the JMH benchmarks matching REGEX, with extra JMH arguments
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests install -pl benchmarks -am
cp="benchmarks/target/hvwatch-benchmarks.jar:benchmarks/target/lib/*"
if [[ $# -gt 0 ]]; then
  pattern="$1"; shift
  exec java -cp "$cp" org.openjdk.jmh.Main "$pattern" "$@"
fi
java -cp "$cp" org.openjdk.jmh.Main -prof gc 'RingBenchmark|RuleEngineBenchmark|AttributionRoundBenchmark|AttributionBenchmark'
java -cp "$cp" dev.hvwatch.bench.LatencyBench 1000000 20
