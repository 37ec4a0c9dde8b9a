#ifndef POD_DISPATCHER_BENCH_REPORT_HPP
#define POD_DISPATCHER_BENCH_REPORT_HPP

// Results as they come: a table on stdout, every library result as a ratio to the two
// baselines measured at the same point, and all of it to a CSV file at the end.

#include "support/long_run.hpp"
#include "support/measure.hpp"
#include "support/written.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

inline constexpr std::string_view floor_engine = "floor";
inline constexpr std::string_view port_engine = "port";
/// SqliteStore, measured beside the library store where the benchmarks are built with it.
inline constexpr std::string_view sqlite_engine = "sqlite_store";

/// A measurement as reported: its ratios to the baselines (cost over cost, so lower is
/// better), or the heap bytes per dispatcher for a memory row; and what each call wrote,
/// where the store counted it.
struct Row {
    std::string sweep;
    Measurement m;
    std::optional<double> x_floor;
    std::optional<double> x_port;
    std::optional<double> bytes_per_dispatcher;
    WrittenPerCall written{};
};

/// The baseline operation a library operation is compared with.
inline std::string baseline_operation(const std::string& operation)
{
    return operation == "assign_next_task" ? "dispatch_next_task" : operation;
}

inline bool same_point(const Point& a, const Point& b)
{
    return a.operation == b.operation && a.engine == b.engine && a.threads == b.threads && a.layout == b.layout &&
           a.shape.dispatchers == b.shape.dispatchers && a.shape.queue_length == b.shape.queue_length &&
           a.shape.pods == b.shape.pods;
}

class Report {
public:
    explicit Report(std::string store) : store_(std::move(store)) {}

    /// Starts a group of measurements: `sweep` names it in the CSV, `title` on stdout.
    void section(std::string sweep, const std::string& title)
    {
        sweep_ = std::move(sweep);
        std::printf("\n== %s\n%-20s %-12s %-14s %3s %9s %6s %4s %11s %6s %12s %7s %7s %8s %8s\n", title.c_str(),
                    "operation", "engine", "layout", "thr", "dispatch.", "queue", "pods", "ns/op", "iqr%", "ops/s",
                    "confl/s", "allocs", "x floor", "x port");
    }

    void add(const Measurement& m, WrittenPerCall written = {})
    {
        rows_.push_back(
            Row{sweep_, m, ratio_to(m, floor_engine), ratio_to(m, port_engine), std::nullopt, std::move(written)});
        print(rows_.back());
    }

    void add_memory(const Point& point, double bytes)
    {
        Row row{sweep_, Measurement{point}, std::nullopt, std::nullopt, bytes};
        for (std::string_view baseline : {floor_engine, port_engine}) {
            if (const Row* base = find_memory(baseline); base != nullptr && point.engine != baseline) {
                (baseline == floor_engine ? row.x_floor : row.x_port) = bytes / *base->bytes_per_dispatcher;
            }
        }
        rows_.push_back(row);
        std::printf("%-20s %-12s %9zu dispatchers: %8.0f bytes each%s\n", point.operation.c_str(),
                    point.engine.c_str(), point.shape.dispatchers, bytes, ratio_text(rows_.back()).c_str());
    }

    /// The heap in use early in a long run and at its end, and what draining cost.
    void add_long_run(const std::string& engine, const LongRun& run)
    {
        const auto heap_row = [&](std::size_t dispatches, double bytes) {
            return Row{sweep_, Measurement{Point{"long_run_heap_bytes", engine, 1, Layout::separate, Shape{dispatches, 1, 1}}},
                       std::nullopt, std::nullopt, bytes};
        };
        rows_.push_back(heap_row(run.early_dispatches, run.early_bytes));
        rows_.push_back(heap_row(run.dispatches, run.bytes));
        Measurement drain{Point{"long_run_drain", engine, 1, Layout::separate, Shape{run.dispatches, 1, 1}}, 1, run.dispatches};
        drain.median_ns = drain.q1_ns = drain.q3_ns = run.drain_ns_per_dispatch;
        rows_.push_back(Row{sweep_, drain, std::nullopt, std::nullopt, std::nullopt});
        std::printf("heap in use after %zu dispatches: %.0f bytes; after %zu: %.0f bytes (%.2fx)\n",
                    run.early_dispatches, run.early_bytes, run.dispatches, run.bytes, run.bytes / run.early_bytes);
        std::printf("draining events and forgetting finished work: %.0f ns per dispatch (a task's whole life: %.0f ns)\n",
                    run.drain_ns_per_dispatch, run.cycle_ns);
    }

    /// The long run's heap rows: early, then late.
    std::pair<const Row*, const Row*> long_run(std::string_view engine) const
    {
        std::pair<const Row*, const Row*> found{nullptr, nullptr};
        for (const Row& row : rows_) {
            if (row.m.point.operation == "long_run_heap_bytes" && row.m.point.engine == engine) {
                (found.first == nullptr ? found.first : found.second) = &row;
            }
        }
        return found;
    }

    const Row* find(const Point& point) const
    {
        for (const Row& row : rows_) {
            if (same_point(row.m.point, point) && !row.bytes_per_dispatcher) {
                return &row;
            }
        }
        return nullptr;
    }

