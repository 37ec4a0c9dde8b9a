#ifndef POD_DISPATCHER_DOCUMENTS_HPP
#define POD_DISPATCHER_DOCUMENTS_HPP

// The documents a dispatcher reads and writes besides itself: tasks, pods and project
// refs, each with its Fields table. Events live in events.hpp, PodDispatcher in
// dispatcher.hpp.

#include <pod_dispatcher/fields.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

/// Milliseconds since the epoch, like a BSON date, so a stored value reads back equal.
/// A default-constructed Timestamp{} means "unset".
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// The current time, truncated to the Timestamp's precision.
inline Timestamp now() noexcept
{
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

/// A task that has used this many container allocations is failed, not retried.
inline constexpr int max_container_allocation_attempts = 5;

/// A task stranded on a pod that died runs again only while its execution is below this;
/// past it, the system fails the task (terminate_pod).
inline constexpr int max_stranded_restarts = 1;

enum class TaskStatus { undispatched, dispatched, started, succeeded, failed };
enum class ExecutionPlatform { host, container };
enum class PodStatus { initializing, starting, running, decommissioned, terminated };

/// A task this one waits for.
struct Dependency {
    std::string task_id{};
    bool finished = false;
    bool unattainable = false;

    bool operator==(const Dependency&) const = default;
};

struct Task {
    std::string id{};
    int execution = 0;
    std::string project{};
    std::string requester{};
    TaskStatus status = TaskStatus::undispatched;
    bool activated = false;
    Timestamp activated_time{};
    std::int64_t priority = 0; ///< <= -1 means disabled.
    ExecutionPlatform execution_platform = ExecutionPlatform::container;
    bool container_allocated = false;
    Timestamp container_allocated_time{};
    int container_allocation_attempts = 0;
    std::vector<Dependency> depends_on{};
    bool override_dependencies = false;
    std::string display_task_id{}; ///< Empty: not part of a display task.
    bool display_only = false;
    std::vector<std::string> execution_tasks{};
    std::string pod_id{};
    std::string agent_version{};
    Timestamp dispatch_time{};
    Timestamp last_heartbeat{};
    std::string details_type{};        ///< Set when the system failed the task.
    std::string details_description{}; ///< Set when the system failed the task.
    // Task groups (rules.hpp): empty and 0 for a task outside any group.
    std::string task_group{};     ///< Empty: not in a task group.
    std::string build_variant{};
    std::string version{};
    int task_group_max_hosts = 0; ///< Pods the group may use; 0 or less: as many as it has tasks.
    int task_group_order = 0;     ///< The group's tasks queue and run in this order.

    bool operator==(const Task&) const = default;
};

struct Pod {
    std::string id{};
    PodStatus status = PodStatus::initializing;
    std::string agent_version{};
    std::string running_task_id{};
    int running_task_execution = 0;
    /// The task the pod finished last (finish_task), so that a single-host task group can
    /// stop after a task that did not succeed.
    std::string last_task_id{};
    /// When the pod last made itself heard (rescue_stale_pods); unset: never.
    Timestamp last_communicated{};

    bool operator==(const Pod&) const = default;
};

struct ProjectRef {
    std::string id{};
    bool enabled = true;
    bool hidden = false;
    bool dispatching_disabled = false;

    bool operator==(const ProjectRef&) const = default;
};

// ---- Field tables and enum names (fields.hpp).

template <>
struct EnumNames<TaskStatus> {
    static constexpr std::array<std::string_view, 5> names{"undispatched", "dispatched", "started", "succeeded",
                                                           "failed"};
};

template <>
struct EnumNames<ExecutionPlatform> {
    static constexpr std::array<std::string_view, 2> names{"host", "container"};
};

template <>
struct EnumNames<PodStatus> {
    static constexpr std::array<std::string_view, 5> names{"initializing", "starting", "running", "decommissioned",
                                                           "terminated"};
};

template <>
struct Fields<Dependency> {
    static constexpr std::tuple all{
        field("task_id", &Dependency::task_id, FieldRole::required),
        field("finished", &Dependency::finished),
        field("unattainable", &Dependency::unattainable),
    };
};

template <>
struct Fields<Task> {
    using T = Task;
    static constexpr std::tuple all{
        field("id", &T::id, FieldRole::id),
        field("execution", &T::execution),
        field("project", &T::project),
        field("requester", &T::requester),
        field("status", &T::status),
        field("activated", &T::activated),
        field("activated_time", &T::activated_time),
        field("priority", &T::priority),
        field("execution_platform", &T::execution_platform),
        field("container_allocated", &T::container_allocated),
        field("container_allocated_time", &T::container_allocated_time),
        field("container_allocation_attempts", &T::container_allocation_attempts),
        field("depends_on", &T::depends_on),
        field("override_dependencies", &T::override_dependencies),
        field("display_task_id", &T::display_task_id),
        field("display_only", &T::display_only),
        field("execution_tasks", &T::execution_tasks),
        field("pod_id", &T::pod_id),
        field("agent_version", &T::agent_version),
        field("dispatch_time", &T::dispatch_time),
        field("last_heartbeat", &T::last_heartbeat),
        field("details_type", &T::details_type),
        field("details_description", &T::details_description),
        field("task_group", &T::task_group),
        field("build_variant", &T::build_variant),
        field("version", &T::version),
        field("task_group_max_hosts", &T::task_group_max_hosts),
        field("task_group_order", &T::task_group_order),
    };
};

template <>
struct Fields<Pod> {
    static constexpr std::tuple all{
        field("id", &Pod::id, FieldRole::id),
        field("status", &Pod::status),
        field("agent_version", &Pod::agent_version),
        field("running_task_id", &Pod::running_task_id),
        field("running_task_execution", &Pod::running_task_execution),
        field("last_task_id", &Pod::last_task_id),
        field("last_communicated", &Pod::last_communicated),
    };
};

template <>
struct Fields<ProjectRef> {
    static constexpr std::tuple all{
        field("id", &ProjectRef::id, FieldRole::id),
        field("enabled", &ProjectRef::enabled),
        field("hidden", &ProjectRef::hidden),
        field("dispatching_disabled", &ProjectRef::dispatching_disabled),
    };
};

} // namespace pod_dispatcher

#endif
