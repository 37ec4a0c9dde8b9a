// dispatch_next_task: the whole step a pod takes when it asks for work.

#include "support/documents.hpp"
#include "support/faulty_store.hpp"
#include "support/store_types.hpp"
#include "support/unchanged.hpp"

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

template <class S>
void require_rejected(S& store, std::string_view pod_id, Errc expected)
{
    const Unchanged<S> unchanged{store};
    const auto result = dispatch_next_task(store, pod_id);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
}

} // namespace

TEMPLATE_LIST_TEST_CASE("dispatch_next_task", "[dispatch_next_task]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    seed(store, enabled_project());
    seed(store, running_pod("p1"));

    SECTION("finds the pod's dispatcher and dispatches its next task")
    {
        seed(store, dispatchable_task("t1"));
        const PodDispatcher d = seeded_dispatcher(store, {"gone", "t1"}, {"p1"});
        auto task = dispatch_next_task(store, "p1");
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == "t1");
        REQUIRE(stored_task(store, "t1") == *task.value());
        REQUIRE(stored_pod(store, "p1").running_task_id == "t1");
        const PodDispatcher after = stored_dispatcher(store, d.id);
        REQUIRE(after.task_ids.empty());
        REQUIRE(after.modification_count == 2);
    }
    SECTION("walks past more skipped tasks than it reads at a time")
    {
        std::vector<std::string> queue;
        for (int i = 0; i < 40; ++i) {
            queue.push_back("gone-" + std::to_string(i));
        }
        queue.push_back("t1");
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", queue, {"p1"}));
        DispatchOptions options;
        options.queue_window = 3;
        auto task = dispatch_next_task(store, "p1", options);
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == "t1");
    }
    SECTION("gives an empty optional when nothing in the queue can run")
    {
        seed(store, allocatable_task("t1"));
        const PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        auto task = dispatch_next_task(store, "p1");
        REQUIRE(task);
        REQUIRE(task.value() == std::nullopt);
        REQUIRE(stored_dispatcher(store, d.id).task_ids.empty());
    }
    SECTION("a conflict is retried, and each retry reported")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"t1"}, {"p1"}));
        FaultyStore<TestType> racing{store};
        racing.fail_at(2, Errc::conflict); // the first attempt's first read loses a race
        std::vector<std::error_code> retried;
        DispatchOptions options;
        options.on_retry = [&](const std::error_code& e) { retried.push_back(e); };
        auto task = dispatch_next_task(racing, "p1", options);
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == "t1");
        REQUIRE(retried == std::vector<std::error_code>{Errc::conflict});
    }
    SECTION("a conflict on the last attempt is returned, and nothing is written")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"t1"}, {"p1"}));
        const Unchanged<TestType> unchanged{store};
        FaultyStore<TestType> racing{store};
        racing.fail_at(2, Errc::conflict);
        DispatchOptions options;
        options.max_attempts = 1;
        REQUIRE(dispatch_next_task(racing, "p1", options).error() == Errc::conflict);
        REQUIRE(unchanged());
    }
    SECTION("another error is not retried")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"t1"}, {"p1"}));
        FaultyStore<TestType> failing{store};
        failing.fail_at(2);
        int retries = 0;
        DispatchOptions options;
        options.on_retry = [&](const std::error_code&) { ++retries; };
        REQUIRE(dispatch_next_task(failing, "p1", options).error() == Errc::store_unavailable);
        REQUIRE(retries == 0);
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        require_rejected(store, "p9", Errc::not_found);
    }
    SECTION("a pod already running a task is pod_busy, and nothing is written")
    {
        Pod busy = running_pod("busy");
        busy.running_task_id = "t0";
        seed(store, busy);
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"t1"}, {"busy"}));
        require_rejected(store, "busy", Errc::pod_busy);
    }
    SECTION("a pod in no dispatcher is pod_not_in_dispatcher, and nothing is written")
    {
        require_rejected(store, "p1", Errc::pod_not_in_dispatcher);
    }
    SECTION("a pod that is not running is precondition_failed, and nothing is written")
    {
        seed(store, intent_pod("p2"));
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"gone", "t1"}, {"p2"}));
        require_rejected(store, "p2", Errc::precondition_failed);
    }
    SECTION("an empty pod id is invalid_argument, and nothing is written")
    {
        require_rejected(store, "", Errc::invalid_argument);
    }
}
