#ifndef POD_DISPATCHER_TESTING_SUITES_RANDOM_INTERLEAVINGS_HPP
#define POD_DISPATCHER_TESTING_SUITES_RANDOM_INTERLEAVINGS_HPP

// Seeded random interleavings of allocate, dispatch_next_task, assign_next_task,
// remove_pod, finish_task, task deactivation and pod start-up from several threads, each
// followed by an audit of the final store: no task handed out twice, none lost, no pod
// running two tasks, queues without duplicates, modification counts that only grow,
// events that agree with the final state, and task groups that keep their pod caps,
// their order, and (with a single host) one task at a time, stopping at a failure.
//
// InterleavingOptions (interleaving_options.hpp) sizes it; POD_DISPATCHER_SEED and
// POD_DISPATCHER_SOAK_ITERATIONS replay a seed and soak.

#include <pod_dispatcher/testing/detail/interleaving_actor.hpp>
#include <pod_dispatcher/testing/detail/interleaving_audit.hpp>
#include <pod_dispatcher/testing/detail/interleaving_world.hpp>
#include <pod_dispatcher/testing/interleaving_options.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

inline std::optional<std::uint64_t> env_number(const char* name)
{
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::strtoull(value, nullptr, 10);
}

/// Which seeds to run: a replay runs one given seed, a soak a given number whatever the
/// budget, CI as many as the options allow within theirs.
struct SeedPlan {
    std::uint64_t first;
    std::uint64_t iterations;
    bool soak;

    static SeedPlan from_environment(const InterleavingOptions& options)
    {
        const auto seed = env_number("POD_DISPATCHER_SEED");
        const auto soak = env_number("POD_DISPATCHER_SOAK_ITERATIONS");
        return SeedPlan{seed.value_or(std::random_device{}()), soak.value_or(seed ? 1 : options.iterations),
                        soak.has_value()};
    }
};

/// Runs one seeded interleaving on a fresh store and returns the invariants it broke;
/// adds how each call ended to outcomes.
template <StoreMaker M>
std::vector<std::string> interleave(std::uint64_t run_seed, const InterleavingOptions& options,
                                    std::map<std::string, int>& outcomes)
{
    using S = store_of<M>;
    auto store = M::make();
    const World world = seed_world(*store, run_seed, options);
    PodRegistry pods{world};
    std::vector<Actor<S>> actors;
    actors.reserve(static_cast<std::size_t>(options.threads));
    for (int i = 0; i < options.threads; ++i) {
        actors.emplace_back(*store, world, pods, run_seed, i);
    }
    std::latch start{options.threads};
    std::vector<std::jthread> threads;
    for (Actor<S>& actor : actors) {
        threads.emplace_back([&start, &actor, &options] {
            start.arrive_and_wait();
            actor.run(options.operations_per_thread);
        });
    }
    threads.clear();
    std::vector<ThreadLog> logs;
    for (Actor<S>& actor : actors) {
        for (const auto& [outcome, n] : actor.log().outcomes) {
            outcomes[outcome] += n;
        }
        logs.push_back(std::move(actor.log()));
    }
    return Audit{contents_of(*store), world, logs, store->rolls_back()}.run();
}

} // namespace detail

template <StoreMaker M>
void random_interleavings_suite()
{
    const InterleavingOptions options = interleaving_options_of<M>();
    const detail::SeedPlan plan = detail::SeedPlan::from_environment(options);
    if (!M::make()->rolls_back()) {
        WARN(detail::Audit::unchecked_without_rollback);
    }
    const auto started = std::chrono::steady_clock::now();
    const auto within_budget = [&] { return std::chrono::steady_clock::now() - started < options.budget; };
    std::map<std::string, int> outcomes;
    std::uint64_t done = 0;
    while (done < plan.iterations && (plan.soak || done == 0 || within_budget())) {
        const std::uint64_t seed = plan.first + done++;
        INFO("replay with POD_DISPATCHER_SEED=" << seed);
        std::ostringstream report;
        for (const std::string& v : detail::interleave<M>(seed, options, outcomes)) {
            report << "\n  " << v;
        }
        INFO("invariants broken:" << report.str());
        REQUIRE(report.str().empty());
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "random interleavings: " << done << " iterations of " << options.threads << " threads x "
              << options.operations_per_thread << " operations, seeds " << plan.first << ".."
              << plan.first + done - 1 << ", " << seconds << " s\n";
    for (const auto& [outcome, n] : outcomes) {
        std::cout << "  " << outcome << ": " << n << '\n';
    }
}

} // namespace pod_dispatcher::testing

#endif
