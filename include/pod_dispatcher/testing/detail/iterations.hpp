#ifndef POD_DISPATCHER_TESTING_DETAIL_ITERATIONS_HPP
#define POD_DISPATCHER_TESTING_DETAIL_ITERATIONS_HPP

// Which iterations a race suite runs, as InterleavingOptions and the environment say, and
// running them.

#include <pod_dispatcher/testing/interleaving_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>

namespace pod_dispatcher::testing::detail {

inline std::optional<std::uint64_t> env_number(const char* name)
{
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::strtoull(value, nullptr, 10);
}

/// A replay runs one given seed, a soak a given number whatever the budget; otherwise
/// the options say.
struct IterationPlan {
    std::uint64_t first_seed;
    std::uint64_t at_least;
    std::uint64_t at_most;
    std::chrono::milliseconds budget;

    static IterationPlan from_environment(const InterleavingOptions& options)
    {
        const auto seed = env_number("POD_DISPATCHER_SEED");
        const auto soak = env_number("POD_DISPATCHER_SOAK_ITERATIONS");
        const std::uint64_t first = seed.value_or(std::random_device{}());
        if (soak || seed) {
            const std::uint64_t n = soak.value_or(1);
            return IterationPlan{first, n, n, options.budget};
        }
        return IterationPlan{first, std::min(options.min_iterations, options.iterations), options.iterations,
                             options.budget};
    }
};

/// How many iterations ran, from which seed, in how long.
struct IterationsRun {
    std::uint64_t first_seed = 0;
    std::uint64_t count = 0;
    double seconds = 0;
};

/// Calls iteration(seed) for consecutive seeds from plan.first_seed: plan.at_least times,
/// then while plan.budget lasts, at most plan.at_most times in all.
template <class Iteration>
IterationsRun run_iterations(const IterationPlan& plan, Iteration&& iteration)
{
    const auto started = std::chrono::steady_clock::now();
    const auto within_budget = [&] { return std::chrono::steady_clock::now() - started < plan.budget; };
    IterationsRun run{plan.first_seed};
    while (run.count < plan.at_most && (run.count < plan.at_least || within_budget())) {
        iteration(plan.first_seed + run.count++);
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return run;
}

} // namespace pod_dispatcher::testing::detail

#endif
