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

/// Queues task in its group's dispatcher (creating it if need be), adds pod to it while
/// there are more tasks than pods, stores pod if it was added, and marks task
/// container-allocated. All or nothing; on success task is as stored after.
template <Store S>
Result<PodDispatcher> allocate(S& store, Task& task, Pod& pod)
{
    BOOST_OUTCOME_TRY(detail::check(!task.id.empty() && !pod.id.empty()));
    const Timestamp at = now();
    PodDispatcher after;
    Task task_after;
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(auto stored_task, store.find_task(task.id));
        if (!stored_task) {
            return Errc::not_found;
        }
        if (!should_allocate_container(*stored_task)) {
            return Errc::precondition_failed;
        }
        const std::string group_id = get_group_id(*stored_task);
        BOOST_OUTCOME_TRY(auto existing, store.find_dispatcher(by_group_id(group_id),
                                                               std::numeric_limits<std::size_t>::max()));
        const PodDispatcher before = existing ? *existing : new_pod_dispatcher(group_id, {}, {});
        after = detail::with_allocation(before, task.id, pod.id);
        BOOST_OUTCOME_TRY(detail::check_dispatcher(after));
        BOOST_OUTCOME_TRY(store.upsert_dispatcher(detail::version_of(before), detail::replacing(after, at)));
        detail::advance(after, at);
        if (detail::contains(after.pod_ids, pod.id)) {
            BOOST_OUTCOME_TRY(store.insert_pod(pod));
        }
        task_after = detail::allocated(*stored_task, at);
        BOOST_OUTCOME_TRY(store.replace_task(*stored_task, task_after));
        return store.insert_events({detail::task_event(task_after, EventType::container_allocated, at)});
    }));
    task = std::move(task_after);
    return after;
}

/// How dispatch_next_task retries and reads.
struct DispatchOptions {
    int max_attempts = 16;          ///< Tries before a conflict is returned to the caller.
    std::size_t queue_window = 16;  ///< Queue ids read at a time; a dispatch seldom needs more.
    std::function<void(const std::error_code&)> on_retry{}; ///< Called with each conflict retried.
};

namespace detail {

template <Store S>
Result<std::optional<Task>> try_dispatch(S& store, const std::string& pod_id, std::size_t window)
{
    const Timestamp at = now();
    Assignment assignment;
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
        if (!pod) {
            return Errc::not_found;
        }
        if (!pod->running_task_id.empty()) {
            return Errc::pod_busy;
        }
        if (pod->status != PodStatus::running) {
            return Errc::precondition_failed;
        }
        BOOST_OUTCOME_TRY(auto head, store.find_dispatcher(by_pod_id(pod_id), window));
        if (!head) {
            return Errc::pod_not_in_dispatcher;
        }
        auto next_window = [&](const PodDispatcher& d) -> Result<std::vector<std::string>> {
            BOOST_OUTCOME_TRY(auto more, store.find_dispatcher(version_of(d), window));
            if (!more) {
                return Errc::conflict;
            }
            return std::move(more->task_ids);
        };
        BOOST_OUTCOME_TRY(assignment, QueueWalk<S>(store, *head, pod_id, std::move(pod), at).run(next_window));
        return boost::outcome_v2::success();
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
        BOOST_OUTCOME_TRY(assignment, detail::QueueWalk<S>(store, after, pod.id, std::nullopt, at).run(queue_exhausted));
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
