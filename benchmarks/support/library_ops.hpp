#ifndef POD_DISPATCHER_BENCH_LIBRARY_OPS_HPP
#define POD_DISPATCHER_BENCH_LIBRARY_OPS_HPP

// One operation of each benchmark, as a user of the library writes it against any Store.
// The baselines (baselines/) offer the same functions for their own stores.

#include "support/timing.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <optional>
#include <string>
#include <utility>

namespace pod_dispatcher::bench {

/// A task handed to pod: counted, or a problem when there was none to hand out. By
/// reference, so that no row pays a move of the Task here: a baseline's result passed
/// straight in and the library's passed by std::move cost the same.
inline void record(Tally& tally, Result<std::optional<Task>>&& task, const std::string& pod)
{
    if (!task) {
        tally.problems.push_back("dispatch to " + pod + " failed: " + task.error().message());
    } else if (!task.value()) {
        tally.problems.push_back("no task for " + pod + " although tasks were queued");
    } else {
        ++tally.ops;
        tally.dispatched.push_back(std::move(task.value()->id));
    }
}

/// An operation that must succeed: counted, or a problem.
template <class T>
void record(Tally& tally, const Result<T>& done, const char* what)
{
    if (done) {
        ++tally.ops;
    } else {
        tally.problems.push_back(std::string(what) + " failed: " + done.error().message());
    }
}

/// A conflict a caller answers by asking again; past this many, something is starved.
inline constexpr int max_conflicts_per_operation = 10'000;

template <Store S>
void dispatch_for(S& store, const std::string& pod, Tally& tally)
{
    DispatchOptions options;
    options.retry.on_retry = [&tally](const std::error_code&) { ++tally.conflicts; };
    for (int attempt = 0;; ++attempt) {
        auto task = dispatch_next_task(store, pod, options);
        if (task || task.error() != Errc::conflict || attempt == max_conflicts_per_operation) {
            return record(tally, std::move(task), pod);
        }
        ++tally.conflicts;
    }
}

/// pd.assign_next_task with the caller's copy d, re-read whenever it is stale.
template <Store S>
void assign_for(S& store, PodDispatcher& d, Pod& pod, Tally& tally)
{
    for (int attempt = 0;; ++attempt) {
        auto task = d.assign_next_task(store, pod);
        if (task || task.error() != Errc::conflict || attempt == max_conflicts_per_operation) {
            return record(tally, std::move(task), pod.id);
        }
        ++tally.conflicts;
        auto fresh = find_one_by_id(store, d.id);
        if (!fresh || !fresh.value()) {
            return tally.problems.push_back("dispatcher " + d.id + " vanished");
        }
        d = std::move(*fresh.value());
    }
}

template <Store S>
void find_for(S& store, const std::string& pod, Tally& tally)
{
    auto found = find_one_by_pod_id(store, pod);
    keep(found);
    if (found && !found.value()) {
        return tally.problems.push_back("no dispatcher holds " + pod);
    }
    record(tally, found, "find_one_by_pod_id");
}

template <Store S>
void allocate_for(S& store, Task& task, Pod& pod, Tally& tally)
{
    record(tally, allocate(store, task, pod), "allocate");
}

/// pd.remove_pod for the dispatcher's only pod: the queue goes with it.
template <Store S>
void remove_last_pod_for(S& store, PodDispatcher& d, Tally& tally)
{
    const std::string pod = d.pod_ids.front();
    record(tally, d.remove_pod(store, pod), "remove_pod");
}

} // namespace pod_dispatcher::bench

#endif
