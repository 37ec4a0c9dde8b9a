#ifndef POD_DISPATCHER_UPDATE_HPP
#define POD_DISPATCHER_UPDATE_HPP

// What a write of a dispatcher changes, and what it reports back.

#include <pod_dispatcher/documents.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pod_dispatcher {

/// One write of a dispatcher. A store applies it to the single dispatcher its
/// Query matches; an upsert that matches none inserts
/// {id, group_id, pod_ids, task_ids, modification_count = query's count + increment, last_modified}.
struct DispatcherUpdate {
    std::string id{};       ///< The id to insert under when an upsert matches nothing.
    std::string group_id{}; ///< The group to insert when an upsert matches nothing.
    std::optional<std::vector<std::string>> pod_ids{};  ///< Replaces the pods when set.
    std::optional<std::vector<std::string>> task_ids{}; ///< Replaces the queue when set.
    /// Removes this id from the front of the queue; the write matches only if it is the front.
    /// Lets a dequeue cost the same whatever the queue's length.
    std::optional<std::string> dequeue{};
    Timestamp last_modified{};
    std::int64_t increment = 1; ///< Added to modification_count.

    bool operator==(const DispatcherUpdate&) const = default;
};

/// What an upsert or update did.
struct ChangeInfo {
    int updated = 0; ///< 1 when it inserted or modified a document.
    int removed = 0;
    std::optional<std::string> upserted_id{}; ///< The id it inserted, if it inserted.

    bool operator==(const ChangeInfo&) const = default;
};

} // namespace pod_dispatcher

#endif
