#ifndef POD_DISPATCHER_BENCH_MAIN_HPP
#define POD_DISPATCHER_BENCH_MAIN_HPP

// The command line both benchmark programs share.
//
//   --quick       a few seconds, smaller sizes (for CI: it fails only on correctness)
//   --csv PATH    where the results go (default: bench-results.csv)

#include "support/suite.hpp"
#include "support/targets.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef POD_DISPATCHER_BENCH_BUILD_TYPE
#define POD_DISPATCHER_BENCH_BUILD_TYPE "unknown"
#endif

namespace pod_dispatcher::bench {

struct Options {
    bool quick = false;
    std::string csv = "bench-results.csv";
};

inline bool parse(int argc, char** argv, Options& options)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--quick") {
            options.quick = true;
        } else if (arg == "--csv" && i + 1 < argc) {
            options.csv = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--quick] [--csv PATH]\n", argv[0]);
            return false;
        }
    }
    return true;
}

/// The one-minute load average, or a negative number where the system does not say.
inline double load_average()
{
    double load = -1;
    if (std::FILE* file = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(file, "%lf", &load) != 1) {
            load = -1;
        }
        std::fclose(file);
    }
    return load;
}

/// Says so when other processes compete for the processors: timings are then noisy, and
/// thread scaling cannot show.
inline void print_load_before()
{
    const double load = load_average();
    const unsigned processors = std::thread::hardware_concurrency();
    std::printf("load average before the run: %.2f on %u processors%s\n", load, processors,
                load > 0.5 * processors ? " -- the machine is busy: expect noisy timings and poor thread scaling"
                                        : "");
}

inline void print_header(const std::string& engine, const Options& options)
{
    std::printf("pod_dispatcher benchmarks: %s, %s mode, %s build, %u hardware threads\n", engine.c_str(),
                options.quick ? "quick" : "full", POD_DISPATCHER_BENCH_BUILD_TYPE,
                std::thread::hardware_concurrency());
#ifndef NDEBUG
    std::printf("warning: assertions are on; configure with -DCMAKE_BUILD_TYPE=Release for real numbers\n");
#endif
    print_load_before();
    std::printf("ns/op: median over repeats of wall time per operation, all threads together; iqr%%: spread\n"
                "of the middle half of repeats; x floor, x port: cost relative to the baselines (lower is better)\n");
}

/// Prints the correctness failures (the first few of them); 1 if there were any.
inline int report_problems(const std::vector<std::string>& problems)
{
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < std::min(shown, problems.size()); ++i) {
        std::printf("CORRECTNESS FAILURE: %s\n", problems[i].c_str());
    }
    if (problems.size() > shown) {
        std::printf("... and %zu more correctness failures\n", problems.size() - shown);
    }
    return problems.empty() ? 0 : 1;
}

/// Runs the suite for one library store at scale(quick); exits non-zero only when an
/// operation misbehaved.
template <class S, class ScaleFor>
int run_benchmarks(int argc, char** argv, const std::string& engine, StoreFactory<S> make, ScaleFor scale_for)
{
    Options options;
    if (!parse(argc, argv, options)) {
        return 2;
    }
    print_header(engine, options);
    try {
        const Scale scale = scale_for(options.quick);
        Report report{engine};
        Suite<S> suite{engine, std::move(make), scale, report};
        suite.run();
        report.write_csv(options.csv);
        Targets{report, scale, engine}.print();
        std::printf("load average after the run (this run included): %.2f\n", load_average());
        std::printf("\nresults written to %s\n", options.csv.c_str());
        return report_problems(suite.problems());
    } catch (const std::exception& e) {
        std::printf("benchmark failed: %s\n", e.what());
        return 1;
    }
}

} // namespace pod_dispatcher::bench

#endif
