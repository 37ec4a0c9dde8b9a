#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_TRANSITIONS_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_TRANSITIONS_HPP

// How each step changes a document, and the event it records: pure functions whose
// results the operations write through a store.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/update.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher::detail {

inline bool contains(const std::vector<std::string>& ids, std::string_view id)
{
    return std::ranges::find(ids, id) != ids.end();
}

// ---- Tasks and pods: the fields a step sets, written under the guard of the rule
// that decided the step.

/// Some fields of a task or pod and the values a step gives them.
template <Document D>
struct Change {
    D values{};
    FieldSet<D> fields{};

    /// The write of this change to the stored document, if it still has expected's guard fields.
    FieldUpdate<D> under(const D& expected, FieldSet<D> guard) const
    {
        return FieldUpdate<D>{expected.id, guard, expected, fields, values};
    }
};

inline Change<Task> allocation(const Task& task, Timestamp at)
{
    Change<Task> c{{}, FieldSet<Task>::of(&Task::container_allocated, &Task::container_allocated_time,
                                          &Task::container_allocation_attempts)};
    c.values.container_allocated = true;
    c.values.container_allocated_time = at;
    c.values.container_allocation_attempts = task.container_allocation_attempts + 1;
    return c;
}

inline Change<Task> release()
{
    return {{}, FieldSet<Task>::of(&Task::container_allocated, &Task::container_allocated_time)};
}

/// The system fails the task, and it gives up its container, for the reason given.
inline Change<Task> system_failure(std::string_view description)
{
    Change<Task> c = release();
    c.fields = c.fields | FieldSet<Task>::of(&Task::status, &Task::details_type, &Task::details_description);
    c.values.status = TaskStatus::failed;
    c.values.details_type = "system";
    c.values.details_description = description;
    return c;
}

/// Why remove_pod fails a task with no allocation attempts left.
inline constexpr std::string_view unallocatable = "container task cannot be allocated";
/// Why terminate_pod fails a task that ran on the pod, or ended its execution.
inline constexpr std::string_view stranded = "stranded";

/// A stranded task starts its next execution, undispatched and allocatable again.
inline Change<Task> restart(const Task& task)
{
    Change<Task> c = release();
    c.fields = c.fields | FieldSet<Task>::of(&Task::execution, &Task::status, &Task::pod_id, &Task::agent_version,
                                             &Task::details_type, &Task::details_description, &Task::dispatch_time,
                                             &Task::last_heartbeat, &Task::container_allocation_attempts);
    c.values.execution = task.execution + 1;
    c.values.status = TaskStatus::undispatched;
    return c;
}

inline Change<Task> heartbeat_at(Timestamp at)
{
    Change<Task> c{{}, FieldSet<Task>::of(&Task::last_heartbeat)};
    c.values.last_heartbeat = at;
    return c;
}

inline Change<Task> dispatch_to(const Pod& pod, Timestamp at)
{
    Change<Task> c{{}, FieldSet<Task>::of(&Task::status, &Task::dispatch_time, &Task::last_heartbeat, &Task::pod_id,
                                          &Task::agent_version)};
    c.values.status = TaskStatus::dispatched;
    c.values.dispatch_time = at;
    c.values.last_heartbeat = at;
    c.values.pod_id = pod.id;
    c.values.agent_version = pod.agent_version;
    return c;
}

/// A display task's roll-up when one of its execution tasks is dispatched.
inline Change<Task> display_dispatch(Timestamp at)
{
    Change<Task> c{{}, FieldSet<Task>::of(&Task::status, &Task::dispatch_time)};
    c.values.status = TaskStatus::dispatched;
    c.values.dispatch_time = at;
    return c;
}

inline Change<Task> finish(TaskStatus outcome)
{
    Change<Task> c{{}, FieldSet<Task>::of(&Task::status)};
    c.values.status = outcome;
    return c;
}

/// The pod made itself heard at `at`.
inline Change<Pod> contact(Timestamp at)
{
    Change<Pod> c{{}, FieldSet<Pod>::of(&Pod::last_communicated)};
    c.values.last_communicated = at;
    return c;
}

/// The pod starts task at `at`, with its status as the rules leave it after a dispatch.
inline Change<Pod> start(const Task& task, PodStatus status, Timestamp at)
{
    Change<Pod> c = contact(at);
    c.fields = c.fields | FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id, &Pod::running_task_execution);
    c.values.status = status;
    c.values.running_task_id = task.id;
    c.values.running_task_execution = task.execution;
    return c;
}

/// The pod's agent made first contact at `at`: it runs.
inline Change<Pod> mark_running(Timestamp at)
{
    Change<Pod> c = contact(at);
    c.fields = c.fields | FieldSet<Pod>::of(&Pod::status);
    c.values.status = PodStatus::running;
    return c;
}

