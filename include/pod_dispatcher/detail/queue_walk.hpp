#ifndef POD_DISPATCHER_DETAIL_QUEUE_WALK_HPP
#define POD_DISPATCHER_DETAIL_QUEUE_WALK_HPP

// The heart of assign_next_task and dispatch_next_task: walk a dispatcher's queue from
// the front, dequeue what cannot run, dispatch the first task that can. Runs inside a
// unit of work; every write goes through the store.

#include <pod_dispatcher/detail/transitions.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace pod_dispatcher::detail {

/// What a walk ended with: the dispatched task and the pod now running it, or neither.
struct Assignment {
    std::optional<Task> task;
    std::optional<Pod> pod;
};

/// Why a pod cannot take a task, for the caller: Errc::not_found when it is absent,
/// busy_error when it runs a task, Errc::precondition_failed when it is not running;
/// nothing when it can.
inline std::optional<Errc> refusal(const std::optional<Pod>& pod, Errc busy_error) noexcept
{
    if (!pod) {
        return Errc::not_found;
    }
    if (!pod->running_task_id.empty()) {
        return busy_error;
    }
    if (pod->status != PodStatus::running) {
        return Errc::precondition_failed;
    }
    return std::nullopt;
}

template <Store S>
class QueueWalk {
public:
    /// Walks d's queue for pod_id. d.task_ids may be only the head of the queue: when the
    /// walk has used it up, refill(d) gives the next ids (none: the queue is exhausted).
    /// A pod that cannot take the task found is refused as refusal(pod, busy_error) says.
    QueueWalk(S& store, PodDispatcher& d, std::string pod_id, Errc busy_error, Timestamp at)
        : store_(store), d_(d), pod_id_(std::move(pod_id)), busy_error_(busy_error), at_(at)
    {
    }

    template <class Refill>
    Result<Assignment> run(Refill&& refill)
    {
        Assignment assignment;
        std::size_t next = 0;
        for (;;) {
            if (next == d_.task_ids.size()) {
                BOOST_OUTCOME_TRY(auto more, refill(d_));
                d_.task_ids = std::move(more);
                next = 0;
                if (d_.task_ids.empty()) {
                    break;
                }
            }
            const std::string task_id = d_.task_ids[next++];
            BOOST_OUTCOME_TRY(auto&& task, store_.find_task(task_id));
            BOOST_OUTCOME_TRY(bool runnable, task ? may_run(*task) : Result<bool>{false});
            if (runnable) {
                BOOST_OUTCOME_TRY(dispatch(*task, assignment));
                break;
            }
            if (task && task->container_allocated) {
                BOOST_OUTCOME_TRY(release(*task));
            }
            BOOST_OUTCOME_TRY(dequeue(task_id));
        }
        d_.task_ids.erase(d_.task_ids.begin(), d_.task_ids.begin() + static_cast<std::ptrdiff_t>(next));
        BOOST_OUTCOME_TRY(store_.insert_events(std::move(events_)));
        return assignment;
    }

private:
    Result<bool> may_run(const Task& task)
    {
        if (!is_container_dispatchable(task)) {
            return false;
        }
        BOOST_OUTCOME_TRY(auto project, store_.find_project_ref(task.project));
        return project && project_allows_dispatch(*project, task.requester);
    }

    Result<void> dequeue(const std::string& task_id)
    {
        BOOST_OUTCOME_TRY(auto info, store_.update_dispatcher(version_of(d_), dequeuing(task_id, at_)));
        if (info.updated == 0) {
            return Errc::conflict;
        }
        advance(d_, at_);
        return boost::outcome_v2::success();
    }

    Result<void> release(const Task& task)
    {
        BOOST_OUTCOME_TRY(store_.replace_task(task, deallocated(task)));
        events_.push_back(task_event(task, EventType::container_deallocated, at_));
        return boost::outcome_v2::success();
    }

    // The pod is claimed first, and the task's write is conditional on the task being as
    // read: even a store that cannot roll back never hands a task out twice, and a failure
    // between the two leaves a decommissioned pod, never a task dispatched to a pod that
    // does not run it. The task and pod are built where the walk returns them.
    Result<void> dispatch(const Task& task, Assignment& assignment)
    {
        BOOST_OUTCOME_TRY(auto claimed, store_.claim_pod(pod_id_, task));
        if (!claimed) {
            BOOST_OUTCOME_TRY(auto pod, store_.find_pod(pod_id_));
            // A pod that can take a task after all changed since the claim: a lost race.
            return refusal(pod, busy_error_).value_or(Errc::conflict);
        }
        const Pod& pod_after = assignment.pod.emplace(std::move(*claimed));
        Task& task_after = assignment.task.emplace(task);
        mark_dispatched(task_after, pod_after, at_);
        BOOST_OUTCOME_TRY(store_.replace_task(task, task_after));
        BOOST_OUTCOME_TRY(dequeue(task.id));
        BOOST_OUTCOME_TRY(roll_up_display_task(task));
        events_.reserve(events_.size() + 3);
        events_.push_back(task_event(task_after, EventType::task_dispatched, at_, json_object("pod_id", pod_id_)));
        events_.push_back(pod_assigned_event(pod_after, task_after, at_));
        events_.push_back(pod_status_event(pod_after, PodStatus::running, at_));
        return boost::outcome_v2::success();
    }

    Result<void> roll_up_display_task(const Task& task)
    {
        if (task.display_task_id.empty()) {
            return boost::outcome_v2::success();
        }
        BOOST_OUTCOME_TRY(auto display_task, store_.find_task(task.display_task_id));
        if (!display_task || display_task->status != TaskStatus::undispatched) {
            return boost::outcome_v2::success();
        }
        return store_.replace_task(*display_task, display_dispatched(*display_task, at_));
    }

    S& store_;
    PodDispatcher& d_;
    std::string pod_id_;
    Errc busy_error_;
    Timestamp at_;
    std::vector<Event> events_;
};

} // namespace pod_dispatcher::detail

#endif
