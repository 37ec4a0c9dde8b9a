#ifndef POD_DISPATCHER_TESTING_SUITES_RANDOM_INTERLEAVINGS_HPP
#define POD_DISPATCHER_TESTING_SUITES_RANDOM_INTERLEAVINGS_HPP

// Seeded random interleavings of allocate, dispatch_next_task, assign_next_task,
// remove_pod, finish_task, task deactivation, and pods that start, make themselves heard,
// die (terminate_pod) and go stale (rescue_stale_pods) while a scheduler allocates their
// stranded tasks again, from several threads; each followed by an audit of the final store
// against the invariants (invariants.hpp) and what the threads were handed: no task handed
// out twice, none lost or left behind, none on a terminated pod or on two live pods, no
// late report of a terminated pod taken, a stranded task restarted at most
// max_stranded_restarts times, events that agree with the final state, and task groups
// that keep their pod caps, their order, and (with a single host) one task at a time,
// stopping at a failure.
//
// InterleavingOptions (interleaving_options.hpp) sizes it and says how many iterations
// run; POD_DISPATCHER_SEED and POD_DISPATCHER_SOAK_ITERATIONS replay a seed and soak.

#include <pod_dispatcher/testing/detail/interleaving_actor.hpp>
#include <pod_dispatcher/testing/detail/interleaving_audit.hpp>
#include <pod_dispatcher/testing/detail/interleaving_world.hpp>
#include <pod_dispatcher/testing/detail/iterations.hpp>
#include <pod_dispatcher/testing/interleaving_options.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <iostream>
#include <latch>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

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
    const StoreContents contents = contents_of(*store);
    return Audit{contents, world, logs, store->rolls_back()}.run();
}

} // namespace detail

template <StoreMaker M>
void random_interleavings_suite()
{
    const InterleavingOptions options = interleaving_options_of<M>();
    if (!M::make()->rolls_back()) {
        WARN(detail::Audit::unchecked_without_rollback);
    }
    std::map<std::string, int> outcomes;
    const auto run = detail::run_iterations(detail::IterationPlan::from_environment(options), [&](std::uint64_t seed) {
        INFO("replay with POD_DISPATCHER_SEED=" << seed);
        std::ostringstream report;
        for (const std::string& v : detail::interleave<M>(seed, options, outcomes)) {
            report << "\n  " << v;
        }
        INFO("invariants broken:" << report.str());
        REQUIRE(report.str().empty());
    });
    std::cout << "random interleavings: " << run.count << " iterations of " << options.threads << " threads x "
              << options.operations_per_thread << " operations, seeds " << run.first_seed << ".."
              << run.first_seed + run.count - 1 << ", " << run.seconds << " s\n";
    for (const auto& [outcome, n] : outcomes) {
        std::cout << "  " << outcome << ": " << n << '\n';
    }
}

} // namespace pod_dispatcher::testing

#endif
