#!/usr/bin/env bash
# Renders the benchmark CSV (benchmarks/report.py writes it) as a PNG chart with gnuplot:
# ns/op against queue length, against the number of dispatchers, and against threads.
#
#   benchmarks/plot.sh [CSV] [PNG]
#
# Defaults: benchmarks/results/bench-results.csv -> benchmarks/results/bench-results.png.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
csv=${1:-$here/results/bench-results.csv}
png=${2:-${csv%.csv}.png}

command -v gnuplot >/dev/null || { echo "$0: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
[[ -f "$csv" ]] || { echo "$0: no results at $csv; run benchmarks/run.sh first" >&2; exit 2; }

data=$(mktemp -d "${TMPDIR:-/tmp}/pod_dispatcher_plot.XXXXXX")
trap 'rm -rf "$data"' EXIT

# series SWEEP OPERATION ENGINE [LAYOUT] -> a file of "x median_ns" lines, x being the
# column the sweep varies (queue length, dispatchers or threads); the dispatchers sweep
# takes in the big_store rows.
series() {
  local sweep=$1 operation=$2 engine=$3 layout=${4:-} out
  out="$data/$sweep-$operation-$engine${layout:+-$layout}.dat"
  awk -F, -v sweep="$sweep" -v op="$operation" -v engine="$engine" -v layout="$layout" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    ($col["sweep"] == sweep || (sweep == "dispatchers" && $col["sweep"] == "big_store")) && $col["operation"] == op && $col["engine"] == engine &&
    (layout == "" || $col["layout"] == layout || $col["threads"] == 1) {
      x = sweep == "queue_length" ? $col["queue_length"] : \
          sweep == "dispatchers" ? $col["dispatchers"] : $col["threads"]
      print x, $col["median_ns_per_op"]
    }' "$csv" | sort -n >"$out"
  echo "$out"
}

store=$(awk -F, 'NR == 2 { print $1 }' "$csv")
machine=""
[[ -f "$(dirname "$csv")/machine.txt" ]] && machine=$(head -1 "$(dirname "$csv")/machine.txt")

gnuplot <<GNUPLOT
set terminal pngcairo size 1500,620 font "sans,9"
set output "$png"
set multiplot layout 1,3 title "pod\\\\_dispatcher benchmarks (${store//_/\\\\_}): median ns per operation, lower is better\n{/*0.8 ${machine//_/\\\\_}}"
set logscale xy
set grid
set key below font ",8" samplen 2 spacing 0.9
set ylabel "ns/op"
set format y "10^{%L}"
set format x "10^{%L}"

set title "against tasks queued (1 dispatcher, 1 thread)"
set xrange [0.5:20000]
plot "$(series queue_length dispatch_next_task "$store")" with linespoints lw 2 pt 7 title "dispatch\\\\_next\\\\_task", \
     "$(series queue_length assign_next_task "$store")" with linespoints pt 5 title "assign\\\\_next\\\\_task", \
     "$(series queue_length find_one_by_pod_id "$store")" with linespoints pt 9 title "find\\\\_one\\\\_by\\\\_pod\\\\_id", \
     "$(series queue_length remove_pod "$store")" with linespoints pt 11 title "remove\\\\_pod (last pod)", \
     "$(series queue_length json_decode "$store")" with linespoints pt 13 title "JSON decode", \
     "$(series queue_length dispatch_next_task hand_written)" with linespoints dt 2 lc rgb "dark-green" pt 8 title "hand-written: dispatch", \
     "$(series queue_length dispatch_next_task floor)" with linespoints dt 2 lc rgb "gray40" pt 6 title "floor: dispatch", \
     "$(series queue_length dispatch_next_task port)" with linespoints dt 2 lc rgb "red" pt 4 title "port: dispatch"

set title "against dispatchers in the store (1 task each, 1 thread)"
set xrange [0.5:2000000]
plot "$(series dispatchers dispatch_next_task "$store")" with linespoints lw 2 pt 7 title "dispatch\\\\_next\\\\_task", \
     "$(series dispatchers allocate "$store")" with linespoints pt 5 title "allocate", \
     "$(series dispatchers find_one_by_pod_id "$store")" with linespoints pt 9 title "find\\\\_one\\\\_by\\\\_pod\\\\_id", \
     "$(series dispatchers remove_pod "$store")" with linespoints pt 11 title "remove\\\\_pod", \
     "$(series dispatchers dispatch_next_task hand_written)" with linespoints dt 2 lc rgb "dark-green" pt 8 title "hand-written: dispatch", \
     "$(series dispatchers dispatch_next_task floor)" with linespoints dt 2 lc rgb "gray40" pt 6 title "floor: dispatch", \
     "$(series dispatchers dispatch_next_task port)" with linespoints dt 2 lc rgb "red" pt 4 title "port: dispatch"

set title "against threads (wall time per operation, all threads together)"
unset logscale x
set format x "%g"
set xrange [0.8:4.2]
set xtics 1
plot "$(series threads_one_dispatcher dispatch_next_task "$store" one-dispatcher)" with linespoints lw 2 pt 7 title "dispatch, one dispatcher", \
     "$(series threads_separate dispatch_next_task "$store" separate)" with linespoints lw 2 pt 5 title "dispatch, separate dispatchers", \
     "$(series threads_one_dispatcher assign_next_task "$store" one-dispatcher)" with linespoints pt 9 title "assign, one dispatcher", \
     "$(series threads_separate assign_next_task "$store" separate)" with linespoints pt 11 title "assign, separate dispatchers", \
     "$(series threads_one_dispatcher dispatch_next_task hand_written one-dispatcher)" with linespoints dt 2 lc rgb "dark-green" pt 8 title "hand-written, one dispatcher", \
     "$(series threads_separate dispatch_next_task hand_written separate)" with linespoints dt 3 lc rgb "dark-green" pt 10 title "hand-written, separate"
unset multiplot
GNUPLOT
echo "chart written to $png"
