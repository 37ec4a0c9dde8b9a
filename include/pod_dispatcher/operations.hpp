#ifndef POD_DISPATCHER_OPERATIONS_HPP
#define POD_DISPATCHER_OPERATIONS_HPP

// The operations, written once against the Store concept. Each call is one unit of
// work: on failure the store and the caller's objects are exactly as before.

#include <pod_dispatcher/detail/id.hpp>
#include <pod_dispatcher/detail/queue_walk.hpp>
#include <pod_dispatcher/detail/transitions.hpp>
#include <pod_dispatcher/detail/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace pod_dispatcher {

/// A dispatcher that is not stored yet: a fresh unique id, modification_count 0.
inline PodDispatcher new_pod_dispatcher(std::string group_id, std::vector<std::string> task_ids,
                                        std::vector<std::string> pod_ids)
{
    return PodDispatcher{detail::generate_id(), std::move(group_id), std::move(pod_ids), std::move(task_ids), 0, {}};
}

/// The dispatcher group a task belongs to.
inline std::string get_group_id(const Task& task) { return task.id; }

/// Every dispatcher q matches.
template <Store S>
Result<std::vector<PodDispatcher>> find(S& store, const Query& q)
{
    BOOST_OUTCOME_TRY(detail::check_query(q));
    return store.find_dispatchers(q);
}

/// A dispatcher q matches, or an empty optional when there is none.
template <Store S>
Result<std::optional<PodDispatcher>> find_one(S& store, const Query& q)
{
    BOOST_OUTCOME_TRY(detail::check_query(q));
    return store.find_dispatcher(q, std::numeric_limits<std::size_t>::max());
}

template <Store S>
Result<std::optional<PodDispatcher>> find_one_by_id(S& store, std::string_view id)
{
    return find_one(store, by_id(std::string(id)));
}

template <Store S>
Result<std::optional<PodDispatcher>> find_one_by_group_id(S& store, std::string_view group_id)
{
    return find_one(store, by_group_id(std::string(group_id)));
}

/// The dispatcher holding a pod; a pod is in at most one.
template <Store S>
Result<std::optional<PodDispatcher>> find_one_by_pod_id(S& store, std::string_view pod_id)
{
    return find_one(store, by_pod_id(std::string(pod_id)));
}

/// Applies update to the dispatcher q matches, or inserts the one update describes with
/// modification_count = q's count + update.increment.
template <Store S>
Result<ChangeInfo> upsert_one(S& store, const Query& q, const DispatcherUpdate& update)
{
    BOOST_OUTCOME_TRY(detail::check_query(q));
    BOOST_OUTCOME_TRY(detail::check_update(update));
    return store.upsert_dispatcher(q, update);
}

namespace detail {

/// The stored task with this id, if it should be allocated a container.
template <Store S>
Result<Task> stored_allocatable(S& store, const std::string& id)
{
    BOOST_OUTCOME_TRY(auto stored, store.find_task(id));
    if (!stored) {
        return Errc::not_found;
    }
    if (!should_allocate_container(*stored)) {
        return Errc::precondition_failed;
    }
    return std::move(*stored);
}

/// The version of task to allocate. A store that rolls back may start from the caller's
/// copy when it qualifies: a guess that the compare-and-set in mark_allocated checks,
/// failing the unit when wrong. One that cannot must not write on a guess, so it reads.
template <Store S>
Result<Task> allocatable(S& store, const Task& task)
{
    if (rolls_back(store) && should_allocate_container(task)) {
        return task;
    }
    return stored_allocatable(store, task.id);
}

/// Marks expected container-allocated. When the stored task is not expected (the caller's
/// copy was stale), decides again on the stored one.
template <Store S>
Result<Task> mark_allocated(S& store, const Task& expected, Timestamp at)
{
    Task after = allocated(expected, at);
    auto written = store.replace_task(expected, after);
    if (written || written.error() != Errc::conflict) {
        BOOST_OUTCOME_TRY(written);
        return after;
    }
    BOOST_OUTCOME_TRY(auto stored, stored_allocatable(store, expected.id));
    after = allocated(stored, at);
    BOOST_OUTCOME_TRY(store.replace_task(stored, after));
    return after;
}

/// What allocate wrote: the dispatcher and the task as stored after.
struct Allocation {
    PodDispatcher dispatcher;
    Task task;
};

/// One try at allocate. read_dispatcher false guesses that the group has no dispatcher
/// yet: the upsert of a new one then fails, writing nothing, if it has.
template <Store S>
Result<Allocation> try_allocate(S& store, const Task& task, const Pod& pod, bool read_dispatcher, Timestamp at)
{
    Allocation done;
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(auto expected, allocatable(store, task));
        const std::string group_id = get_group_id(expected);
        std::optional<PodDispatcher> existing;
        if (read_dispatcher) {
            BOOST_OUTCOME_TRY(existing, store.find_dispatcher(by_group_id(group_id),
                                                              std::numeric_limits<std::size_t>::max()));
        }
        const PodDispatcher before = existing ? std::move(*existing) : new_pod_dispatcher(group_id, {}, {});
        done.dispatcher = with_allocation(before, task.id, pod.id);
        BOOST_OUTCOME_TRY(check_dispatcher(done.dispatcher));
        BOOST_OUTCOME_TRY(store.upsert_dispatcher(version_of(before), changing(before, done.dispatcher, at)));
        advance(done.dispatcher, at);
        if (contains(done.dispatcher.pod_ids, pod.id)) {
            BOOST_OUTCOME_TRY(store.insert_pod(pod));
        }
        BOOST_OUTCOME_TRY(done.task, mark_allocated(store, expected, at));
        return store.insert_events({task_event(done.task, EventType::container_allocated, at)});
    }));
    return done;
}

} // namespace detail

