#ifndef POD_DISPATCHER_OPERATIONS_FINISH_TASK_HPP
#define POD_DISPATCHER_OPERATIONS_FINISH_TASK_HPP

// finish_task: a pod reports its running task done, and is free for the group's next.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/query.hpp>
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
    BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
    if (!pod) {
        return Errc::not_found;
    }
    if (pod->running_task_id.empty()) {
        return Errc::precondition_failed;
    }
    BOOST_OUTCOME_TRY(auto task, store.find_task(pod->running_task_id));
    if (!task) {
        return Errc::not_found;
    }
    if (!is_running(*task) || task->pod_id != pod->id || task->execution != pod->running_task_execution) {
        return Errc::precondition_failed;
    }
    return std::pair{std::move(*pod), std::move(*task)};
}

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

/// Tries made before a conflict is returned; see finish_task.
inline constexpr int finish_attempts = 16;

/// One try of finish_task. The pod running another task than the first try found is a
/// conflict, and ends the tries: that task is not the caller's to finish.
template <Store S>
Result<void> try_finish(S& store, std::string_view pod_id, TaskStatus outcome, Timestamp at, FinishTries& tries)
{
    return store.atomically([&]() -> Result<void> {
        // The pod's dispatcher is read first, though nothing of it is written: a store
        // that keeps units apart by the dispatchers they read (MongoStore without
        // transactions) then orders this unit with the dispatches that give the pod its
        // next task, and one of those since the reads below makes this unit lose.
        BOOST_OUTCOME_TRY(store.find_dispatcher(by_pod_id(std::string(pod_id)), Projection{false, 0}));
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
        const auto done_with = finish_running(task);
        BOOST_OUTCOME_TRY(auto freed, store.update_pod(done_with.under(pod, FieldSet<Pod>::of(&Pod::running_task_id, &Pod::running_task_execution))));
        if (!freed) {
            return Errc::conflict;
        }
        const Event event = finished_event(*finished, at);
        return store.insert_events(std::span<const Event>(&event, 1));
    });
}

} // namespace detail

/// The pod reports its running task done with outcome (TaskStatus::succeeded or failed):
/// the task takes that status, the pod runs nothing (a decommissioned pod stays so), and
/// task_finished is recorded. Errc::invalid_argument for an empty pod id or another
/// outcome; not_found when the pod or its task is not stored; precondition_failed when the
/// pod runs no task or the task is not dispatched or started on it. All or nothing.
///
/// A conflict (the call lost a race with another on the pod's dispatcher) is retried,
/// up to detail::finish_attempts tries, while the pod runs the task the first try found;
/// once it runs another, the conflict is returned.
template <Store S>
Result<void> finish_task(S& store, std::string_view pod_id, TaskStatus outcome)
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() &&
                                    (outcome == TaskStatus::succeeded || outcome == TaskStatus::failed)));
    const Timestamp at = now();
    detail::FinishTries tries;
    Result<void> done = detail::try_finish(store, pod_id, outcome, at, tries);
    for (int attempt = 1; attempt < detail::finish_attempts && !done && done.error() == Errc::conflict && !tries.moved_on;
         ++attempt) {
        done = detail::try_finish(store, pod_id, outcome, at, tries);
    }
    return done;
}

} // namespace pod_dispatcher

#endif
