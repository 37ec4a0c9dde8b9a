#ifndef POD_DISPATCHER_JSON_HPP
#define POD_DISPATCHER_JSON_HPP

// Boost.JSON conversions of every document: boost::json::value_from(x),
// boost::json::value_to<T>(v) (throws on bad input) and boost::json::try_value_to<T>(v)
// (returns the error instead, never throws but for std::bad_alloc).
//
// - Keys are the member names ("id", "group_id", "pod_ids", ...). Every member is
//   written, except unset timestamps and empty std::optionals, which are omitted.
// - Enums are their enumerator names as strings: "undispatched", "container", "running".
// - Timestamps are RFC 3339 UTC strings with milliseconds: "2026-11-27T17:30:00.123Z".
//   Read: 0 to 9 fraction digits (truncated to milliseconds); 'Z' only, no offsets.
// - Reading: "id" is required (for Event, "resource_id" and "type"); any other member
//   that is absent or null takes its default. Unknown members are ignored, so older
//   readers accept newer documents.
// - An integer member accepts any JSON number it holds exactly: 3 and 3.0, not 3.5 or
//   a number out of its type's range.
//
// Errors from try_value_to:
// - boost::json::error::not_object, not_string, not_bool, not_array, not_number: a member
//   (or the document) has the wrong JSON type;
// - boost::json::error::not_exact: a number out of range or not integral;
// - boost::json::error::not_found: a required member is missing;
// - boost::json::error::unknown_name: a string that names no enumerator;
// - Errc::invalid_argument: a malformed timestamp, or a negative modification_count.

#include <pod_dispatcher/detail/json_enum.hpp>
#include <pod_dispatcher/detail/json_fields.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

namespace pod_dispatcher {

/// Writes doc as a JSON object. Throws std::system_error (Errc::invalid_argument) for a
/// timestamp outside years 0000 to 9999, which RFC 3339 cannot write.
template <detail::JsonDocument D>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const D& doc)
{
    detail::write_document(jv, doc);
}

/// Reads a D from a JSON object; an error for any malformed input (see the top of json.hpp).
template <detail::JsonDocument D>
boost::system::result<D> tag_invoke(boost::json::try_value_to_tag<D>, const boost::json::value& jv)
{
    return detail::read_document<D>(jv);
}

/// Writes e's enumerator name. Throws std::system_error (Errc::invalid_argument) for a
/// value that is no enumerator.
template <detail::JsonEnum E>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, E e)
{
    jv = detail::name_of(e);
}

/// Reads an enumerator from its name.
template <detail::JsonEnum E>
boost::system::result<E> tag_invoke(boost::json::try_value_to_tag<E>, const boost::json::value& jv)
{
    return detail::enum_from_json<E>(jv);
}

