#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_POD_REPORTS_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_POD_REPORTS_HPP

// What the operations a pod makes for itself (finish_task, heartbeat, mark_pod_running)
// share: the pod they write, ordered with the dispatches of that pod.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>

#include <string>
#include <string_view>

namespace pod_dispatcher::detail {

/// On a store that keeps units apart only through the dispatchers they read (store.hpp),
/// reads the pod's dispatcher, with no pods and no queue, though nothing of it is written:
/// the store then orders this unit with the dispatches that give the pod its next task,
/// and one of those since this unit's reads makes it lose. Other stores pay nothing.
template <Store S>
Result<void> order_with_dispatches(S& store, std::string_view pod_id)
{
    if (keeps_units_apart_by_dispatcher(store)) {
        BOOST_OUTCOME_TRY(store.find_dispatcher(by_pod_id(std::string(pod_id)), Projection{false, 0}));
    }
    return boost::outcome_v2::success();
}

/// The stored pod a pod's report is about: Errc::not_found when there is none,
/// precondition_failed once it is terminated, whatever it reports.
template <Store S>
Result<Pod> reporting_pod(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
    if (!pod) {
        return Errc::not_found;
    }
    if (pod->status == PodStatus::terminated) {
        return Errc::precondition_failed;
    }
    return std::move(*pod);
}

} // namespace pod_dispatcher::detail

#endif
