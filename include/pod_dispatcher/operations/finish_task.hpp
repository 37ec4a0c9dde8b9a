#ifndef POD_DISPATCHER_OPERATIONS_FINISH_TASK_HPP
#define POD_DISPATCHER_OPERATIONS_FINISH_TASK_HPP

// finish_task: a pod reports its running task done, and is free for the group's next.

#include <pod_dispatcher/detail/operations/pod_reports.hpp>
#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pod_dispatcher {

namespace detail {

/// The pod and the task it runs, as stored, if it may report that task finished.
template <Store S>
Result<std::pair<Pod, Task>> running_on(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(auto pod, reporting_pod(store, pod_id));
    if (pod.running_task_id.empty()) {
        return Errc::precondition_failed;
    }
    BOOST_OUTCOME_TRY(auto task, store.find_task(pod.running_task_id));
    if (!task) {
        return Errc::not_found;
    }
    if (!runs_on(*task, pod)) {
        return Errc::precondition_failed;
    }
    return std::pair{std::move(pod), std::move(*task)};
}

/// What running_on reads of a pod, and so guards the pod's write on.
inline constexpr auto running_pod_fields =
    FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id, &Pod::running_task_execution);

/// The task a pod runs, as one attempt of finish_task found it.
struct RunningTask {
    std::string id;
    int execution = 0;

    bool operator==(const RunningTask&) const = default;
};

/// What the tries of one finish_task found the pod running.
struct FinishTries {
    std::optional<RunningTask> first; ///< The task the first try to read the pod found.
    bool moved_on = false;            ///< A later try found the pod running another.
};

/// One try of finish_task. The pod running another task than the first try found is a
/// conflict, and ends the tries: that task is not the caller's to finish.
template <Store S>
Result<void> try_finish(S& store, std::string_view pod_id, TaskStatus outcome, Timestamp at, FinishTries& tries)
{
    return store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(order_with_dispatches(store, pod_id));
        BOOST_OUTCOME_TRY(auto running, running_on(store, pod_id));
        const auto& [pod, task] = running;
        const RunningTask now_running{task.id, task.execution};
        if (tries.first && *tries.first != now_running) {
            tries.moved_on = true;
            return Errc::conflict;
        }
        tries.first = now_running;
        // The task first: a store that cannot roll back is then left, at worst, with a pod
        // still marked busy, never with a task whose outcome is lost.
        BOOST_OUTCOME_TRY(auto finished, store.update_task(finish(outcome).under(task, running_fields)));
        if (!finished) {
            return Errc::conflict;
        }
        BOOST_OUTCOME_TRY(auto freed, store.update_pod(finish_running(task, at).under(pod, running_pod_fields)));
        if (!freed) {
            return Errc::conflict;
        }
        const Event event = finished_event(*finished, at);
        return store.insert_events(std::span<const Event>(&event, 1));
    });
}

} // namespace detail

/// The pod reports its running task done with outcome (TaskStatus::succeeded or failed):
/// the task takes that status, the pod runs nothing (a decommissioned pod stays so) and
/// was heard from now, and task_finished is recorded. Errc::invalid_argument for an empty
/// pod id or another outcome; not_found when the pod or its task is not stored;
/// precondition_failed when the pod is terminated or runs no task, or the task is not
/// dispatched or started on it. All or nothing.
///
/// A conflict (the call lost a race with another on the pod or its dispatcher) is
/// retried as retry says while the pod runs the task the first try found; once it runs
/// another, the conflict is returned. A retry policy that allows no try (or waits less
/// than nothing) is Errc::invalid_argument.
template <Store S>
Result<void> finish_task(S& store, std::string_view pod_id, TaskStatus outcome, const RetryPolicy& retry = {})
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() &&
                                    (outcome == TaskStatus::succeeded || outcome == TaskStatus::failed) &&
                                    detail::valid_policy(retry)));
    const Timestamp at = now();
    detail::FinishTries tries;
    return detail::retry_conflicts(
        store, retry, [&] { return detail::try_finish(store, pod_id, outcome, at, tries); },
        [&](const std::error_code&) { return !tries.moved_on; });
}

} // namespace pod_dispatcher

#endif
