#ifndef POD_DISPATCHER_UPDATE_HPP
#define POD_DISPATCHER_UPDATE_HPP

// What a write changes: a dispatcher's queue and pods (DispatcherUpdate), some fields of
// a task or pod under a guard (FieldUpdate), and what an upsert reports (ChangeInfo).

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/fields.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

/// One write of a dispatcher: applied to the dispatcher a Query matches, or (by an
/// upsert that matches none) inserted as {id, group_id, pod_ids or [], task_ids or [],
/// modification_count = the query's count + increment, last_modified}.
struct DispatcherUpdate {
    std::string id{};       ///< The id to insert under when an upsert matches nothing.
    std::string group_id{}; ///< The group to insert when an upsert matches nothing.
    std::optional<std::vector<std::string>> pod_ids{};  ///< Replaces the pods when set.
    std::optional<std::vector<std::string>> task_ids{}; ///< Replaces the queue when set.
    /// Takes these ids off the front of the queue, in order; the write matches only a
    /// queue that starts with them. Not with task_ids, nor in an upsert. Its cost does not
    /// grow with the queue's length.
    std::vector<std::string> dequeue{};
    Timestamp last_modified{};
    std::int64_t increment = 1; ///< Added to modification_count.

    bool operator==(const DispatcherUpdate&) const = default;
};

/// What an upsert did.
struct ChangeInfo {
    int updated = 0; ///< 1 when it inserted or modified a document.
    int removed = 0; ///< Documents removed; no upsert removes any, so always 0.
    std::optional<std::string> upserted_id{}; ///< The id it inserted, if it inserted.

    bool operator==(const ChangeInfo&) const = default;
};

/// A conditional write of some fields of one stored task or pod: if the stored document
/// with this id has each `guard` field equal to that field of `expected`, each `changes`
/// field becomes that field of `values`; otherwise nothing is written. The other fields
/// of `expected` and `values` mean nothing.
template <Document D>
struct FieldUpdate {
    std::string_view id;
    FieldSet<D> guard;
    const D& expected;
    FieldSet<D> changes;
    const D& values;
};

/// Whether stored passes u's guard; for stores that compare in memory.
template <Document D>
bool guard_holds(const D& stored, const FieldUpdate<D>& u)
{
    bool holds = true;
    u.guard.for_each([&](const auto& f) { holds = holds && stored.*f.member == u.expected.*f.member; });
    return holds;
}

/// Writes u's changes into stored; for stores that change documents in memory.
template <Document D>
void apply_changes(D& stored, const FieldUpdate<D>& u)
{
    u.changes.for_each([&](const auto& f) { stored.*f.member = u.values.*f.member; });
}

template <>
struct Fields<DispatcherUpdate> {
    using U = DispatcherUpdate;
    static constexpr std::tuple all{
        field("id", &U::id),
        field("group_id", &U::group_id),
        field("pod_ids", &U::pod_ids),
        field("task_ids", &U::task_ids),
        field("dequeue", &U::dequeue),
        field("last_modified", &U::last_modified),
        field("increment", &U::increment),
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
