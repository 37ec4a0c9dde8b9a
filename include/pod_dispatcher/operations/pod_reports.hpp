#ifndef POD_DISPATCHER_OPERATIONS_POD_REPORTS_HPP
#define POD_DISPATCHER_OPERATIONS_POD_REPORTS_HPP

// A pod makes itself heard: mark_pod_running when its agent first makes contact,
// heartbeat while it lives. Each sets the pod's last_communicated, which
// rescue_stale_pods reads.

#include <pod_dispatcher/detail/operations/pod_reports.hpp>
#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <span>
#include <string_view>

namespace pod_dispatcher {

namespace detail {

template <Store S>
Result<void> try_mark_running(S& store, std::string_view pod_id, Timestamp at)
{
    return store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(order_with_dispatches(store, pod_id));
        BOOST_OUTCOME_TRY(const Pod pod, reporting_pod(store, pod_id));
        if (pod.status == PodStatus::decommissioned) {
            return Errc::precondition_failed;
        }
        BOOST_OUTCOME_TRY(auto after, store.update_pod(mark_running(at).under(pod, FieldSet<Pod>::of(&Pod::status))));
        if (!after) {
            return Errc::conflict;
        }
        if (pod.status == PodStatus::running) {
            return boost::outcome_v2::success();
        }
        const Event changed = status_changed_event(*after, pod.status, {}, at);
        return store.insert_events(std::span<const Event>(&changed, 1));
    });
}

/// The fields heartbeat reads of the pod: whether it is terminated, and the task it runs.
inline constexpr auto heartbeat_pod_fields =
    FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id, &Pod::running_task_execution);

template <Store S>
Result<void> try_heartbeat(S& store, std::string_view pod_id, Timestamp at)
{
    return store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(order_with_dispatches(store, pod_id));
        BOOST_OUTCOME_TRY(const Pod pod, reporting_pod(store, pod_id));
        std::optional<Task> task;
        if (!pod.running_task_id.empty()) {
            BOOST_OUTCOME_TRY(task, store.find_task(pod.running_task_id));
        }
        BOOST_OUTCOME_TRY(auto heard, store.update_pod(contact(at).under(pod, heartbeat_pod_fields)));
        if (!heard) {
            return Errc::conflict;
        }
        if (!task || !runs_on(*task, pod)) {
            return boost::outcome_v2::success();
        }
        BOOST_OUTCOME_TRY(auto beat, store.update_task(heartbeat_at(at).under(*task, running_fields)));
        if (!beat) {
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    });
}

} // namespace detail

/// The pod's agent made first contact: an initializing or starting pod becomes running
/// (event pod_status_changed), a running one stays so; either way it was heard from now.
/// Errc::invalid_argument for an empty id; not_found when the pod is not stored;
/// precondition_failed when it is decommissioned or terminated. All or nothing. A
/// conflict is retried as retry says (a policy that allows no try is invalid_argument).
template <Store S>
Result<void> mark_pod_running(S& store, std::string_view pod_id, const RetryPolicy& retry = {})
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() && detail::valid_policy(retry)));
    const Timestamp at = now();
    return detail::retry_conflicts(store, retry, [&] { return detail::try_mark_running(store, pod_id, at); });
}

/// The pod is alive: it was heard from now, and the task it runs (dispatched or started
/// on it, in the execution it runs) has its last_heartbeat now. Errc::invalid_argument for
/// an empty id; not_found when the pod is not stored; precondition_failed when it is
/// terminated. All or nothing. A conflict is retried as retry says (a policy that allows
/// no try is invalid_argument).
template <Store S>
Result<void> heartbeat(S& store, std::string_view pod_id, const RetryPolicy& retry = {})
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() && detail::valid_policy(retry)));
    const Timestamp at = now();
    return detail::retry_conflicts(store, retry, [&] { return detail::try_heartbeat(store, pod_id, at); });
}

} // namespace pod_dispatcher

#endif
