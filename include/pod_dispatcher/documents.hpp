#ifndef POD_DISPATCHER_DOCUMENTS_HPP
#define POD_DISPATCHER_DOCUMENTS_HPP

// The documents a dispatcher reads and writes besides itself: tasks, pods,
// project refs and events. PodDispatcher lives in dispatcher.hpp.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string>
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

enum class TaskStatus { undispatched, dispatched, started, succeeded, failed };
enum class ExecutionPlatform { host, container };
enum class PodStatus { initializing, starting, running, decommissioned, terminated };
enum class EventType {
    container_allocated,
    container_deallocated,
    task_dispatched,
    task_system_failed,
    pod_assigned_task,
    pod_status_changed,
};

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

    bool operator==(const Task&) const = default;
};

struct Pod {
    std::string id{};
    PodStatus status = PodStatus::initializing;
    std::string agent_version{};
    std::string running_task_id{};
    int running_task_execution = 0;

    bool operator==(const Pod&) const = default;
};

struct ProjectRef {
    std::string id{};
    bool enabled = true;
    bool hidden = false;
    bool dispatching_disabled = false;

    bool operator==(const ProjectRef&) const = default;
};

/// Something that happened to a task or pod, appended to the event log.
struct Event {
    std::string resource_id{};
    EventType type = EventType::container_allocated;
    Timestamp timestamp{};
    boost::json::object data{};

    bool operator==(const Event&) const = default;
};

} // namespace pod_dispatcher

#endif
