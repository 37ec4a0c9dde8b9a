#ifndef POD_DISPATCHER_TESTING_INTERLEAVING_OPTIONS_HPP
#define POD_DISPATCHER_TESTING_INTERLEAVING_OPTIONS_HPP

// How big and how long the random-interleavings suite runs, for stores of any speed.

#include <chrono>
#include <concepts>
#include <cstdint>

namespace pod_dispatcher::testing {

/// The size of each seeded interleaving and how many run. The defaults suit a store in
/// memory (a few seconds in all); a store on a server runs smaller interleavings in a
/// longer budget. Each iteration seeds a fresh store, so the world's size is paid in
/// inserts every time.
///
/// The environment overrides the count: POD_DISPATCHER_SEED=<n> replays seed n once (the
/// operations each thread picks; thread timing still varies), and
/// POD_DISPATCHER_SOAK_ITERATIONS=<n> runs n iterations whatever the budget.
struct InterleavingOptions {
    int threads = 4;
    int operations_per_thread = 500;
    int queued_tasks = 300;     ///< Tasks queued in dispatchers stored as they are, with their pods.
    int task_group_tasks = 60;  ///< Tasks of task groups, six to a group, allocated before the threads start.
    int pool_tasks = 100;       ///< Allocatable tasks, each of which allocate puts in a dispatcher of its own.
    std::uint64_t iterations = 200;              ///< Iterations at most...
    std::chrono::milliseconds budget{3'000};     ///< ...and no new one after this (at least one runs).
};

/// The options a StoreMaker M gives as `static InterleavingOptions interleaving_options()`,
/// or the defaults when it gives none.
template <class M>
InterleavingOptions interleaving_options_of()
{
    if constexpr (requires {
                      { M::interleaving_options() } -> std::convertible_to<InterleavingOptions>;
                  }) {
        return M::interleaving_options();
    } else {
        return {};
    }
}

} // namespace pod_dispatcher::testing

#endif
