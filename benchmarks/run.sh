#!/usr/bin/env bash
# The benchmark command: configures an optimized (Release) build, builds the benchmarks
# and runs the full suite, then charts the results.
#
#   benchmarks/run.sh [--quick] [--csv PATH]
#
# Arguments go to the benchmark program. A full run writes benchmarks/results/
# bench-results.csv, bench-results.png and machine.txt (unless --csv says otherwise); a
# --quick run writes into the build directory. Where SQLite 3 is found, SqliteStore is
# measured beside MemoryStore in the rows of allocate into a task group and of
# rescue_stale_pods, on files in /dev/shm (the temporary directory where there is none).
# With POD_DISPATCHER_MONGODB_URI set (and libmongoc installed), the MongoDB store is
# benchmarked too, into *-mongo.csv.
#
# Environment: BUILD_DIR (default: build-bench), JOBS (default: all processors).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
results=$root/benchmarks/results

quick=false
csv=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --quick) quick=true ;;
    --csv) csv=${args[i + 1]:-} ;;
  esac
done
if [[ -z "$csv" ]]; then
  if $quick; then csv=$build/bench-results-quick.csv; else csv=$results/bench-results.csv; fi
  args+=(--csv "$csv")
fi
mkdir -p "$(dirname "$csv")"

generator=()
command -v ninja >/dev/null && [[ ! -f "$build/CMakeCache.txt" ]] && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target pod_dispatcher_bench --parallel "${JOBS:-$(nproc)}"

machine_note() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "$(nproc) processors, ${cpu:-unknown CPU}, $("${CXX:-c++}" --version | head -1)"
  echo "run $(date -u +%Y-%m-%dT%H:%MZ); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
}
machine=$(machine_note)

status=0
"$build/benchmarks/pod_dispatcher_bench" "${args[@]}" || status=$?

if [[ -n "${POD_DISPATCHER_MONGODB_URI:-}" ]] && grep -qs pod_dispatcher_bench_mongo "$build/CMakeFiles/TargetDirectories.txt"; then
  cmake --build "$build" --target pod_dispatcher_bench_mongo --parallel "${JOBS:-$(nproc)}"
  mongo_args=()
  $quick && mongo_args=(--quick)
  "$build/benchmarks/pod_dispatcher_bench_mongo" "${mongo_args[@]}" --csv "${csv%.csv}-mongo.csv" || status=$?
fi

if [[ "$csv" == "$results/"* ]]; then
  echo "$machine" >"$(dirname "$csv")/machine.txt"
fi
if command -v gnuplot >/dev/null; then
  "$root/benchmarks/plot.sh" "$csv"
else
  echo "gnuplot not found: no chart (the CSV is at $csv)"
fi
exit "$status"
