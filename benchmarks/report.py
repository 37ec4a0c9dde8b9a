#!/usr/bin/env python3
"""The benchmark report: reads Google Benchmark's JSON (and the instruction counts that
benchmarks/run.sh took with callgrind), prints each library row as a ratio to its
baselines and a PASS or MISS line per target, and writes the CSV the chart is drawn from.

    benchmarks/report.py BENCH_JSON INSTRUCTIONS_TSV CSV [--bench-status N]

A MISS is a finding, never a failure: only a correctness failure (the benchmark
program's exit status, given as --bench-status) fails the run.
"""

import argparse
import csv
import json
import re
import sys

LIBRARY = "memory_store"
HAND_WRITTEN = "hand_written"
QUEUES = (1, 100, 10_000)
# Below this, a busy loop sharing nothing did not get two processors' worth of work:
# the machine did not scale, so the thread targets say nothing of the library.
MACHINE_SCALES = 1.8


class Row:
    """One benchmark, by the parts of its name: SWEEP/OPERATION/ENGINE/dispatchers:D/..."""

    def __init__(self, entry):
        parts = entry["run_name"].split("/")
        fields = dict(p.split(":", 1) for p in parts if ":" in p)
        names = [p for p in parts if ":" not in p and p not in ("manual_time", "real_time", "written")]
        self.sweep, self.operation = names[0], names[1]
        self.engine = "/".join(names[2:])
        self.written = parts[-1] == "written" or "/written/" in entry["run_name"]
        self.threads = int(entry.get("threads", 1))
        self.dispatchers = int(fields.get("dispatchers", 0))
        self.queue = int(fields.get("queue", 0))
        self.pods = int(fields.get("pods", 0))
        self.entry = entry

    def key(self):
        return (self.sweep, self.operation, self.engine, self.threads, self.dispatchers, self.queue, self.pods,
                self.written)

    def ops_per_s(self):
        return self.entry.get("items_per_second")

    def ns_per_op(self):
        rate = self.ops_per_s()
        return 1e9 / rate if rate else None

    def counter(self, name):
        return self.entry.get(name)


def load_rows(path):
    """The median of each benchmark's repetitions (or its one run), by key."""
    with open(path) as f:
        data = json.load(f)
    chosen = {}
    for entry in data["benchmarks"]:
        aggregate = entry.get("aggregate_name")
        if entry.get("run_type") == "aggregate" and aggregate != "median":
            if aggregate == "cv":
                chosen.setdefault(entry["run_name"] + "#cv", entry)
            continue
        # An aggregate median replaces the repetitions it summarizes.
        if aggregate == "median" or entry["run_name"] not in chosen:
            chosen[entry["run_name"]] = entry
    rows, spread = {}, {}
    for name, entry in chosen.items():
        if name.endswith("#cv"):
            spread[name[:-3]] = entry.get("items_per_second")
        else:
            row = Row(entry)
            rows[row.key()] = row
    return data.get("context", {}), rows, spread


def load_instructions(path):
    """Instructions per call, by (operation, engine, queue)."""
    counts = {}
    try:
        with open(path) as f:
            for line in f:
                operation, engine, queue, per_call = line.split()
                counts[(operation, engine, int(queue))] = float(per_call)
    except FileNotFoundError:
        pass
    return counts


