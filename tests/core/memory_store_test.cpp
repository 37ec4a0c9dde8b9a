// What MemoryStore offers beyond the Store concept: seeding, events and snapshots.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/seeding.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

namespace {

/// Project ref i, its flags set apart from its neighbours'.
ProjectRef numbered_project(int i)
{
    ProjectRef ref = enabled_project("project-" + std::to_string(i));
    ref.enabled = i % 2 == 0;
    ref.dispatching_disabled = i % 3 == 0;
    return ref;
}

} // namespace

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
        const StoreContents before = store.snapshot().value();
        REQUIRE(store.insert_task(allocatable_task("t1")).error() == Errc::duplicate_key);
        REQUIRE(store.insert_pod(intent_pod("p1")).error() == Errc::duplicate_key);
        REQUIRE(store.insert_project_ref(enabled_project()).error() == Errc::duplicate_key);
        REQUIRE(store.snapshot().value() == before);
    }
    SECTION("an empty id is invalid_argument, and nothing is written")
    {
        REQUIRE(store.insert_task(allocatable_task("")).error() == Errc::invalid_argument);
        REQUIRE(store.insert_pod(intent_pod("")).error() == Errc::invalid_argument);
        REQUIRE(store.insert_project_ref(enabled_project("")).error() == Errc::invalid_argument);
        REQUIRE(store.snapshot().value() == StoreContents{});
    }
    SECTION("a project ref is found once its unit commits, never after its unit fails")
    {
        const auto failed = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_project_ref(enabled_project("rolled-back")));
            // The unit reads its own insert before it commits.
            REQUIRE(store.find_project_ref("rolled-back").value() == enabled_project("rolled-back"));
            return Errc::precondition_failed;
        });
        REQUIRE(failed.error() == Errc::precondition_failed);
        REQUIRE(store.find_project_ref("rolled-back").value() == std::nullopt);
        // Enough refs that the table of committed ones grows several times.
        for (int i = 0; i < 100; ++i) {
            REQUIRE(store.insert_project_ref(numbered_project(i)));
        }
        for (int i = 0; i < 100; ++i) {
            REQUIRE(store.find_project_ref(numbered_project(i).id).value() == numbered_project(i));
        }
        REQUIRE(store.insert_project_ref(numbered_project(7)).error() == Errc::duplicate_key);
        REQUIRE(store.find_project_ref("rolled-back").value() == std::nullopt);
    }
    SECTION("events_for lists one resource's events, oldest first")
    {
        const Event first{"t1", EventType::container_allocated, Timestamp{std::chrono::milliseconds{1}}, AllocationData{0}};
        const Event second{"t1", EventType::task_dispatched, Timestamp{std::chrono::milliseconds{2}}, DispatchData{"p1", 0}};
        const Event other{"p1", EventType::pod_assigned_task, Timestamp{std::chrono::milliseconds{3}}, {}};
        const std::vector<Event> events{first, other, second};
        REQUIRE(store.insert_events(events));
        REQUIRE(store.events_for("t1") == std::vector<Event>{first, second});
        REQUIRE(store.events_for("p1") == std::vector<Event>{other});
        REQUIRE(store.events_for("nobody").empty());
    }
    SECTION("a unit of work that fails leaves nothing behind")
    {
        const auto result = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_task(dispatchable_task("t1")));
            BOOST_OUTCOME_TRY(new_pod_dispatcher("g", {"t1"}, {"p1"}).insert(store));
            const Event e{"t1", EventType::container_allocated, {}, {}};
            BOOST_OUTCOME_TRY(store.insert_events(std::span<const Event>(&e, 1)));
            return Errc::precondition_failed;
        });
        REQUIRE(result.error() == Errc::precondition_failed);
        REQUIRE(store.snapshot().value() == StoreContents{});
        REQUIRE(find_one_by_pod_id(store, "p1").value() == std::nullopt);
        REQUIRE(find_one_by_group_id(store, "g").value() == std::nullopt);
        REQUIRE(store.events_for("t1").empty());
        // The log goes on past the events taken back.
        const Event later{"t1", EventType::task_dispatched, {}, DispatchData{"p2", 0}};
        REQUIRE(store.insert_events(std::span<const Event>(&later, 1)));
        REQUIRE(store.events_for("t1") == std::vector<Event>{later});
        REQUIRE(store.drain_events() == std::vector<Event>{later});
    }
    SECTION("a dispatcher's queue reads back whole after many dequeues, and after a rolled-back one")
    {
        std::vector<std::string> queue;
        for (int i = 0; i < 200; ++i) {
            queue.push_back("gone-" + std::to_string(i));
        }
        queue.push_back("t1");
        queue.push_back("t2");
        seed(store, enabled_project());
        seed(store, dispatchable_task("t1"));
        seed(store, running_pod("p1"));
        const PodDispatcher d = new_pod_dispatcher("g", queue, {"p1"});
        seed(store, d);
        DispatchOptions one_at_a_time;
        one_at_a_time.queue_window = 1;
        REQUIRE(dispatch_next_task(store, "p1", one_at_a_time).value()->id == "t1");
        REQUIRE(stored_dispatcher(store, d.id).task_ids == std::vector<std::string>{"t2"});
        REQUIRE(stored_dispatcher(store, d.id).modification_count == 201);

        const PodDispatcher after = stored_dispatcher(store, d.id);
        const auto rolled_back = store.atomically([&]() -> Result<void> {
            DispatcherUpdate u;
            u.dequeue = {"t2"};
            BOOST_OUTCOME_TRY(store.update_dispatcher(version_of(after), u));
            return Errc::conflict;
        });
        REQUIRE(rolled_back.error() == Errc::conflict);
        REQUIRE(stored_dispatcher(store, d.id) == after);
    }
    SECTION("drain_events takes every event out, each resource's in order")
    {
        const std::vector<Event> events{{"t1", EventType::container_allocated, {}, AllocationData{0}},
                                        {"p1", EventType::pod_assigned_task, {}, AssignmentData{"t1", 0}},
                                        {"t1", EventType::task_dispatched, {}, DispatchData{"p1", 0}}};
        REQUIRE(store.insert_events(events));
        std::vector<Event> drained = store.drain_events();
        std::ranges::stable_sort(drained, {}, &Event::resource_id);
        REQUIRE(drained == std::vector<Event>{events[1], events[0], events[2]});
        REQUIRE(store.snapshot().value().events.empty());
        REQUIRE(store.drain_events().empty());
    }
    SECTION("forget_finished drops what no live work needs, and keeps the rest")
    {
        seed(store, enabled_project());
        // A finished single-task group: its dispatcher emptied, its pod terminated and removed.
        Task done = allocatable_task("done");
        Pod done_pod = intent_pod("done-pod");
        seed(store, done);
        const PodDispatcher allocated_group = allocate(store, done, done_pod).value();
        set_pod_status(store, "done-pod", PodStatus::running);
        REQUIRE(dispatch_next_task(store, "done-pod").value());
        REQUIRE(finish_task(store, "done-pod", TaskStatus::succeeded));
        set_pod_status(store, "done-pod", PodStatus::terminated);
        PodDispatcher finished_group = stored_dispatcher(store, allocated_group.id);
        REQUIRE(finished_group.remove_pod(store, "done-pod"));
        // Live work: a queued task, a running one, and a pod whose last task failed.
        seed(store, dispatchable_task("queued"));
        seed(store, running_pod("waiting-pod"));
        seed(store, new_pod_dispatcher("live", {"queued"}, {"waiting-pod"}));
        Task failed = dispatchable_task("failed-last");
        failed.status = TaskStatus::failed;
        seed(store, failed);
        Pod remembers = running_pod("remembers");
        remembers.last_task_id = "failed-last";
        seed(store, remembers);
        Pod terminated_but_held = running_pod("held");
        terminated_but_held.status = PodStatus::terminated;
        seed(store, terminated_but_held);
        seed(store, new_pod_dispatcher("holder", {}, {"held"}));

        REQUIRE(store.forget_finished() == MemoryStore::Forgotten{1, 1, 1});
        const StoreContents left = store.snapshot().value();
        REQUIRE(left.dispatchers.size() == 2);
        REQUIRE(store.find_task("done").value() == std::nullopt);
        REQUIRE(store.find_pod("done-pod").value() == std::nullopt);
        REQUIRE(find_one_by_group_id(store, "done").value() == std::nullopt);
        REQUIRE(store.find_task("queued").value());
        REQUIRE(store.find_task("failed-last").value());
        REQUIRE(store.find_pod("held").value());
        REQUIRE(store.forget_finished() == MemoryStore::Forgotten{});
        // A new allocation of a forgotten group starts afresh.
        Task again = allocatable_task("done");
        seed(store, again);
        Pod again_pod = intent_pod("again-pod");
        REQUIRE(allocate(store, again, again_pod));
    }
}

