#ifndef POD_DISPATCHER_TESTING_SAMPLES_HPP
#define POD_DISPATCHER_TESTING_SAMPLES_HPP

// Documents in the states the rules talk about, for the suites and for benchmarks.

#include <pod_dispatcher/documents.hpp>

#include <chrono>
#include <string>

namespace pod_dispatcher::testing {

inline constexpr const char* project_id = "project";

/// A time long past, distinct from any time a call stamps now.
inline constexpr Timestamp long_ago{std::chrono::milliseconds{1'600'000'000'000}};

/// Container-scheduled and not yet allocated: allocate may take it.
inline Task allocatable_task(std::string id)
{
    Task task;
    task.id = std::move(id);
    task.project = project_id;
    task.requester = "patch_request";
    task.activated = true;
    return task;
}

/// Allocated and scheduled: a pod may take it.
inline Task dispatchable_task(std::string id)
{
    Task task = allocatable_task(std::move(id));
    task.container_allocated = true;
    task.container_allocated_time = Timestamp{std::chrono::milliseconds{1'700'000'000'000}};
    task.container_allocation_attempts = 1;
    return task;
}

inline Pod running_pod(std::string id)
{
    Pod pod;
    pod.id = std::move(id);
    pod.status = PodStatus::running;
    pod.agent_version = "agent-2026-11";
    return pod;
}

/// A pod in the given status, last heard from at `at` (unset: never).
inline Pod pod_heard_at(std::string id, PodStatus status, Timestamp at)
{
    Pod pod = running_pod(std::move(id));
    pod.status = status;
    pod.last_communicated = at;
    return pod;
}

/// A pod allocate has not stored yet.
inline Pod intent_pod(std::string id)
{
    Pod pod;
    pod.id = std::move(id);
    return pod;
}

/// Allocatable, and in the task group `group` of build variant "variant", version "v1"
/// of the sample project, at task_group_order order.
inline Task group_task(std::string id, std::string group, int order, int max_hosts)
{
    Task task = allocatable_task(std::move(id));
    task.task_group = std::move(group);
    task.build_variant = "variant";
    task.version = "v1";
    task.task_group_order = order;
    task.task_group_max_hosts = max_hosts;
    return task;
}

inline ProjectRef enabled_project(std::string id = project_id)
{
    ProjectRef ref;
    ref.id = std::move(id);
    return ref;
}

} // namespace pod_dispatcher::testing

#endif
