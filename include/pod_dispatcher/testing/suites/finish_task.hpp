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
#include <utility>
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

/// Stores pod p1 running task t1 (in the execution given), as a dispatch long ago left
/// them: the pod last heard from, and the task dispatched and last heartbeat, then. The
/// dispatcher of group "group" holds p1 and an empty queue. Returns the task as stored.
template <class S>
Task dispatched_on_p1(S& store, int execution = 0)
{
    seed(store, enabled_project());
    Task task = dispatchable_task("t1");
    task.execution = execution;
    seed(store, task);
    seed(store, running_pod("p1"));
    seed(store, new_pod_dispatcher("group", {"t1"}, {"p1"}));
    task = handed(store, "p1");
    task.dispatch_time = task.last_heartbeat = long_ago;
    overwrite(store, task);
    Pod pod = stored_pod(store, "p1");
    pod.last_communicated = long_ago;
    overwrite(store, pod);
    return task;
}

/// The ways the task t1 that pod p1 names can be other than dispatched or started on it
/// in the execution it runs, given it as dispatched: a name, and the task so changed.
inline std::vector<std::pair<std::string, Task>> not_running_on_p1(const Task& dispatched)
{
    auto changed = [&](auto change) {
        Task task = dispatched;
        change(task);
        return task;
    };
    return {
        {"not dispatched", changed([](Task& t) { t.status = TaskStatus::undispatched; })},
        {"finished already", changed([](Task& t) { t.status = TaskStatus::succeeded; })},
        {"dispatched to another pod", changed([](Task& t) { t.pod_id = "p2"; })},
        {"in another execution", changed([](Task& t) { t.execution += 1; })},
    };
}

} // namespace detail

template <StoreMaker M>
void finish_task_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const Task dispatched = detail::dispatched_on_p1(store);

    SECTION("the task takes the outcome, the pod runs nothing and was heard from now, and task_finished is recorded")
    {
        TaskStatus outcome = TaskStatus::succeeded;
        SECTION("succeeded") {}
        SECTION("failed") { outcome = TaskStatus::failed; }
        const Timestamp before = now();
        REQUIRE(finish_task(store, "p1", outcome));

        Task expected = dispatched;
        expected.status = outcome;
        REQUIRE(stored_task(store, "t1") == expected);
        const Pod pod = stored_pod(store, "p1");
        REQUIRE(pod.running_task_id.empty());
        REQUIRE(pod.running_task_execution == 0);
        REQUIRE(pod.last_task_id == "t1");
        REQUIRE(pod.status == PodStatus::decommissioned); // a decommissioned pod stays so
        const Timestamp heard = require_heard_since(store, "p1", before);
        REQUIRE(pod.last_communicated == heard);
        const auto events = events_of(store, "t1");
        REQUIRE(events.size() == 2);
        REQUIRE(events[1].type == EventType::task_finished);
        REQUIRE(events[1].data == EventData{FinishData{"p1", dispatched.execution, outcome}});
    }
    SECTION("a started task is finished too")
    {
        Task started = dispatched;
        started.status = TaskStatus::started;
        overwrite(store, started);
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
        for (const auto& [how, other] : detail::not_running_on_p1(dispatched)) {
            DYNAMIC_SECTION(how)
            {
                overwrite(store, other);
                detail::require_finish_rejected(store, "p1", TaskStatus::succeeded, Errc::precondition_failed);
            }
        }
    }
}

} // namespace pod_dispatcher::testing

#endif
