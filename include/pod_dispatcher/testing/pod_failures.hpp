#ifndef POD_DISPATCHER_TESTING_POD_FAILURES_HPP
#define POD_DISPATCHER_TESTING_POD_FAILURES_HPP

// Pods that die in the middle of their tasks (SPEC section 7), with real processes: each
// pod's agent runs in a process of its own (mark_pod_running, dispatch_next_task,
// heartbeats while it works, finish_task, and in a task group again), some are killed
// with SIGKILL after their dispatch and before their finish, rescuers in processes of
// their own race to terminate the silent pods (rescue_stale_pods, with timeouts of a few
// hundred milliseconds), and the test re-allocates what they restarted to new pods, until
// every task has ended. Once a dead pod's task has moved on, the pod's late reports are
// sent, and must be refused. The run is detail/pod_failure_conductor.hpp; what it plans and
// records, pod_failure_record.hpp. For a store that can be opened more than once on the
// same data from a location string, like multi_process.hpp, whose StoreOpener this takes;
// the test program has its own main:
//
//     int main(int argc, char* argv[])
//     {
//         return pod_dispatcher::testing::main_with_pod_failure_agents(argc, argv, open_my_store);
//     }
//
//     TEST_CASE("MyStore: pods die in the middle of their tasks")
//     {
//         auto store = open_my_store(location_of_an_empty_store);
//         pod_dispatcher::testing::check_pod_failures_across_processes(*store, location_of_an_empty_store, {});
//     }
//
// A store of one process (MemoryStore) runs the same with threads: an agent that is
// "killed" makes no call after the one it is making (check_pod_failures_in_threads).
//
// The store is then held to the invariants (invariants.hpp), both kinds, and to what only
// the run knows (detail/pod_failure_checks.hpp): every task ended, each execution once;
// each agent's journal agrees with the events; no task ran on two live pods at once;
// each killed pod was terminated for its silence, once, and its run stranded; its late
// reports were refused and wrote nothing; a live pod's report was refused only once it
// was terminated; no rescue came before its time.

#include <pod_dispatcher/testing/detail/pod_failure_checks.hpp>
#include <pod_dispatcher/testing/detail/pod_failure_conductor.hpp>
#include <pod_dispatcher/testing/detail/pod_failure_crews.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/multi_process.hpp>
#include <pod_dispatcher/testing/pod_failure_record.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_session.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace pod_dispatcher::testing {

/// The main of a test program whose processes run pods' agents and rescuers: runs as one
/// when run_pod_failures_in_processes starts it, else runs the program's Catch2 tests.
template <StoreOpener Open>
int main_with_pod_failure_agents(int argc, char* argv[], const Open& open)
{
    return detail::is_pod_failure_role(argc, argv) ? detail::pod_failure_role_main(argc, argv, open)
                                                   : Catch::Session().run(argc, argv);
}

/// Runs plan on the seeded store at location (store is this process's object on it),
/// with each agent and rescuer a copy of this program (main_with_pod_failure_agents).
template <Store S>
PodFailureRecord run_pod_failures_in_processes(S& store, std::string_view location, const PodFailurePlan& plan)
{
    detail::ProcessCrew crew{location, plan};
    return detail::PodFailureConductor<S, detail::ProcessCrew>{store, crew, plan}.run();
}

/// As run_pod_failures_in_processes, with each agent and rescuer a thread of this
/// process, on a store object of its own open(location) opens.
template <Store S, StoreOpener Open>
PodFailureRecord run_pod_failures_in_threads(S& store, const Open& open, std::string_view location,
                                             const PodFailurePlan& plan)
{
    detail::ThreadCrew<Open> crew{open, location, plan};
    return detail::PodFailureConductor<S, detail::ThreadCrew<Open>>{store, crew, plan}.run();
}

/// What went wrong in a run of plan, read from the store's contents after it and the
/// record; empty when nothing did. The store is held to the invariants of both kinds,
/// even one that cannot roll back every unit of work: the stores the harness serves take
/// back what a unit that lost a conflict wrote, and a killed agent dies between its
/// calls or in a heartbeat, which a store that cannot roll back leaves whole or harmless.
inline std::vector<std::string> pod_failure_violations(const PodFailurePlan& plan, StoreContents contents,
                                                       const PodFailureRecord& record)
{
    // A store may read back one document's events, appended by different processes in
    // the same second, out of order (MongoStore's ids are made by each client). In a run,
    // the calls writing one document's events come one after the other, each begun once
    // the one before had ended (the scheduler's allocate, then the pod's dispatch and
    // finish, then whoever terminates the pod), and an event bears the time its call
    // began: time order is the order appended. Events of one call, at one time, keep theirs.
    std::ranges::stable_sort(contents.events, {}, [](const Event& e) { return std::tie(e.resource_id, e.timestamp); });
    const StoreContents seeded = pod_failure_seed(plan);
    const CheckedContents c{contents, seeded};
    return detail::joined({every_store_invariants(c), rollback_invariants(c), detail::every_task_ended(c),
                           detail::executions_end_once(c), detail::journals_agree_with_events(c, record),
                           detail::no_task_on_two_live_pods(c), detail::killed_pods_were_rescued(c, plan, record),
                           detail::late_reports_refused(c, record), detail::pods_terminated_once(c, record),
                           detail::refusals_were_for_terminated_pods(c, record), detail::rescues_were_due(c, plan),
                           detail::failures_met(record)});
}

/// Seeds the empty store at location (store is one object on it), runs plan with agents
/// and rescuers in processes, and fails the calling test with what went wrong.
template <TestableStore S>
void check_pod_failures_across_processes(S& store, std::string_view location, const PodFailurePlan& plan)
{
    REQUIRE(seed_contents(store, pod_failure_seed(plan)));
    const PodFailureRecord record = run_pod_failures_in_processes(store, location, plan);
    require_no_violations(pod_failure_violations(plan, contents_of(store), record));
}

/// As check_pod_failures_across_processes, with agents and rescuers in threads.
template <TestableStore S, StoreOpener Open>
void check_pod_failures_in_threads(S& store, const Open& open, std::string_view location, const PodFailurePlan& plan)
{
    REQUIRE(seed_contents(store, pod_failure_seed(plan)));
    const PodFailureRecord record = run_pod_failures_in_threads(store, open, location, plan);
    require_no_violations(pod_failure_violations(plan, contents_of(store), record));
}

} // namespace pod_dispatcher::testing

#endif
