#ifndef POD_DISPATCHER_TESTING_SUITES_TERMINATE_POD_HPP
#define POD_DISPATCHER_TESTING_SUITES_TERMINATE_POD_HPP

// terminate_pod: the pod is gone. Its stranded task runs again or fails, it leaves its
// dispatcher, and whatever it reports afterwards is refused.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/suites/assign_next_task.hpp>
#include <pod_dispatcher/testing/suites/finish_task.hpp>
#include <pod_dispatcher/testing/suites/remove_pod.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

inline constexpr std::string_view stop_reason = "container stopped";

/// terminate_pod must succeed; the stranded task it returns.
template <class S>
std::optional<Task> terminated(S& store, std::string_view pod_id, std::string_view reason = stop_reason)
{
    auto stranded = terminate_pod(store, pod_id, reason);
    REQUIRE(stranded);
    return std::move(stranded).value();
}

/// running as a stranded task becomes when the system fails it, given it as stored after
/// (the spec does not say what becomes of container_allocated_time, so that is taken
/// from it).
inline Task failed_as_stranded(Task running, const Task& after)
{
    running.status = TaskStatus::failed;
    running.details_type = "system";
    running.details_description = "stranded";
    running.container_allocated = false;
    running.container_allocated_time = after.container_allocated_time;
    return running;
}

/// running as a stranded task becomes when it restarts, given it as stored after (see
/// failed_as_stranded).
inline Task restarted_as_stranded(Task running, const Task& after)
{
    running.execution += 1;
    running.status = TaskStatus::undispatched;
    running.pod_id.clear();
    running.agent_version.clear();
    running.details_type.clear();
    running.details_description.clear();
    running.dispatch_time = {};
    running.last_heartbeat = {};
    running.container_allocated = false;
    running.container_allocation_attempts = 0;
    running.container_allocated_time = after.container_allocated_time;
    return running;
}

} // namespace detail