class Report:
    def __init__(self, rows, instructions):
        self.rows = rows
        self.instructions = instructions

    def find(self, sweep, operation, engine, threads=1, dispatchers=None, queue=None, written=False):
        for row in self.rows.values():
            if (row.sweep, row.operation, row.engine, row.threads, row.written) == (sweep, operation, engine, threads, written) \
                    and (dispatchers is None or row.dispatchers == dispatchers) and (queue is None or row.queue == queue):
                return row
        return None

    # ---- The lines of the report.

    @staticmethod
    def verdict(ok, text):
        print(("PASS  " if ok else "MISS  ") + text)

    @staticmethod
    def missing(text):
        print("n/a   " + text + ": not measured at this scale")

    def ratios_by_queue(self, sweep, operation, baseline, target):
        """Time of the library's row over the baseline's at each queue length."""
        parts, ok = [], True
        for queue in QUEUES:
            lib = self.find(sweep, operation, LIBRARY, queue=queue)
            base = self.find(sweep, operation, baseline, queue=queue)
            if not lib or not base or not lib.ns_per_op() or not base.ns_per_op():
                return None, False
            ratio = lib.ns_per_op() / base.ns_per_op()
            ok = ok and ratio <= target
            parts.append(f"{queue}: {ratio:.2f}x ({lib.ns_per_op():.0f} vs {base.ns_per_op():.0f} ns)")
        return "; ".join(parts), ok

    def against_hand_written(self, sweep, operation):
        text, ok = self.ratios_by_queue(sweep, operation, HAND_WRITTEN, 1.5)
        where = f"{operation} vs hand-written, time, by queue length"
        self.verdict(ok, f"{where}: {text} (target: at most 1.5x)") if text else self.missing(where)
        parts, ok = [], True
        for queue in QUEUES:
            lib = self.instructions.get((operation, LIBRARY, queue))
            base = self.instructions.get((operation, HAND_WRITTEN, queue))
            if lib is None or base is None:
                return self.missing(f"{operation} vs hand-written, instructions")
            ok = ok and lib / base <= 1.5
            parts.append(f"{queue}: {lib / base:.2f}x ({lib:,.0f} vs {base:,.0f})")
        self.verdict(ok, f"{operation} vs hand-written, instructions (callgrind), by queue length: "
                         + "; ".join(parts) + " (target: at most 1.5x)")

    def faster_than_port(self):
        parts, ok = [], True
        for queue in QUEUES:
            lib = self.find("queue_length", "dispatch_next_task", LIBRARY, queue=queue)
            port = self.find("queue_length", "dispatch_next_task", "port", queue=queue)
            if not lib or not port:
                return self.missing("dispatch_next_task vs the port")
            speedup = port.ns_per_op() / lib.ns_per_op()
            ok = ok and speedup >= 10
            parts.append(f"{queue}: {speedup:.1f}x")
        self.verdict(ok, "dispatch_next_task at least 10x faster than the port, by queue length: " + "; ".join(parts))

    def at_most(self, where, costlier, cheaper, target):
        if not costlier or not cheaper:
            return self.missing(where)
        ratio = costlier.ns_per_op() / cheaper.ns_per_op()
        self.verdict(ratio <= target, f"{where}: {costlier.ns_per_op():.0f} vs {cheaper.ns_per_op():.0f} ns = "
                                      f"{ratio:.2f}x (target: at most {target:g}x)")

    def flat(self):
        self.at_most("dispatch_next_task per task, queue 10000 vs 100",
                     self.find("queue_length", "dispatch_next_task", LIBRARY, queue=10_000),
                     self.find("queue_length", "dispatch_next_task", LIBRARY, queue=100), 2)
        lib = [self.find("queue_length", "assign_next_task", LIBRARY, queue=q) for q in QUEUES]
        if all(lib):
            print("info  assign_next_task by queue length (the caller's std::vector of ids moves; no target): "
                  + "; ".join(f"{q}: {r.ns_per_op():.0f} ns" for q, r in zip(QUEUES, lib)))

    def allocations(self):
        row = self.find("queue_length", "dispatch_next_task", LIBRARY, queue=100)
        if not row:
            return self.missing("heap allocations per dispatch_next_task")
        self.verdict(row.counter("allocs_per_op") <= 4,
                     f"heap allocations per dispatch_next_task, queue 100: {row.counter('allocs_per_op'):.2f} (target: at most 4)")

    def machine_scaling(self, threads):
        one = self.find("machine", "busy_loop", "", 1)
        many = self.find("machine", "busy_loop", "", threads)
        return many.ops_per_s() / one.ops_per_s() if one and many else None

    def thread_target(self, where, sweep, threads, target):
        one = self.find(sweep, "dispatch_next_task", LIBRARY, 1)
        many = self.find(sweep, "dispatch_next_task", LIBRARY, threads)
        hand_one = self.find(sweep, "dispatch_next_task", HAND_WRITTEN, 1)
        hand_many = self.find(sweep, "dispatch_next_task", HAND_WRITTEN, threads)
        machine = self.machine_scaling(2)
        if not one or not many or machine is None:
            return self.missing(where)
        ratio = many.ops_per_s() / one.ops_per_s()
        text = (f"{where}: {ratio:.2f}x (target: at least {target:g}x) [busy loop on 2 threads: {machine:.2f}x"
                + (f"; hand-written: {hand_many.ops_per_s() / hand_one.ops_per_s():.2f}x" if hand_one and hand_many else "")
                + "]")
        if machine < MACHINE_SCALES:
            print(f"skip  {text}: not judged, the machine did not scale")
        else:
            self.verdict(ratio >= target, text)

    def memory(self):
        row = self.find("memory", "memory", LIBRARY)
        if not row:
            return self.missing("memory per dispatcher")
        self.verdict(row.counter("bytes_per_dispatcher") <= 600,
                     f"memory per dispatcher at {row.dispatchers} dispatchers: {row.counter('bytes_per_dispatcher'):.0f} bytes (target: at most 600)")

    def task_groups(self):
        self.at_most("task groups of 10 with 2 hosts vs single-task groups, dispatch and finish per task",
                     self.find("task_groups", "dispatch_and_finish", LIBRARY + "/groups"),
                     self.find("task_groups", "dispatch_and_finish", LIBRARY + "/singles"), 1.2)

    def long_run(self):
        row = self.find("long_run", "long_run", LIBRARY)
        if not row:
            return self.missing("memory of a long run")
        ratio = row.counter("bytes") / row.counter("early_bytes")
        self.verdict(ratio <= 1.1, f"memory of a long run, events drained: {row.counter('bytes'):.0f} bytes after "
                                   f"{row.dispatchers} task lives vs {row.counter('early_bytes'):.0f} after "
                                   f"{row.counter('early_dispatches'):.0f} = {ratio:.2f}x (target: at most 1.1x)")

    def sqlite_queue_rows(self):
        counts = [self.find("group_allocate", "allocate_into_group", "sqlite_store", queue=q, written=True) for q in QUEUES]
        if not all(counts):
            return self.missing("dispatcher_queue rows per allocate into a task group, sqlite_store")
        self.verdict(all(c.counter("dispatcher_queue") == 1 for c in counts),
                     "dispatcher_queue rows written per allocate into a task group, sqlite_store, by queue length: "
                     + "; ".join(f"{q}: {c.counter('dispatcher_queue'):.2f}" for q, c in zip(QUEUES, counts))
                     + " (target: exactly 1)")

    def rescue(self, engine):
        rows = sorted((r for r in self.rows.values() if r.sweep == "rescue" and r.engine == engine), key=lambda r: r.pods)
        if len(rows) < 2:
            return self.missing(f"rescue_stale_pods, {engine}")
        self.at_most(f"rescue_stale_pods of 10 stale pods, {engine}, among {rows[-1].pods} live vs {rows[0].pods}",
                     rows[-1], rows[0], 1.5)
        many = self.instructions.get(("rescue_stale_pods", engine, rows[-1].pods))
        few = self.instructions.get(("rescue_stale_pods", engine, rows[0].pods))
        if many and few:
            # The work itself: what the ratio of times has beyond this is cache misses.
            print(f"info  rescue_stale_pods of 10 stale pods, {engine}, instructions (callgrind) among "
                  f"{rows[-1].pods} live vs {rows[0].pods}: {many:,.0f} vs {few:,.0f} = {many / few:.2f}x")

    def targets(self, bench_status):
        print("\n== targets")
        self.verdict(bench_status == 0, "every task dispatched exactly once, in every row (4 threads racing included)"
                     + ("" if bench_status == 0 else f": the benchmark program failed ({bench_status})"))
        self.against_hand_written("queue_length", "dispatch_next_task")
        self.against_hand_written("group_allocate", "allocate_into_group")
        self.faster_than_port()
        self.flat()
        self.allocations()
        self.thread_target("dispatch_next_task, 2 threads on separate dispatchers vs 1", "threads_separate", 2, 1.5)
        self.thread_target("dispatch_next_task, 4 threads racing on one dispatcher vs 1", "threads_one_dispatcher", 4, 0.8)
        self.memory()
        self.task_groups()
        self.long_run()
        self.sqlite_queue_rows()
        for engine in (LIBRARY, "sqlite_store"):
            self.rescue(engine)


