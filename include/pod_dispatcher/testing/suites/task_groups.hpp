#ifndef POD_DISPATCHER_TESTING_SUITES_TASK_GROUPS_HPP
#define POD_DISPATCHER_TESTING_SUITES_TASK_GROUPS_HPP

// Task groups: tasks that share a dispatcher and its pods, queued in order; pods that
// take the group's next task; single-host groups that stop at a failure.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// Allocates task with the intent pod pod_id; the dispatcher as written.
template <class S>
PodDispatcher allocated(S& store, Task task, const std::string& pod_id)
{
    seed(store, task);
    Pod pod = intent_pod(pod_id);
    auto d = allocate(store, task, pod);
    REQUIRE(d);
    return std::move(d).value();
}

/// Allocates three tasks of group "g" (orders 1 to 3, max_hosts as given) with pods
/// p1..p3, starts the pods the group took, and returns the dispatcher.
template <class S>
PodDispatcher three_task_group(S& store, int max_hosts)
{
    PodDispatcher d;
    for (int order = 1; order <= 3; ++order) {
        const std::string n = std::to_string(order);
        d = allocated(store, group_task("t" + n, "g", order, max_hosts), "p" + n);
    }
    for (const std::string& pod : d.pod_ids) {
        set_pod_status(store, pod, PodStatus::running);
    }
    return d;
}

} // namespace detail

