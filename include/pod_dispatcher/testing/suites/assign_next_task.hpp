#ifndef POD_DISPATCHER_TESTING_SUITES_ASSIGN_NEXT_TASK_HPP
#define POD_DISPATCHER_TESTING_SUITES_ASSIGN_NEXT_TASK_HPP

// assign_next_task: dequeue what cannot run, dispatch the first task that can.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// assign_next_task must fail with `expected`, write nothing, and leave the caller's
/// dispatcher and pod as they were.
template <class S>
void require_assign_rejected(S& store, PodDispatcher& d, Pod& pod, Errc expected)
{
    const Unchanged unchanged{store};
    const PodDispatcher d_before = d;
    const Pod pod_before = pod;
    const auto result = d.assign_next_task(store, pod);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
    REQUIRE(d == d_before);
    REQUIRE(pod == pod_before);
}

/// Stores display, an execution task "t1" of it, and a dispatcher queuing "t1" for "p1".
template <class S>
PodDispatcher seed_display_task(S& store, const Task& display)
{
    seed(store, display);
    Task execution = dispatchable_task("t1");
    execution.display_task_id = display.id;
    seed(store, execution);
    return seeded_dispatcher(store, {"t1"}, {"p1"});
}

/// The task assign_next_task hands pod; it must hand one.
template <class S>
Task assigned(S& store, PodDispatcher& d, Pod& pod)
{
    auto task = d.assign_next_task(store, pod);
    REQUIRE(task);
    REQUIRE(task.value());
    return *task.value();
}

inline ProjectRef project(std::string id, bool enabled, bool hidden, bool dispatching_disabled)
{
    ProjectRef ref = enabled_project(std::move(id));
    ref.enabled = enabled;
    ref.hidden = hidden;
    ref.dispatching_disabled = dispatching_disabled;
    return ref;
}

inline Task in_project(std::string id, std::string project_id, std::string requester)
{
    Task task = dispatchable_task(std::move(id));
    task.project = std::move(project_id);
    task.requester = std::move(requester);
    return task;
}

} // namespace detail

