// A dispatch loop to run under a profiler, where timings are too noisy to compare two
// builds: instruction counts are not.
//
//   valgrind --tool=callgrind --toggle-collect='*profiled_dispatch*' PROGRAM 2
//
// (PROGRAM: build-bench/benchmarks/pod_dispatcher_dispatch_profile after benchmarks/run.sh)
// gives the instructions of 2 x 10 000 dispatch_next_task calls on MemoryStore (100
// dispatchers of 100 tasks and pods, each pod asking once), seeding left out.

#include "support/seeding.hpp"

#include <pod_dispatcher/memory_store.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace bench = pod_dispatcher::bench;
using pod_dispatcher::MemoryStore;

// Not inlined, so that a profiler can collect this function alone.
[[gnu::noinline]] pod_dispatcher::Result<std::optional<pod_dispatcher::Task>> profiled_dispatch(MemoryStore& store,
                                                                                                const std::string& pod)
{
    return pod_dispatcher::dispatch_next_task(store, pod);
}

int main(int argc, char** argv)
{
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
    const bench::Shape shape{100, 100, 100};
    double nanoseconds = 0;
    std::size_t dispatched = 0;
    for (int round = 0; round < rounds; ++round) {
        MemoryStore store;
        bench::seed(store, shape);
        std::vector<std::string> pods;
        for (std::size_t d = 0; d < shape.dispatchers; ++d) {
            for (std::size_t p = 0; p < shape.pods; ++p) {
                pods.push_back(bench::pod_id(d, p));
            }
        }
        const auto start = std::chrono::steady_clock::now();
        for (const std::string& pod : pods) {
            const auto task = profiled_dispatch(store, pod);
            if (!task || !task.value()) {
                std::fprintf(stderr, "no task for %s\n", pod.c_str());
                return 1;
            }
            ++dispatched;
        }
        nanoseconds += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    }
    std::printf("%zu dispatches, %.0f ns each\n", dispatched, dispatched > 0 ? nanoseconds / dispatched : 0.0);
    return 0;
}
