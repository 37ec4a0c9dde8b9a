#ifndef POD_DISPATCHER_TESTING_SUITES_REMOVE_POD_HPP
#define POD_DISPATCHER_TESTING_SUITES_REMOVE_POD_HPP

// remove_pod: a pod leaves its dispatcher; the last one releases the queue.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

template <class S>
void require_remove_rejected(S& store, PodDispatcher& d, std::string_view pod_id, Errc expected)
{
    const Unchanged unchanged{store};
    const PodDispatcher before = d;
    const auto result = d.remove_pod(store, pod_id);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
    REQUIRE(d == before);
}

inline Task exhausted_task(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.container_allocation_attempts = max_container_allocation_attempts;
    return task;
}

} // namespace detail

template <StoreMaker M>
void remove_pod_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, dispatchable_task("t1"));
    seed(store, detail::exhausted_task("t2"));
    seed(store, allocatable_task("t3"));

    SECTION("a pod that is not the last leaves, and the queue stays")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1", "p2"});
        const Timestamp before = now();
        REQUIRE(d.remove_pod(store, "p1"));
        REQUIRE(d.pod_ids == std::vector<std::string>{"p2"});
        REQUIRE(d.task_ids == std::vector<std::string>{"t1", "t2"});
        REQUIRE(d.modification_count == 1);
        REQUIRE(d.last_modified >= before);
        REQUIRE(stored_dispatcher(store, d.id) == d);
        REQUIRE(stored_task(store, "t1") == dispatchable_task("t1"));
        REQUIRE(find_one_by_pod_id(store, "p1").value() == std::nullopt);
    }
    SECTION("the last pod leaving with tasks queued releases them all")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2", "t3", "gone"}, {"p1"});
        REQUIRE(d.remove_pod(store, "p1"));
        REQUIRE(d.pod_ids.empty());
        REQUIRE(d.task_ids.empty());
        REQUIRE(stored_dispatcher(store, d.id) == d);

        SECTION("a task with no allocation attempts left is failed by the system")
        {
            const Task failed = stored_task(store, "t2");
            REQUIRE(failed.status == TaskStatus::failed);
            REQUIRE(failed.details_type == "system");
            REQUIRE(failed.details_description == "container task cannot be allocated");
            REQUIRE_FALSE(failed.container_allocated);
            const auto events = events_of(store, "t2");
            REQUIRE(events.size() == 2);
            REQUIRE(events[0].type == EventType::task_system_failed);
            REQUIRE(events[0].data == EventData{SystemFailureData{0, "system", "container task cannot be allocated"}});
            REQUIRE(events[1].type == EventType::container_deallocated);
        }
        SECTION("a task with attempts left is deallocated, to be allocated again")
        {
            const Task released = stored_task(store, "t1");
            REQUIRE(released.status == TaskStatus::undispatched);
            REQUIRE_FALSE(released.container_allocated);
            REQUIRE(should_allocate_container(released));
            REQUIRE(event_types(store, "t1") == std::vector<EventType>{EventType::container_deallocated});
        }
        SECTION("an unallocated task is left as it was")
        {
            REQUIRE(stored_task(store, "t3") == allocatable_task("t3"));
            REQUIRE(events_of(store, "t3").empty());
        }
    }
    SECTION("the last pod leaving an empty queue just leaves")
    {
        PodDispatcher d = seeded_dispatcher(store, {}, {"p1"});
        REQUIRE(d.remove_pod(store, "p1"));
        REQUIRE(stored_dispatcher(store, d.id) == d);
        REQUIRE(d.modification_count == 1);
    }
    SECTION("a pod the dispatcher does not hold is pod_not_in_dispatcher, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        detail::require_remove_rejected(store, d, "p2", Errc::pod_not_in_dispatcher);
    }
    SECTION("a stale dispatcher is conflict, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1"});
        PodDispatcher newer = d;
        REQUIRE(newer.upsert_atomically(store));
        detail::require_remove_rejected(store, d, "p1", Errc::conflict);
    }
    SECTION("a malformed copy is invalid_argument, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        SECTION("a task listed twice") { d.task_ids = {"t1", "t1"}; }
        SECTION("a pod listed twice") { d.pod_ids = {"p1", "p1"}; }
        detail::require_remove_rejected(store, d, "p1", Errc::invalid_argument);
    }
    SECTION("an empty pod id is invalid_argument, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        detail::require_remove_rejected(store, d, "", Errc::invalid_argument);
    }
}

} // namespace pod_dispatcher::testing

#endif
