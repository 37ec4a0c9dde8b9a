#ifndef POD_DISPATCHER_TESTING_SUITES_ALLOCATE_HPP
#define POD_DISPATCHER_TESTING_SUITES_ALLOCATE_HPP

// allocate: queue a task in its group's dispatcher and give it a container.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// allocate must fail with `expected`, write nothing and leave task and pod as they were.
template <class S>
void require_allocate_rejected(S& store, Task task, Pod pod, Errc expected)
{
    const Unchanged unchanged{store};
    const Task task_before = task;
    const Pod pod_before = pod;
    const auto result = allocate(store, task, pod);
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
    REQUIRE(task == task_before);
    REQUIRE(pod == pod_before);
}

} // namespace detail

template <StoreMaker M>
void allocate_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    Task task = allocatable_task("t1");
    Pod pod = intent_pod("p1");
    seed(store, task);

    SECTION("with no dispatcher for the group, creates one with the task and the pod")
    {
        const Timestamp before = now();
        auto d = allocate(store, task, pod);
        REQUIRE(d);
        REQUIRE(d.value().group_id == get_group_id(task));
        REQUIRE(d.value().task_ids == std::vector<std::string>{"t1"});
        REQUIRE(d.value().pod_ids == std::vector<std::string>{"p1"});
        REQUIRE(d.value().modification_count == 1);
        REQUIRE(d.value().last_modified >= before);
        REQUIRE(stored_dispatcher(store, d.value().id) == d.value());
    }
    SECTION("stores the pod as given when the dispatcher holds it, heard from now unless the caller said when")
    {
        Pod expected = pod;
        SECTION("last_communicated unset: now, in the store and the caller's pod")
        {
            const Timestamp before = now();
            REQUIRE(allocate(store, task, pod));
            expected.last_communicated = require_heard_since(store, "p1", before);
        }
        SECTION("last_communicated given: kept")
        {
            pod.last_communicated = expected.last_communicated = long_ago;
            REQUIRE(allocate(store, task, pod));
        }
        REQUIRE(stored_pod(store, "p1") == expected);
        REQUIRE(pod == expected);
    }
    SECTION("marks the task container-allocated, in the store and in the caller's copy")
    {
        const Timestamp before = now();
        REQUIRE(allocate(store, task, pod));
        REQUIRE(task.container_allocated);
        REQUIRE(task.container_allocated_time >= before);
        REQUIRE(task.container_allocation_attempts == 1);
        REQUIRE(stored_task(store, "t1") == task);
    }
    SECTION("records a container_allocated event for the task, with its execution")
    {
        task.execution = 2;
        overwrite(store, task);
        REQUIRE(allocate(store, task, pod));
        const auto events = events_of(store, "t1");
        REQUIRE(events.size() == 1);
        REQUIRE(events[0].type == EventType::container_allocated);
        REQUIRE(events[0].data == EventData{AllocationData{2}});
    }
    SECTION("appends the task to an existing dispatcher, and the pod while tasks outnumber pods")
    {
        PodDispatcher existing = new_pod_dispatcher("t1", {"other"}, {"p0"});
        seed(store, existing);
        auto d = allocate(store, task, pod);
        REQUIRE(d);
        REQUIRE(d.value().id == existing.id);
        REQUIRE(d.value().task_ids == std::vector<std::string>{"other", "t1"});
        REQUIRE(d.value().pod_ids == std::vector<std::string>{"p0", "p1"});
        REQUIRE(d.value().modification_count == 1);
        REQUIRE(stored_dispatcher(store, existing.id) == d.value());
    }
    SECTION("does not add the pod, nor store it, when pods keep up with tasks")
    {
        seed(store, new_pod_dispatcher("t1", {}, {"p0"}));
        auto d = allocate(store, task, pod);
        REQUIRE(d);
        REQUIRE(d.value().task_ids == std::vector<std::string>{"t1"});
        REQUIRE(d.value().pod_ids == std::vector<std::string>{"p0"});
        REQUIRE(store.find_pod("p1").value() == std::nullopt);
        REQUIRE(pod == intent_pod("p1"));
        REQUIRE(stored_task(store, "t1").container_allocated);
    }
    SECTION("does not queue a task twice")
    {
        seed(store, new_pod_dispatcher("t1", {"t1"}, {"p0"}));
        auto d = allocate(store, task, pod);
        REQUIRE(d);
        REQUIRE(d.value().task_ids == std::vector<std::string>{"t1"});
        REQUIRE(d.value().pod_ids == std::vector<std::string>{"p0"});
        REQUIRE(d.value().modification_count == 1);
    }
    SECTION("a task that is not stored is not_found, and nothing is written")
    {
        detail::require_allocate_rejected(store, allocatable_task("missing"), pod, Errc::not_found);
    }
    SECTION("a task that should not be allocated is precondition_failed, and nothing is written")
    {
        Task already = dispatchable_task("already-allocated");
        Task exhausted = allocatable_task("exhausted");
        exhausted.container_allocation_attempts = max_container_allocation_attempts;
        Task inactive = allocatable_task("inactive");
        inactive.activated = false;
        Task host = allocatable_task("host");
        host.execution_platform = ExecutionPlatform::host;
        Task disabled = allocatable_task("disabled");
        disabled.priority = -1;
        Task started = allocatable_task("started");
        started.status = TaskStatus::started;
        Task waiting = allocatable_task("waiting");
        waiting.depends_on = {Dependency{"dep", false, false}};
        Task unattainable = allocatable_task("unattainable");
        unattainable.depends_on = {Dependency{"dep", true, true}};
        for (const Task& t : {already, exhausted, inactive, host, disabled, started, waiting, unattainable}) {
            CAPTURE(t.id);
            seed(store, t);
            detail::require_allocate_rejected(store, t, pod, Errc::precondition_failed);
        }
    }
    SECTION("a task whose dependencies are overridden or finished is allocated")
    {
        Task overridden = allocatable_task("overridden");
        overridden.depends_on = {Dependency{"dep", false, false}};
        overridden.override_dependencies = true;
        Task finished = allocatable_task("finished");
        finished.depends_on = {Dependency{"dep", true, false}};
        seed(store, overridden);
        seed(store, finished);
        Pod p2 = intent_pod("p2");
        REQUIRE(allocate(store, overridden, pod));
        REQUIRE(allocate(store, finished, p2));
    }
    SECTION("the stored task decides, not a stale copy of it")
    {
        Task stale = task;
        REQUIRE(allocate(store, task, pod));
        Pod p2 = intent_pod("p2");
        detail::require_allocate_rejected(store, stale, p2, Errc::precondition_failed);
    }
    SECTION("a stale copy is allocated as the task is stored, when that qualifies")
    {
        Task stored = task;
        stored.priority = 9;
        stored.requester = "someone else";
        Task stale = task;
        SECTION("a copy that qualifies too") {}
        SECTION("a copy that does not") { stale.activated = false; }
        overwrite(store, stored);
        REQUIRE(allocate(store, stale, pod));
        REQUIRE(stale.priority == 9);
        REQUIRE(stale.requester == "someone else");
        REQUIRE(stale.container_allocated);
        REQUIRE(stored_task(store, "t1") == stale);
    }
    SECTION("a pod already stored is duplicate_key, and nothing is written")
    {
        seed(store, pod);
        detail::require_allocate_rejected(store, task, pod, Errc::duplicate_key);
    }
    SECTION("a pod another dispatcher holds is duplicate_key, and nothing is written")
    {
        seed(store, new_pod_dispatcher("other-group", {"x"}, {"p1"}));
        detail::require_allocate_rejected(store, task, pod, Errc::duplicate_key);
    }
    SECTION("empty ids are invalid_argument, and nothing is written")
    {
        detail::require_allocate_rejected(store, allocatable_task(""), pod, Errc::invalid_argument);
        detail::require_allocate_rejected(store, task, intent_pod(""), Errc::invalid_argument);
    }
}

} // namespace pod_dispatcher::testing

#endif
