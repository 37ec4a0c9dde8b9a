#ifndef POD_DISPATCHER_STORE_HPP
#define POD_DISPATCHER_STORE_HPP

// The Store concept: everything the operations need from a database.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

struct PodDispatcher;

namespace detail {
/// Stands for the callables the operations pass to Store::atomically.
struct UnitOfWorkArchetype {
    Result<void> operator()() const { return boost::outcome_v2::success(); }
};
} // namespace detail

/// A Store reads and conditionally writes the documents the operations need.
/// Every member returns a Result; a backend failure is Errc::store_unavailable.
/// For `S& s`:
///
/// Dispatchers (collection `pod_dispatchers`):
/// - `s.find_dispatchers(const Query& q)` -> `Result<std::vector<PodDispatcher>>`:
///   every dispatcher q matches.
/// - `s.find_dispatcher(const Query& q, std::size_t max_task_ids)` ->
///   `Result<std::optional<PodDispatcher>>`: one dispatcher q matches, its queue cut to
///   its first max_task_ids ids, so the dispatch path need not copy a long queue.
/// - `s.insert_dispatcher(const PodDispatcher& d)` -> `Result<void>`: stores d as given;
///   Errc::duplicate_key when its id, group_id or one of its pods is already stored.
/// - `s.update_dispatcher(const Query& q, const DispatcherUpdate& u)` -> `Result<ChangeInfo>`:
///   applies u to the dispatcher q matches (and whose queue front is u.dequeue, when set);
///   `updated == 0` when none matches. Errc::duplicate_key when u would put a pod that
///   another dispatcher holds into this one.
/// - `s.upsert_dispatcher(const Query& q, const DispatcherUpdate& u)` -> `Result<ChangeInfo>`:
///   as update_dispatcher, but when nothing matches it inserts the document u describes with
///   `modification_count = q.modification_count.value_or(0) + u.increment`
///   (Errc::duplicate_key when that id, group or a pod is taken) and reports `upserted_id`.
///
/// Tasks, pods, project refs and events:
/// - `s.find_task(std::string_view id)` -> `Result<std::optional<Task>>`
/// - `s.replace_task(const Task& before, const Task& after)` -> `Result<void>`: stores after
///   only if the stored task still equals before, every field of it (a compare-and-set, so a
///   caller may write from a copy it did not read in this unit); Errc::conflict when it
///   differs, Errc::not_found when there is none.
/// - `s.find_pod(std::string_view id)` -> `Result<std::optional<Pod>>`
/// - `s.insert_pod(const Pod& p)` -> `Result<void>`: Errc::duplicate_key when p.id is stored.
/// - `s.claim_pod(std::string_view id, const Task& task)` -> `Result<std::optional<Pod>>`:
///   if the stored pod can take a task (can_take_task in rules.hpp), makes it
///   decommissioned and running task (its id and execution) and returns it as stored after;
///   an empty optional, writing nothing, when the pod is absent or cannot. One read-and-write
///   (a findAndModify, an UPDATE ... RETURNING), so a dispatch need not read the pod first.
/// - `s.find_project_ref(std::string_view id)` -> `Result<std::optional<ProjectRef>>`
/// - `s.insert_events(std::vector<Event> events)` -> `Result<void>`: appends them in order.
///
/// Units of work:
/// - `s.atomically(F&& work)`, where `work()` returns `Result<void>`, -> `Result<void>`:
///   runs work, possibly more than once, and keeps its writes through s only if it
///   succeeds; other callers see all of them or none. A store that cannot roll back says
///   so through rolls_back() and documents what it guarantees instead (see the MongoDB
///   example).
///
/// Optional:
/// - `s.rolls_back()` -> `bool`: false when atomically cannot undo a failed unit's writes.
///   The operations then check what they can before their first write, at the cost of a
///   read they otherwise skip. A store without this member is taken to roll back.
///
/// A store the operations share between threads must be safe to call from them.
///
/// Satisfied by MemoryStore. Not satisfied by, say, a type whose find_task returns
/// `std::optional<Task>` (no Result), or one without atomically.
template <class S>
concept Store = requires(S& s, const Query& q, const DispatcherUpdate& u, const PodDispatcher& d,
                         std::size_t max_task_ids, std::string_view id, const Task& task,
                         const Pod& pod, std::vector<Event> events,
                         detail::UnitOfWorkArchetype work) {
    { s.find_dispatchers(q) } -> std::same_as<Result<std::vector<PodDispatcher>>>;
    { s.find_dispatcher(q, max_task_ids) } -> std::same_as<Result<std::optional<PodDispatcher>>>;
    { s.insert_dispatcher(d) } -> std::same_as<Result<void>>;
    { s.update_dispatcher(q, u) } -> std::same_as<Result<ChangeInfo>>;
    { s.upsert_dispatcher(q, u) } -> std::same_as<Result<ChangeInfo>>;
    { s.find_task(id) } -> std::same_as<Result<std::optional<Task>>>;
    { s.replace_task(task, task) } -> std::same_as<Result<void>>;
    { s.find_pod(id) } -> std::same_as<Result<std::optional<Pod>>>;
    { s.insert_pod(pod) } -> std::same_as<Result<void>>;
    { s.claim_pod(id, task) } -> std::same_as<Result<std::optional<Pod>>>;
    { s.find_project_ref(id) } -> std::same_as<Result<std::optional<ProjectRef>>>;
    { s.insert_events(std::move(events)) } -> std::same_as<Result<void>>;
    { s.atomically(work) } -> std::same_as<Result<void>>;
};

namespace detail {
/// Whether store rolls back a failed unit of work (the optional Store::rolls_back).
template <class S>
bool rolls_back(S& store)
{
    if constexpr (requires { { store.rolls_back() } -> std::convertible_to<bool>; }) {
        return store.rolls_back();
    } else {
        return true;
    }
}
} // namespace detail

} // namespace pod_dispatcher

#endif
