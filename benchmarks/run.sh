#!/usr/bin/env bash
# The benchmark command: configures an optimized (Release) build, builds the benchmarks
# and runs the full suite, then charts the results.
#
#   benchmarks/run.sh [--quick] [--csv PATH] [--postgres] [--postgres-only]
#
# Other arguments go to the benchmark program. A full run writes benchmarks/results/
# bench-results.csv, bench-results.png and machine.txt (unless --csv says otherwise); a
# --quick run writes into the build directory. Where SQLite 3 is found, SqliteStore is
# measured beside MemoryStore in the rows of allocate into a task group and of
# rescue_stale_pods, on files in /dev/shm (the temporary directory where there is none).
# With POD_DISPATCHER_MONGODB_URI set (and libmongoc installed), the MongoDB store is
# benchmarked too, into *-mongo.csv.
#
# With POD_DISPATCHER_POSTGRES_URI set (and libpq and Go installed), PostgresStore's
# dispatches per second from 1 and 4 worker processes are measured beside River's jobs
# per second with as many workers, on that same server, into *-postgres.csv and
# *-postgres-vs-river.csv: `tests/postgres/with_postgres.sh benchmarks/run.sh`, or
# --postgres, which starts a throwaway server through that script. --postgres-only runs
# that comparison alone (about a minute).
#
# Environment: BUILD_DIR (default: build-bench), JOBS (default: all processors).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
results=$root/benchmarks/results

quick=false
csv=""
start_postgres=false
postgres_only=false
args=()
for ((i = 1; i <= $#; i++)); do
  case ${!i} in
    --postgres) start_postgres=true; continue ;;
    --postgres-only) postgres_only=true; continue ;;
    --quick) quick=true ;;
    --csv) j=$((i + 1)); csv=${!j:-} ;;
  esac
  args+=("${!i}")
done
# A server of its own for the run, unless one is given.
if { $start_postgres || $postgres_only; } && [[ -z "${POD_DISPATCHER_POSTGRES_URI:-}" ]]; then
  rest=("${args[@]}")
  $postgres_only && rest+=(--postgres-only)
  exec "$root/tests/postgres/with_postgres.sh" "$0" "${rest[@]}"
fi
if [[ -z "$csv" ]]; then
  if $quick; then csv=$build/bench-results-quick.csv; else csv=$results/bench-results.csv; fi
  args+=(--csv "$csv")
fi
mkdir -p "$(dirname "$csv")"

jobs=${JOBS:-$(nproc)}
generator=()
command -v ninja >/dev/null && [[ ! -f "$build/CMakeCache.txt" ]] && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null

machine_note() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "$(nproc) processors, ${cpu:-unknown CPU}, $("${CXX:-c++}" --version | head -1)"
  echo "run $(date -u +%Y-%m-%dT%H:%MZ); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
}

has_target() { grep -qs "$1" "$build/CMakeFiles/TargetDirectories.txt"; }

status=0

# The suite on MemoryStore (and SqliteStore), then MongoStore where a server is given.
main_suite() {
  cmake --build "$build" --target pod_dispatcher_bench --parallel "$jobs"
  local machine
  machine=$(machine_note)
  "$build/benchmarks/pod_dispatcher_bench" "${args[@]}" || status=$?

  if [[ -n "${POD_DISPATCHER_MONGODB_URI:-}" ]] && has_target pod_dispatcher_bench_mongo; then
    cmake --build "$build" --target pod_dispatcher_bench_mongo --parallel "$jobs"
    local mongo_args=()
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
}

# ---- PostgresStore beside River, on the server POD_DISPATCHER_POSTGRES_URI names. Each
# program appends a row per measurement to one CSV. The two take turns, pairing by
# pairing and round after round, so that a spell of load from elsewhere falls on both;
# each side's median over the rounds is compared. The sizes keep a timed phase to a few
# seconds (River's longer, as its last batch of completions waits up to 250 ms), the
# whole comparison to about a minute and a half.

# Ours/River for each pairing, from the medians of the rows in $1, printed and written to $2.
compare_with_river() {
  awk -F, -v out="$2" -v quick="$quick" '
    NR == 1 { next }
    {
      key = $1 "," $2 "," $4; n = ++count[key]; rate[key, n] = $7
      if ($1 == "pod_dispatcher" && $8 != "") trips = $8
    }
    function median(key,   n, i, j, v, sorted) {
      n = count[key]
      if (n == 0) return ""
      for (i = 1; i <= n; i++) {
        v = rate[key, i]
        for (j = i - 1; j >= 1 && sorted[j] > v; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = v
      }
      return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
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
  cmake --build "$build" --target pod_dispatcher_bench_postgres --parallel "$jobs"
  local ours=$build/benchmarks/pod_dispatcher_bench_postgres river=$build/river_bench
  local pg_csv=${csv%.csv}-postgres.csv
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
  compare_with_river "$pg_csv" "${csv%.csv}-postgres-vs-river.csv"
  if [[ "$pg_csv" == "$results/"* ]]; then
    echo "$machine" >"$results/machine-postgres.txt"
  fi
}

$postgres_only || main_suite
postgres_vs_river
exit "$status"
