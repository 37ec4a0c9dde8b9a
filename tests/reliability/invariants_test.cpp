// The invariants module (testing/invariants.hpp): the contents the operations leave keep
// every invariant, and each invariant finds what breaks it.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/seeding.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

namespace {

/// A store seeded, then worked on through the operations: a task run and finished, a
/// single-host group stopped by a failure, a pod terminated in the middle of its task,
/// which runs again on a new pod, and a task left waiting.
struct Worked {
    MemoryStore store;
    StoreContents seeded;
    StoreContents now;

    Worked()
    {
        seed(store, enabled_project());
        Task display;
        display.id = "display";
        display.project = project_id;
        display.display_only = true;
        display.execution_tasks = {"t1"};
        seed(store, display);
        Task t1 = dispatchable_task("t1");
        t1.display_task_id = "display";
        seed(store, t1);
        seed(store, dispatchable_task("t2"));
        seed(store, dispatchable_task("t3"));
        seed(store, running_pod("p1"));
        seed(store, running_pod("p2"));
        seed(store, PodDispatcher{"d1", "g1", {"p1", "p2"}, {"t1", "t2", "t3"}, 0, {}});
        for (const auto& [id, order] : {std::pair{"ga", 0}, std::pair{"gb", 1}}) {
            Task task = group_task(id, "tg", order, 1);
            seed(store, task);
            Pod pod = intent_pod("gp-" + task.id); // the group takes the first only
            REQUIRE(allocate(store, task, pod));
        }
        seeded = contents_of(store);

        REQUIRE(mark_pod_running(store, "gp-ga"));
        REQUIRE(handed(store, "gp-ga").id == "ga");
        REQUIRE(finish_task(store, "gp-ga", TaskStatus::failed));
        REQUIRE(dispatch_next_task(store, "gp-ga").value() == std::nullopt); // the group stops
        REQUIRE(handed(store, "p1").id == "t1");
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        REQUIRE(handed(store, "p2").id == "t2");
        REQUIRE(terminate_pod(store, "p2", "gone").value()->execution == 1);
        Task t2 = stored_task(store, "t2");
        Pod p3 = running_pod("p3");
        REQUIRE(allocate(store, t2, p3));
        REQUIRE(handed(store, "p3").id == "t2");
        now = contents_of(store);
    }

    Broken every_store() const { return every_store_invariants(CheckedContents{now, seeded}); }
    Broken rollback() const { return rollback_invariants(CheckedContents{now, seeded}); }

    Task& task(std::string_view id) { return *std::ranges::find(now.tasks, id, &Task::id); }
    Pod& pod(std::string_view id) { return *std::ranges::find(now.pods, id, &Pod::id); }
    PodDispatcher& dispatcher(std::string_view group_id)
    {
        return *std::ranges::find(now.dispatchers, group_id, &PodDispatcher::group_id);
    }

    /// Records e after the other events of its resource, as a store would append it.
    void append(Event e)
    {
        const auto at = std::ranges::upper_bound(now.events, e.resource_id, {}, &Event::resource_id);
        now.events.insert(at, std::move(e));
    }

    void erase_events(std::string_view resource, EventType type)
    {
        std::erase_if(now.events, [&](const Event& e) { return e.resource_id == resource && e.type == type; });
    }
};

bool mentions(const Broken& broken, std::string_view words)
{
    return std::ranges::any_of(broken, [&](const std::string& b) { return b.find(words) != std::string::npos; });
}

} // namespace

