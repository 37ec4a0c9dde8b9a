#!/usr/bin/env bash
# The benchmark command: configures an optimized (Release) build, builds the benchmarks,
# times the suite on Google Benchmark, counts instructions with callgrind, and reports:
# ratios, PASS/MISS lines, the CSV and the chart.
#
#   benchmarks/run.sh [--quick] [--postgres | --postgres-only] [Google Benchmark's flags, e.g. --benchmark_filter=REGEX]
#
# A full run writes into benchmarks/results/: bench.json (Google Benchmark's output),
# instructions.tsv, bench-results.csv, bench-results.png and machine.txt; a --quick run
# (seconds; fails only if a task is lost or handed out twice) writes into the build
# directory. Where SQLite 3 is found, SqliteStore is measured beside MemoryStore in the
# rows of allocate into a task group and of rescue_stale_pods. With
# POD_DISPATCHER_MONGODB_URI set (and libmongoc installed), the MongoDB store is
# benchmarked too, into bench-results-mongo.csv.
#
# With POD_DISPATCHER_POSTGRES_URI set (and libpq and Go installed), PostgresStore's
# dispatches per second from 1 and 4 worker processes are measured beside River's jobs
# per second with as many workers, on that same server, into bench-results-postgres.csv
# and bench-results-postgres-vs-river.csv, and one pod's from a long queue against a
# short one into bench-results-postgres-queue.csv: `tests/postgres/with_postgres.sh
# benchmarks/run.sh`, or --postgres, which starts a throwaway server through that
# script. --postgres-only runs those alone (about two and a half minutes).
#
# Environment: BUILD_DIR (default: build-bench), JOBS (default: all processors),
# REPETITIONS (default: 5), MIN_TIME (seconds of timed work per repetition, default: 0.05).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
quick=false
start_postgres=false
postgres_only=false
args=()
for arg in "$@"; do
  case $arg in
    --postgres) start_postgres=true ;;
    --postgres-only) postgres_only=true ;;
    --quick) quick=true; args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done
# A server of its own for the run, unless one is given.
if { $start_postgres || $postgres_only; } && [[ -z "${POD_DISPATCHER_POSTGRES_URI:-}" ]]; then
  rest=("${args[@]}")
  $postgres_only && rest+=(--postgres-only)
  exec "$root/tests/postgres/with_postgres.sh" "$0" "${rest[@]}"
fi
if $quick; then results=$build/quick-results; else results=$root/benchmarks/results; fi
mkdir -p "$results"

build_targets() {
  local generator=()
  command -v ninja >/dev/null && [[ ! -f "$build/CMakeCache.txt" ]] && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target "$@" --parallel "${JOBS:-$(nproc)}"
}

has_target() { grep -qs "$1" "$build/CMakeFiles/TargetDirectories.txt"; }

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
        count_calls "$operation" "$engine" "$queue"
      done
    done
  done
  # A rescue's work among 100 000 live pods against 1 000 (the size: live pods).
  for live in 1000 100000; do
    count_calls rescue_stale_pods memory_store "$live"
  done
  rm -f "$profile"
}

# Appends OPERATION ENGINE SIZE instructions-per-call to $out, counted into $profile.
count_calls() {
  local calls
  calls=$(valgrind --tool=callgrind --callgrind-out-file="$profile" --toggle-collect='*measured_batch*' \
    "$build/benchmarks/pod_dispatcher_instructions" "$1" "$2" "$3" 2>/dev/null)
  awk -v op="$1" -v engine="$2" -v size="$3" -v calls="$calls" \
    '/^(summary|totals):/ { print op, engine, size, $2 / calls; exit }' "$profile" >>"$out"
}

mongo_rows() {
  [[ -n "${POD_DISPATCHER_MONGODB_URI:-}" ]] || return 0
  has_target pod_dispatcher_bench_mongo || return 0
  build_targets pod_dispatcher_bench_mongo
  local mongo_args=()
  $quick && mongo_args=(--quick)
  "$build/benchmarks/pod_dispatcher_bench_mongo" "${mongo_args[@]}" --csv "$results/bench-results-mongo.csv"
}

# The suite on MemoryStore (and SqliteStore) on Google Benchmark, the instruction counts,
# MongoStore where a server is given, and the report.
main_suite() {
  build_targets pod_dispatcher_bench pod_dispatcher_instructions
  local machine
  machine=$(machine_note)
  time_rows "${args[@]}" || status=$?
  $quick || count_instructions
  mongo_rows || status=$?

  local csv=$results/bench-results.csv
  python3 "$root/benchmarks/report.py" "$results/bench.json" "$results/instructions.tsv" "$csv" --bench-status "$status"
  echo "$machine" >"$results/machine.txt"
  if command -v gnuplot >/dev/null; then
    "$root/benchmarks/plot.sh" "$csv"
  else
    echo "gnuplot not found: no chart (the CSV is at $csv)"
  fi
}

# ---- PostgresStore beside River, on the server POD_DISPATCHER_POSTGRES_URI names. Each
# program appends a row per measurement to one CSV. The two take turns, pairing by
# pairing and round after round, so that a spell of load from elsewhere falls on both;
# each side's median over the rounds is compared. The sizes keep a timed phase to a few
# seconds (River's longer, as its last batch of completions waits up to 250 ms), the
# whole comparison to about a minute and a half.

