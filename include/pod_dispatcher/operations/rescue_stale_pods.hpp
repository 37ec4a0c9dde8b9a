#ifndef POD_DISPATCHER_OPERATIONS_RESCUE_STALE_PODS_HPP
#define POD_DISPATCHER_OPERATIONS_RESCUE_STALE_PODS_HPP

// rescue_stale_pods: terminates the pods that never started, or stopped being heard
// from, so that their tasks run again.

#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/operations/terminate_pod.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace pod_dispatcher {

/// When rescue_stale_pods counts a pod as stale.
struct RescueOptions {
    /// A pod initializing or starting, not heard from for this long, never started.
    std::chrono::milliseconds startup_timeout = std::chrono::minutes(15);
    /// A pod running or decommissioned, not heard from for this long, is dead or hung.
    std::chrono::milliseconds heartbeat_timeout = std::chrono::minutes(7);
    Timestamp now{}; ///< The time the timeouts count back from; unset: pod_dispatcher::now().
    RetryPolicy retry{}; ///< How each pod's termination retries a conflict.
};

/// What rescue_stale_pods did.
struct RescueReport {
    std::vector<std::string> terminated_pods; ///< In the order terminated.
    std::vector<Task> stranded_tasks;         ///< As stored after, one per terminated pod that ran one.

    bool operator==(const RescueReport&) const = default;
};

namespace detail {

/// The pods stale by cutoffs when they were read, oldest first: one query per status,
/// each answered by the store's index.
template <Store S>
Result<std::vector<Pod>> stale_pods(S& store, const StaleCutoffs& cutoffs)
{
    const std::array queries{PodQuery{PodStatus::initializing, cutoffs.startup},
                             PodQuery{PodStatus::starting, cutoffs.startup},
                             PodQuery{PodStatus::running, cutoffs.heartbeat},
                             PodQuery{PodStatus::decommissioned, cutoffs.heartbeat}};
    std::vector<Pod> stale;
    for (const PodQuery& q : queries) {
        BOOST_OUTCOME_TRY(auto found, store.find_pods(q));
        std::ranges::move(found, std::back_inserter(stale));
    }
    std::ranges::sort(stale, {}, [](const Pod& p) { return std::tie(p.last_communicated, p.id); });
    return stale;
}

} // namespace detail

/// Terminates, as terminate_pod does, every pod that is initializing or starting and was
/// last heard from before options.now - startup_timeout (reason "startup timeout"), or
/// running or decommissioned and last heard from before options.now - heartbeat_timeout
/// ("heartbeat timeout"); a pod never heard from counts as heard from before any time.
/// Reads only the stale pods. Each pod is a unit of work of its own, written only if the
/// pod is still stale when its unit runs: one that was heard from, or that another caller
/// terminated, meanwhile is left alone, so rescuers racing in several processes terminate
/// each pod once.
///
/// Errc::invalid_argument for a timeout of zero or less, or a retry policy that allows no
/// try. On a store error, returns the error; the pods terminated before it stay so.
template <Store S>
Result<RescueReport> rescue_stale_pods(S& store, const RescueOptions& options)
{
    BOOST_OUTCOME_TRY(detail::check(options.startup_timeout.count() > 0 && options.heartbeat_timeout.count() > 0 &&
                                    detail::valid_policy(options.retry)));
    const Timestamp reference = options.now == Timestamp{} ? now() : options.now;
    const StaleCutoffs cutoffs{reference - options.startup_timeout, reference - options.heartbeat_timeout};
    BOOST_OUTCOME_TRY(auto stale, detail::stale_pods(store, cutoffs));
    const auto still_stale = [&cutoffs](const Pod& pod) { return staleness(pod, cutoffs); };
    RescueReport report;
    for (const Pod& pod : stale) {
        auto done = detail::retry_conflicts(store, options.retry,
                                            [&] { return detail::try_terminate(store, pod.id, now(), still_stale); });
        if (!done && done.error() == Errc::not_found) {
            continue; // deleted meanwhile: nothing left to rescue
        }
        BOOST_OUTCOME_TRY(done);
        if (done.value().terminated) {
            report.terminated_pods.push_back(pod.id);
        }
        if (done.value().stranded) {
            report.stranded_tasks.push_back(std::move(*done.value().stranded));
        }
    }
    return report;
}

} // namespace pod_dispatcher

#endif