CSV_COLUMNS = ["store", "sweep", "operation", "engine", "layout", "threads", "dispatchers", "queue_length",
               "pods_per_dispatcher", "median_ns_per_op", "cv_percent", "ops_per_s", "allocations_per_op",
               "conflicts_per_op", "x_hand_written", "x_floor", "x_port", "counters"]


def layout(row):
    if row.threads == 1:
        return "single"
    return "one-dispatcher" if row.sweep == "threads_one_dispatcher" else "separate"


def csv_line(report, row, spread):
    def ratio(baseline):
        if row.engine != LIBRARY or not row.ns_per_op():
            return ""
        operation = "dispatch_next_task" if row.operation == "assign_next_task" and baseline != HAND_WRITTEN else row.operation
        base = report.find(row.sweep, operation, baseline, row.threads, row.dispatchers, row.queue)
        return f"{row.ns_per_op() / base.ns_per_op():.4g}" if base and base.ns_per_op() else ""

    known = {"name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
             "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit", "aggregate_name",
             "aggregate_unit", "items_per_second", "allocs_per_op", "conflicts_per_op"}
    counters = " ".join(f"{k}={v:.6g}" for k, v in sorted(row.entry.items()) if k not in known)
    cv = spread.get(row.entry["run_name"])
    return [LIBRARY, row.sweep, row.operation, row.engine, layout(row), row.threads, row.dispatchers, row.queue,
            row.pods, f"{row.ns_per_op():.6g}" if row.ns_per_op() else "", f"{100 * cv:.3g}" if cv else "",
            f"{row.ops_per_s():.6g}" if row.ops_per_s() else "", f"{row.counter('allocs_per_op'):.4g}"
            if row.counter("allocs_per_op") is not None else "", f"{row.counter('conflicts_per_op'):.4g}"
            if row.counter("conflicts_per_op") is not None else "", ratio(HAND_WRITTEN), ratio("floor"),
            ratio("port"), counters]


def print_table(report):
    print(f"{'row':<92} {'ns/op':>10} {'x hand':>7} {'x floor':>8} {'x port':>7}")
    for row in report.rows.values():
        if row.ns_per_op() and not row.written:
            line = csv_line(report, row, {})
            name = re.sub(r"/(manual_time|real_time)", "", row.entry["run_name"])
            print(f"{name:<92} {row.ns_per_op():>10.0f} {line[14]:>7} {line[15]:>8} {line[16]:>7}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_json")
    parser.add_argument("instructions")
    parser.add_argument("csv")
    parser.add_argument("--bench-status", type=int, default=0)
    args = parser.parse_args()
    context, rows, spread = load_rows(args.bench_json)
    report = Report(rows, load_instructions(args.instructions))
    print_table(report)
    report.targets(args.bench_status)
    with open(args.csv, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(CSV_COLUMNS)
        for row in rows.values():
            out.writerow(csv_line(report, row, spread))
    print(f"\nresults written to {args.csv} (scale: {context.get('scale', '?')}, build: {context.get('build_type', '?')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