# Ours/River for each pairing, from the medians of the rows in $1, printed and written to $2.
# The median of the rates rate[key, 1..count[key]], for the awk programs below; "" for none.
median_awk='
    function median(key,   n, i, j, v, sorted) {
      n = count[key]
      if (n == 0) return ""
      for (i = 1; i <= n; i++) {
        v = rate[key, i]
        for (j = i - 1; j >= 1 && sorted[j] > v; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = v
      }
      return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
    }'

compare_with_river() {
  awk -F, -v out="$2" -v quick="$quick" "$median_awk"'
    NR == 1 { next }
    {
      key = $1 "," $2 "," $4; n = ++count[key]; rate[key, n] = $7
      if ($1 == "pod_dispatcher" && $8 != "") trips = $8
    }
    function pair(workers, ours, river,   a, b, ratio, verdict) {
      a = median("pod_dispatcher," ours "," workers); b = median("river," river "," workers)
      if (a == "" || b == "") return
      ratio = a / b; verdict = ratio >= 1 ? "PASS" : "MISS"
      printf "%-8d %-23s %12.0f   %-19s %8.0f   %5.2f  %s\n", workers, ours, a, river, b, ratio, verdict
      printf "%d,%s,%s,%.1f,%.1f,%.3f,1.0,%s\n", workers, ours, river, a, b, ratio, verdict > out
    }
    END {
      print "workers,pod_dispatcher_layout,river_layout,dispatches_per_second,river_jobs_per_second,ratio,target,verdict" > out
      printf "\n== PostgresStore against River: medians, ours/River (target >= 1.0)\n"
      printf "%-8s %-23s %12s   %-19s %8s   %5s\n", "workers", "pod_dispatcher layout", "dispatches/s", "River layout", "jobs/s", "ratio"
      pair(1, "dispatcher_per_process", "one_client")
      pair(4, "dispatcher_per_process", "one_client")
      pair(4, "one_dispatcher", "one_client")
      pair(4, "dispatcher_per_process", "client_per_process")
      if (quick == "true") print "(--quick: too few tasks for these ratios to mean anything)"
      if (trips != "") printf "round trips per dispatch_next_task (a task group'"'"'s pod): %s\n", trips
      else print "round trips per dispatch_next_task: not counted (PostgresStore has no round_trips())"
    }' "$1"
}

postgres_vs_river() {
  [[ -n "${POD_DISPATCHER_POSTGRES_URI:-}" ]] || return 0
  if ! has_target pod_dispatcher_bench_postgres; then
    echo "PostgreSQL given, but libpq not found: PostgresStore not benchmarked"
    return
  fi
  build_targets pod_dispatcher_bench_postgres
  local ours=$build/benchmarks/pod_dispatcher_bench_postgres river=$build/river_bench
  local pg_csv=$results/bench-results-postgres.csv
  if ! (cd "$root/benchmarks/river" && go build -buildvcs=false -o "$river" .); then
    echo "River's benchmark did not build (is Go installed?): PostgresStore measured alone"
    river=""
  fi
  # Each pairing: our layout, processes and tasks; River's processes, workers and jobs.
  local rounds=3 pairings=(
    "dispatcher_per_process 1 800 1 1 3000"
    "dispatcher_per_process 4 1200 1 4 8000"
    "one_dispatcher 4 300 4 4 6000"
  )
  if $quick; then
    rounds=1
    pairings=("dispatcher_per_process 1 40 1 1 80" "dispatcher_per_process 4 80 1 4 160" "one_dispatcher 4 40 4 4 160")
  fi
  local machine
  machine=$(machine_note)
  echo "PostgresStore and River on the same server; $machine"
  rm -f "$pg_csv"
  local round pairing layout processes tasks river_processes workers river_jobs
  for ((round = 1; round <= rounds; round++)); do
    for pairing in "${pairings[@]}"; do
      read -r layout processes tasks river_processes workers river_jobs <<<"$pairing"
      "$ours" --layout "$layout" --processes "$processes" --tasks "$tasks" --csv "$pg_csv" || status=$?
      [[ -z "$river" ]] ||
        "$river" -processes "$river_processes" -workers "$workers" -jobs "$river_jobs" -csv "$pg_csv" || status=$?
    done
  done
  compare_with_river "$pg_csv" "$results/bench-results-postgres-vs-river.csv"
  echo "$machine" >"$results/machine-postgres.txt"
  postgres_queue_length "$ours" "$rounds"
}

# One pod dispatching a whole queue of 3 000 tasks against one of 300, in turns: a
# dispatch must not cost more as the queue's dispatched rows pile up in its index.
postgres_queue_length() {
  local ours=$1 rounds=$2 short=300 long=3000 csv=$results/bench-results-postgres-queue.csv round
  $quick && short=40 long=400
  rm -f "$csv"
  for ((round = 1; round <= rounds; round++)); do
    for tasks in "$short" "$long"; do
      "$ours" --processes 1 --tasks "$tasks" --csv "$csv" >/dev/null || status=$?
    done
  done
  awk -F, -v short="$short" -v long="$long" "$median_awk"'
    NR > 1 { n = ++count[$5]; rate[$5, n] = $7 }
    END {
      a = median(long); b = median(short); ratio = a / b
      printf "%s  PostgresStore, one pod, dispatches/s from a queue of %d vs of %d: %.0f vs %.0f = %.2fx (target: at least 0.8x)\n",
        (ratio >= 0.8 ? "PASS" : "MISS"), long, short, a, b, ratio
    }' "$csv"
}

status=0
$postgres_only || main_suite
postgres_vs_river
exit "$status"