template <StoreMaker M>
void assign_next_task_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());
    Pod pod = running_pod("p1");
    seed(store, pod);

    SECTION("dispatches the head of the queue to the pod")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, dispatchable_task("t2"));
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1"});
        const Timestamp before = now();

        const Task task = detail::assigned(store, d, pod);

        SECTION("the task is dispatched to the pod, as stored")
        {
            REQUIRE(task.id == "t1");
            REQUIRE(task.status == TaskStatus::dispatched);
            REQUIRE(task.pod_id == "p1");
            REQUIRE(task.agent_version == "agent-2026-11");
            REQUIRE(task.dispatch_time >= before);
            REQUIRE(task.last_heartbeat == task.dispatch_time);
            REQUIRE(stored_task(store, "t1") == task);
        }
        SECTION("the pod runs the task and is decommissioned, in the store and the caller's copy")
        {
            REQUIRE(pod.running_task_id == "t1");
            REQUIRE(pod.running_task_execution == task.execution);
            REQUIRE(pod.status == PodStatus::decommissioned);
            REQUIRE(stored_pod(store, "p1") == pod);
        }
        SECTION("the pod was heard from now, in the store and the caller's copy")
        {
            const Timestamp heard = require_heard_since(store, "p1", before);
            REQUIRE(pod.last_communicated == heard);
        }
        SECTION("the task leaves the queue under a new modification_count")
        {
            REQUIRE(d.task_ids == std::vector<std::string>{"t2"});
            REQUIRE(d.modification_count == 1);
            REQUIRE(d.last_modified >= before);
            REQUIRE(stored_dispatcher(store, d.id) == d);
        }
        SECTION("records task_dispatched for the task, pod_assigned_task and pod_status_changed for the pod")
        {
            const auto task_events = events_of(store, "t1");
            REQUIRE(task_events.size() == 1);
            REQUIRE(task_events[0].type == EventType::task_dispatched);
            REQUIRE(task_events[0].data == EventData{DispatchData{"p1", task.execution}});
            const auto pod_events = events_of(store, "p1");
            REQUIRE(pod_events.size() == 2);
            REQUIRE(pod_events[0].type == EventType::pod_assigned_task);
            REQUIRE(pod_events[0].data == EventData{AssignmentData{"t1", task.execution}});
            REQUIRE(pod_events[1].type == EventType::pod_status_changed);
            REQUIRE(pod_events[1].data == EventData{StatusChangeData{PodStatus::running, PodStatus::decommissioned}});
        }
        SECTION("a pod that already runs a task is pod_busy, and nothing is written")
        {
            detail::require_assign_rejected(store, d, pod, Errc::pod_busy);
        }
    }
    SECTION("dequeues and skips a task id with no stored task, each dequeue counted")
    {
        seed(store, dispatchable_task("t2"));
        PodDispatcher d = seeded_dispatcher(store, {"gone", "t2"}, {"p1"});
        REQUIRE(detail::assigned(store, d, pod).id == "t2");
        REQUIRE(d.task_ids.empty());
        REQUIRE(d.modification_count == 2);
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("releases and skips a task that is allocated but no longer dispatchable")
    {
        Task deactivated = dispatchable_task("t1");
        deactivated.activated = false;
        seed(store, deactivated);
        seed(store, dispatchable_task("t2"));
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1"});
        REQUIRE(detail::assigned(store, d, pod).id == "t2");
        const Task released = stored_task(store, "t1");
        REQUIRE_FALSE(released.container_allocated);
        REQUIRE(released.container_allocated_time == Timestamp{});
        REQUIRE(released.status == TaskStatus::undispatched);
        REQUIRE(event_types(store, "t1") == std::vector<EventType>{EventType::container_deallocated});
    }
    SECTION("skips an unallocated task without recording a release")
    {
        seed(store, allocatable_task("t1"));
        seed(store, dispatchable_task("t2"));
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1"});
        REQUIRE(detail::assigned(store, d, pod).id == "t2");
        REQUIRE(stored_task(store, "t1") == allocatable_task("t1"));
        REQUIRE(events_of(store, "t1").empty());
    }
    SECTION("skips tasks whose project forbids dispatching")
    {
        seed(store, detail::project("disabled", false, false, false));
        seed(store, detail::project("hidden-disabled", false, true, false));
        seed(store, detail::project("no-dispatching", true, false, true));
        seed(store, detail::in_project("missing-project", "nowhere", "patch_request"));
        seed(store, detail::in_project("disabled-project", "disabled", "patch_request"));
        seed(store, detail::in_project("hidden-non-pr", "hidden-disabled", "patch_request"));
        seed(store, detail::in_project("no-dispatching", "no-dispatching", "github_pull_request"));
        seed(store, detail::in_project("hidden-pr", "hidden-disabled", "github_pull_request"));
        PodDispatcher d = new_pod_dispatcher(
            "group", {"missing-project", "disabled-project", "hidden-non-pr", "no-dispatching", "hidden-pr"}, {"p1"});
        seed(store, d);

        REQUIRE(detail::assigned(store, d, pod).id == "hidden-pr");
        for (const char* skipped : {"missing-project", "disabled-project", "hidden-non-pr", "no-dispatching"}) {
            CAPTURE(skipped);
            REQUIRE_FALSE(stored_task(store, skipped).container_allocated);
            REQUIRE(event_types(store, skipped) == std::vector<EventType>{EventType::container_deallocated});
        }
        REQUIRE(d.task_ids.empty());
    }
    SECTION("gives an empty optional when the queue runs out, keeping the dequeues, and the pod was heard from now")
    {
        seed(store, allocatable_task("t1"));
        PodDispatcher d = seeded_dispatcher(store, {"t1", "gone"}, {"p1"});
        const Timestamp before = now();
        auto task = d.assign_next_task(store, pod);
        REQUIRE(task);
        REQUIRE(task.value() == std::nullopt);
        REQUIRE(d.task_ids.empty());
        REQUIRE(d.modification_count == 2);
        REQUIRE(stored_dispatcher(store, d.id) == d);
        REQUIRE(pod == stored_pod(store, "p1"));
        REQUIRE(pod.running_task_id.empty());
        const Timestamp heard = require_heard_since(store, "p1", before);
        REQUIRE(pod.last_communicated == heard);
    }
    SECTION("an empty queue gives an empty optional, and writes only that the pod was heard from now")
    {
        PodDispatcher d = seeded_dispatcher(store, {}, {"p1"});
        const PodDispatcher d_before = d;
        const auto task = require_only_heard_from(store, "p1", [&] { return d.assign_next_task(store, pod); });
        REQUIRE(task == std::nullopt);
        REQUIRE(d == d_before);
        REQUIRE(pod == stored_pod(store, "p1"));
    }
    SECTION("marks an undispatched display task dispatched")
    {
        Task display = allocatable_task("display");
        display.display_only = true;
        display.execution_tasks = {"t1"};
        PodDispatcher d = detail::seed_display_task(store, display);
        REQUIRE(detail::assigned(store, d, pod).id == "t1");
        const Task rolled_up = stored_task(store, "display");
        REQUIRE(rolled_up.status == TaskStatus::dispatched);
        REQUIRE(rolled_up.dispatch_time == stored_task(store, "t1").dispatch_time);
    }
    SECTION("leaves a display task that is already past undispatched alone")
    {
        Task display = allocatable_task("display");
        display.status = TaskStatus::started;
        PodDispatcher d = detail::seed_display_task(store, display);
        REQUIRE(detail::assigned(store, d, pod).id == "t1");
        REQUIRE(stored_task(store, "display") == display);
    }
    SECTION("a pod that is not running is precondition_failed, and nothing is written")
    {
        Pod starting = running_pod("p2");
        starting.status = PodStatus::starting;
        seed(store, starting);
        seed(store, dispatchable_task("t1"));
        PodDispatcher d = seeded_dispatcher(store, {"gone", "t1"}, {"p2"});
        detail::require_assign_rejected(store, d, starting, Errc::precondition_failed);
    }
    SECTION("a stored pod that already runs a task is precondition_failed, and nothing is written")
    {
        Pod stored = running_pod("p2");
        stored.running_task_id = "earlier";
        seed(store, stored);
        seed(store, dispatchable_task("t1"));
        PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p2"});
        Pod stale = running_pod("p2");
        detail::require_assign_rejected(store, d, stale, Errc::precondition_failed);
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        seed(store, dispatchable_task("t1"));
        PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p9"});
        Pod unknown = running_pod("p9");
        detail::require_assign_rejected(store, d, unknown, Errc::not_found);
    }
    SECTION("a stale dispatcher is conflict, and nothing is written")
    {
        seed(store, dispatchable_task("t1"));
        PodDispatcher d = seeded_dispatcher(store, {"gone", "t1"}, {"p1"});
        PodDispatcher newer = d;
        REQUIRE(newer.upsert_atomically(store));
        detail::require_assign_rejected(store, d, pod, Errc::conflict);
    }
    SECTION("a copy whose queue is not the stored one where it is read is conflict, and nothing is written")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, dispatchable_task("t2"));
        PodDispatcher d = seeded_dispatcher(store, {"t1", "t2"}, {"p1"});
        d.task_ids = {"t2", "t1"};
        detail::require_assign_rejected(store, d, pod, Errc::conflict);
    }
    SECTION("an empty or repeated id where the copy's queue is read is invalid_argument, and nothing is written")
    {
        seed(store, dispatchable_task("t1"));
        PodDispatcher d = seeded_dispatcher(store, {"gone", "t1"}, {"p1"});
        SECTION("empty") { d.task_ids = {"gone", "", "t1"}; }
        SECTION("repeated") { d.task_ids = {"gone", "gone", "t1"}; }
        detail::require_assign_rejected(store, d, pod, Errc::invalid_argument);
    }
    SECTION("a copy without id or group, or with a negative count, is invalid_argument, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {}, {"p1"});
        SECTION("no id") { d.id.clear(); }
        SECTION("no group") { d.group_id.clear(); }
        SECTION("negative count") { d.modification_count = -1; }
        detail::require_assign_rejected(store, d, pod, Errc::invalid_argument);
    }
    SECTION("an empty pod id is invalid_argument, and nothing is written")
    {
        PodDispatcher d = seeded_dispatcher(store, {}, {"p1"});
        Pod nameless = running_pod("");
        detail::require_assign_rejected(store, d, nameless, Errc::invalid_argument);
    }
}

} // namespace pod_dispatcher::testing

#endif
