#!/usr/bin/env bash
# Runs a benchmark main class from a module's test classes in this checkout, nothing installed:
#   bench/run-test-class.sh MODULE CLASS [ARGS...]
# The class path comes from one reactor build, so that sibling modules resolve to their target/classes, never to
# jars in ~/.m2; the JVM gets Chronicle Queue's flags. JAVA_OPTS overrides the default -Xmx1g.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
module="$1" class="$2"
shift 2
cp_file="$module/target/bench.classpath"
mvn -B -q -o -pl "$module" -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/$cp_file" >/dev/null
classpath="$module/target/test-classes:$module/target/classes:$(cat "$cp_file")"
exec java --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED ${JAVA_OPTS:--Xmx1g} -cp "$classpath" "$class" "$@"
