#!/usr/bin/env bash
# Soak: mixed load on connpool pools behind a fault-injecting proxy (dev.connpool.testkit.FaultProxy)
# for N minutes, then a leak check. Usage: scripts/soak.sh [minutes] [fault-seed]   (default 10)
# Runs $JAVA_HOME/bin/java if JAVA_HOME is set, else java on the PATH. Exit code 0 = passed.
set -euo pipefail

minutes="${1:-10}"
shift || true
cd "$(dirname "$0")/.."

target=connpool-core/target
mvn -q -pl connpool-core test-compile dependency:build-classpath \
    -Dmdep.outputFile="$(pwd)/$target/soak.classpath" -Dmdep.includeScope=test

# run from a snapshot, so that a build started meanwhile cannot change classes under the soak
snapshot="$(mktemp -d "$(pwd)/$target/soak-classes.XXXXXX")"
trap 'rm -rf "$snapshot"' EXIT
cp -r "$target/classes" "$snapshot/main"
cp -r "$target/test-classes" "$snapshot/test"

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
"$java" -version 2>&1 | head -1
"$java" -Xmx512m -cp "$snapshot/test:$snapshot/main:$(cat "$target/soak.classpath")" \
    dev.connpool.soak.Soak "$minutes" "$@"
