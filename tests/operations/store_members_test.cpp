// The Store members whose contract goes beyond a plain read or write, on every store:
// replace_task is a compare-and-set on the whole task, and claim_pod starts a task on a
// pod only if the pod can take one.

#include "support/documents.hpp"
#include "support/store_types.hpp"
#include "support/unchanged.hpp"

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

TEMPLATE_LIST_TEST_CASE("replace_task writes only over the very task it was given", "[store]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    const Task before = allocatable_task("t");
    seed(store, before);
    Task after = before;
    after.status = TaskStatus::dispatched;
    after.pod_id = "p";

    SECTION("an unchanged task is replaced")
    {
        REQUIRE(store.replace_task(before, after));
        REQUIRE(stored_task(store, "t") == after);
    }
    SECTION("a task that differs in any field is conflict, and stays as stored")
    {
        Task stale = before;
        SECTION("a field the rules read") { stale.priority = 7; }
        SECTION("a field they do not") { stale.requester = "someone else"; }
        SECTION("a dependency") { stale.depends_on.push_back(Dependency{.task_id = "d", .finished = true}); }
        SECTION("a timestamp") { stale.activated_time += std::chrono::milliseconds{1}; }
        const Unchanged<TestType> unchanged{store};
        REQUIRE(store.replace_task(stale, after).error() == Errc::conflict);
        REQUIRE(unchanged());
    }
    SECTION("a missing task is not_found")
    {
        const Unchanged<TestType> unchanged{store};
        REQUIRE(store.replace_task(Task{.id = "none"}, Task{.id = "none"}).error() == Errc::not_found);
        REQUIRE(unchanged());
    }
}

TEMPLATE_LIST_TEST_CASE("claim_pod starts a task on a pod that can take one", "[store]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    Task task = dispatchable_task("t");
    task.execution = 3;

    SECTION("a running pod with no task runs it, decommissioned, and is returned as stored")
    {
        seed(store, running_pod("p"));
        const auto claimed = store.claim_pod("p", task);
        REQUIRE(claimed);
        REQUIRE(claimed.value());
        Pod expected = running_pod("p");
        expected.status = PodStatus::decommissioned;
        expected.running_task_id = "t";
        expected.running_task_execution = 3;
        REQUIRE(*claimed.value() == expected);
        REQUIRE(stored_pod(store, "p") == expected);
    }
    SECTION("a pod that cannot take a task is left as it is: empty optional")
    {
        Pod pod = running_pod("p");
        SECTION("busy") { pod.running_task_id = "other"; }
        SECTION("not running yet") { pod.status = PodStatus::starting; }
        SECTION("decommissioned") { pod.status = PodStatus::decommissioned; }
        seed(store, pod);
        const Unchanged<TestType> unchanged{store};
        REQUIRE(store.claim_pod("p", task).value() == std::nullopt);
        REQUIRE(unchanged());
    }
    SECTION("a missing pod: empty optional, nothing written")
    {
        const Unchanged<TestType> unchanged{store};
        REQUIRE(store.claim_pod("none", task).value() == std::nullopt);
        REQUIRE(unchanged());
    }
}

// Not a Store member, but both stores offer it to move pods through their states.
TEMPLATE_LIST_TEST_CASE("replace_pod writes only over the very pod it was given", "[store]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    const Pod pod = intent_pod("p");
    seed(store, pod);
    const Pod started = running_pod("p");

    REQUIRE(store.replace_pod(pod, started));
    REQUIRE(stored_pod(store, "p") == started);
    const Unchanged<TestType> unchanged{store};
    REQUIRE(store.replace_pod(pod, started).error() == Errc::conflict);
    REQUIRE(store.replace_pod(Pod{.id = "none"}, Pod{.id = "none"}).error() == Errc::not_found);
    REQUIRE(unchanged());
}
