#!/usr/bin/env bash
# Output delivery rates (BENCHMARKS.md): fills a journal with N alerts, then times each output to its real receiver
# (a file, rsyslogd over TLS, an in-process Kafka broker, an HTTP server on 127.0.0.1) until its lag is 0. Builds
# the test classes in this checkout (nothing is installed) and runs dev.hvwatch.collector.output.OutputRateBench:
#   bench/outputs.sh [ALERTS [BATCH_SIZE]]      e.g. bench/outputs.sh 100000 500
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cp_file=collector/target/bench.classpath
# In one reactor build, so that sibling modules resolve to their target/classes, never to jars in ~/.m2.
mvn -B -q -o -pl collector -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
classpath="collector/target/test-classes:collector/target/classes:$(cat "$cp_file")"
exec java --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED ${JAVA_OPTS:--Xmx1g} -cp "$classpath" \
  dev.hvwatch.collector.output.OutputRateBench "$@"
