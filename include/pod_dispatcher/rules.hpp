#ifndef POD_DISPATCHER_RULES_HPP
#define POD_DISPATCHER_RULES_HPP

// The dispatch rules: pure predicates over documents, no store involved.

#include <pod_dispatcher/documents.hpp>

#include <algorithm>
#include <string_view>

namespace pod_dispatcher {

/// Every dependency is finished and attainable, or the task overrides its dependencies.
inline bool dependencies_met(const Task& task) noexcept
{
    return task.override_dependencies ||
           std::ranges::all_of(task.depends_on, [](const Dependency& d) { return d.finished && !d.unattainable; });
}

/// Waiting to run in a container: undispatched, activated, enabled and ready.
inline bool is_container_scheduled(const Task& task) noexcept
{
    return task.execution_platform == ExecutionPlatform::container && task.status == TaskStatus::undispatched &&
           task.activated && task.priority > -1 && dependencies_met(task);
}

/// Scheduled, not yet given a container, with allocation attempts left.
inline bool should_allocate_container(const Task& task) noexcept
{
    return is_container_scheduled(task) && !task.container_allocated &&
           task.container_allocation_attempts < max_container_allocation_attempts;
}

/// Scheduled and given a container: a pod may take it.
inline bool is_container_dispatchable(const Task& task) noexcept
{
    return task.container_allocated && is_container_scheduled(task);
}

/// The task's project lets it be dispatched: enabled (or a hidden project's pull-request
/// task) and not with dispatching disabled.
inline bool project_allows_dispatch(const ProjectRef& project, std::string_view requester) noexcept
{
    const bool hidden_pull_request = requester == "github_pull_request" && project.hidden;
    return (project.enabled || hidden_pull_request) && !project.dispatching_disabled;
}

/// Free to take a task: running, and running none yet.
inline bool can_take_task(const Pod& pod) noexcept
{
    return pod.status == PodStatus::running && pod.running_task_id.empty();
}

/// Allocated with every allocation attempt used: the system fails it rather than retry.
inline bool allocation_exhausted(const Task& task) noexcept
{
    return task.container_allocated && task.container_allocation_attempts >= max_container_allocation_attempts;
}

} // namespace pod_dispatcher

#endif
