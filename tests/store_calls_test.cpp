// What each operation asks of a store that rolls back, call by call. On a store where
// each member is one round trip (MongoStore with transactions and a unique pod index),
// these are its round trips, plus the commit.

#include "support/documents.hpp"
#include "support/faulty_store.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string_view>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

using Calls = std::vector<std::string_view>;

/// A unit of work's calls, bracketed as FaultyStore logs them.
Calls unit(Calls calls)
{
    calls.insert(calls.begin(), "atomically");
    calls.emplace_back("commit");
    return calls;
}

} // namespace

TEST_CASE("the store calls of each operation, on a store that rolls back", "[store]")
{
    MemoryStore memory;
    FaultyStore<MemoryStore> store{memory};
    seed(memory, enabled_project());

    SECTION("allocate, a task's first: no read, the caller's copy is checked by the task's write")
    {
        Task task = allocatable_task("t1");
        Pod pod = intent_pod("p1");
        seed(memory, task);
        store.fail_at(0);
        REQUIRE(allocate(store, task, pod));
        REQUIRE(store.log() == unit({"upsert_dispatcher", "insert_pod", "replace_task", "insert_events"}));
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
        REQUIRE(store.log() == unit({"find_dispatcher", "upsert_dispatcher", "replace_task", "insert_events"}));
    }
    SECTION("dispatch_next_task: the pod is claimed, not read")
    {
        seed(memory, dispatchable_task("t1"));
        seed(memory, running_pod("p1"));
        seed(memory, new_pod_dispatcher("group", {"t1"}, {"p1"}));
        store.fail_at(0);
        REQUIRE(dispatch_next_task(store, "p1").value());
        REQUIRE(store.log() == unit({"find_dispatcher", "find_task", "find_project_ref", "claim_pod", "replace_task",
                                     "update_dispatcher", "insert_events"}));
    }
    SECTION("assign_next_task: the same, on the caller's copy of the dispatcher")
    {
        seed(memory, dispatchable_task("t1"));
        Pod pod = running_pod("p1");
        seed(memory, pod);
        PodDispatcher d = seeded_dispatcher(memory, {"t1"}, {"p1"});
        store.fail_at(0);
        REQUIRE(d.assign_next_task(store, pod).value());
        REQUIRE(store.log() ==
                unit({"find_task", "find_project_ref", "claim_pod", "replace_task", "update_dispatcher", "insert_events"}));
    }
}
