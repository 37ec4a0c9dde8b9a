#ifndef POD_DISPATCHER_OPERATIONS_DISPATCH_HPP
#define POD_DISPATCHER_OPERATIONS_DISPATCH_HPP

// A pod asks for work: dispatch_next_task, or assign_next_task on a dispatcher the
// caller holds.

#include <pod_dispatcher/detail/operations/queue_walk.hpp>
#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/store.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pod_dispatcher {

/// How dispatch_next_task retries and reads.
struct DispatchOptions {
    RetryPolicy retry{};
    /// The most queue ids read at a time: a dispatch reads the head, then as many more
    /// as this when it has to skip tasks.
    std::size_t queue_window = 16;
};

namespace detail {

/// Why a pod that is in no dispatcher gets no task: its own state, if that forbids one.
template <Store S>
Result<void> no_dispatcher_for(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
    return refusal(pod, Errc::pod_busy).value_or(Errc::pod_not_in_dispatcher);
}

template <Store S>
Result<std::optional<Task>> try_dispatch(S& store, std::string_view pod_id, std::size_t window)
{
    const Timestamp at = now();
    // The task is written straight into the result: a Task is costly to move.
    Result<std::optional<Task>> task{std::nullopt};
    auto done = store.atomically([&]() -> Result<void> {
        // The head alone first: it is mostly the task the pod takes.
        auto read = store.find_dispatcher(by_pod_id(std::string(pod_id)), queue_head(1));
        if (!read) {
            return read.error();
        }
        std::optional<PodDispatcher>& head = read.value(); // taken apart in place, not moved out first
        if (!head) {
            return no_dispatcher_for(store, pod_id);
        }
        const Query version = version_of(std::move(*head));
        StoredQueue<S> queue{store, version, std::move(head->task_ids), 1, window};
        QueueWalk<S> walk{store, version, pod_id, PodChecks{Errc::pod_busy, true}, at};
        BOOST_OUTCOME_TRY(walk.run(queue, task.value()));
        return boost::outcome_v2::success();
    });
    if (!done) {
        task = done.error();
    }
    return task;
}

template <class S>
struct AssignNextTask {
    static_assert(Store<S>, "PodDispatcher::assign_next_task needs a pod_dispatcher::Store");

    static Result<std::optional<Task>> run(S& store, PodDispatcher& d, Pod& pod)
    {
        // One result, returned from one place: a Task is costly to move.
        Result<std::optional<Task>> task{std::nullopt};
        if (!valid_version(d) || pod.id.empty()) {
            task = Errc::invalid_argument;
        } else if (!pod.running_task_id.empty()) {
            task = Errc::pod_busy;
        }
        if (!task) {
            return task;
        }
        const Timestamp at = now();
        std::size_t dequeued = 0;
        std::optional<Pod> after;
        auto done = store.atomically([&]() -> Result<void> {
            const Query version = version_of(d);
            CopiedQueue<S> queue{store, version, d.task_ids};
            QueueWalk<S> walk{store, version, pod.id, PodChecks{Errc::precondition_failed, false}, at};
            BOOST_OUTCOME_TRY(dequeued, walk.run(queue, task.value()));
            after = std::move(walk.pod_after());
            return boost::outcome_v2::success();
        });
        if (!done) {
            task = done.error();
            return task;
        }
        // The caller's copy follows the store: the same ids off its front, the same count.
        if (dequeued > 0) {
            d.task_ids.erase(d.task_ids.begin(), d.task_ids.begin() + static_cast<std::ptrdiff_t>(dequeued));
            advance(d, at, static_cast<std::int64_t>(dequeued));
        }
        if (after) {
            pod = std::move(*after);
        }
        return task;
    }
};

} // namespace detail

/// The whole step a pod takes when it asks for work: finds the pod's dispatcher and
/// assigns the pod its next task, re-reading and retrying on conflict. Reads only the head
/// of the queue. Returns the task, or an empty optional when the queue holds none the pod
/// may run; either way the pod was heard from now. Errc::invalid_argument for an empty
/// id, a queue_window of 0 or a retry policy that allows no try (or waits less than
/// nothing); pod_busy when the pod runs a task, precondition_failed when it is not running (a terminated pod included),
/// not_found when it is not stored, pod_not_in_dispatcher when no dispatcher holds it.
template <Store S>
Result<std::optional<Task>> dispatch_next_task(S& store, std::string_view pod_id, const DispatchOptions& options = {})
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() && options.queue_window > 0 && detail::valid_policy(options.retry)));
    return detail::retry_conflicts(store, options.retry,
                                   [&] { return detail::try_dispatch(store, pod_id, options.queue_window); });
}

} // namespace pod_dispatcher

#endif
