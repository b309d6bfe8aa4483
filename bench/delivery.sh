#!/usr/bin/env bash
# Delivery benchmarks (BENCHMARKS.md): spool append rate, collector ingest rate, agent→collector latency, drain
# rate after an outage. Builds the test classes in this checkout (nothing is installed) and runs
# dev.hvwatch.agent.delivery.DeliveryBench with the given arguments, e.g.
#   bench/delivery.sh spool 1000000
#   bench/delivery.sh ingest 4 500000 1000
#   bench/delivery.sh latency 1000 30
#   bench/delivery.sh drain 200000
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cp_file=agent/target/bench.classpath
# In one reactor build, so that sibling modules resolve to their target/classes, never to jars in ~/.m2.
mvn -B -q -o -pl agent -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
classpath="agent/target/test-classes:agent/target/classes:$(cat "$cp_file")"
exec java --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED ${JAVA_OPTS:--Xmx1g} -cp "$classpath" \
  dev.hvwatch.agent.delivery.DeliveryBench "$@"