template <StoreMaker M>
void terminate_pod_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    using detail::terminated;

    SECTION("a task stranded below max_stranded_restarts starts its next execution undispatched and allocatable, "
            "with task_system_failed for the execution that ended then task_restarted")
    {
        Task running = detail::dispatched_on_p1(store, max_stranded_restarts - 1);
        running.details_type = "earlier";
        running.details_description = "left by an earlier report";
        SECTION("dispatched") {}
        SECTION("started") { running.status = TaskStatus::started; }
        overwrite(store, running);

        const std::optional<Task> stranded = terminated(store, "p1");
        const Task after = stored_task(store, "t1");
        REQUIRE(stranded == after);
        REQUIRE(after == detail::restarted_as_stranded(running, after));
        REQUIRE(should_allocate_container(after));
        const auto events = events_of(store, "t1");
        REQUIRE(event_types(store, "t1") == std::vector<EventType>{EventType::task_dispatched,
                                                                    EventType::task_system_failed,
                                                                    EventType::task_restarted});
        REQUIRE(events[1].data == EventData{SystemFailureData{running.execution, "system", "stranded"}});
        REQUIRE(events[2].data == EventData{RestartData{"p1", running.execution + 1}});
    }
    SECTION("a restarted task is allocated again to a new pod, which runs its next execution")
    {
        detail::dispatched_on_p1(store, max_stranded_restarts - 1);
        Task task = terminated(store, "p1").value();
        Pod fresh = intent_pod("p2");
        REQUIRE(allocate(store, task, fresh));
        REQUIRE(mark_pod_running(store, "p2"));
        const Task rerun = handed(store, "p2");
        REQUIRE(rerun.id == "t1");
        REQUIRE(rerun.execution == max_stranded_restarts);
        REQUIRE(rerun.pod_id == "p2");
    }
    SECTION("a task stranded at or above max_stranded_restarts is failed by the system, with task_system_failed")
    {
        int execution = max_stranded_restarts;
        SECTION("at") {}
        SECTION("above") { execution = max_stranded_restarts + 1; }
        const Task running = detail::dispatched_on_p1(store, execution);

        const std::optional<Task> stranded = terminated(store, "p1");
        const Task after = stored_task(store, "t1");
        REQUIRE(stranded == after);
        REQUIRE(after == detail::failed_as_stranded(running, after));
        REQUIRE(event_types(store, "t1") ==
                std::vector<EventType>{EventType::task_dispatched, EventType::task_system_failed});
        REQUIRE(events_of(store, "t1")[1].data == EventData{SystemFailureData{execution, "system", "stranded"}});
    }
    SECTION("the pod's running task is cleared with pod_cleared_task, then the pod is terminated with "
            "pod_status_changed carrying the reason")
    {
        detail::dispatched_on_p1(store);
        const Pod before = stored_pod(store, "p1");
        terminated(store, "p1", "heartbeat lost");

        Pod expected = before;
        expected.status = PodStatus::terminated;
        expected.running_task_id.clear();
        expected.running_task_execution = 0;
        REQUIRE(stored_pod(store, "p1") == expected);
        const auto events = events_of(store, "p1");
        REQUIRE(event_types(store, "p1") ==
                std::vector<EventType>{EventType::pod_assigned_task, EventType::pod_status_changed,
                                       EventType::pod_cleared_task, EventType::pod_status_changed});
        REQUIRE(events[2].data == EventData{AssignmentData{"t1", before.running_task_execution}});
        REQUIRE(events[3].data ==
                EventData{StatusChangeData{PodStatus::decommissioned, PodStatus::terminated, "heartbeat lost"}});
    }
    SECTION("a task that finished or runs on another pod or in another execution is left alone, and the pod's "
            "running task is cleared all the same")
    {
        const Task dispatched = detail::dispatched_on_p1(store);
        for (const auto& [how, other] : detail::not_running_on_p1(dispatched)) {
            DYNAMIC_SECTION(how)
            {
                overwrite(store, other);
                REQUIRE(terminated(store, "p1") == std::nullopt);
                REQUIRE(stored_task(store, "t1") == other);
                REQUIRE(event_types(store, "t1") == std::vector<EventType>{EventType::task_dispatched});
                const Pod pod = stored_pod(store, "p1");
                REQUIRE(pod.status == PodStatus::terminated);
                REQUIRE(pod.running_task_id.empty());
                REQUIRE(events_of(store, "p1").at(2).data == EventData{AssignmentData{"t1", dispatched.execution}});
                REQUIRE(termination_reason(store, "p1") == detail::stop_reason);
            }
        }
    }
    SECTION("a running task that is not stored is cleared from the pod all the same")
    {
        Pod ghostly = running_pod("ghostly");
        ghostly.running_task_id = "ghost";
        seed(store, ghostly);
        REQUIRE(terminated(store, "ghostly") == std::nullopt);
        REQUIRE(stored_pod(store, "ghostly").running_task_id.empty());
        REQUIRE(event_types(store, "ghostly") ==
                std::vector<EventType>{EventType::pod_cleared_task, EventType::pod_status_changed});
    }
    SECTION("a pod that runs no task and is in no dispatcher is terminated, and nothing else is written")
    {
        seed(store, running_pod("p1"));
        const Unchanged unchanged{store};
        REQUIRE(terminated(store, "p1") == std::nullopt);
        const auto events = events_of(store, "p1");
        REQUIRE(events.size() == 1);
        REQUIRE(events[0].data == EventData{StatusChangeData{PodStatus::running, PodStatus::terminated,
                                                             std::string(detail::stop_reason)}});
        REQUIRE(unchanged.except([&](StoreContents& c) {
            with_id(c.pods, "p1").status = PodStatus::terminated;
            c.events.push_back(events[0]);
            sort_contents(c);
        }));
    }
    SECTION("the pod leaves its dispatcher by the rules of remove_pod")
    {
        seed(store, enabled_project());
        seed(store, running_pod("p1"));
        seed(store, dispatchable_task("t2"));
        seed(store, detail::exhausted_task("t3"));

        SECTION("not the last pod: it leaves, and the queue stays")
        {
            const PodDispatcher d = seeded_dispatcher(store, {"t2", "t3"}, {"p1", "p2"});
            terminated(store, "p1");
            const PodDispatcher after = stored_dispatcher(store, d.id);
            REQUIRE(after.pod_ids == std::vector<std::string>{"p2"});
            REQUIRE(after.task_ids == d.task_ids);
            REQUIRE(after.modification_count == d.modification_count + 1);
            REQUIRE(stored_task(store, "t2") == dispatchable_task("t2"));
            REQUIRE(stored_task(store, "t3") == detail::exhausted_task("t3"));
        }
        SECTION("the last pod: it leaves, and the queue is released")
        {
            const PodDispatcher d = seeded_dispatcher(store, {"t2", "t3"}, {"p1"});
            terminated(store, "p1");
            const PodDispatcher after = stored_dispatcher(store, d.id);
            REQUIRE(after.pod_ids.empty());
            REQUIRE(after.task_ids.empty());
            REQUIRE(after.modification_count == d.modification_count + 1);
            const Task released = stored_task(store, "t2");
            REQUIRE_FALSE(released.container_allocated);
            REQUIRE(released.status == TaskStatus::undispatched);
            REQUIRE(event_types(store, "t2") == std::vector<EventType>{EventType::container_deallocated});
            const Task failed = stored_task(store, "t3");
            REQUIRE(failed.status == TaskStatus::failed);
            REQUIRE(failed.details_description == "container task cannot be allocated");
            REQUIRE(event_types(store, "t3") ==
                    std::vector<EventType>{EventType::task_system_failed, EventType::container_deallocated});
        }
        SECTION("in no dispatcher: no dispatcher is written")
        {
            const PodDispatcher d = seeded_dispatcher(store, {"t2", "t3"}, {"p2"});
            terminated(store, "p1");
            REQUIRE(stored_dispatcher(store, d.id) == d);
        }
        REQUIRE(stored_pod(store, "p1").status == PodStatus::terminated);
        REQUIRE(find_one_by_pod_id(store, "p1").value() == std::nullopt);
    }
    SECTION("terminating a pod that is terminated already succeeds with no task, and writes nothing")
    {
        detail::dispatched_on_p1(store);
        terminated(store, "p1");
        const Unchanged unchanged{store};
        REQUIRE(terminated(store, "p1", "again") == std::nullopt);
        REQUIRE(unchanged());
    }
    SECTION("from then on whatever the pod reports is precondition_failed and writes nothing, and its task's next "
            "run is left alone")
    {
        detail::dispatched_on_p1(store);
        Task task = terminated(store, "p1").value();
        Pod next = intent_pod("p2");
        REQUIRE(allocate(store, task, next));
        REQUIRE(mark_pod_running(store, "p2"));
        REQUIRE(handed(store, "p2").execution == task.execution);
        Pod gone = stored_pod(store, "p1");

        SECTION("finish_task")
        {
            for (const TaskStatus outcome : {TaskStatus::succeeded, TaskStatus::failed}) {
                require_refused(store, [&] { return finish_task(store, "p1", outcome); }, Errc::precondition_failed);
            }
        }
        SECTION("heartbeat")
        {
            require_refused(store, [&] { return heartbeat(store, "p1"); }, Errc::precondition_failed);
        }
        SECTION("mark_pod_running")
        {
            require_refused(store, [&] { return mark_pod_running(store, "p1"); }, Errc::precondition_failed);
        }
        SECTION("dispatch_next_task")
        {
            require_refused(store, [&] { return dispatch_next_task(store, "p1"); }, Errc::precondition_failed);
        }
        SECTION("assign_next_task, with a task for it or none")
        {
            PodDispatcher d = required(find_one_by_pod_id(store, "p2"));
            detail::require_assign_rejected(store, d, gone, Errc::precondition_failed);
            seed(store, dispatchable_task("t4"));
            d.task_ids = {"t4"};
            REQUIRE(d.upsert_atomically(store));
            detail::require_assign_rejected(store, d, gone, Errc::precondition_failed);
        }
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        seed(store, running_pod("p1"));
        require_refused(store, [&] { return terminate_pod(store, "p9", detail::stop_reason); }, Errc::not_found);
    }
    SECTION("an empty pod id is invalid_argument, checked first, and nothing is written")
    {
        seed(store, running_pod("p1"));
        require_refused(store, [&] { return terminate_pod(store, "", detail::stop_reason); }, Errc::invalid_argument);
    }
}

} // namespace pod_dispatcher::testing

#endif
