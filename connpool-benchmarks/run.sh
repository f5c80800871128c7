#!/usr/bin/env bash
# Builds the JMH benchmarks and runs connpool side by side with Commons Pool 2, Stormpot, Vibur,
# HikariCP's ConcurrentBag and an ArrayBlockingQueue, then writes into docs/benchmarks/:
#   results.json  JMH's raw results
#   results.md    the tables, with the targets checked as ratios within this run
#   chart.png     ns per get+release by scenario and pool
# and refreshes the results block of docs/benchmarks/README.md.
#
#   connpool-benchmarks/run.sh            the full run (3 forks, 5 × 1 s warm-up, 5 × 1 s measurement):
#                                         about 40 minutes on 2 cores
#   connpool-benchmarks/run.sh --quick    a smoke run: 1 fork, 3 × 300 ms + 3 × 300 ms (labelled as such),
#                                         about 6 minutes
#   connpool-benchmarks/run.sh [--quick] [JMH options and benchmark regex]
#                                         e.g. 'Contended' -f 5, 'Saturated', 'VirtualThreads',
#                                         'HealthCheckedWindow|Sequential.connpool'; a run narrowed by a
#                                         regex writes into connpool-benchmarks/target/benchmark-results/
#                                         instead, so the docs only ever show complete runs
#   connpool-benchmarks/run.sh --no-build ...   reuse connpool-benchmarks/target/benchmarks.jar
#
# Scenarios: Sequential, Parallel, Contended, HealthChecked (pool overhead); HealthCheckedWindow
# (connpool's 500 ms check window); SequentialLeakDetection, ParallelLeakDetection (connpool with
# leak detection on, against Sequential and Parallel with it off); Saturated (16 threads, 4
# connections, an 8-byte echo per get; throughput and latency percentiles); VirtualThreads (1,000
# virtual threads, 10 connections; needs JDK 21+, left out with a note on older JVMs); EndToEnd;
# Clock.
#
# Uses $JAVA_HOME's java if set (as Maven does), else the java on the PATH. Run it on an otherwise
# idle machine: anything else running shows up in the numbers.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

command="connpool-benchmarks/run.sh${*:+ $*}"
quick=false
build=true
jmh_args=()
narrowed=false
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --no-build) build=false ;;
    -h|--help) # the comment block at the top of this file
               awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$here/$(basename "$0")"
               exit 0 ;;
    -*) jmh_args+=("$1")
        # options with a value: keep the value with them
        case "$1" in
          -f|-wi|-w|-i|-r|-t|-bm|-tu|-p|-jvmArgs|-jvmArgsAppend|-jvmArgsPrepend|-prof|-e|-to|-si|-gc|-bs|-opi|-wbs|-wm|-wf|-rf|-rff|-o)
            shift; jmh_args+=("$1") ;;
        esac ;;
    *) jmh_args+=("$1"); narrowed=true ;;
  esac
  shift
done

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jar="connpool-benchmarks/target/benchmarks.jar"
if $narrowed; then
  out="connpool-benchmarks/target/benchmark-results"
else
  out="docs/benchmarks"
fi
mkdir -p "$out" connpool-benchmarks/target

# the newest Stormpot that runs on this JVM: 4.x needs Java 21
java_version="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
profile_args=()
vt_skipped=false
if [ "${java_version%%.*}" -ge 21 ] 2>/dev/null; then
  profile_args=(-Pstormpot4)
else
  # virtual threads arrived in JDK 21: the scenario cannot run here, so JMH leaves it out rather
  # than fail it (the report then says it was not measured)
  vt_skipped=true
  jmh_args=(-e 'VirtualThreads' ${jmh_args[@]+"${jmh_args[@]}"})
fi

if $build || [ ! -f "$jar" ]; then
  echo "== building $jar${profile_args[*]:+ (${profile_args[*]})}"
  # compiled afresh each time, so that a switch of JDK (and so of Stormpot) never mixes class files
  rm -rf connpool-benchmarks/target/classes connpool-benchmarks/target/generated-sources \
    connpool-benchmarks/target/maven-status
  mvn -q -B -pl connpool-benchmarks -am package -DskipTests ${profile_args[@]+"${profile_args[@]}"}
fi

mode_args=()
report_args=()
if $quick; then
  # the smoke settings, each unless given explicitly (JMH refuses an option twice)
  for pair in "-f 1" "-wi 3" "-w 300ms" "-i 3" "-r 300ms"; do
    flag="${pair%% *}"
    given=false
    for a in ${jmh_args[@]+"${jmh_args[@]}"}; do
      if [ "$a" = "$flag" ]; then given=true; fi
    done
    if ! $given; then mode_args+=("$flag" "${pair#* }"); fi
  done
  report_args+=(--smoke)
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo '?')"
"$java" -version 2>&1 | sed 's/^/== /'
load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "== load average before the run: $load"
if $vt_skipped; then
  echo "== skipping VirtualThreads: it needs JDK 21 or later, and this java is $java_version"
fi

log="connpool-benchmarks/target/jmh.log"
echo "== running JMH (log: $log)"
"$java" -jar "$jar" ${mode_args[@]+"${mode_args[@]}"} -prof gc -rf json -rff "$out/results.json" ${jmh_args[@]+"${jmh_args[@]}"} 2>&1 | tee "$log"

echo "== writing $out/results.md and $out/chart.png"
readme_args=()
if ! $narrowed; then
  readme_args=(--readme "$out/README.md")
fi
"$java" -cp "$jar" dev.connpool.benchmarks.report.Report --json "$out/results.json" --out "$out" \
  ${readme_args[@]+"${readme_args[@]}"} --load "$load" --command "$command" ${report_args[@]+"${report_args[@]}"}

if grep -q '<failure>' "$log"; then
  echo "== some benchmarks failed: see $log" >&2
  exit 1
fi
