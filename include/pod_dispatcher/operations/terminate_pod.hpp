#ifndef POD_DISPATCHER_OPERATIONS_TERMINATE_POD_HPP
#define POD_DISPATCHER_OPERATIONS_TERMINATE_POD_HPP

// terminate_pod: the pod is gone. Its stranded task runs again or fails, it leaves its
// dispatcher, and nothing it reports from then on is taken: one unit of work.

#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/operations/remove_pod.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher {

namespace detail {

/// What one unit of terminate_pod did.
struct Termination {
    bool terminated = false;     ///< False when the pod was terminated already, or no longer wanted so.
    std::optional<Task> stranded; ///< The stranded task as stored after, if the pod ran one.
};

/// Why a pod is to be terminated, given it as stored: a reason, or none when it is not
/// (rescue_stale_pods: no longer stale).
template <class F>
concept TerminationVerdict = std::invocable<const F&, const Pod&> &&
                             std::convertible_to<std::invoke_result_t<const F&, const Pod&>, std::optional<std::string_view>>;

/// What a termination reads of the pod, and so guards the pod's write on: its status and
/// running task, and when it was last heard from (rescue_stale_pods decides on that).
inline constexpr auto termination_pod_fields =
    FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id, &Pod::running_task_execution, &Pod::last_communicated);

/// The task ends its execution on a dead pod: it restarts while it may, else the system
/// fails it. Returns it as stored after.
template <Store S>
Result<Task> strand(S& store, const Task& task, const std::string& pod_id, Timestamp at, std::vector<Event>& events)
{
    const bool restarts = restarts_when_stranded(task);
    const Change<Task> change = restarts ? restart(task) : system_failure(stranded);
    BOOST_OUTCOME_TRY(auto after, store.update_task(change.under(task, running_fields)));
    if (!after) {
        return Errc::conflict;
    }
    // The failure is the execution that ended: recorded with its number and reason.
    events.emplace_back(task.id, EventType::task_system_failed, at,
                        SystemFailureData{task.execution, "system", std::string(stranded)});
    if (restarts) {
        events.push_back(restarted_event(*after, pod_id, at));
    }
    return std::move(*after);
}

/// One unit of terminate_pod, for the pod verdict names a reason for. Reads everything it
/// checks before its first write, and writes the task, the dispatcher, then the pod: a
/// store that cannot roll back and stops part way is left with a pod not yet terminated,
/// which a second try then terminates whole (a task restarted already is left alone, a
/// pod out of its dispatcher already has none to leave).
template <Store S, TerminationVerdict Verdict>
Result<Termination> try_terminate(S& store, std::string_view pod_id, Timestamp at, const Verdict& verdict)
{
    Termination done;
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        done = Termination{};
        BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
        if (!pod) {
            return Errc::not_found;
        }
        const std::optional<std::string_view> reason = verdict(*pod);
        if (pod->status == PodStatus::terminated || !reason) {
            return boost::outcome_v2::success();
        }
        std::optional<Task> task;
        if (!pod->running_task_id.empty()) {
            BOOST_OUTCOME_TRY(task, store.find_task(pod->running_task_id));
        }
        BOOST_OUTCOME_TRY(auto holder, store.find_dispatcher(by_pod_id(pod->id), Projection{}));
        std::vector<Event> events;
        if (task && runs_on(*task, *pod)) {
            BOOST_OUTCOME_TRY(done.stranded, strand(store, *task, pod->id, at, events));
        }
        if (holder) {
            BOOST_OUTCOME_TRY(take_pod_out(store, *holder, pod->id, at));
        }
        BOOST_OUTCOME_TRY(auto after, store.update_pod(termination().under(*pod, termination_pod_fields)));
        if (!after) {
            return Errc::conflict;
        }
        if (!pod->running_task_id.empty()) {
            events.push_back(cleared_task_event(*pod, at));
        }
        events.push_back(status_changed_event(*after, pod->status, std::string(*reason), at));
        done.terminated = true;
        return store.insert_events(events);
    }));
    return done;
}

} // namespace detail

/// The pod is gone: its container stopped, or it is given up on. All in one unit of work:
/// the task it runs (dispatched or started on it, in the execution it runs) is stranded,
/// and starts its next execution (events task_system_failed, "stranded", then
/// task_restarted) while its execution is below max_stranded_restarts, else is failed by
/// the system ("stranded"); the pod's running task, if it names one, is cleared (event
/// pod_cleared_task); the pod leaves its dispatcher by the rules of remove_pod; the pod
/// becomes terminated (event pod_status_changed, carrying reason). From then on whatever
/// the pod reports is refused with Errc::precondition_failed.
///
/// Returns the stranded task as stored after, or an empty optional when the pod ran none.
/// A pod already terminated gives an empty optional and writes nothing.
/// Errc::invalid_argument for an empty id (or a retry policy that allows no try); not_found
/// when the pod is not stored. A conflict is retried as retry says.
template <Store S>
Result<std::optional<Task>> terminate_pod(S& store, std::string_view pod_id, std::string_view reason,
                                          const RetryPolicy& retry = {})
{
    BOOST_OUTCOME_TRY(detail::check(!pod_id.empty() && detail::valid_policy(retry)));
    const Timestamp at = now();
    const auto always = [reason](const Pod&) { return std::optional<std::string_view>{reason}; };
    BOOST_OUTCOME_TRY(auto done, detail::retry_conflicts(store, retry, [&] {
        return detail::try_terminate(store, pod_id, at, always);
    }));
    return std::move(done.stranded);
}

} // namespace pod_dispatcher

#endif
