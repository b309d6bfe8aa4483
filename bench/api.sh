#!/usr/bin/env bash
# Collector HTTP API benchmarks (BENCHMARKS.md): page latency and paging rate over a journal of N alerts, ingest
# with and without a concurrent reader, live-stream fan-out. Builds the test classes in this checkout (nothing is
# installed) and runs dev.hvwatch.collector.api.ApiBench with the given arguments, e.g.
#   bench/api.sh query 100000
#   bench/api.sh stream 10 20000
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cp_file=collector/target/bench.classpath
# In one reactor build, so that sibling modules resolve to their target/classes, never to jars in ~/.m2.
mvn -B -q -o -pl collector -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
classpath="collector/target/test-classes:collector/target/classes:$(cat "$cp_file")"
exec java --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  ${JAVA_OPTS:--Xmx1g} -cp "$classpath" dev.hvwatch.collector.api.ApiBench "$@"
