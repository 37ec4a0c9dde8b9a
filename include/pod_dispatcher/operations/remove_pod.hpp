#ifndef POD_DISPATCHER_OPERATIONS_REMOVE_POD_HPP
#define POD_DISPATCHER_OPERATIONS_REMOVE_POD_HPP

// remove_pod: a pod leaves its dispatcher; the last one out takes the queue with it.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <boost/container/small_vector.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

namespace detail {

/// Releases task, and fails it by the system first when it has no allocation attempts
/// left; records what it did in events.
template <Store S, class Events>
Result<void> release_for_good(S& store, const Task& task, Timestamp at, Events& events)
{
    const bool exhausted = allocation_exhausted(task);
    const Change<Task> change = exhausted ? system_failure() : release();
    BOOST_OUTCOME_TRY(auto after, store.update_task(change.under(task, release_fields)));
    if (!after) {
        return Errc::conflict;
    }
    if (exhausted) {
        events.push_back(system_failed_event(*after, at));
    }
    events.push_back(task_event(*after, EventType::container_deallocated, at));
    return boost::outcome_v2::success();
}

/// The last pod leaving takes the queue with it: every allocated task is released.
template <Store S>
Result<void> release_queue(S& store, const std::vector<std::string>& task_ids, Timestamp at)
{
    std::vector<Event> events;
    for (const std::string& task_id : task_ids) {
        BOOST_OUTCOME_TRY(auto task, store.find_task(task_id));
        if (task && task->container_allocated) {
            BOOST_OUTCOME_TRY(release_for_good(store, *task, at, events));
        }
    }
    return store.insert_events(events);
}

} // namespace detail

template <class S>
Result<void> PodDispatcher::remove_pod(S& store, std::string_view pod_id)
{
    static_assert(Store<S>, "PodDispatcher::remove_pod needs a pod_dispatcher::Store");
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
        BOOST_OUTCOME_TRY(bool written, store.update_dispatcher(version_of(*this), detail::changing(*this, after, at)));
        if (!written) {
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
