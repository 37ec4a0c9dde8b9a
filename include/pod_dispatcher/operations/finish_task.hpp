#ifndef POD_DISPATCHER_OPERATIONS_FINISH_TASK_HPP
#define POD_DISPATCHER_OPERATIONS_FINISH_TASK_HPP

// finish_task: a pod reports its running task done, and is free for the group's next.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

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

} // namespace detail

/// The pod reports its running task done with outcome (TaskStatus::succeeded or failed):
/// the task takes that status, the pod runs nothing (a decommissioned pod stays so), and
/// task_finished is recorded. Errc::invalid_argument for an empty pod id or another
/// outcome; not_found when the pod or its task is not stored; precondition_failed when the
/// pod runs no task or the task is not dispatched or started on it. All or nothing.
template <Store S>
Result<void> finish_task(S& store, std::string_view pod_id, TaskStatus outcome)
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() &&
                                    (outcome == TaskStatus::succeeded || outcome == TaskStatus::failed)));
    const Timestamp at = now();
    return store.atomically([&]() -> Result<void> {
        // The pod's dispatcher is read first, though nothing of it is written: a store
        // that keeps units apart by the dispatchers they read (MongoStore without
        // transactions) then orders this unit with the dispatches that give the pod its
        // next task, and one of those since the reads below makes this unit lose.
        BOOST_OUTCOME_TRY(store.find_dispatcher(by_pod_id(std::string(pod_id)), Projection{false, 0}));
        BOOST_OUTCOME_TRY(auto running, detail::running_on(store, pod_id));
        const auto& [pod, task] = running;
        // The task first: a store that cannot roll back is then left, at worst, with a pod
        // still marked busy, never with a task whose outcome is lost.
        BOOST_OUTCOME_TRY(auto finished, store.update_task(detail::finish(outcome).under(task, running_fields)));
        if (!finished) {
            return Errc::conflict;
        }
        const auto done_with = detail::finish_running(task);
        BOOST_OUTCOME_TRY(auto freed, store.update_pod(done_with.under(pod, FieldSet<Pod>::of(&Pod::running_task_id, &Pod::running_task_execution))));
        if (!freed) {
            return Errc::conflict;
        }
        const Event event = detail::finished_event(*finished, at);
        return store.insert_events(std::span<const Event>(&event, 1));
    });
}

} // namespace pod_dispatcher

#endif