/// Queues task in its group's dispatcher (creating it if need be), adds pod to it while
/// there are more tasks than pods, stores pod if it was added, and marks task
/// container-allocated. All or nothing; on success task is as stored after.
template <Store S>
Result<PodDispatcher> allocate(S& store, Task& task, Pod& pod)
{
    BOOST_OUTCOME_TRY(detail::check(!task.id.empty() && !pod.id.empty()));
    const Timestamp at = now();
    // A group is a single task, so its dispatcher exists only if the task was allocated
    // before (or one was stored by hand): a first allocation need not read it.
    const bool first_allocation = task.container_allocation_attempts == 0;
    auto done = detail::try_allocate(store, task, pod, !first_allocation, at);
    if (!done && first_allocation && (done.error() == Errc::duplicate_key || done.error() == Errc::conflict)) {
        done = detail::try_allocate(store, task, pod, true, at);
    }
    BOOST_OUTCOME_TRY(done);
    task = std::move(done.value().task);
    return std::move(done.value().dispatcher);
}

/// How dispatch_next_task retries and reads.
struct DispatchOptions {
    int max_attempts = 16;          ///< Tries before a conflict is returned to the caller.
    std::size_t queue_window = 16;  ///< Queue ids read at a time; a dispatch seldom needs more.
    std::function<void(const std::error_code&)> on_retry{}; ///< Called with each conflict retried.
};

namespace detail {

/// Errc::not_found, pod_busy or precondition_failed when the stored pod cannot take a task.
template <Store S>
Result<void> check_can_take_task(S& store, const std::string& pod_id)
{
    BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
    if (const auto why = refusal(pod, Errc::pod_busy)) {
        return *why;
    }
    return boost::outcome_v2::success();
}

template <Store S>
Result<std::optional<Task>> try_dispatch(S& store, const std::string& pod_id, std::size_t window)
{
    const Timestamp at = now();
    Assignment assignment;
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        // A dispatch claims the pod unread, and reads it only to say why it gets no task.
        // A store that cannot roll back reads it first, so as not to dequeue for a pod it
        // then refuses.
        const bool checked_first = !rolls_back(store);
        if (checked_first) {
            BOOST_OUTCOME_TRY(check_can_take_task(store, pod_id));
        }
        const auto check_pod = [&] {
            return checked_first ? Result<void>{boost::outcome_v2::success()} : check_can_take_task(store, pod_id);
        };
        BOOST_OUTCOME_TRY(auto head, store.find_dispatcher(by_pod_id(pod_id), window));
        if (!head) {
            BOOST_OUTCOME_TRY(check_pod());
            return Errc::pod_not_in_dispatcher;
        }
        auto next_window = [&](const PodDispatcher& d) -> Result<std::vector<std::string>> {
            BOOST_OUTCOME_TRY(auto more, store.find_dispatcher(version_of(d), window));
            if (!more) {
                return Errc::conflict;
            }
            return std::move(more->task_ids);
        };
        BOOST_OUTCOME_TRY(assignment, QueueWalk<S>(store, *head, pod_id, Errc::pod_busy, at).run(next_window));
        return assignment.task ? Result<void>{boost::outcome_v2::success()} : check_pod();
    }));
    return std::move(assignment.task);
}

} // namespace detail