TEST_CASE("MemoryStore: threads read project refs while another inserts them", "[memory_store][threads]")
{
    // Committed refs are read without a lock: a read finds a ref whole or not at all, and
    // never one whose unit failed.
    MemoryStore store;
    constexpr int refs = 400;
    std::atomic<bool> inserting{true};
    std::atomic<int> wrong{0};
    const auto read_all = [&] {
        do {
            for (int i = 0; i < refs; ++i) {
                const auto found = store.find_project_ref(numbered_project(i).id);
                const bool fits = found && (!found.value() || (i % 5 != 0 && *found.value() == numbered_project(i)));
                wrong += fits ? 0 : 1;
            }
        } while (inserting);
    };
    std::thread reader1{read_all};
    std::thread reader2{read_all};
    for (int i = 0; i < refs; ++i) {
        // Every fifth ref's unit fails after inserting it.
        const auto inserted = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_project_ref(numbered_project(i)));
            return i % 5 == 0 ? Result<void>{Errc::precondition_failed} : boost::outcome_v2::success();
        });
        REQUIRE(inserted.has_value() == (i % 5 != 0));
    }
    inserting = false;
    reader1.join();
    reader2.join();
    REQUIRE(wrong == 0);
    for (int i = 0; i < refs; ++i) {
        const auto expected = i % 5 == 0 ? std::nullopt : std::optional<ProjectRef>{numbered_project(i)};
        REQUIRE(store.find_project_ref(numbered_project(i).id).value() == expected);
    }
}
