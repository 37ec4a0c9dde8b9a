#ifndef POD_DISPATCHER_DISPATCHER_HPP
#define POD_DISPATCHER_DISPATCHER_HPP

// The PodDispatcher document: one group's queue of tasks and the pods that run them.
// Its member operations are defined in operations.hpp; include pod_dispatcher.hpp.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/update.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

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
struct PodDispatcher {
    std::string id{}; ///< Unique; 24 lowercase hex characters when generated.
    std::string group_id{}; ///< Unique across dispatchers.
    std::vector<std::string> pod_ids{};
    std::vector<std::string> task_ids{};
    std::int64_t modification_count = 0;
    Timestamp last_modified{};

    bool operator==(const PodDispatcher&) const = default;

    /// Stores this dispatcher exactly as it is. Errc::duplicate_key when its id, group or
    /// a pod is taken.
    template <Store S>
    Result<void> insert(S& store) const;

    /// Inserts this dispatcher if absent, else replaces its pods, tasks and last_modified,
    /// if the stored copy is not newer than this one.
    template <Store S>
    Result<ChangeInfo> upsert_atomically(S& store);

    /// Dequeues tasks that cannot run and dispatches the first that can to pod.
    /// Returns the dispatched task, or an empty optional when the queue runs out.
    template <Store S>
    Result<std::optional<Task>> assign_next_task(S& store, Pod& pod);

    /// Takes pod_id out of this dispatcher; the last pod to leave releases the queue.
    template <Store S>
    Result<void> remove_pod(S& store, std::string_view pod_id);
};

/// Whether d meets every condition q sets.
inline bool matches(const Query& q, const PodDispatcher& d)
{
    return (!q.id || *q.id == d.id) && (!q.group_id || *q.group_id == d.group_id) &&
           (!q.pod_id || std::ranges::find(d.pod_ids, *q.pod_id) != d.pod_ids.end()) &&
           (!q.modification_count || *q.modification_count == d.modification_count);
}

} // namespace pod_dispatcher

#endif
