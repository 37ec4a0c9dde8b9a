#ifndef POD_DISPATCHER_STORE_HPP
#define POD_DISPATCHER_STORE_HPP

// The Store concept: everything the operations need from a database. This header is
// enough to write one; testing/ has the suites that check it.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
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
/// in the operations, never in a store. For `S& s`:
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
///   applies u to the dispatcher q matches: sets pod_ids if u sets them, sets task_ids if
///   u sets them, takes u.dequeue off the front of the queue, sets last_modified, adds
///   u.increment to modification_count. Writes nothing and returns false when no
///   dispatcher matches q, or when u.dequeue is not the front of its queue (u never both
///   sets task_ids and dequeues). Errc::duplicate_key, writing nothing, when u would put a
///   pod another dispatcher holds into this one. Taking k ids off the front must not
///   cost O(queue length) writes: it is one write whatever the length.
///
/// Tasks, pods and project refs (`tasks`, `pods`, `project_ref`):
/// - `s.find_task(std::string_view id)` -> `Result<std::optional<Task>>`
/// - `s.update_task(const FieldUpdate<Task>& u)` -> `Result<std::optional<Task>>`: one
///   read-and-write: if the stored task u.id passes u's guard, sets u's changed fields and
///   returns the task as stored after; an empty optional, writing nothing, when there is
///   no such task or the guard fails. guard_holds and apply_changes (update.hpp) do it in
///   memory; Fields<Task> names the fields for a store that keeps them apart.
/// - `s.find_pod(std::string_view id)` -> `Result<std::optional<Pod>>`
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
/// Rules every member keeps:
/// - A member called outside any unit of work is atomic on its own.
/// - Ids are non-empty byte strings, compared byte for byte: any length, NUL bytes and
///   invalid UTF-8 included. A store neither cuts nor changes them.
/// - A backend failure is Errc::store_unavailable; a member never throws for it.
/// - A store shared between threads is safe to call from all of them at once.
///
/// Satisfied by MemoryStore. Not satisfied by, say, a type whose find_task returns
/// `std::optional<Task>` (no Result), or one without atomically or rolls_back.
template <class S>
concept Store = requires(S& s, const Query& q, const Projection& p, const DispatcherUpdate& u,
                         const PodDispatcher& d, std::string_view id, const FieldUpdate<Task>& task_update,
                         const Pod& pod, const FieldUpdate<Pod>& pod_update, std::span<const Event> events,
                         detail::UnitOfWorkArchetype work) {
    { s.find_dispatchers(q) } -> std::same_as<Result<std::vector<PodDispatcher>>>;
    { s.find_dispatcher(q, p) } -> std::same_as<Result<std::optional<PodDispatcher>>>;
    { s.insert_dispatcher(d) } -> std::same_as<Result<void>>;
    { s.update_dispatcher(q, u) } -> std::same_as<Result<bool>>;
    { s.find_task(id) } -> std::same_as<Result<std::optional<Task>>>;
    { s.update_task(task_update) } -> std::same_as<Result<std::optional<Task>>>;
    { s.find_pod(id) } -> std::same_as<Result<std::optional<Pod>>>;
    { s.insert_pod(pod) } -> std::same_as<Result<void>>;
    { s.update_pod(pod_update) } -> std::same_as<Result<std::optional<Pod>>>;
    { s.find_project_ref(id) } -> std::same_as<Result<std::optional<ProjectRef>>>;
    { s.insert_events(events) } -> std::same_as<Result<void>>;
    { s.atomically(work) } -> std::same_as<Result<void>>;
    { s.rolls_back() } -> std::convertible_to<bool>;
};

} // namespace pod_dispatcher

#endif
