// Pods dying in the middle of their tasks on one MemoryStore, their agents and the
// rescuers threads of this process, each with a store object of its own
// (testing/pod_failures.hpp): nothing is lost, and each broken promise is found.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
#include <pod_dispatcher/testing/pod_failures.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

namespace {

PodFailurePlan plan() { return paced_for_this_build(PodFailurePlan{}); }

/// What a run left in its store, and what it saw.
struct RecordedRun {
    StoreContents contents;
    PodFailureRecord record;
};

/// One run, made the first time a test asks for it.
const RecordedRun& the_run()
{
    static const RecordedRun run = [] {
        MemoryStore memory;
        const auto own_object = [&memory](std::string_view) {
            return std::make_unique<FaultyStore<MemoryStore>>(memory);
        };
        REQUIRE(seed_contents(memory, pod_failure_seed(plan())));
        PodFailureRecord record = run_pod_failures_in_threads(memory, own_object, "shared", plan());
        return RecordedRun{contents_of(memory), std::move(record)};
    }();
    return run;
}

bool mentions(const std::vector<std::string>& violations, std::string_view words)
{
    return std::ranges::any_of(violations, [&](const std::string& v) { return v.find(words) != std::string::npos; });
}

Task& task_in(StoreContents& contents, std::string_view id)
{
    return *std::ranges::find(contents.tasks, id, &Task::id);
}

std::vector<Event>::iterator termination_in(StoreContents& contents, std::string_view pod_id)
{
    return std::ranges::find_if(contents.events, [&](const Event& e) {
        const auto* change = std::get_if<StatusChangeData>(&e.data);
        return e.resource_id == pod_id && change != nullptr && change->new_status == PodStatus::terminated;
    });
}

} // namespace

TEST_CASE("pods die in the middle of their tasks on one MemoryStore and nothing is lost", "[pod_failures]")
{
    const RecordedRun& run = the_run();
    require_no_violations(pod_failure_violations(plan(), run.contents, run.record));

    // As the plan has it: s0, killed in both its executions, was failed by the system;
    // s1 and s2, killed in their first, ran again and finished.
    StoreContents contents = run.contents;
    CHECK(failed_stranded(task_in(contents, pod_failure_single_task_id(0))));
    for (int i = 1; i <= 2; ++i) {
        const Task& restarted = task_in(contents, pod_failure_single_task_id(i));
        CHECK(restarted.execution == 1);
        CHECK(restarted.status == TaskStatus::succeeded);
    }
}

TEST_CASE("each broken promise of a run where pods die is found", "[pod_failures]")
{
    StoreContents contents = the_run().contents;
    PodFailureRecord record = the_run().record;
    const auto killed = std::ranges::find_if(record.pods, [](const PodLife& p) { return p.killed.has_value(); });
    REQUIRE(killed != record.pods.end());
    const std::string pod = killed->id;
    const TaskRun run = *killed->killed;
    const std::string where = run.task_id + " (execution " + std::to_string(run.execution) + ")";
    const auto violations = [&] { return pod_failure_violations(plan(), contents, record); };

    SECTION("a dead pod's late finish taken")
    {
        const Timestamp late = termination_in(contents, pod)->timestamp;
        contents.events.emplace_back(run.task_id, EventType::task_finished, late,
                                     FinishData{pod, run.execution, TaskStatus::succeeded});
        const auto found = violations();
        CHECK(mentions(found, "task " + where + " ended 2 times"));
        CHECK(mentions(found, "names " + pod + ", whose agent never reported finished it"));
    }
    SECTION("a dead pod's late report answered")
    {
        record.late_reports.front().answers.back().second = {};
        CHECK(mentions(violations(), "'s late dispatch_next_task was answered no error"));
    }
    SECTION("a dead pod changed by its late reports")
    {
        record.late_reports.front().pod_unchanged = false;
        CHECK(mentions(violations(), "'s late reports changed it"));
    }
    SECTION("a task dispatched again while its dead pod was still live")
    {
        termination_in(contents, pod)->timestamp += std::chrono::hours{1};
        CHECK(mentions(violations(), "while " + pod + " still ran execution " + std::to_string(run.execution)));
    }
    SECTION("a pod terminated twice")
    {
        const Event again = *termination_in(contents, pod);
        contents.events.push_back(again);
        CHECK(mentions(violations(), "pod " + pod + " was terminated 2 times"));
    }
    SECTION("two rescues that say they terminated one pod")
    {
        record.rescuers.at(0).terminated.push_back(pod);
        record.rescuers.at(1).terminated.push_back(pod);
        CHECK(mentions(violations(), "pod " + pod + " was terminated by two rescues"));
    }
    SECTION("a rescue before its time")
    {
        std::ranges::find(contents.pods, pod, &Pod::id)->last_communicated = termination_in(contents, pod)->timestamp;
        CHECK(mentions(violations(), "pod " + pod + " was terminated for a heartbeat timeout after only 0 ms"));
    }
    SECTION("a kill that never happened")
    {
        killed->killed.reset();
        const Task& t = task_in(contents, run.task_id);
        CHECK(mentions(violations(), "pods of " + death_key(t) + ", not "));
    }
    SECTION("a task left dispatched to its terminated pod")
    {
        Task& t = task_in(contents, pod_failure_single_task_id(1));
        t.status = TaskStatus::dispatched;
        t.pod_id = pod;
        CHECK(mentions(violations(), "is dispatched to " + pod + ", which is terminated"));
    }
    SECTION("a task left undispatched and allocatable")
    {
        Task& t = task_in(contents, pod_failure_single_task_id(1));
        t.status = TaskStatus::undispatched;
        t.container_allocated = false;
        t.container_allocation_attempts = 0;
        CHECK(mentions(violations(), "task " + t.id + " (execution 1) is left undispatched and allocatable"));
    }
    SECTION("a run its agent was never handed")
    {
        killed->journal.dispatched.clear();
        CHECK(mentions(violations(),
                       "task_dispatched of " + where + " names " + pod + ", whose agent never was handed it"));
    }
    SECTION("a live pod's report refused though it was never terminated")
    {
        PodLife& live = *std::ranges::find_if(record.pods, [](const PodLife& p) { return !p.killed; });
        contents.events.erase(termination_in(contents, live.id));
        live.journal.refused.emplace_back("heartbeat");
        CHECK(mentions(violations(),
                       "the agent of " + live.id + " had its heartbeat refused, yet the pod was never terminated"));
    }
    SECTION("a failure an agent met")
    {
        PodLife& agent = record.pods.front();
        agent.journal.failures.emplace_back("heartbeat: the store is unavailable");
        CHECK(mentions(violations(), "the agent of " + agent.id + ": heartbeat: the store is unavailable"));
    }
}