template <StoreMaker M>
void task_groups_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());

    SECTION("a group's tasks share one dispatcher, of group task_group_variant_project_version")
    {
        const PodDispatcher first = detail::allocated(store, group_task("t1", "compile", 1, 0), "p1");
        const PodDispatcher second = detail::allocated(store, group_task("t2", "compile", 2, 0), "p2");
        REQUIRE(first.group_id == "compile_variant_project_v1");
        REQUIRE(second.id == first.id);
        REQUIRE(second.task_ids == std::vector<std::string>{"t1", "t2"});
        REQUIRE(find(store, Query{}).value().size() == 1);
    }
    SECTION("allocate queues a group's tasks in task_group_order; equal orders keep arrival order")
    {
        detail::allocated(store, group_task("c", "g", 3, 0), "p1");
        detail::allocated(store, group_task("a", "g", 1, 0), "p2");
        detail::allocated(store, group_task("b", "g", 2, 0), "p3");
        const PodDispatcher d = detail::allocated(store, group_task("b2", "g", 2, 0), "p4");
        REQUIRE(d.task_ids == std::vector<std::string>{"a", "b", "b2", "c"});
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("allocate adds pods while the group has fewer than its queued tasks and its max hosts")
    {
        int max_hosts = 0;
        std::vector<std::string> pods;
        SECTION("max hosts 2: two pods") { max_hosts = 2, pods = {"p1", "p2"}; }
        SECTION("max hosts 0: as many pods as tasks") { max_hosts = 0, pods = {"p1", "p2", "p3"}; }
        SECTION("max hosts below 0: as many pods as tasks") { max_hosts = -1, pods = {"p1", "p2", "p3"}; }
        const PodDispatcher d = detail::three_task_group(store, max_hosts);
        REQUIRE(d.pod_ids == pods);
        REQUIRE((store.find_pod("p3").value() != std::nullopt) == (pods.size() == 3));
    }
    SECTION("the max hosts of the task being allocated is the one that counts")
    {
        detail::allocated(store, group_task("t1", "g", 1, 1), "p1");
        const PodDispatcher d = detail::allocated(store, group_task("t2", "g", 2, 3), "p2");
        REQUIRE(d.pod_ids == std::vector<std::string>{"p1", "p2"});
        const PodDispatcher capped = detail::allocated(store, group_task("t3", "g", 3, 1), "p3");
        REQUIRE(capped.pod_ids == std::vector<std::string>{"p1", "p2"});
    }
    SECTION("a group task's dispatch leaves the pod running, and records no status change")
    {
        detail::three_task_group(store, 1);
        const Task task = handed(store, "p1");
        REQUIRE(task.id == "t1");
        REQUIRE(task.status == TaskStatus::dispatched);
        const Pod pod = stored_pod(store, "p1");
        REQUIRE(pod.status == PodStatus::running);
        REQUIRE(pod.running_task_id == "t1");
        REQUIRE(event_types(store, "p1") == std::vector<EventType>{EventType::pod_assigned_task});
        REQUIRE(event_types(store, "t1") ==
                std::vector<EventType>{EventType::container_allocated, EventType::task_dispatched});
    }
    SECTION("a pod that finished a task takes the group's next, one at a time, in order")
    {
        detail::three_task_group(store, 1);
        REQUIRE(handed(store, "p1").id == "t1");
        REQUIRE(dispatch_next_task(store, "p1").error() == Errc::pod_busy);
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        REQUIRE(handed(store, "p1").id == "t2");
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        REQUIRE(handed(store, "p1").id == "t3");
        REQUIRE(stored_task(store, "t2").status == TaskStatus::succeeded);
        REQUIRE(event_types(store, "p1") == std::vector<EventType>(3, EventType::pod_assigned_task));
    }
    SECTION("assign_next_task leaves a group's pod running too")
    {
        PodDispatcher d = detail::three_task_group(store, 1);
        Pod pod = stored_pod(store, "p1");
        auto task = d.assign_next_task(store, pod);
        REQUIRE(task);
        REQUIRE(task.value());
        REQUIRE(pod.status == PodStatus::running);
        REQUIRE(pod.running_task_id == "t1");
        REQUIRE(stored_pod(store, "p1") == pod);
    }
    SECTION("a single-host group stops after a task that did not succeed")
    {
        const PodDispatcher d = detail::three_task_group(store, 1);
        REQUIRE(handed(store, "p1").id == "t1");
        REQUIRE(finish_task(store, "p1", TaskStatus::failed));

        auto next = dispatch_next_task(store, "p1");
        REQUIRE(next);
        REQUIRE(next.value() == std::nullopt);
        REQUIRE(stored_dispatcher(store, d.id).task_ids.empty());
        for (const char* id : {"t2", "t3"}) {
            CAPTURE(id);
            const Task released = stored_task(store, id);
            REQUIRE_FALSE(released.container_allocated);
            REQUIRE(released.status == TaskStatus::undispatched);
            REQUIRE(event_types(store, id) ==
                    std::vector<EventType>{EventType::container_allocated, EventType::container_deallocated});
        }
        REQUIRE(stored_pod(store, "p1").running_task_id.empty());
        REQUIRE(dispatch_next_task(store, "p1").value() == std::nullopt);
    }
    SECTION("a single-host group stops for assign_next_task too")
    {
        PodDispatcher d = detail::three_task_group(store, 1);
        REQUIRE(handed(store, "p1").id == "t1");
        REQUIRE(finish_task(store, "p1", TaskStatus::failed));
        d = stored_dispatcher(store, d.id);
        Pod pod = stored_pod(store, "p1");
        auto next = d.assign_next_task(store, pod);
        REQUIRE(next);
        REQUIRE(next.value() == std::nullopt);
        REQUIRE(d.task_ids.empty());
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("a single-host group carries on after a task that succeeded")
    {
        detail::three_task_group(store, 1);
        REQUIRE(handed(store, "p1").id == "t1");
        REQUIRE(finish_task(store, "p1", TaskStatus::succeeded));
        REQUIRE(handed(store, "p1").id == "t2");
    }
    SECTION("a group with more pods carries on after a failure")
    {
        detail::three_task_group(store, 2);
        REQUIRE(handed(store, "p1").id == "t1");
        REQUIRE(handed(store, "p2").id == "t2");
        REQUIRE(finish_task(store, "p1", TaskStatus::failed));
        REQUIRE(handed(store, "p1").id == "t3");
    }
}

} // namespace pod_dispatcher::testing

#endif
