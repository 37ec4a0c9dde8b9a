#ifndef POD_DISPATCHER_EVENTS_HPP
#define POD_DISPATCHER_EVENTS_HPP

// Events: what happened to a task or pod, with a typed payload per kind of event.
// boost::json::value_from(event) (json.hpp) writes the payload as the "data" object.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/fields.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace pod_dispatcher {

enum class EventType {
    container_allocated,   ///< task; AllocationData
    container_deallocated, ///< task; AllocationData
    task_dispatched,       ///< task; DispatchData
    task_system_failed,    ///< task; SystemFailureData
    pod_assigned_task,     ///< pod; AssignmentData
    pod_status_changed,    ///< pod; StatusChangeData
    task_finished,         ///< task; FinishData
    task_restarted,        ///< task; RestartData
    pod_cleared_task,      ///< pod; AssignmentData
};

/// container_allocated and container_deallocated: the task's execution.
struct AllocationData {
    int execution = 0;

    bool operator==(const AllocationData&) const = default;
};

/// task_dispatched: the pod that took the task.
struct DispatchData {
    std::string pod_id{};
    int execution = 0;

    bool operator==(const DispatchData&) const = default;
};

/// task_system_failed: why the system failed the task.
struct SystemFailureData {
    int execution = 0;
    std::string details_type{};
    std::string details_description{};

    bool operator==(const SystemFailureData&) const = default;
};

/// pod_assigned_task: the task the pod was given; pod_cleared_task: the task taken off
/// the pod when it was terminated.
struct AssignmentData {
    std::string task_id{};
    int task_execution = 0;

    bool operator==(const AssignmentData&) const = default;
};

/// pod_status_changed.
struct StatusChangeData {
    PodStatus old_status = PodStatus::initializing;
    PodStatus new_status = PodStatus::initializing;
    std::string reason{}; ///< Why the pod was terminated; empty for other changes.

    bool operator==(const StatusChangeData&) const = default;
};

/// task_finished: the pod that ran the task, and how it ended.
struct FinishData {
    std::string pod_id{};
    int execution = 0;
    TaskStatus status = TaskStatus::succeeded;

    bool operator==(const FinishData&) const = default;
};

/// task_restarted: a task stranded on a dead pod starts a new execution.
struct RestartData {
    std::string pod_id{}; ///< The pod the previous execution was stranded on.
    int execution = 0;    ///< The new execution.

    bool operator==(const RestartData&) const = default;
};

/// An event's payload; std::monostate for an event recorded without one.
using EventData = std::variant<std::monostate, AllocationData, DispatchData, SystemFailureData, AssignmentData,
                               StatusChangeData, FinishData, RestartData>;

/// Something that happened to a task or pod, appended to the event log.
struct Event {
    std::string resource_id{}; ///< The task's or pod's id.
    EventType type = EventType::container_allocated;
    Timestamp timestamp{};
    EventData data{};

    bool operator==(const Event&) const = default;
};

// ---- Field tables and enum names (fields.hpp).

template <>
struct EnumNames<EventType> {
    static constexpr std::array<std::string_view, 9> names{
        "container_allocated", "container_deallocated", "task_dispatched", "task_system_failed",
        "pod_assigned_task",   "pod_status_changed",    "task_finished",   "task_restarted",
        "pod_cleared_task"};
};

/// The position in EventData of the payload that events of type t carry.
constexpr std::size_t payload_index(EventType t) noexcept
{
    switch (t) {
    case EventType::container_allocated:
    case EventType::container_deallocated: return 1;
    case EventType::task_dispatched: return 2;
    case EventType::task_system_failed: return 3;
    case EventType::pod_assigned_task:
    case EventType::pod_cleared_task: return 4;
    case EventType::pod_status_changed: return 5;
    case EventType::task_finished: return 6;
    case EventType::task_restarted: return 7;
    }
    return 0;
}

template <EventType T, class Data>
inline constexpr bool carries = std::is_same_v<std::variant_alternative_t<payload_index(T), EventData>, Data>;
static_assert(carries<EventType::container_allocated, AllocationData> &&
              carries<EventType::container_deallocated, AllocationData> &&
              carries<EventType::task_dispatched, DispatchData> &&
              carries<EventType::task_system_failed, SystemFailureData> &&
              carries<EventType::pod_assigned_task, AssignmentData> &&
              carries<EventType::pod_status_changed, StatusChangeData> &&
              carries<EventType::task_finished, FinishData> && carries<EventType::task_restarted, RestartData> &&
              carries<EventType::pod_cleared_task, AssignmentData>);

template <>
struct Fields<AllocationData> {
    static constexpr std::tuple all{field("execution", &AllocationData::execution)};
};

template <>
struct Fields<DispatchData> {
    static constexpr std::tuple all{
        field("pod_id", &DispatchData::pod_id),
        field("execution", &DispatchData::execution),
    };
};

template <>
struct Fields<SystemFailureData> {
    static constexpr std::tuple all{
        field("execution", &SystemFailureData::execution),
        field("details_type", &SystemFailureData::details_type),
        field("details_description", &SystemFailureData::details_description),
    };
};

template <>
struct Fields<AssignmentData> {
    static constexpr std::tuple all{
        field("task_id", &AssignmentData::task_id),
        field("task_execution", &AssignmentData::task_execution),
    };
};

template <>
struct Fields<StatusChangeData> {
    static constexpr std::tuple all{
        field("old_status", &StatusChangeData::old_status),
        field("new_status", &StatusChangeData::new_status),
        field("reason", &StatusChangeData::reason),
    };
};

template <>
struct Fields<FinishData> {
    static constexpr std::tuple all{
        field("pod_id", &FinishData::pod_id),
        field("execution", &FinishData::execution),
        field("status", &FinishData::status),
    };
};

template <>
struct Fields<RestartData> {
    static constexpr std::tuple all{
        field("pod_id", &RestartData::pod_id),
        field("execution", &RestartData::execution),
    };
};

/// The payload's fields are read according to the event's type, so "data" comes last.
template <>
struct Fields<Event> {
    static constexpr std::tuple all{
        field("resource_id", &Event::resource_id, FieldRole::required),
        field("type", &Event::type, FieldRole::required),
        field("timestamp", &Event::timestamp),
        field("data", &Event::data),
    };
};

} // namespace pod_dispatcher

#endif
