#ifndef POD_DISPATCHER_TESTING_SUITES_FINISH_TASK_HPP
#define POD_DISPATCHER_TESTING_SUITES_FINISH_TASK_HPP

// finish_task: a pod reports its running task done.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
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
void require_finish_rejected(S& store, std::string_view pod_id, TaskStatus outcome, Errc expected)
{
    const Unchanged unchanged{store};
    const auto result = finish_task(store, pod_id, outcome);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
}

/// Stores pod p1 running task t1, as a dispatch leaves them.
template <class S>
Task dispatched_on_p1(S& store)
{
    seed(store, enabled_project());
    seed(store, dispatchable_task("t1"));
    seed(store, running_pod("p1"));
    seed(store, new_pod_dispatcher("group", {"t1"}, {"p1"}));
    auto task = dispatch_next_task(store, "p1");
    REQUIRE(task);
    REQUIRE(task.value());
    return *task.value();
}

} // namespace detail

template <StoreMaker M>
void finish_task_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const Task dispatched = detail::dispatched_on_p1(store);

    SECTION("the task takes the outcome, the pod runs nothing, and task_finished is recorded")
    {
        TaskStatus outcome = TaskStatus::succeeded;
        SECTION("succeeded") {}
        SECTION("failed") { outcome = TaskStatus::failed; }
        REQUIRE(finish_task(store, "p1", outcome));

        Task expected = dispatched;
        expected.status = outcome;
        REQUIRE(stored_task(store, "t1") == expected);
        const Pod pod = stored_pod(store, "p1");
        REQUIRE(pod.running_task_id.empty());
        REQUIRE(pod.running_task_execution == 0);
        REQUIRE(pod.last_task_id == "t1");
        REQUIRE(pod.status == PodStatus::decommissioned); // a decommissioned pod stays so
        const auto events = events_of(store, "t1");
        REQUIRE(events.size() == 2);
        REQUIRE(events[1].type == EventType::task_finished);
        REQUIRE(events[1].data == EventData{FinishData{"p1", dispatched.execution, outcome}});
    }
    SECTION("a started task is finished too")
    {
        Task started = dispatched;
        started.status = TaskStatus::started;
        overwrite_task(store, started);
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        REQUIRE(stored_task(store, "t1").status == TaskStatus::succeeded);
    }
    SECTION("a conflict is retried while the pod runs the task the first try found")
    {
        FaultyStore<store_of<M>> racing{store};
        racing.fail_at(5, Errc::conflict); // the first try's write of the task loses a race
        REQUIRE(finish_task(racing, "p1", TaskStatus::succeeded));
        REQUIRE(racing.faults() == 1);
        REQUIRE(stored_task(store, "t1").status == TaskStatus::succeeded);
        REQUIRE(stored_pod(store, "p1").running_task_id.empty());
        REQUIRE(event_types(store, "t1") == std::vector<EventType>{EventType::task_dispatched, EventType::task_finished});
    }
    SECTION("a decommissioned pod takes no other task after it")
    {
        seed(store, dispatchable_task("t2"));
        PodDispatcher d = required(find_one_by_pod_id(store, "p1"));
        d.task_ids = {"t2"};
        REQUIRE(d.upsert_atomically(store));
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        REQUIRE(dispatch_next_task(store, "p1").error() == Errc::precondition_failed);
    }
    SECTION("an empty pod id is invalid_argument, and nothing is written")
    {
        detail::require_finish_rejected(store, "", TaskStatus::succeeded, Errc::invalid_argument);
    }
    SECTION("an outcome other than succeeded or failed is invalid_argument, checked before the pod")
    {
        for (TaskStatus outcome : {TaskStatus::undispatched, TaskStatus::dispatched, TaskStatus::started}) {
            detail::require_finish_rejected(store, "p1", outcome, Errc::invalid_argument);
            detail::require_finish_rejected(store, "no-such-pod", outcome, Errc::invalid_argument);
        }
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        detail::require_finish_rejected(store, "p9", TaskStatus::succeeded, Errc::not_found);
    }
    SECTION("a pod that runs no task is precondition_failed, and nothing is written")
    {
        seed(store, running_pod("idle"));
        detail::require_finish_rejected(store, "idle", TaskStatus::succeeded, Errc::precondition_failed);
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        detail::require_finish_rejected(store, "p1", TaskStatus::failed, Errc::precondition_failed);
    }
    SECTION("a running task that is not stored is not_found, and nothing is written")
    {
        Pod ghostly = running_pod("ghostly");
        ghostly.running_task_id = "ghost";
        seed(store, ghostly);
        detail::require_finish_rejected(store, "ghostly", TaskStatus::succeeded, Errc::not_found);
    }
    SECTION("a task that is not dispatched or started on the pod is precondition_failed, and nothing is written")
    {
        Task other = dispatched;
        SECTION("not dispatched") { other.status = TaskStatus::undispatched; }
        SECTION("finished already") { other.status = TaskStatus::succeeded; }
        SECTION("dispatched to another pod") { other.pod_id = "p2"; }
        SECTION("another execution") { other.execution = dispatched.execution + 1; }
        overwrite_task(store, other);
        detail::require_finish_rejected(store, "p1", TaskStatus::succeeded, Errc::precondition_failed);
    }
}

} // namespace pod_dispatcher::testing

#endif
