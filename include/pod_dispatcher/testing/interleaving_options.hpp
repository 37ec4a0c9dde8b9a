#ifndef POD_DISPATCHER_TESTING_INTERLEAVING_OPTIONS_HPP
#define POD_DISPATCHER_TESTING_INTERLEAVING_OPTIONS_HPP

// How big and how long the kit's races run (the random interleavings and the race of many
// pods for one dispatcher), for stores of any speed.

#include <chrono>
#include <concepts>
#include <cstdint>

namespace pod_dispatcher::testing {

/// The size of each iteration of the races, and how many run. Each iteration seeds a fresh
/// store, so its size is paid in inserts every time.
///
/// How many run: min_iterations whatever the time they take, so that a slow store is
/// still held to several; then more while the budget lasts, up to iterations in all. The
/// race suite runs as many for each of its two ways of asking for work, each in half the
/// budget. Each suite prints how many it ran.
///
/// The defaults suit a store in memory (a few seconds in all); a store on a server gives
/// smaller worlds and a longer budget, a test double run hard gives a higher
/// min_iterations. The environment overrides the count: POD_DISPATCHER_SEED=<n> replays
/// seed n once (the operations each thread picks; thread timing still varies), and
/// POD_DISPATCHER_SOAK_ITERATIONS=<n> runs n iterations whatever the budget.
struct InterleavingOptions {
    int threads = 4;
    int operations_per_thread = 500;
    /// Tasks queued in dispatchers stored as they are, with their pods. The race suite
    /// queues as many in its one dispatcher, with as many pods.
    int queued_tasks = 300;
    int task_group_tasks = 60;  ///< Tasks of task groups, six to a group, allocated before the threads start.
    int pool_tasks = 100;       ///< Allocatable tasks, each of which allocate puts in a dispatcher of its own.
    std::uint64_t min_iterations = 5;        ///< Iterations run whatever the budget...
    std::uint64_t iterations = 200;          ///< ...and at most, in all...
    std::chrono::milliseconds budget{3'000}; ///< ...of which none past min_iterations starts after this.
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
