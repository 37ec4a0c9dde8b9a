// What each operation asks of a store, call by call. On a store where each member is one
// round trip (MongoStore with transactions), these are its round trips, plus the commit.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
#include <pod_dispatcher/testing/seeding.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string_view>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

namespace {

using Calls = std::vector<std::string_view>;

/// A unit of work's calls, bracketed as FaultyStore logs them.
Calls unit(Calls calls)
{
    calls.insert(calls.begin(), "atomically");
    calls.emplace_back("commit");
    return calls;
}

/// The same store, saying that it cannot roll back a unit of work.
struct WithoutRollback : FaultyStore<MemoryStore> {
    using FaultyStore<MemoryStore>::FaultyStore;
    static bool rolls_back() { return false; }
};

/// The same store, saying that it keeps units apart only through the dispatchers they read.
struct ApartByDispatcher : FaultyStore<MemoryStore> {
    using FaultyStore<MemoryStore>::FaultyStore;
    static bool keeps_units_apart_by_dispatcher() { return true; }
};

/// Keeps the dispatcher writes made through it, to show what they change.
struct KeepsDispatcherWrites : FaultyStore<MemoryStore> {
    using FaultyStore<MemoryStore>::FaultyStore;
    Result<bool> update_dispatcher(const Query& q, const DispatcherUpdate& u)
    {
        writes.push_back(u);
        return FaultyStore<MemoryStore>::update_dispatcher(q, u);
    }
    std::vector<DispatcherUpdate> writes;
};

} // namespace