    /// Records how much parallel work the machine allowed `threads` threads during the run.
    void add_parallelism(std::size_t threads, double parallelism)
    {
        parallelism_[threads] = parallelism;
        std::printf("control: %zu threads of a busy loop did %.2fx the work of one\n", threads, parallelism);
    }

    std::optional<double> parallelism(std::size_t threads) const
    {
        const auto it = parallelism_.find(threads);
        return it == parallelism_.end() ? std::nullopt : std::optional<double>{it->second};
    }

    const Row* find_memory(std::string_view engine) const
    {
        for (const Row& row : rows_) {
            if (row.bytes_per_dispatcher && row.m.point.engine == engine && row.m.point.operation == "memory") {
                return &row;
            }
        }
        return nullptr;
    }

    void write_csv(const std::string& path) const
    {
        std::ofstream out(path);
        if (!out) {
            throw std::runtime_error("cannot write " + path);
        }
        out << "store,sweep,operation,engine,layout,threads,dispatchers,queue_length,pods_per_dispatcher,repeats,"
               "ops_per_repeat,median_ns_per_op,q1_ns_per_op,q3_ns_per_op,ops_per_s,conflicts_per_success,"
               "allocations_per_op,x_floor,x_port,bytes,written_per_op\n";
        for (const Row& row : rows_) {
            out << csv_line(row) << '\n';
        }
    }

private:
    std::string csv_line(const Row& row) const
    {
        const Point& p = row.m.point;
        std::vector<std::string> fields{store_,
                                        row.sweep,
                                        p.operation,
                                        p.engine,
                                        name_of(p.layout, p.threads),
                                        std::to_string(p.threads),
                                        std::to_string(p.shape.dispatchers),
                                        std::to_string(p.shape.queue_length),
                                        std::to_string(p.shape.pods)};
        const std::vector<std::string> timing = timing_fields(row.m);
        fields.insert(fields.end(), timing.begin(), timing.end());
        fields.insert(fields.end(), {text(row.x_floor), text(row.x_port), text(row.bytes_per_dispatcher),
                                     written_text(row.written, "=", " ")});
        std::string line;
        for (const std::string& field : fields) {
            line += (line.empty() ? "" : ",") + field;
        }
        return line;
    }

    /// Repeats, operations per repeat, median, quartiles, ops/s, conflicts per success and
    /// allocations per operation; empty for a memory row.
    static std::vector<std::string> timing_fields(const Measurement& m)
    {
        if (m.repeats == 0) {
            return std::vector<std::string>(8);
        }
        return {std::to_string(m.repeats),       std::to_string(m.ops_per_repeat), text(m.median_ns),
                text(m.q1_ns),                   text(m.q3_ns),                    text(m.ops_per_second()),
                text(m.conflicts_per_success),   text(m.allocations_per_op)};
    }

    std::optional<double> ratio_to(const Measurement& m, std::string_view baseline) const
    {
        if (m.point.engine == floor_engine || m.point.engine == port_engine) {
            return std::nullopt;
        }
        Point base = m.point;
        base.operation = baseline_operation(m.point.operation);
        base.engine = baseline;
        const Row* row = find(base);
        return row == nullptr ? std::nullopt : std::optional<double>{m.median_ns / row->m.median_ns};
    }

    static std::string text(double value)
    {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.6g", value);
        return buffer;
    }

    static std::string text(const std::optional<double>& value) { return value ? text(*value) : std::string{}; }

    /// "what=count" for each count, joined by separator: one CSV field, free of commas.
    static std::string written_text(const WrittenPerCall& written, const char* equals, const char* separator)
    {
        std::string joined;
        for (const auto& [what, count] : written) {
            joined += (joined.empty() ? "" : separator) + what + equals + text(count);
        }
        return joined;
    }

    static std::string ratio_text(const Row& row)
    {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, " %8s %8s", row.x_floor ? format(*row.x_floor).c_str() : "-",
                      row.x_port ? format(*row.x_port).c_str() : "-");
        return buffer;
    }

    static std::string format(double ratio)
    {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, ratio < 0.1 ? "%.3fx" : "%.2fx", ratio);
        return buffer;
    }

    static void print(const Row& row)
    {
        const Measurement& m = row.m;
        const Point& p = m.point;
        const double spread = m.median_ns > 0 ? 100.0 * (m.q3_ns - m.q1_ns) / m.median_ns : 0;
        std::printf("%-20s %-12s %-14s %3zu %9zu %6zu %4zu %11.0f %5.1f%% %12.0f %7.3f %7.2f%s\n",
                    p.operation.c_str(), p.engine.c_str(), name_of(p.layout, p.threads), p.threads,
                    p.shape.dispatchers, p.shape.queue_length, p.shape.pods, m.median_ns, spread, m.ops_per_second(),
                    m.conflicts_per_success, m.allocations_per_op, ratio_text(row).c_str());
        if (!row.written.empty()) {
            std::printf("%20s written per call: %s\n", "", written_text(row.written, " ", ", ").c_str());
        }
        std::fflush(stdout);
    }

    std::string store_;
    std::string sweep_;
    std::vector<Row> rows_;
    std::map<std::size_t, double> parallelism_;
};

} // namespace pod_dispatcher::bench

#endif
