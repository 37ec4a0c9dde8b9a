#ifndef POD_DISPATCHER_BENCH_SEEDING_HPP
#define POD_DISPATCHER_BENCH_SEEDING_HPP

// Fills a store with the documents of a Shape. Every engine (the library's stores and
// the baselines) offers insert_task, insert_pod, insert_project_ref and insert_dispatcher
// returning Result<void>; a failure here is a broken benchmark, not a finding.

#include "support/documents.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace pod_dispatcher::bench {

inline void expect(const Result<void>& r, const char* what)
{
    if (!r) {
        throw std::runtime_error(std::string("seeding failed: ") + what + ": " + r.error().message());
    }
}

/// Runs seed() as one unit of work where the store has them (a SqliteStore then commits
/// once), else as it comes.
template <class S, class Seed>
Result<void> in_one_unit(S& store, Seed seed)
{
    if constexpr (requires { store.atomically(seed); }) {
        return store.atomically(seed);
    } else {
        return seed();
    }
}

/// Stores dispatcher `index` of shape with its dispatchable tasks and running pods.
template <class S>
void seed_dispatcher(S& store, std::size_t index, const Shape& shape)
{
    const PodDispatcher d = dispatcher_doc(index, shape);
    for (const std::string& id : d.task_ids) {
        expect(store.insert_task(dispatchable_task(id)), "task");
    }
    for (const std::string& id : d.pod_ids) {
        expect(store.insert_pod(running_pod(id)), "pod");
    }
    expect(store.insert_dispatcher(d), "dispatcher");
}

/// Stores the project every task belongs to, and every dispatcher of shape.
template <class S>
void seed(S& store, const Shape& shape)
{
    expect(store.insert_project_ref(enabled_project()), "project");
    for (std::size_t d = 0; d < shape.dispatchers; ++d) {
        seed_dispatcher(store, d, shape);
    }
}

} // namespace pod_dispatcher::bench

#endif
