#!/usr/bin/env bash
# The benchmark command: configures an optimized (Release) build, builds the benchmarks,
# times the suite on Google Benchmark, counts instructions with callgrind, and reports:
# ratios, PASS/MISS lines, the CSV and the chart.
#
#   benchmarks/run.sh [--quick] [Google Benchmark's flags, e.g. --benchmark_filter=REGEX]
#
# A full run writes into benchmarks/results/: bench.json (Google Benchmark's output),
# instructions.tsv, bench-results.csv, bench-results.png and machine.txt; a --quick run
# (seconds; fails only if a task is lost or handed out twice) writes into the build
# directory. Where SQLite 3 is found, SqliteStore is measured beside MemoryStore in the
# rows of allocate into a task group and of rescue_stale_pods. With
# POD_DISPATCHER_MONGODB_URI set (and libmongoc installed), the MongoDB store is
# benchmarked too, into bench-results-mongo.csv.
#
# Environment: BUILD_DIR (default: build-bench), JOBS (default: all processors),
# REPETITIONS (default: 5), MIN_TIME (seconds of timed work per repetition, default: 0.05).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
quick=false
[[ " $* " == *" --quick "* ]] && quick=true
if $quick; then results=$build/quick-results; else results=$root/benchmarks/results; fi
mkdir -p "$results"

build_targets() {
  local generator=()
  command -v ninja >/dev/null && [[ ! -f "$build/CMakeCache.txt" ]] && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target "$@" --parallel "${JOBS:-$(nproc)}"
}

machine_note() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "$(nproc) processors, ${cpu:-unknown CPU}, $("${CXX:-c++}" --version | head -1)"
  echo "run $(date -u +%Y-%m-%dT%H:%MZ); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Google Benchmark: every row, repeated in random order so that a spell of load from
# elsewhere falls on all rows alike; the report reads the medians. The big_store rows
# (a million dispatchers, seconds to seed) run apart, each row's repetitions back to back
# on the one store it seeds; bench.json holds both parts. A --benchmark_filter of the
# caller's runs as one interleaved part.
time_rows() {
  local bench=$build/benchmarks/pod_dispatcher_bench out=$results/bench.json
  local common=(--benchmark_out_format=json --benchmark_counters_tabular=false)
  if $quick; then
    "$bench" "${common[@]}" --benchmark_out="$out" "$@"
    return
  fi
  local repeat=(--benchmark_repetitions="${REPETITIONS:-5}" --benchmark_min_time="${MIN_TIME:-0.05}")
  local big=(--benchmark_filter='^big_store/')
  [[ " $* " == *" --benchmark_filter="* ]] && big=()
  local status=0
  "$bench" "${common[@]}" "${repeat[@]}" --benchmark_enable_random_interleaving=true --benchmark_filter='-^big_store/' \
    --benchmark_out="$out" "$@" || status=$?
  ((${#big[@]})) || return "$status"
  "$bench" "${common[@]}" "${repeat[@]}" "${big[@]}" --benchmark_out="$out.big" "$@" || status=$?
  python3 - "$out" "$out.big" <<'MERGE'
import json, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
with open(sys.argv[2]) as f:
    data["benchmarks"] += json.load(f)["benchmarks"]
with open(sys.argv[1], "w") as f:
    json.dump(data, f, indent=1)
MERGE
  rm -f "$out.big"
  return "$status"
}

# Instructions per call of the library and the hand-written baseline, from callgrind:
# the same on a busy machine as on an idle one.
count_instructions() {
  local out=$results/instructions.tsv profile
  : >"$out"
  command -v valgrind >/dev/null || { echo "valgrind not found: no instruction counts"; return 0; }
  profile=$(mktemp "${TMPDIR:-/tmp}/pod_dispatcher_callgrind.XXXXXX")
  for operation in dispatch_next_task allocate_into_group; do
    for engine in memory_store hand_written; do
      for queue in 1 100 10000; do
        local calls
        calls=$(valgrind --tool=callgrind --callgrind-out-file="$profile" --toggle-collect='*measured_batch*' \
          "$build/benchmarks/pod_dispatcher_instructions" "$operation" "$engine" "$queue" 2>/dev/null)
        awk -v op="$operation" -v engine="$engine" -v queue="$queue" -v calls="$calls" \
          '/^(summary|totals):/ { print op, engine, queue, $2 / calls; exit }' "$profile" >>"$out"
      done
    done
  done
  rm -f "$profile"
}

mongo_rows() {
  [[ -n "${POD_DISPATCHER_MONGODB_URI:-}" ]] || return 0
  grep -qs pod_dispatcher_bench_mongo "$build/CMakeFiles/TargetDirectories.txt" || return 0
  build_targets pod_dispatcher_bench_mongo
  local mongo_args=()
  $quick && mongo_args=(--quick)
  "$build/benchmarks/pod_dispatcher_bench_mongo" "${mongo_args[@]}" --csv "$results/bench-results-mongo.csv"
}

build_targets pod_dispatcher_bench pod_dispatcher_instructions
machine=$(machine_note)
status=0
time_rows "$@" || status=$?
$quick || count_instructions
mongo_rows || status=$?

csv=$results/bench-results.csv
python3 "$root/benchmarks/report.py" "$results/bench.json" "$results/instructions.tsv" "$csv" --bench-status "$status"
echo "$machine" >"$results/machine.txt"
if command -v gnuplot >/dev/null; then
  "$root/benchmarks/plot.sh" "$csv"
else
  echo "gnuplot not found: no chart (the CSV is at $csv)"
fi
exit "$status"
