// remove_pod: a pod leaves its dispatcher; the last one releases the queue.

#include "support/documents.hpp"
#include "support/store_types.hpp"
#include "support/unchanged.hpp"

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

template <class S>
void require_rejected(S& store, PodDispatcher& d, std::string_view pod_id, Errc expected)
{
    const Unchanged<S> unchanged{store};
    const PodDispatcher before = d;
    const auto result = d.remove_pod(store, pod_id);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
    REQUIRE(d == before);
}

Task exhausted_task(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.container_allocation_attempts = max_container_allocation_attempts;
    return task;
}

} // namespace

TEMPLATE_LIST_TEST_CASE("remove_pod", "[remove_pod]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    seed(store, dispatchable_task("t1"));
    seed(store, exhausted_task("t2"));
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
            REQUIRE(event_types(store, "t2") ==
                    std::vector<EventType>{EventType::task_system_failed, EventType::container_deallocated});
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
            REQUIRE(store.events_for("t3").empty());
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
        require_rejected(store, d, "p2", Errc::pod_not_in_dispatcher);
    }
    SECTION("a stale dispatcher is conflict, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1"});
        PodDispatcher newer = d;
        REQUIRE(newer.upsert_atomically(store));
        require_rejected(store, d, "p1", Errc::conflict);
    }
    SECTION("an empty pod id is invalid_argument, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        require_rejected(store, d, "", Errc::invalid_argument);
    }
}
