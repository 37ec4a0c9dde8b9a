#ifndef POD_DISPATCHER_STORE_HPP
#define POD_DISPATCHER_STORE_HPP

// The Store concept: everything the operations need from a database. This header is
// enough to write one; testing/ has the suites that check it.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/update.hpp>

#include <concepts>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

namespace detail {
/// Stands for the callables the operations pass to Store::atomically.
struct UnitOfWorkArchetype {
    Result<void> operator()() const { return boost::outcome_v2::success(); }
};
} // namespace detail

/// A Store reads documents and writes them conditionally; the rules of dispatching live
/// in the operations, never in a store.
///
/// The types a store meets (query.hpp, update.hpp):
/// - `Query`: which dispatchers, as a conjunction of an id, a group id, a pod the
///   dispatcher holds and a modification_count; an unset member matches anything.
/// - `Projection`: how much of a dispatcher a read returns: its pods or not, and how many
///   ids of the front of its queue.
/// - `DispatcherUpdate`: one write of a dispatcher: its pods or queue replaced, ids taken
///   off the front of the queue, ids put in at an index, pods added; the count moved on
///   and last_modified set.
/// - `FieldUpdate<D>`: set some fields of one task or pod if some fields still hold.
///   guard_holds and apply_changes do it in memory; Fields<D> names the fields for a store
///   that keeps them in columns.
/// - `PodQuery`: the pods in one status last heard from before a time.
///
/// For `S& s`:
///
/// Dispatchers (collection `pod_dispatchers`):
/// - `s.find_dispatchers(const Query& q)` -> `Result<std::vector<PodDispatcher>>`: every
///   dispatcher q matches, whole, in any order.
/// - `s.find_dispatcher(const Query& q, const Projection& p)` ->
///   `Result<std::optional<PodDispatcher>>`: one dispatcher q matches, or none. Leaves
///   pod_ids empty unless p.pod_ids, and keeps only the first p.max_task_ids ids of the
///   queue, so that a dispatch copies neither the pods nor a long queue.
/// - `s.insert_dispatcher(const PodDispatcher& d)` -> `Result<void>`: stores d exactly as
///   given. Errc::duplicate_key when another dispatcher has its id or group_id, or holds
///   one of its pods.
/// - `s.update_dispatcher(const Query& q, const DispatcherUpdate& u)` -> `Result<bool>`:
///   applies u to the dispatcher q matches: replaces the pods if u.pod_ids is set, else
///   appends u.add_pods; replaces the queue if u.task_ids is set, else takes u.dequeue off
///   its front, else puts u.enqueue in at u.enqueue_at; sets last_modified; adds
///   u.increment to modification_count. Returns false, writing nothing, when no
///   dispatcher matches q, or when u.dequeue is not the front of its queue. The
///   operations write under a query that names one dispatcher by id; under one that
///   matches several, the store writes the first by id that u's dequeue fits.
///   Errc::duplicate_key, writing nothing, when u would put a pod another dispatcher
///   holds into this one. dequeue, enqueue and add_pods cost writes of the ids they name,
///   not of the whole queue: taking k ids off the front, or putting one in anywhere, is
///   not O(queue length) writes.
///
/// Tasks, pods and project refs (`tasks`, `pods`, `project_ref`):
/// - `s.find_task(std::string_view id)` -> `Result<std::optional<Task>>`
/// - `s.update_task(const FieldUpdate<Task>& u)` -> `Result<std::optional<Task>>`: one
///   read-and-write: if the stored task u.id passes u's guard, sets u's changed fields and
///   returns the task as stored after; an empty optional, writing nothing, when there is
///   no such task or the guard fails.
/// - `s.find_pod(std::string_view id)` -> `Result<std::optional<Pod>>`
/// - `s.find_pods(const PodQuery& q)` -> `Result<std::vector<Pod>>`: every pod q
///   matches, in any order. It must not read every pod: an index on (status,
///   last_communicated) answers it, so that finding 10 stale pods among 100 000 costs
///   what it costs among 1 000.
/// - `s.insert_pod(const Pod& p)` -> `Result<void>`: Errc::duplicate_key when p.id is stored.
/// - `s.update_pod(const FieldUpdate<Pod>& u)` -> `Result<std::optional<Pod>>`: as
///   update_task. A dispatch starts a task on a pod through it without reading the pod
///   first, and takes the pod's agent_version from what it returns.
/// - `s.find_project_ref(std::string_view id)` -> `Result<std::optional<ProjectRef>>`
///
/// Events (`events`):
/// - `s.insert_events(std::span<const Event> events)` -> `Result<void>`: appends them, in
///   order. A resource's events read back in the order they were appended.
///
/// Units of work:
/// - `s.atomically(F&& work)`, where `work()` returns `Result<void>`, -> `Result<void>`:
///   runs work as one unit of work and returns what it returned. Calls that work makes on
///   s from the same thread belong to the unit: other callers see all of its writes or
///   none, and none of them if it fails. atomically called inside a unit of the same
///   store joins that unit. The store may run work again only after a failure of its own
///   (a lost lock, a transient transaction error), never after an error work returned:
///   those end the unit (a store that reran work on Errc::conflict would loop forever on
///   a stale assign_next_task).
/// - `s.rolls_back()` -> `bool`: whether a unit of work that fails leaves nothing written.
///   A store that returns false documents what it guarantees instead (see the MongoDB
///   example), and the operations read what they check before their first write rather
///   than write on a guess that the unit would have to undo.
///
/// Isolation: all-or-nothing visibility and the guarded writes above are all a unit
/// needs; a database at READ COMMITTED is enough. A unit need not see a stable picture of
/// what it read (no repeatable reads, no serializable transactions): every write is
/// conditional on the fields the rule that decided it read (a dispatcher's id, group and
/// modification_count; a task's or pod's guard), so a unit whose reads went stale meanwhile
/// finds its write unmatched and ends in Errc::conflict. What no operation writes (a
/// project ref; a task's project, requester and group fields) is read without a guard.
/// Its writes must not be visible to others before it commits, and must keep others from
/// writing the same documents until then (no dirty reads or writes), as row locks do.
///
/// Optional: `s.keeps_units_apart_by_dispatcher()` -> `bool`. True for a store that keeps
/// units of work apart only through the dispatchers they read, not through what they
/// write (MongoStore without transactions). Operations that write a pod then read the
/// pod's dispatcher first, so that such a store orders them with the dispatches of that
/// pod. A store without the member pays no such read.
///
/// Optional: `s.conflict_backoff()` -> `Backoff` (retry.hpp): how long an operation waits,
/// at random, before it retries a conflict, unless its RetryPolicy says otherwise. For a
/// store whose round trips cost milliseconds, so that callers racing on one dispatcher
/// spread out rather than collide again; a store without the member retries at once.
///
/// Rules every member keeps:
/// - A member called outside any unit of work is atomic on its own.
/// - Ids are non-empty byte strings, compared byte for byte: any length, NUL bytes and
///   invalid UTF-8 included. A store neither cuts nor changes them. An empty id names no
///   document: a find or update of one finds nothing; an insert of one is
///   Errc::invalid_argument.
/// - A backend failure is Errc::store_unavailable; a member never throws for it.
/// - A store shared between threads is safe to call from all of them at once.
///
/// Satisfied by MemoryStore. Not satisfied by, say, a type whose find_task returns
/// `std::optional<Task>` (no Result), or one without atomically or rolls_back.
template <class S>
concept Store = requires(S& s, const Query& q, const Projection& p, const DispatcherUpdate& u,
                         const PodDispatcher& d, std::string_view id, const FieldUpdate<Task>& task_update,
                         const Pod& pod, const PodQuery& pod_query, const FieldUpdate<Pod>& pod_update,
                         std::span<const Event> events, detail::UnitOfWorkArchetype work) {
    { s.find_dispatchers(q) } -> std::same_as<Result<std::vector<PodDispatcher>>>;
    { s.find_dispatcher(q, p) } -> std::same_as<Result<std::optional<PodDispatcher>>>;
    { s.insert_dispatcher(d) } -> std::same_as<Result<void>>;
    { s.update_dispatcher(q, u) } -> std::same_as<Result<bool>>;
    { s.find_task(id) } -> std::same_as<Result<std::optional<Task>>>;
    { s.update_task(task_update) } -> std::same_as<Result<std::optional<Task>>>;
    { s.find_pod(id) } -> std::same_as<Result<std::optional<Pod>>>;
    { s.find_pods(pod_query) } -> std::same_as<Result<std::vector<Pod>>>;
    { s.insert_pod(pod) } -> std::same_as<Result<void>>;
    { s.update_pod(pod_update) } -> std::same_as<Result<std::optional<Pod>>>;
    { s.find_project_ref(id) } -> std::same_as<Result<std::optional<ProjectRef>>>;
    { s.insert_events(events) } -> std::same_as<Result<void>>;
    { s.atomically(work) } -> std::same_as<Result<void>>;
    { s.rolls_back() } -> std::convertible_to<bool>;
};

/// Whether s keeps units of work apart only through the dispatchers they read (the
/// optional member above); false for a store without the member.
template <Store S>
bool keeps_units_apart_by_dispatcher(S& s)
{
    if constexpr (requires {
                      { s.keeps_units_apart_by_dispatcher() } -> std::convertible_to<bool>;
                  }) {
        return s.keeps_units_apart_by_dispatcher();
    } else {
        return false;
    }
}

/// The wait before a retry that s asks for (the optional member above); none for a
/// store without the member.
template <Store S>
Backoff conflict_backoff(S& s)
{
    if constexpr (requires {
                      { s.conflict_backoff() } -> std::convertible_to<Backoff>;
                  }) {
        return s.conflict_backoff();
    } else {
        return Backoff{};
    }
}

} // namespace pod_dispatcher

#endif
