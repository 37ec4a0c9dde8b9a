#ifndef POD_DISPATCHER_RULES_HPP
#define POD_DISPATCHER_RULES_HPP

// The dispatch rules: pure predicates over documents, no store involved, each with the
// fields it reads, which guard the writes made on its word.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/fields.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
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

/// The fields is_container_scheduled reads.
inline constexpr auto scheduling_fields =
    FieldSet<Task>::of(&Task::execution_platform, &Task::status, &Task::activated, &Task::priority,
                       &Task::depends_on, &Task::override_dependencies);

/// Scheduled, not yet given a container, with allocation attempts left.
inline bool should_allocate_container(const Task& task) noexcept
{
    return is_container_scheduled(task) && !task.container_allocated &&
           task.container_allocation_attempts < max_container_allocation_attempts;
}

/// The fields should_allocate_container reads.
inline constexpr auto allocation_fields =
    scheduling_fields | FieldSet<Task>::of(&Task::container_allocated, &Task::container_allocation_attempts);

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

/// The fields a dispatch reads of a task to decide it may run, and to run it: whether it
/// is dispatchable, its project and requester, and the execution the pod will run.
inline constexpr auto dispatch_fields =
    scheduling_fields | FieldSet<Task>::of(&Task::container_allocated, &Task::project, &Task::requester,
                                           &Task::execution);

/// Free to take a task: running, and running none yet.
inline bool can_take_task(const Pod& pod) noexcept
{
    return pod.status == PodStatus::running && pod.running_task_id.empty();
}

/// The fields can_take_task reads.
inline constexpr auto idle_pod_fields = FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id);

/// Why a pod cannot take a task: Errc::not_found when there is none (nullptr), busy_error
/// when it runs a task, Errc::precondition_failed when it is not running; nothing when it
/// can. Reads idle_pod_fields.
inline std::optional<Errc> pod_refusal(const Pod* pod, Errc busy_error) noexcept
{
    if (pod == nullptr) {
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

/// Allocated with every allocation attempt used: the system fails it rather than retry.
inline bool allocation_exhausted(const Task& task) noexcept
{
    return task.container_allocated && task.container_allocation_attempts >= max_container_allocation_attempts;
}

/// The fields a release (remove_pod, a dequeue) reads: whether the task is allocated, has
/// attempts left, and has not moved on meanwhile.
inline constexpr auto release_fields =
    FieldSet<Task>::of(&Task::status, &Task::container_allocated, &Task::container_allocation_attempts);

/// Running on a pod, so that the pod may report it finished.
inline bool is_running(const Task& task) noexcept
{
    return task.status == TaskStatus::dispatched || task.status == TaskStatus::started;
}

/// A finish reads these fields of the task: its status, the pod running it, the execution.
inline constexpr auto running_fields = FieldSet<Task>::of(&Task::status, &Task::pod_id, &Task::execution);

/// The task runs on pod, in the execution pod runs: what finish_task, heartbeat and
/// terminate_pod ask of the task the pod names as its running task.
inline bool runs_on(const Task& task, const Pod& pod) noexcept
{
    return is_running(task) && task.pod_id == pod.id && task.execution == pod.running_task_execution;
}

// ---- Pods that fail: heartbeats, terminated pods, stranded tasks.

/// A task stranded on a pod that died runs again, rather than fail, only while its
/// execution is below max_stranded_restarts.
inline bool restarts_when_stranded(const Task& task) noexcept { return task.execution < max_stranded_restarts; }

/// When a pod counts as stale: not heard from since these times.
struct StaleCutoffs {
    Timestamp startup;   ///< For a pod that is initializing or starting.
    Timestamp heartbeat; ///< For a pod that is running or decommissioned.
};

/// Why rescue_stale_pods terminates pod: "startup timeout" or "heartbeat timeout"; none
/// when the pod is not stale. An unset last_communicated is earlier than any time.
inline std::optional<std::string_view> staleness(const Pod& pod, const StaleCutoffs& cutoffs) noexcept
{
    switch (pod.status) {
    case PodStatus::initializing:
    case PodStatus::starting:
        if (pod.last_communicated < cutoffs.startup) {
            return "startup timeout";
        }
        break;
    case PodStatus::running:
    case PodStatus::decommissioned:
        if (pod.last_communicated < cutoffs.heartbeat) {
            return "heartbeat timeout";
        }
        break;
    case PodStatus::terminated: break;
    }
    return std::nullopt;
}

/// The fields staleness reads.
inline constexpr auto liveness_fields = FieldSet<Pod>::of(&Pod::status, &Pod::last_communicated);

// ---- Task groups: tasks of one build variant of one version of one project that share
// pods, so that the group's set-up runs once per pod, not once per task.

/// Part of a task group.
inline bool in_task_group(const Task& task) noexcept { return !task.task_group.empty(); }

/// The dispatcher group of a task: its task group's id, or its own id outside any group.
inline std::string get_group_id(const Task& task)
{
    if (!in_task_group(task)) {
        return task.id;
    }
    std::string id;
    id.reserve(task.task_group.size() + task.build_variant.size() + task.project.size() + task.version.size() + 3);
    id.append(task.task_group).append("_").append(task.build_variant).append("_");
    id.append(task.project).append("_").append(task.version);
    return id;
}

/// The fields that place a task in a group's queue and cap the group's pods.
inline constexpr auto group_fields =
    FieldSet<Task>::of(&Task::id, &Task::task_group, &Task::build_variant, &Task::project, &Task::version,
                       &Task::task_group_max_hosts, &Task::task_group_order);

/// A group with one pod, whose tasks run one at a time, in order, and which stops at the
/// first task that does not succeed.
inline bool in_single_host_group(const Task& task) noexcept
{
    return in_task_group(task) && task.task_group_max_hosts == 1;
}

/// Whether a dispatcher with `pods` pods and `tasks` queued tasks (task among them) takes
/// one more pod: only while it has fewer pods than tasks, and, in a task group with a
/// positive task_group_max_hosts, fewer than that.
inline bool takes_another_pod(std::size_t pods, std::size_t tasks, const Task& task) noexcept
{
    const bool capped = in_task_group(task) && task.task_group_max_hosts >= 1;
    return pods < tasks && (!capped || pods < static_cast<std::size_t>(task.task_group_max_hosts));
}

/// A group's pod stays running after a dispatch, to take the group's next task; any
/// other pod is decommissioned with its task.
inline PodStatus status_after_dispatch(const Task& task, PodStatus before) noexcept
{
    return in_task_group(task) ? before : PodStatus::decommissioned;
}

/// A task of the same group as task, whose finish did not succeed: its single-host group
/// stops.
inline bool stops_group_of(const Task& finished, const Task& task)
{
    return in_single_host_group(task) && finished.status == TaskStatus::failed &&
           get_group_id(finished) == get_group_id(task);
}

} // namespace pod_dispatcher

#endif
