#ifndef POD_DISPATCHER_UPDATE_HPP
#define POD_DISPATCHER_UPDATE_HPP

// What a write changes: a dispatcher's queue and pods (DispatcherUpdate), and some
// fields of a task or pod under a guard (FieldUpdate).

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/fields.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

/// One write of a dispatcher: applied to the dispatcher a Query matches, or (by an
/// upsert that matches none) inserted as {id, group_id, pods, queue, modification_count =
/// the query's count + increment, last_modified}, where the pods are pod_ids, else
/// add_pods, and the queue is task_ids, else enqueue.
///
/// It changes the queue in at most one way (task_ids, dequeue or enqueue) and the pods in
/// at most one way (pod_ids or add_pods). The ways that name a few ids (dequeue, enqueue,
/// add_pods) let a store write only those ids, whatever the length of the queue.
struct DispatcherUpdate {
    std::string id{};       ///< The id to insert under when an upsert matches nothing.
    std::string group_id{}; ///< The group to insert when an upsert matches nothing.
    std::optional<std::vector<std::string>> pod_ids{};  ///< Replaces the pods when set.
    std::optional<std::vector<std::string>> task_ids{}; ///< Replaces the queue when set.
    /// Takes these ids off the front of the queue, in order; the write matches only a
    /// queue that starts with them. Not in an upsert.
    std::vector<std::string> dequeue{};
    /// Puts these ids into the queue, in order, before the id now at index enqueue_at
    /// (counted from the front), or at the back when enqueue_at is unset or past the end.
    std::vector<std::string> enqueue{};
    std::optional<std::size_t> enqueue_at{};
    std::vector<std::string> add_pods{}; ///< Appended to the pods.
    Timestamp last_modified{};
    std::int64_t increment = 1; ///< Added to modification_count.

    bool operator==(const DispatcherUpdate&) const = default;
};

/// Whether u changes the queue in at most one way and the pods in at most one way, as
/// every update the operations make does; a store may refuse another with
/// Errc::invalid_argument.
inline bool well_formed(const DispatcherUpdate& u) noexcept
{
    const int queue_changes = (u.task_ids ? 1 : 0) + (u.dequeue.empty() ? 0 : 1) + (u.enqueue.empty() ? 0 : 1);
    return queue_changes <= 1 && !(u.pod_ids && !u.add_pods.empty());
}

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
        field("enqueue", &U::enqueue),
        field("enqueue_at", &U::enqueue_at),
        field("add_pods", &U::add_pods),
        field("last_modified", &U::last_modified),
        field("increment", &U::increment),
    };
};


} // namespace pod_dispatcher

#endif
