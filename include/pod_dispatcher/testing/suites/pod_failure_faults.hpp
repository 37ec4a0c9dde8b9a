#ifndef POD_DISPATCHER_TESTING_SUITES_POD_FAILURE_FAULTS_HPP
#define POD_DISPATCHER_TESTING_SUITES_POD_FAILURE_FAULTS_HPP

// A store that fails at any point of mark_pod_running, heartbeat or terminate_pod leaves
// the store and the caller's objects as they were. rescue_stale_pods is a unit of work
// per pod: a fault keeps the pods whose units finished before it terminated, and writes
// nothing of the pod whose unit it struck. The same call then succeeds once the store is
// back (fault_injection.hpp).

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/suites/fault_injection.hpp>
#include <pod_dispatcher/testing/suites/finish_task.hpp>
#include <pod_dispatcher/testing/suites/remove_pod.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// p1 runs t1 in the execution given, t2 (allocated) and t3 (out of allocation
/// attempts) are queued, and the dispatcher holds p1 and the other pods given.
template <class S>
Caller pod_running_in_queued_group(S& store, int execution, std::vector<std::string> other_pods)
{
    seed(store, enabled_project());
    Task running = dispatchable_task("t1");
    running.execution = execution;
    seed_running(store, running_pod("p1"), running);
    seed(store, dispatchable_task("t2"));
    seed(store, exhausted_task("t3"));
    other_pods.insert(other_pods.begin(), "p1");
    const PodDispatcher d = sample_dispatcher({"t2", "t3"}, std::move(other_pods));
    seed(store, d);
    return Caller{d, {}, stored_pod(store, "p1")};
}

inline constexpr auto terminate_callers_pod = [](auto& store, Caller& c) {
    return error_of(terminate_pod(store, c.pod.id, "container stopped"));
};

inline constexpr auto rescue_with_defaults = [](auto& store, Caller&) {
    return error_of(rescue_stale_pods(store, RescueOptions{}));
};

/// A pod a rescue terminated, and why.
struct Rescued {
    std::string pod_id;
    std::string reason;
};

/// The pods a rescue terminates in a store that prepare seeds, in order, and why: from a
/// run without faults.
template <StoreMaker M>
std::vector<Rescued> rescued_in_order(const std::function<Caller(store_of<M>&)>& prepare)
{
    auto store = M::make();
    prepare(*store);
    const auto report = rescue_stale_pods(*store, RescueOptions{});
    REQUIRE(report);
    std::vector<Rescued> rescued;
    for (const std::string& pod_id : report.value().terminated_pods) {
        rescued.push_back({pod_id, termination_reason(*store, pod_id)});
    }
    return rescued;
}

/// What a fault in a rescue of the pods `in_order` may leave: the pods whose units
/// committed before it terminated as terminate_pod terminates them (on a store prepare
/// seeds alike), and nothing else.
template <StoreMaker M>
FaultCheck<store_of<M>> keeps_finished_units(std::function<Caller(store_of<M>&)> prepare,
                                             std::vector<Rescued> in_order)
{
    return [prepare = std::move(prepare), in_order = std::move(in_order)](store_of<M>& store, const auto&,
                                                                          std::size_t committed) {
        REQUIRE(committed <= in_order.size());
        auto expected = M::make();
        prepare(*expected);
        for (std::size_t i = 0; i < committed; ++i) {
            REQUIRE(terminate_pod(*expected, in_order[i].pod_id, in_order[i].reason));
        }
        REQUIRE(stored_outcome_json(store) == stored_outcome_json(*expected));
    };
}

} // namespace detail

template <StoreMaker M>
void mark_pod_running_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    PodStatus status = PodStatus::starting;
    SECTION("when a starting pod becomes running") {}
    SECTION("when a running pod is heard from") { status = PodStatus::running; }
    detail::require_every_fault_harmless<M>({"mark_pod_running",
                                             [status](S& store) {
                                                 seed(store, pod_heard_at("p1", status, {}));
                                                 return detail::Caller{{}, {}, stored_pod(store, "p1")};
                                             },
                                             [](auto& store, detail::Caller& c) {
                                                 return error_of(mark_pod_running(store, c.pod.id));
                                             }});
}

template <StoreMaker M>
void heartbeat_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    const auto beat = [](auto& store, detail::Caller& c) { return error_of(heartbeat(store, c.pod.id)); };
    SECTION("when the pod and the task it runs are heard from")
    {
        detail::require_every_fault_harmless<M>({"heartbeat, running a task",
                                                 [](S& store) {
                                                     detail::dispatched_on_p1(store);
                                                     return detail::Caller{{}, {}, stored_pod(store, "p1")};
                                                 },
                                                 beat});
    }
    SECTION("when a pod that runs no task is heard from")
    {
        detail::require_every_fault_harmless<M>({"heartbeat, running no task",
                                                 [](S& store) {
                                                     seed(store, pod_heard_at("p1", PodStatus::starting, {}));
                                                     return detail::Caller{{}, {}, stored_pod(store, "p1")};
                                                 },
                                                 beat});
    }
}

template <StoreMaker M>
void terminate_pod_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    SECTION("when its task restarts and it is the last pod to leave a dispatcher, which releases its queue")
    {
        detail::require_every_fault_harmless<M>(
            {"terminate_pod, restart and release the queue",
             [](S& store) { return detail::pod_running_in_queued_group(store, max_stranded_restarts - 1, {}); },
             detail::terminate_callers_pod});
    }
    SECTION("when its task is failed by the system and other pods stay in its dispatcher")
    {
        detail::require_every_fault_harmless<M>(
            {"terminate_pod, fail the task",
             [](S& store) { return detail::pod_running_in_queued_group(store, max_stranded_restarts, {"p2"}); },
             detail::terminate_callers_pod});
    }
    SECTION("when it runs no task and is in no dispatcher")
    {
        detail::require_every_fault_harmless<M>({"terminate_pod, a pod alone",
                                                 [](S& store) {
                                                     seed(store, running_pod("p1"));
                                                     return detail::Caller{{}, {}, stored_pod(store, "p1")};
                                                 },
                                                 detail::terminate_callers_pod});
    }
}

/// Three stale pods: p1 runs t1, which restarts, and shares a dispatcher and its queue
/// with p2, which runs t4 in its last execution; p3 never started.
template <StoreMaker M>
void rescue_stale_pods_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    const std::function<detail::Caller(S&)> prepare = [](S& store) {
        detail::Caller c = detail::pod_running_in_queued_group(store, 0, {"p2"});
        Task last_run = dispatchable_task("t4");
        last_run.execution = max_stranded_restarts;
        seed_running(store, pod_heard_at("p2", PodStatus::decommissioned, {}), last_run);
        seed(store, pod_heard_at("p3", PodStatus::initializing, {}));
        return c;
    };
    const auto in_order = detail::rescued_in_order<M>(prepare);
    REQUIRE(in_order.size() == 3);
    detail::require_every_fault_harmless<M>({"rescue_stale_pods", prepare, detail::rescue_with_defaults},
                                            detail::keeps_finished_units<M>(prepare, in_order));
}

} // namespace pod_dispatcher::testing

#endif
