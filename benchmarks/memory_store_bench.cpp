// The benchmark suite for MemoryStore, next to the baselines, on Google Benchmark.
//
//   pod_dispatcher_bench [--quick] [Google Benchmark's flags]
//
// --quick runs every row at small sizes for a moment each: a test that fails only when an
// operation misbehaves (a task lost or handed out twice), never on a timing. Every run
// fails on such a correctness failure. benchmarks/run.sh runs the full suite and reports.

#include "support/rows.hpp"

#include <pod_dispatcher/memory_store.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#ifndef POD_DISPATCHER_BENCH_BUILD_TYPE
#define POD_DISPATCHER_BENCH_BUILD_TYPE "unknown"
#endif

int main(int argc, char** argv)
{
    namespace bench = pod_dispatcher::bench;
    std::vector<char*> args(argv, argv + argc);
    const bool quick = std::erase_if(args, [](const char* arg) { return std::string_view(arg) == "--quick"; }) > 0;
    // Google Benchmark takes the last of a flag given twice: the caller's wins.
    std::string brief = "--benchmark_min_time=0.001";
    if (quick) {
        args.insert(args.begin() + 1, brief.data());
    }
    bench::Rows<pod_dispatcher::MemoryStore>{"memory_store", quick ? bench::quick_scale() : bench::full_scale()}.add();
    benchmark::AddCustomContext("scale", quick ? "quick" : "full");
    benchmark::AddCustomContext("build_type", POD_DISPATCHER_BENCH_BUILD_TYPE);
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) {
        return 2;
    }
    benchmark::RunSpecifiedBenchmarks();
    bench::Holder::claim(nullptr); // checks the last row's store
    benchmark::Shutdown();
    return bench::Problems::all().report();
}