TEST_CASE("the invariants of every store", "[invariants]")
{
    Worked w;
    SECTION("hold on what the operations leave") { REQUIRE(w.every_store().empty()); }
    SECTION("nothing_lost: no task, pod or dispatcher of the baseline is gone")
    {
        std::erase_if(w.now.tasks, [](const Task& t) { return t.id == "t3"; });
        CHECK(nothing_lost(CheckedContents{w.now, w.seeded}) == Broken{"task t3 is gone"});
    }
    SECTION("tasks_queued_once: no task in two queues")
    {
        w.dispatcher("t2").task_ids.push_back("t3");
        CHECK(mentions(tasks_queued_once(CheckedContents{w.now, w.seeded}), "task t3 is queued twice"));
    }
    SECTION("pods_in_one_dispatcher: no pod in two dispatchers")
    {
        w.dispatcher("t2").pod_ids.push_back("p1");
        CHECK(mentions(pods_in_one_dispatcher(CheckedContents{w.now, w.seeded}), "pod p1 is held twice"));
    }
    SECTION("counts_never_go_back: a dispatcher's count never drops below the baseline's")
    {
        w.dispatcher("g1").modification_count = -1;
        CHECK(mentions(counts_never_go_back(CheckedContents{w.now, w.seeded}), "d1's count went back"));
    }
    SECTION("running_tasks_run_on_their_pods: a running task's pod runs it")
    {
        w.pod("p3").running_task_execution = 0;
        CHECK(running_tasks_run_on_their_pods(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t2 (execution 1) is dispatched to p3, which does not run it"});
    }
    SECTION("nothing_runs_on_a_terminated_pod: neither on the task's side nor on the pod's")
    {
        w.pod("p3").status = PodStatus::terminated;
        CHECK(nothing_runs_on_a_terminated_pod(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t2 is dispatched to p3, which is terminated", "pod p3 is terminated, yet runs t2"});
    }
    SECTION("single_host_groups_run_one_task_at_a_time")
    {
        w.task("gb").status = TaskStatus::dispatched;
        w.task("ga").status = TaskStatus::dispatched;
        CHECK(mentions(single_host_groups_run_one_task_at_a_time(CheckedContents{w.now, w.seeded}),
                       "runs 2 tasks at once"));
    }
    SECTION("task_groups_keep_their_caps_and_order: pods within the cap, the queue in order, the group's own tasks")
    {
        PodDispatcher& group = w.dispatcher(get_group_id(w.task("ga")));
        group.pod_ids.push_back("p9");
        group.task_ids = {"gb", "ga", "t3"};
        const Broken broken = task_groups_keep_their_caps_and_order(CheckedContents{w.now, w.seeded});
        CHECK(mentions(broken, "holds 2 pods, over its 1"));
        CHECK(mentions(broken, "queues ga out of task_group_order"));
        CHECK(mentions(broken, "queues t3, which is not one of its tasks"));
    }
    SECTION("events_carry_their_payloads")
    {
        w.append(Event{"t3", EventType::task_dispatched, now(), {}});
        CHECK(events_carry_their_payloads(CheckedContents{w.now, w.seeded}) ==
              Broken{"event task_dispatched of t3 carries the wrong payload"});
    }
    SECTION("restarts_within_limit: no restart past max_stranded_restarts")
    {
        w.append(Event{"t2", EventType::task_restarted, now(), RestartData{"p3", max_stranded_restarts + 1}});
        CHECK(mentions(restarts_within_limit(CheckedContents{w.now, w.seeded}), "past max_stranded_restarts"));
    }
}

TEST_CASE("the invariants of a store that rolls back", "[invariants]")
{
    Worked w;
    SECTION("hold on what the operations leave") { REQUIRE(w.rollback().empty()); }
    SECTION("live_pods_run_their_tasks: no pod claimed for a task it did not get")
    {
        w.pod("p1").running_task_id = "t3";
        CHECK(live_pods_run_their_tasks(CheckedContents{w.now, w.seeded}) ==
              Broken{"pod p1 is claimed for t3 (execution 0), which does not run on it"});
    }
    SECTION("no_two_live_pods_run_one_task")
    {
        w.pod("p1").running_task_id = "t2";
        CHECK(no_two_live_pods_run_one_task(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t2 runs on two live pods, p1 and p3"});
    }
    SECTION("terminated_pods_leave_their_dispatchers")
    {
        w.dispatcher("g1").pod_ids.push_back("p2");
        CHECK(terminated_pods_leave_their_dispatchers(CheckedContents{w.now, w.seeded}) ==
              Broken{"pod p2 is terminated, yet dispatcher d1 holds it"});
    }
    SECTION("waiting_tasks_are_queued: none left allocated in no queue")
    {
        w.dispatcher("g1").task_ids.clear();
        CHECK(waiting_tasks_are_queued(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t3 is allocated and waiting, but in no queue"});
    }
    SECTION("waiting_tasks_are_queued: none queued but not waiting")
    {
        w.task("t3").container_allocated = false;
        CHECK(waiting_tasks_are_queued(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t3 is queued, but not allocated and waiting"});
    }
    SECTION("waiting_tasks_are_queued: none queued where no live pod will take it")
    {
        w.pod("p1").status = PodStatus::terminated;
        CHECK(waiting_tasks_are_queued(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t3 waits in dispatcher d1, which holds no live pod"});
    }
    SECTION("task_histories_agree_with_state: a change without its event")
    {
        w.task("t1").status = TaskStatus::failed;
        CHECK(task_histories_agree_with_state(CheckedContents{w.now, w.seeded}) ==
              Broken{"task t1: its events do not lead to its stored status"});
    }
    SECTION("task_histories_agree_with_state: an event the rules do not allow")
    {
        w.append(Event{"t1", EventType::task_restarted, now(), RestartData{"p1", 1}});
        CHECK(mentions(task_histories_agree_with_state(CheckedContents{w.now, w.seeded}),
                       "task t1: task_restarted for a task not stranded"));
    }
    SECTION("pod_histories_agree_with_state: no task of a single-host group after a failed one")
    {
        w.append(Event{"gp-ga", EventType::pod_assigned_task, now(), AssignmentData{"gb", 0}});
        CHECK(pod_histories_agree_with_state(CheckedContents{w.now, w.seeded}) ==
              Broken{"pod gp-ga took gb (execution 0) after a failed task of its single-host group"});
    }
    SECTION("pod_histories_agree_with_state: no task taken while the pod is not running")
    {
        w.append(Event{"p2", EventType::pod_assigned_task, now(), AssignmentData{"t3", 0}});
        CHECK(pod_histories_agree_with_state(CheckedContents{w.now, w.seeded}) ==
              Broken{"pod p2 took t3 (execution 0) while terminated"});
    }
    SECTION("pod_histories_agree_with_state: decommissioned with a task outside any group")
    {
        w.erase_events("p1", EventType::pod_status_changed);
        CHECK(pod_histories_agree_with_state(CheckedContents{w.now, w.seeded}) ==
              Broken{"pod p1 took a task outside any group and was not decommissioned with it"});
    }
    SECTION("pod_histories_agree_with_state: the pod's last finished task is its last_task_id")
    {
        w.pod("gp-ga").last_task_id.clear();
        CHECK(mentions(pod_histories_agree_with_state(CheckedContents{w.now, w.seeded}),
                       "pod gp-ga last finished ga, but its last_task_id is ''"));
    }
    SECTION("dispatches_match_assignments")
    {
        w.erase_events("p3", EventType::pod_assigned_task);
        CHECK(mentions(dispatches_match_assignments(CheckedContents{w.now, w.seeded}),
                       "task t2 (execution 1) was dispatched to p3, which has no pod_assigned_task for it"));
    }
    SECTION("display_tasks_roll_up")
    {
        w.task("display").status = TaskStatus::undispatched;
        CHECK(display_tasks_roll_up(CheckedContents{w.now, w.seeded}) ==
              Broken{"display task display is not dispatched, but one of its execution tasks was"});
    }
}

TEST_CASE("invariants_broken holds a store to what it promises", "[invariants]")
{
    struct WithoutRollback : MemoryStore {
        static constexpr bool rolls_back() noexcept { return false; }
    };
    Worked w;
    w.pod("p1").running_task_id = "t3"; // a claim a unit that failed part way may leave behind
    WithoutRollback without_rollback;
    CHECK(invariants_broken(without_rollback, CheckedContents{w.now, w.seeded}).empty());
    CHECK(mentions(invariants_broken(w.store, CheckedContents{w.now, w.seeded}), "pod p1 is claimed for t3"));
}
