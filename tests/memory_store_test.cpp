// What MemoryStore offers beyond the Store concept: seeding, events and snapshots.

#include <pod_dispatcher/memory_store.hpp>

#include "support/documents.hpp"

#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

TEST_CASE("MemoryStore", "[memory_store]")
{
    MemoryStore store;

    SECTION("stores and finds tasks, pods and project refs")
    {
        REQUIRE(store.insert_task(dispatchable_task("t1")));
        REQUIRE(store.insert_pod(running_pod("p1")));
        REQUIRE(store.insert_project_ref(enabled_project()));
        REQUIRE(store.find_task("t1").value() == dispatchable_task("t1"));
        REQUIRE(store.find_pod("p1").value() == running_pod("p1"));
        REQUIRE(store.find_project_ref(project_id).value() == enabled_project());
        REQUIRE(store.find_task("t2").value() == std::nullopt);
    }
    SECTION("an id already stored is duplicate_key, and nothing is written")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, running_pod("p1"));
        seed(store, enabled_project());
        const StoreContents before = store.snapshot();
        REQUIRE(store.insert_task(allocatable_task("t1")).error() == Errc::duplicate_key);
        REQUIRE(store.insert_pod(intent_pod("p1")).error() == Errc::duplicate_key);
        REQUIRE(store.insert_project_ref(enabled_project()).error() == Errc::duplicate_key);
        REQUIRE(store.snapshot() == before);
    }
    SECTION("an empty id is invalid_argument, and nothing is written")
    {
        REQUIRE(store.insert_task(allocatable_task("")).error() == Errc::invalid_argument);
        REQUIRE(store.insert_pod(intent_pod("")).error() == Errc::invalid_argument);
        REQUIRE(store.insert_project_ref(enabled_project("")).error() == Errc::invalid_argument);
        REQUIRE(store.snapshot() == StoreContents{});
    }
    SECTION("replace_task writes only over the state the caller read")
    {
        const Task task = dispatchable_task("t1");
        seed(store, task);
        Task dispatched = task;
        dispatched.status = TaskStatus::dispatched;
        REQUIRE(store.replace_task(task, dispatched));
        REQUIRE(store.replace_task(task, dispatched).error() == Errc::conflict);
        REQUIRE(store.replace_task(allocatable_task("t9"), allocatable_task("t9")).error() == Errc::not_found);
        REQUIRE(store.find_task("t1").value() == dispatched);
    }
    SECTION("events_for lists one resource's events, oldest first")
    {
        const Event first{"t1", EventType::container_allocated, Timestamp{std::chrono::milliseconds{1}}, {}};
        const Event second{"t1", EventType::task_dispatched, Timestamp{std::chrono::milliseconds{2}}, {}};
        const Event other{"p1", EventType::pod_assigned_task, Timestamp{std::chrono::milliseconds{3}}, {}};
        REQUIRE(store.insert_events({first, other, second}));
        REQUIRE(store.events_for("t1") == std::vector<Event>{first, second});
        REQUIRE(store.events_for("p1") == std::vector<Event>{other});
        REQUIRE(store.events_for("nobody").empty());
    }
    SECTION("a unit of work that fails leaves nothing behind")
    {
        const auto result = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_task(dispatchable_task("t1")));
            BOOST_OUTCOME_TRY(new_pod_dispatcher("g", {"t1"}, {"p1"}).insert(store));
            return Errc::precondition_failed;
        });
        REQUIRE(result.error() == Errc::precondition_failed);
        REQUIRE(store.snapshot() == StoreContents{});
        REQUIRE(find_one_by_pod_id(store, "p1").value() == std::nullopt);
        REQUIRE(find_one_by_group_id(store, "g").value() == std::nullopt);
    }
    SECTION("a dispatcher's queue reads back whole after many dequeues")
    {
        std::vector<std::string> queue;
        for (int i = 0; i < 200; ++i) {
            queue.push_back("gone-" + std::to_string(i));
        }
        queue.push_back("t1");
        seed(store, enabled_project());
        seed(store, dispatchable_task("t1"));
        seed(store, running_pod("p1"));
        const PodDispatcher d = new_pod_dispatcher("g", queue, {"p1"});
        seed(store, d);
        REQUIRE(dispatch_next_task(store, "p1").value()->id == "t1");
        REQUIRE(stored_dispatcher(store, d.id).task_ids.empty());
        REQUIRE(stored_dispatcher(store, d.id).modification_count == 201);
    }
}
