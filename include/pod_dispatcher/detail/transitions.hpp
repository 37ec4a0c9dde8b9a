#ifndef POD_DISPATCHER_DETAIL_TRANSITIONS_HPP
#define POD_DISPATCHER_DETAIL_TRANSITIONS_HPP

// How each step changes a document, and the event it records: pure functions that
// the operations write through a store.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

namespace pod_dispatcher::detail {

inline bool contains(const std::vector<std::string>& ids, std::string_view id)
{
    return std::ranges::find(ids, id) != ids.end();
}

/// The condition every write of d is made under: the stored copy is still d's version.
inline Query version_of(const PodDispatcher& d)
{
    Query q = by_id(d.id);
    q.group_id = d.group_id;
    q.modification_count = d.modification_count;
    return q;
}

/// A write that sets d's pods and tasks (and inserts d if absent).
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

/// A write that turns before into after: sets only the pods or tasks that changed, so a
/// store need not check pods that were already there (and inserts after if absent).
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

/// A write that takes task_id off the front of the queue.
inline DispatcherUpdate dequeuing(std::string task_id, Timestamp at)
{
    DispatcherUpdate u;
    u.dequeue = std::move(task_id);
    u.last_modified = at;
    return u;
}

/// What a successful write did to d's version.
inline void advance(PodDispatcher& d, Timestamp at)
{
    ++d.modification_count;
    d.last_modified = at;
}

/// d with task_id queued if absent, and pod_id added if there are then more tasks than pods.
inline PodDispatcher with_allocation(PodDispatcher d, const std::string& task_id, const std::string& pod_id)
{
    if (!contains(d.task_ids, task_id)) {
        d.task_ids.push_back(task_id);
    }
    if (!contains(d.pod_ids, pod_id) && d.task_ids.size() > d.pod_ids.size()) {
        d.pod_ids.push_back(pod_id);
    }
    return d;
}

inline Task allocated(Task task, Timestamp at)
{
    task.container_allocated = true;
    task.container_allocated_time = at;
    ++task.container_allocation_attempts;
    return task;
}

inline Task deallocated(Task task)
{
    task.container_allocated = false;
    task.container_allocated_time = Timestamp{};
    return task;
}

inline Task failed_by_system(Task task)
{
    task.status = TaskStatus::failed;
    task.details_type = "system";
    task.details_description = "container task cannot be allocated";
    return task;
}

inline void mark_dispatched(Task& task, const Pod& pod, Timestamp at)
{
    task.status = TaskStatus::dispatched;
    task.dispatch_time = at;
    task.last_heartbeat = at;
    task.pod_id = pod.id;
    task.agent_version = pod.agent_version;
}

inline Task dispatched(Task task, const Pod& pod, Timestamp at)
{
    mark_dispatched(task, pod, at);
    return task;
}

/// A display task's roll-up when one of its execution tasks is dispatched.
inline Task display_dispatched(Task display_task, Timestamp at)
{
    display_task.status = TaskStatus::dispatched;
    display_task.dispatch_time = at;
    return display_task;
}

inline Pod running(Pod pod, const Task& task)
{
    pod.running_task_id = task.id;
    pod.running_task_execution = task.execution;
    pod.status = PodStatus::decommissioned;
    return pod;
}

inline void put_members(boost::json::object&) {}

template <class Value, class... Rest>
void put_members(boost::json::object& object, std::string_view key, Value&& value, Rest&&... rest)
{
    object.emplace(key, std::forward<Value>(value));
    put_members(object, std::forward<Rest>(rest)...);
}

/// The object {key: value, ...} of alternating keys and values. Cheaper than building it
/// from an initializer list, which matters on the dispatch path.
template <class... KeysAndValues>
boost::json::object json_object(KeysAndValues&&... keys_and_values)
{
    boost::json::object object;
    object.reserve(sizeof...(keys_and_values) / 2 + 1);
    put_members(object, std::forward<KeysAndValues>(keys_and_values)...);
    return object;
}

inline Event task_event(const Task& task, EventType type, Timestamp at, boost::json::object data = {})
{
    data["execution"] = task.execution;
    return Event{task.id, type, at, std::move(data)};
}

inline Event pod_assigned_event(const Pod& pod, const Task& task, Timestamp at)
{
    return Event{pod.id, EventType::pod_assigned_task, at,
                 json_object("task_id", task.id, "task_execution", task.execution)};
}

inline Event pod_status_event(const Pod& after, PodStatus old_status, Timestamp at)
{
    return Event{after.id, EventType::pod_status_changed, at,
                 json_object("old_status", boost::json::value_from(old_status), "new_status",
                             boost::json::value_from(after.status))};
}

} // namespace pod_dispatcher::detail

#endif