/// The pod is gone: terminated, running nothing.
inline Change<Pod> termination()
{
    Change<Pod> c{{}, FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id, &Pod::running_task_execution)};
    c.values.status = PodStatus::terminated;
    return c;
}

/// What a pod that can take a task looks like, for the guard of start.
inline Pod idle_pod(std::string id)
{
    Pod pod;
    pod.id = std::move(id);
    pod.status = PodStatus::running;
    return pod;
}

/// The pod is done with task at `at`: it runs nothing and remembers task as its last.
inline Change<Pod> finish_running(const Task& task, Timestamp at)
{
    Change<Pod> c = contact(at);
    c.fields = c.fields | FieldSet<Pod>::of(&Pod::running_task_id, &Pod::running_task_execution, &Pod::last_task_id);
    c.values.last_task_id = task.id;
    return c;
}

// ---- Events.

inline Event task_event(const Task& task, EventType type, Timestamp at)
{
    return Event{task.id, type, at, AllocationData{task.execution}};
}

inline Event system_failed_event(const Task& task, Timestamp at)
{
    return Event{task.id, EventType::task_system_failed, at,
                 SystemFailureData{task.execution, task.details_type, task.details_description}};
}

inline Event finished_event(const Task& task, Timestamp at)
{
    return Event{task.id, EventType::task_finished, at, FinishData{task.pod_id, task.execution, task.status}};
}

/// task_restarted for a task as stored after its restart, stranded on pod_id.
inline Event restarted_event(const Task& task, std::string pod_id, Timestamp at)
{
    return Event{task.id, EventType::task_restarted, at, RestartData{std::move(pod_id), task.execution}};
}

inline Event status_changed_event(const Pod& pod, PodStatus old_status, std::string reason, Timestamp at)
{
    return Event{pod.id, EventType::pod_status_changed, at, StatusChangeData{old_status, pod.status, std::move(reason)}};
}

/// pod_cleared_task: the pod (as read before) no longer runs its task.
inline Event cleared_task_event(const Pod& pod, Timestamp at)
{
    return Event{pod.id, EventType::pod_cleared_task, at, AssignmentData{pod.running_task_id, pod.running_task_execution}};
}

/// Appends the events of a dispatch of task to pod (both as stored after), built in
/// place: task_dispatched, pod_assigned_task, and pod_status_changed when the pod's
/// status changed from old_status.
template <class Events>
void record_dispatch(Events& events, const Task& task, const Pod& pod, PodStatus old_status, Timestamp at)
{
    events.emplace_back(task.id, EventType::task_dispatched, at, DispatchData{task.pod_id, task.execution});
    events.emplace_back(pod.id, EventType::pod_assigned_task, at, AssignmentData{task.id, task.execution});
    if (pod.status != old_status) {
        events.emplace_back(pod.id, EventType::pod_status_changed, at, StatusChangeData{old_status, pod.status, {}});
    }
}

// ---- Dispatchers.

/// What a successful write (of count increments) did to d's version.
inline void advance(PodDispatcher& d, Timestamp at, std::int64_t count = 1)
{
    d.modification_count += count;
    d.last_modified = at;
}

/// A write that sets d's pods and tasks, or inserts d.
inline DispatcherUpdate replacing(const PodDispatcher& d, Timestamp at)
{
    DispatcherUpdate u;
    u.id = d.id;
    u.group_id = d.group_id;
    u.pod_ids = d.pod_ids;
    u.task_ids = d.task_ids;
    u.last_modified = at;
    return u;
}

/// A write that turns before into after, setting only the pods or tasks that changed, so
/// that a store need not check pods that were already there.
inline DispatcherUpdate changing(const PodDispatcher& before, const PodDispatcher& after, Timestamp at)
{
    DispatcherUpdate u = replacing(after, at);
    if (u.pod_ids == before.pod_ids) {
        u.pod_ids.reset();
    }
    if (u.task_ids == before.task_ids) {
        u.task_ids.reset();
    }
    return u;
}

/// A write that takes ids off the front of the queue, each counted as one write.
inline DispatcherUpdate dequeuing(std::vector<std::string> ids, Timestamp at)
{
    DispatcherUpdate u;
    u.increment = static_cast<std::int64_t>(ids.size());
    u.dequeue = std::move(ids);
    u.last_modified = at;
    return u;
}

/// The dispatcher an upsert that matches nothing inserts.
inline PodDispatcher inserted_by(const Query& q, const DispatcherUpdate& u)
{
    return PodDispatcher{u.id,
                         u.group_id,
                         u.pod_ids.value_or(u.add_pods),
                         u.task_ids.value_or(u.enqueue),
                         q.modification_count.value_or(0) + u.increment,
                         u.last_modified};
}

} // namespace pod_dispatcher::detail

#endif
