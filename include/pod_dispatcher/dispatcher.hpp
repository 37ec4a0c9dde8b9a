#ifndef POD_DISPATCHER_DISPATCHER_HPP
#define POD_DISPATCHER_DISPATCHER_HPP

// The PodDispatcher document: one group's queue of tasks and the pods that run them.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/fields.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

/// What an upsert did.
struct ChangeInfo {
    int updated = 0; ///< 1 when it inserted or modified a document.
    int removed = 0; ///< Documents removed; no upsert removes any, so always 0.
    std::optional<std::string> upserted_id{}; ///< The id it inserted, if it inserted.

    bool operator==(const ChangeInfo&) const = default;
};

namespace detail {
// Each member operation of PodDispatcher is a class template of operations/, declared
// here so that the member can name it: a caller that did not include the operation's
// header gets a compile error that names the header, never a link error.
template <class S>
struct InsertDispatcher; // operations/upsert.hpp
template <class S>
struct UpsertAtomically; // operations/upsert.hpp
template <class S>
struct AssignNextTask; // operations/dispatch.hpp
template <class S>
struct RemovePod; // operations/remove_pod.hpp

/// Whether T is a complete type here: whether an operation's header was included.
template <class T>
concept complete = requires { sizeof(T); };
} // namespace detail

/// The stored collection and field names of dispatchers.
inline constexpr std::string_view collection = "pod_dispatchers";
namespace keys {
inline constexpr std::string_view id = "_id";
inline constexpr std::string_view group_id = "group_id";
inline constexpr std::string_view pod_ids = "pod_ids";
inline constexpr std::string_view task_ids = "task_ids";
inline constexpr std::string_view modification_count = "modification_count";
inline constexpr std::string_view last_modified = "last_modified";
} // namespace keys

/// One group's queue of task ids (front is next) and the pods allocated to run them.
/// Every write is conditional on the stored copy still having this id, group_id and
/// modification_count; a successful one increments the count and sets last_modified,
/// here and in the store. A failed one changes neither.
///
/// The member operations take any Store (store.hpp) and are defined with the other
/// operations (operations/); include pod_dispatcher.hpp to use them.
struct PodDispatcher {
    std::string id{};       ///< Unique; 24 lowercase hex characters when generated.
    std::string group_id{}; ///< Unique across dispatchers.
    std::vector<std::string> pod_ids{};
    std::vector<std::string> task_ids{};
    std::int64_t modification_count = 0;
    Timestamp last_modified{};

    bool operator==(const PodDispatcher&) const = default;

    /// Stores this dispatcher exactly as it is. Errc::duplicate_key when its id, group or
    /// a pod is taken.
    template <class S>
    Result<void> insert(S& store) const
    {
        static_assert(detail::complete<detail::InsertDispatcher<S>>,
                      "PodDispatcher::insert is defined in <pod_dispatcher/operations/upsert.hpp>: include it, or "
                      "<pod_dispatcher/pod_dispatcher.hpp>");
        return detail::InsertDispatcher<S>::run(store, *this);
    }

    /// Inserts this dispatcher if absent, else replaces its pods, tasks and last_modified,
    /// if the stored copy is not newer than this one.
    template <class S>
    Result<ChangeInfo> upsert_atomically(S& store)
    {
        static_assert(detail::complete<detail::UpsertAtomically<S>>,
                      "PodDispatcher::upsert_atomically is defined in <pod_dispatcher/operations/upsert.hpp>: include "
                      "it, or <pod_dispatcher/pod_dispatcher.hpp>");
        return detail::UpsertAtomically<S>::run(store, *this);
    }

    /// Dequeues tasks that cannot run and dispatches the first that can to pod.
    /// Returns the dispatched task, or an empty optional when the queue runs out; on
    /// success pod is as stored after (it was heard from now). Reads the queue from this
    /// copy, which must be current (Errc::conflict when it is not), and only as far as the
    /// walk goes: an empty or repeated id found there is Errc::invalid_argument.
    /// Errc::pod_busy when pod (the caller's copy) runs a task; precondition_failed when
    /// the stored pod is terminated, or is not running or runs a task when a task is for
    /// it; not_found when it is not stored and a task is for it.
    template <class S>
    Result<std::optional<Task>> assign_next_task(S& store, Pod& pod)
    {
        static_assert(detail::complete<detail::AssignNextTask<S>>,
                      "PodDispatcher::assign_next_task is defined in <pod_dispatcher/operations/dispatch.hpp>: include "
                      "it, or <pod_dispatcher/pod_dispatcher.hpp>");
        return detail::AssignNextTask<S>::run(store, *this, pod);
    }

    /// Takes pod_id out of this dispatcher; the last pod to leave releases the queue.
    template <class S>
    Result<void> remove_pod(S& store, std::string_view pod_id)
    {
        static_assert(detail::complete<detail::RemovePod<S>>,
                      "PodDispatcher::remove_pod is defined in <pod_dispatcher/operations/remove_pod.hpp>: include it, "
                      "or <pod_dispatcher/pod_dispatcher.hpp>");
        return detail::RemovePod<S>::run(store, *this, pod_id);
    }
};

/// The JSON fields of a dispatcher are its member names; keys:: gives the stored names,
/// which differ only for the id.
template <>
struct Fields<PodDispatcher> {
    static constexpr bool non_negative(const std::int64_t& n) { return n >= 0; }

    static constexpr std::tuple all{
        field("id", &PodDispatcher::id, FieldRole::id),
        field(keys::group_id, &PodDispatcher::group_id),
        field(keys::pod_ids, &PodDispatcher::pod_ids),
        field(keys::task_ids, &PodDispatcher::task_ids),
        field(keys::modification_count, &PodDispatcher::modification_count, FieldRole::plain, &non_negative),
        field(keys::last_modified, &PodDispatcher::last_modified),
    };
};

template <>
struct Fields<ChangeInfo> {
    static constexpr std::tuple all{
        field("updated", &ChangeInfo::updated),
        field("removed", &ChangeInfo::removed),
        field("upserted_id", &ChangeInfo::upserted_id),
    };
};

} // namespace pod_dispatcher

#endif
