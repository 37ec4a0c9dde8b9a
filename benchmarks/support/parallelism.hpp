#ifndef POD_DISPATCHER_BENCH_PARALLELISM_HPP
#define POD_DISPATCHER_BENCH_PARALLELISM_HPP

// A control for the thread results: how much parallel work the machine allows right now,
// measured with a busy loop that shares nothing between threads.

#include "support/measure.hpp"

#include <cstddef>
#include <cstdint>
#include <latch>
#include <thread>
#include <vector>

namespace pod_dispatcher::bench {

inline void busy_work()
{
    std::uint64_t x = 1;
    for (int i = 0; i < 20'000'000; ++i) {
        x = x * 6364136223846793005u + 1442695040888963407u;
    }
    keep(x);
}

inline Clock::duration time_busy_work(std::size_t threads)
{
    std::latch go{1};
    const auto start = Clock::now();
    {
        std::vector<std::jthread> workers;
        for (std::size_t i = 0; i < threads; ++i) {
            workers.emplace_back([&go] {
                go.wait();
                busy_work();
            });
        }
        go.count_down();
    }
    return Clock::now() - start;
}

/// How many threads' worth of work `threads` threads got done, compared with one: 2.0 for
/// two threads on two idle processors, nearer 1.0 when other processes hold them.
inline double machine_parallelism(std::size_t threads)
{
    const auto one = time_busy_work(1);
    const auto many = time_busy_work(threads);
    return static_cast<double>(threads) * static_cast<double>(one.count()) / static_cast<double>(many.count());
}

} // namespace pod_dispatcher::bench

#endif