/// The whole step a pod takes when it asks for work: finds the pod and its dispatcher,
/// and assigns it the next task, re-reading and retrying on conflict. Reads only the
/// head of the queue. Returns the task, or an empty optional when the queue is empty.
template <Store S>
Result<std::optional<Task>> dispatch_next_task(S& store, std::string_view pod_id, const DispatchOptions& options = {})
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() && options.queue_window > 0));
    for (int attempt = 1;; ++attempt) {
        auto result = detail::try_dispatch(store, std::string(pod_id), options.queue_window);
        if (result || result.error() != Errc::conflict || attempt >= options.max_attempts) {
            return result;
        }
        if (options.on_retry) {
            options.on_retry(result.error());
        }
    }
}

template <Store S>
Result<void> PodDispatcher::insert(S& store) const
{
    BOOST_OUTCOME_TRY(detail::check_dispatcher(*this));
    return store.insert_dispatcher(*this);
}

template <Store S>
Result<ChangeInfo> PodDispatcher::upsert_atomically(S& store)
{
    BOOST_OUTCOME_TRY(detail::check_dispatcher(*this));
    const Timestamp at = now();
    BOOST_OUTCOME_TRY(auto info, store.upsert_dispatcher(detail::version_of(*this), detail::replacing(*this, at)));
    detail::advance(*this, at);
    return info;
}

template <Store S>
Result<std::optional<Task>> PodDispatcher::assign_next_task(S& store, Pod& pod)
{
    BOOST_OUTCOME_TRY(detail::check_dispatcher(*this));
    BOOST_OUTCOME_TRY(detail::check(!pod.id.empty()));
    if (!pod.running_task_id.empty()) {
        return Errc::pod_busy;
    }
    const Timestamp at = now();
    PodDispatcher after;
    detail::Assignment assignment;
    auto queue_exhausted = [](const PodDispatcher&) -> Result<std::vector<std::string>> {
        return std::vector<std::string>{};
    };
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        after = *this;
        BOOST_OUTCOME_TRY(assignment, detail::QueueWalk<S>(store, after, pod.id, Errc::precondition_failed, at).run(queue_exhausted));
        return boost::outcome_v2::success();
    }));
    *this = std::move(after);
    if (assignment.pod) {
        pod = std::move(*assignment.pod);
    }
    return std::move(assignment.task);
}

namespace detail {

/// The last pod leaving takes the queue with it: tasks out of allocation attempts are
/// failed by the system, and every allocated one is released.
template <Store S>
Result<void> release_queue(S& store, const std::vector<std::string>& task_ids, Timestamp at)
{
    std::vector<Event> events;
    for (const std::string& task_id : task_ids) {
        BOOST_OUTCOME_TRY(auto task, store.find_task(task_id));
        if (!task || !task->container_allocated) {
            continue;
        }
        Task after = deallocated(*task);
        if (allocation_exhausted(*task)) {
            after = failed_by_system(std::move(after));
            events.push_back(task_event(after, EventType::task_system_failed, at,
                                        {{"details_type", after.details_type},
                                         {"details_description", after.details_description}}));
        }
        events.push_back(task_event(after, EventType::container_deallocated, at));
        BOOST_OUTCOME_TRY(store.replace_task(*task, after));
    }
    return store.insert_events(std::move(events));
}

} // namespace detail

template <Store S>
Result<void> PodDispatcher::remove_pod(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(detail::check_dispatcher(*this));
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty()));
    if (!detail::contains(pod_ids, pod_id)) {
        return Errc::pod_not_in_dispatcher;
    }
    const Timestamp at = now();
    PodDispatcher after = *this;
    std::erase(after.pod_ids, pod_id);
    const bool last_pod_leaves = after.pod_ids.empty() && !task_ids.empty();
    if (last_pod_leaves) {
        after.task_ids.clear();
    }
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(auto info, store.update_dispatcher(detail::version_of(*this), detail::replacing(after, at)));
        if (info.updated == 0) {
            return Errc::conflict;
        }
        return last_pod_leaves ? detail::release_queue(store, task_ids, at) : Result<void>{boost::outcome_v2::success()};
    }));
    detail::advance(after, at);
    *this = std::move(after);
    return boost::outcome_v2::success();
}

} // namespace pod_dispatcher

#endif