namespace detail {

using namespace std::string_view_literals;

template <>
struct JsonNames<TaskStatus> {
    static constexpr std::array names{
        std::pair{TaskStatus::undispatched, "undispatched"sv},
        std::pair{TaskStatus::dispatched, "dispatched"sv},
        std::pair{TaskStatus::started, "started"sv},
        std::pair{TaskStatus::succeeded, "succeeded"sv},
        std::pair{TaskStatus::failed, "failed"sv},
    };
};

template <>
struct JsonNames<ExecutionPlatform> {
    static constexpr std::array names{
        std::pair{ExecutionPlatform::host, "host"sv},
        std::pair{ExecutionPlatform::container, "container"sv},
    };
};

template <>
struct JsonNames<PodStatus> {
    static constexpr std::array names{
        std::pair{PodStatus::initializing, "initializing"sv},
        std::pair{PodStatus::starting, "starting"sv},
        std::pair{PodStatus::running, "running"sv},
        std::pair{PodStatus::decommissioned, "decommissioned"sv},
        std::pair{PodStatus::terminated, "terminated"sv},
    };
};

template <>
struct JsonNames<EventType> {
    static constexpr std::array names{
        std::pair{EventType::container_allocated, "container_allocated"sv},
        std::pair{EventType::container_deallocated, "container_deallocated"sv},
        std::pair{EventType::task_dispatched, "task_dispatched"sv},
        std::pair{EventType::task_system_failed, "task_system_failed"sv},
        std::pair{EventType::pod_assigned_task, "pod_assigned_task"sv},
        std::pair{EventType::pod_status_changed, "pod_status_changed"sv},
    };
};

constexpr bool non_negative(const std::int64_t& n) { return n >= 0; }

template <>
struct JsonFields<PodDispatcher> {
    static constexpr std::tuple fields{
        required("id", &PodDispatcher::id),
        optional("group_id", &PodDispatcher::group_id),
        optional("pod_ids", &PodDispatcher::pod_ids),
        optional("task_ids", &PodDispatcher::task_ids),
        optional("modification_count", &PodDispatcher::modification_count, non_negative),
        optional("last_modified", &PodDispatcher::last_modified),
    };
};

template <>
struct JsonFields<Dependency> {
    static constexpr std::tuple fields{
        required("task_id", &Dependency::task_id),
        optional("finished", &Dependency::finished),
        optional("unattainable", &Dependency::unattainable),
    };
};

template <>
struct JsonFields<Task> {
    static constexpr std::tuple fields{
        required("id", &Task::id),
        optional("execution", &Task::execution),
        optional("project", &Task::project),
        optional("requester", &Task::requester),
        optional("status", &Task::status),
        optional("activated", &Task::activated),
        optional("activated_time", &Task::activated_time),
        optional("priority", &Task::priority),
        optional("execution_platform", &Task::execution_platform),
        optional("container_allocated", &Task::container_allocated),
        optional("container_allocated_time", &Task::container_allocated_time),
        optional("container_allocation_attempts", &Task::container_allocation_attempts),
        optional("depends_on", &Task::depends_on),
        optional("override_dependencies", &Task::override_dependencies),
        optional("display_task_id", &Task::display_task_id),
        optional("display_only", &Task::display_only),
        optional("execution_tasks", &Task::execution_tasks),
        optional("pod_id", &Task::pod_id),
        optional("agent_version", &Task::agent_version),
        optional("dispatch_time", &Task::dispatch_time),
        optional("last_heartbeat", &Task::last_heartbeat),
        optional("details_type", &Task::details_type),
        optional("details_description", &Task::details_description),
    };
};

template <>
struct JsonFields<Pod> {
    static constexpr std::tuple fields{
        required("id", &Pod::id),
        optional("status", &Pod::status),
        optional("agent_version", &Pod::agent_version),
        optional("running_task_id", &Pod::running_task_id),
        optional("running_task_execution", &Pod::running_task_execution),
    };
};

template <>
struct JsonFields<ProjectRef> {
    static constexpr std::tuple fields{
        required("id", &ProjectRef::id),
        optional("enabled", &ProjectRef::enabled),
        optional("hidden", &ProjectRef::hidden),
        optional("dispatching_disabled", &ProjectRef::dispatching_disabled),
    };
};

template <>
struct JsonFields<Event> {
    static constexpr std::tuple fields{
        required("resource_id", &Event::resource_id),
        required("type", &Event::type),
        optional("timestamp", &Event::timestamp),
        optional("data", &Event::data),
    };
};

template <>
struct JsonFields<Query> {
    static constexpr std::tuple fields{
        optional("id", &Query::id),
        optional("group_id", &Query::group_id),
        optional("pod_id", &Query::pod_id),
        optional("modification_count", &Query::modification_count),
    };
};

template <>
struct JsonFields<DispatcherUpdate> {
    static constexpr std::tuple fields{
        optional("id", &DispatcherUpdate::id),
        optional("group_id", &DispatcherUpdate::group_id),
        optional("pod_ids", &DispatcherUpdate::pod_ids),
        optional("task_ids", &DispatcherUpdate::task_ids),
        optional("dequeue", &DispatcherUpdate::dequeue),
        optional("last_modified", &DispatcherUpdate::last_modified),
        optional("increment", &DispatcherUpdate::increment),
    };
};

template <>
struct JsonFields<ChangeInfo> {
    static constexpr std::tuple fields{
        optional("updated", &ChangeInfo::updated),
        optional("removed", &ChangeInfo::removed),
        optional("upserted_id", &ChangeInfo::upserted_id),
    };
};

} // namespace detail
} // namespace pod_dispatcher

#endif