TEST_CASE("the store calls of each operation", "[store]")
{
    MemoryStore memory;
    seed(memory, enabled_project());

    SECTION("on a store that rolls back")
    {
        FaultyStore<MemoryStore> store{memory};
        SECTION("allocate, a task's first: no read, the caller's copy is checked by the task's write")
        {
            Task task = allocatable_task("t1");
            Pod pod = intent_pod("p1");
            seed(memory, task);
            store.fail_at(0);
            REQUIRE(allocate(store, task, pod));
            REQUIRE(store.log() == unit({"insert_pod", "insert_dispatcher", "update_task", "insert_events"}));
        }
        SECTION("allocate, again after an earlier attempt: reads the group's dispatcher")
        {
            Task task = allocatable_task("t1");
            task.container_allocation_attempts = 1;
            Pod pod = intent_pod("p1");
            seed(memory, task);
            seed(memory, new_pod_dispatcher("t1", {}, {"p0", "p2"}));
            store.fail_at(0);
            REQUIRE(allocate(store, task, pod));
            REQUIRE(store.log() == unit({"find_dispatcher", "update_dispatcher", "update_task", "insert_events"}));
        }
        SECTION("allocate, a task group's: reads the group's dispatcher and its last task's order")
        {
            seed(memory, dispatchable_task("a"));
            Task task = group_task("b", "g", 2, 0);
            Pod pod = intent_pod("p1");
            seed(memory, task);
            seed(memory, new_pod_dispatcher(get_group_id(task), {"a"}, {"p0", "p2"}));
            store.fail_at(0);
            REQUIRE(allocate(store, task, pod));
            REQUIRE(store.log() ==
                    unit({"find_dispatcher", "find_task", "update_dispatcher", "update_task", "insert_events"}));
        }
        SECTION("dispatch_next_task: the pod is claimed, not read")
        {
            seed(memory, dispatchable_task("t1"));
            seed(memory, running_pod("p1"));
            seed(memory, new_pod_dispatcher("group", {"t1"}, {"p1"}));
            store.fail_at(0);
            REQUIRE(dispatch_next_task(store, "p1").value());
            REQUIRE(store.log() == unit({"find_dispatcher", "find_task", "find_project_ref", "update_pod",
                                         "update_task", "update_dispatcher", "insert_events"}));
        }
        SECTION("dispatch_next_task past a skipped task: reads more of the queue, still writes it once")
        {
            seed(memory, dispatchable_task("t1"));
            seed(memory, running_pod("p1"));
            seed(memory, new_pod_dispatcher("group", {"gone", "t1"}, {"p1"}));
            store.fail_at(0);
            REQUIRE(dispatch_next_task(store, "p1").value());
            REQUIRE(store.log() == unit({"find_dispatcher", "find_task", "find_dispatcher", "find_task",
                                         "find_project_ref", "update_pod", "update_task", "update_dispatcher",
                                         "insert_events"}));
        }
        SECTION("assign_next_task: the same, on the caller's copy of the dispatcher")
        {
            seed(memory, dispatchable_task("t1"));
            Pod pod = running_pod("p1");
            seed(memory, pod);
            PodDispatcher d = seeded_dispatcher(memory, {"t1"}, {"p1"});
            store.fail_at(0);
            REQUIRE(d.assign_next_task(store, pod).value());
            REQUIRE(store.log() == unit({"find_task", "find_project_ref", "update_pod", "update_task",
                                         "update_dispatcher", "insert_events"}));
        }
        SECTION("finish_task: reads the pod and its task, writes the task and pod")
        {
            seed(memory, dispatchable_task("t1"));
            seed(memory, running_pod("p1"));
            seed(memory, new_pod_dispatcher("group", {"t1"}, {"p1"}));
            REQUIRE(dispatch_next_task(memory, "p1").value());
            store.fail_at(0);
            REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
            REQUIRE(store.log() == unit({"find_pod", "find_task", "update_task", "update_pod", "insert_events"}));
        }
        SECTION("mark_pod_running: reads the pod, writes it and its status change")
        {
            seed(memory, intent_pod("p1"));
            store.fail_at(0);
            REQUIRE(mark_pod_running(store, "p1"));
            REQUIRE(store.log() == unit({"find_pod", "update_pod", "insert_events"}));
        }
        SECTION("heartbeat: reads the pod and its task, writes both")
        {
            seed(memory, dispatchable_task("t1"));
            seed(memory, running_pod("p1"));
            seed(memory, new_pod_dispatcher("group", {"t1"}, {"p1"}));
            REQUIRE(dispatch_next_task(memory, "p1").value());
            store.fail_at(0);
            REQUIRE(heartbeat(store, "p1"));
            REQUIRE(store.log() == unit({"find_pod", "find_task", "update_pod", "update_task"}));
        }
        SECTION("terminate_pod: reads the pod, its task and its dispatcher, writes each once")
        {
            seed(memory, dispatchable_task("t1"));
            seed(memory, running_pod("p1"));
            seed(memory, running_pod("p2"));
            seed(memory, new_pod_dispatcher("group", {"t1"}, {"p1", "p2"}));
            REQUIRE(dispatch_next_task(memory, "p1").value());
            store.fail_at(0);
            REQUIRE(terminate_pod(store, "p1", "gone"));
            REQUIRE(store.log() == unit({"find_pod", "find_task", "find_dispatcher", "update_task",
                                         "update_dispatcher", "update_pod", "insert_events"}));
        }
        SECTION("rescue_stale_pods: one index read per status, then a unit per stale pod")
        {
            Pod stale = running_pod("p1");
            stale.last_communicated = Timestamp{std::chrono::milliseconds{1}};
            seed(memory, stale);
            store.fail_at(0);
            REQUIRE(rescue_stale_pods(store, RescueOptions{}).value().terminated_pods == std::vector<std::string>{"p1"});
            REQUIRE(store.log() == Calls{"find_pods", "find_pods", "find_pods", "find_pods", "atomically", "find_pod",
                                         "find_dispatcher", "update_pod", "insert_events", "commit"});
        }
    }
    SECTION("on a store that keeps units apart by dispatcher: a pod's report reads the pod's dispatcher first")
    {
        ApartByDispatcher store{memory};
        seed(memory, dispatchable_task("t1"));
        seed(memory, running_pod("p1"));
        seed(memory, new_pod_dispatcher("group", {"t1"}, {"p1"}));
        REQUIRE(dispatch_next_task(memory, "p1").value());
        store.fail_at(0);
        SECTION("finish_task")
        {
            REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
            REQUIRE(store.log() == unit({"find_dispatcher", "find_pod", "find_task", "update_task", "update_pod",
                                         "insert_events"}));
        }
        SECTION("heartbeat")
        {
            REQUIRE(heartbeat(store, "p1"));
            REQUIRE(store.log() == unit({"find_dispatcher", "find_pod", "find_task", "update_pod", "update_task"}));
        }
        SECTION("mark_pod_running")
        {
            seed(memory, intent_pod("p2"));
            store.fail_at(0);
            REQUIRE(mark_pod_running(store, "p2"));
            REQUIRE(store.log() == unit({"find_dispatcher", "find_pod", "update_pod", "insert_events"}));
        }
    }
    SECTION("allocate writes only the ids it adds, never the whole queue or the whole pod list")
    {
        KeepsDispatcherWrites store{memory};
        seed(memory, group_task("queued-0", "g", 0, 0));
        seed(memory, group_task("queued-2", "g", 2, 0));
        Task task = group_task("new", "g", 1, 0);
        seed(memory, task);
        seed(memory, new_pod_dispatcher(get_group_id(task), {"queued-0", "queued-2"}, {"p0"}));
        Pod pod = intent_pod("p1");
        REQUIRE(allocate(store, task, pod).value().task_ids == std::vector<std::string>{"queued-0", "new", "queued-2"});
        REQUIRE(store.writes.size() == 1);
        CHECK(store.writes.front().enqueue == std::vector<std::string>{"new"});
        CHECK(store.writes.front().enqueue_at == 1U);
        CHECK(store.writes.front().add_pods == std::vector<std::string>{"p1"});
        CHECK_FALSE(store.writes.front().task_ids);
        CHECK_FALSE(store.writes.front().pod_ids);
    }
    SECTION("on a store that cannot roll back: reads before the first write what a failure would leave behind")
    {
        WithoutRollback store{memory};
        SECTION("allocate reads the task, the group's dispatcher and whether another holds the pod")
        {
            Task task = allocatable_task("t1");
            Pod pod = intent_pod("p1");
            seed(memory, task);
            store.fail_at(0);
            REQUIRE(allocate(store, task, pod));
            REQUIRE(store.log() == unit({"find_task", "find_dispatcher", "find_dispatcher", "insert_pod",
                                         "insert_dispatcher", "update_task", "insert_events"}));
        }
        SECTION("assign_next_task checks the stored queue against the caller's copy")
        {
            seed(memory, dispatchable_task("t1"));
            Pod pod = running_pod("p1");
            seed(memory, pod);
            PodDispatcher d = seeded_dispatcher(memory, {"t1"}, {"p1"});
            store.fail_at(0);
            REQUIRE(d.assign_next_task(store, pod).value());
            REQUIRE(store.log() == unit({"find_task", "find_project_ref", "find_dispatcher", "update_pod",
                                         "update_task", "update_dispatcher", "insert_events"}));
        }
    }
}
