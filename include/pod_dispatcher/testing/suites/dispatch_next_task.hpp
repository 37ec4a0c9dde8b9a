#ifndef POD_DISPATCHER_TESTING_SUITES_DISPATCH_NEXT_TASK_HPP
#define POD_DISPATCHER_TESTING_SUITES_DISPATCH_NEXT_TASK_HPP

// dispatch_next_task: the whole step a pod takes when it asks for work.

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
void require_dispatch_rejected(S& store, std::string_view pod_id, Errc expected)
{
    const Unchanged unchanged{store};
    const auto result = dispatch_next_task(store, pod_id);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
}

} // namespace detail

template <StoreMaker M>
void dispatch_next_task_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());
    seed(store, running_pod("p1"));

    SECTION("finds the pod's dispatcher and dispatches its next task")
    {
        seed(store, dispatchable_task("t1"));
        const PodDispatcher d = seeded_dispatcher(store, {"gone", "t1"}, {"p1"});
        const Timestamp before = now();
        auto task = dispatch_next_task(store, "p1");
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == "t1");
        REQUIRE(task.value()->status == TaskStatus::dispatched);
        REQUIRE(stored_task(store, "t1") == *task.value());
        const Pod pod = stored_pod(store, "p1");
        REQUIRE(pod.running_task_id == "t1");
        REQUIRE(pod.status == PodStatus::decommissioned);
        const Timestamp heard = require_heard_since(store, "p1", before);
        REQUIRE(pod.last_communicated == heard);
        const PodDispatcher after = stored_dispatcher(store, d.id);
        REQUIRE(after.task_ids.empty());
        REQUIRE(after.modification_count == 2);
        REQUIRE(event_types(store, "p1") ==
                std::vector<EventType>{EventType::pod_assigned_task, EventType::pod_status_changed});
    }
    SECTION("walks past more skipped tasks than it reads at a time")
    {
        std::vector<std::string> queue;
        for (int i = 0; i < 40; ++i) {
            queue.push_back("gone-" + std::to_string(i));
        }
        queue.push_back("t1");
        queue.push_back("t2");
        seed(store, dispatchable_task("t1"));
        const PodDispatcher d = new_pod_dispatcher("group", queue, {"p1"});
        seed(store, d);
        DispatchOptions options;
        options.queue_window = 3;
        auto task = dispatch_next_task(store, "p1", options);
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(task.value()->id == "t1");
        REQUIRE(stored_dispatcher(store, d.id).task_ids == std::vector<std::string>{"t2"});
    }
    SECTION("gives an empty optional when nothing in the queue can run, dequeuing it, and the pod was heard from now")
    {
        seed(store, allocatable_task("t1"));
        const PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        const Timestamp before = now();
        auto task = dispatch_next_task(store, "p1");
        REQUIRE(task);
        REQUIRE(task.value() == std::nullopt);
        REQUIRE(stored_dispatcher(store, d.id).task_ids.empty());
        Pod heard = running_pod("p1");
        heard.last_communicated = require_heard_since(store, "p1", before);
        REQUIRE(stored_pod(store, "p1") == heard);
    }
    SECTION("an empty queue gives an empty optional, and writes only that the pod was heard from now")
    {
        seeded_dispatcher(store, {}, {"p1"});
        const auto task = require_only_heard_from(store, "p1", [&] { return dispatch_next_task(store, "p1"); });
        REQUIRE(task == std::nullopt);
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        detail::require_dispatch_rejected(store, "p9", Errc::not_found);
    }
    SECTION("a pod already running a task is pod_busy, and nothing is written")
    {
        Pod busy = running_pod("busy");
        busy.running_task_id = "t0";
        seed(store, busy);
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"t1"}, {"busy"}));
        detail::require_dispatch_rejected(store, "busy", Errc::pod_busy);
    }
    SECTION("a busy pod is pod_busy even with nothing to run, and nothing is written")
    {
        Pod busy = running_pod("busy");
        busy.running_task_id = "t0";
        seed(store, busy);
        seed(store, allocatable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"gone", "t1"}, {"busy"}));
        detail::require_dispatch_rejected(store, "busy", Errc::pod_busy);
    }
    SECTION("a pod in no dispatcher is pod_not_in_dispatcher, and nothing is written")
    {
        detail::require_dispatch_rejected(store, "p1", Errc::pod_not_in_dispatcher);
    }
    SECTION("a pod that is not running is precondition_failed, and nothing is written")
    {
        seed(store, intent_pod("p2"));
        seed(store, dispatchable_task("t1"));
        seed(store, new_pod_dispatcher("group", {"gone", "t1"}, {"p2"}));
        detail::require_dispatch_rejected(store, "p2", Errc::precondition_failed);
    }
    SECTION("an empty pod id or a window of no ids is invalid_argument, and nothing is written")
    {
        detail::require_dispatch_rejected(store, "", Errc::invalid_argument);
        const Unchanged unchanged{store};
        REQUIRE(dispatch_next_task(store, "p1", DispatchOptions{.queue_window = 0}).error() ==
                Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}

} // namespace pod_dispatcher::testing

#endif
