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

struct ChangeInfo;

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
    Result<void> insert(S& store) const;

    /// Inserts this dispatcher if absent, else replaces its pods, tasks and last_modified,
    /// if the stored copy is not newer than this one.
    template <class S>
    Result<ChangeInfo> upsert_atomically(S& store);

    /// Dequeues tasks that cannot run and dispatches the first that can to pod.
    /// Returns the dispatched task, or an empty optional when the queue runs out.
    template <class S>
    Result<std::optional<Task>> assign_next_task(S& store, Pod& pod);

    /// Takes pod_id out of this dispatcher; the last pod to leave releases the queue.
    template <class S>
    Result<void> remove_pod(S& store, std::string_view pod_id);
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

} // namespace pod_dispatcher

#endif
