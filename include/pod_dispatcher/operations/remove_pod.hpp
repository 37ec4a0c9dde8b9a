#ifndef POD_DISPATCHER_OPERATIONS_REMOVE_POD_HPP
#define POD_DISPATCHER_OPERATIONS_REMOVE_POD_HPP

// remove_pod: a pod leaves its dispatcher; the last one out takes the queue with it.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

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
    const Change<Task> change = exhausted ? system_failure(unallocatable) : release();
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

/// d without pod_id, which it holds: without its queue too when pod_id was its last pod.
inline PodDispatcher without_pod(const PodDispatcher& d, std::string_view pod_id)
{
    PodDispatcher after = d;
    std::erase(after.pod_ids, pod_id);
    if (after.pod_ids.empty()) {
        after.task_ids.clear();
    }
    return after;
}

/// Takes pod_id out of d, a whole dispatcher that holds it, inside a unit of work: the
/// remove_pod rules. Returns d as stored after.
template <Store S>
Result<PodDispatcher> take_pod_out(S& store, const PodDispatcher& d, std::string_view pod_id, Timestamp at)
{
    PodDispatcher after = without_pod(d, pod_id);
    BOOST_OUTCOME_TRY(bool written, store.update_dispatcher(version_of(d), changing(d, after, at)));
    if (!written) {
        return Errc::conflict;
    }
    if (after.task_ids.size() != d.task_ids.size()) {
        BOOST_OUTCOME_TRY(release_queue(store, d.task_ids, at));
    }
    advance(after, at);
    return after;
}

template <class S>
struct RemovePod {
    static_assert(Store<S>, "PodDispatcher::remove_pod needs a pod_dispatcher::Store");

    static Result<void> run(S& store, PodDispatcher& d, std::string_view pod_id)
    {
        BOOST_OUTCOME_TRY(check_dispatcher(d));
        BOOST_OUTCOME_TRY(check(!pod_id.empty()));
        if (!contains(d.pod_ids, pod_id)) {
            return Errc::pod_not_in_dispatcher;
        }
        const Timestamp at = now();
        PodDispatcher after;
        BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(after, take_pod_out(store, d, pod_id, at));
            return boost::outcome_v2::success();
        }));
        d = std::move(after);
        return boost::outcome_v2::success();
    }
};

} // namespace detail

} // namespace pod_dispatcher

#endif
