#ifndef POD_DISPATCHER_TESTING_SUITES_POD_REPORTS_HPP
#define POD_DISPATCHER_TESTING_SUITES_POD_REPORTS_HPP

// mark_pod_running and heartbeat: a pod makes itself heard.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/suites/finish_task.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

namespace pod_dispatcher::testing {

template <StoreMaker M>
void mark_pod_running_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const auto mark = [&](std::string_view pod_id) { return mark_pod_running(store, pod_id); };

    SECTION("an initializing or starting pod becomes running and was heard from now, and pod_status_changed is "
            "recorded")
    {
        PodStatus status = PodStatus::initializing;
        SECTION("initializing") {}
        SECTION("starting") { status = PodStatus::starting; }
        const Pod before = pod_heard_at("p1", status, {});
        seed(store, before);
        const Timestamp since = now();
        REQUIRE(mark("p1"));

        Pod expected = before;
        expected.status = PodStatus::running;
        expected.last_communicated = require_heard_since(store, "p1", since);
        REQUIRE(stored_pod(store, "p1") == expected);
        const auto events = events_of(store, "p1");
        REQUIRE(events.size() == 1);
        REQUIRE(events[0].type == EventType::pod_status_changed);
        require_stamped_since(events[0].timestamp, since);
        REQUIRE(events[0].data == EventData{StatusChangeData{status, PodStatus::running, ""}});
    }
    SECTION("a running pod stays running and was heard from now, and no event is recorded")
    {
        seed(store, running_pod("p1"));
        require_only_heard_from(store, "p1", [&] { return mark("p1"); });
    }
    SECTION("a decommissioned pod is precondition_failed, and nothing is written")
    {
        seed(store, pod_heard_at("p1", PodStatus::decommissioned, {}));
        require_refused(store, [&] { return mark("p1"); }, Errc::precondition_failed);
    }
    SECTION("a terminated pod is precondition_failed, and nothing is written")
    {
        seed(store, pod_heard_at("p1", PodStatus::terminated, {}));
        require_refused(store, [&] { return mark("p1"); }, Errc::precondition_failed);
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        seed(store, running_pod("p1"));
        require_refused(store, [&] { return mark("p9"); }, Errc::not_found);
    }
    SECTION("an empty pod id is invalid_argument, checked first, and nothing is written")
    {
        seed(store, running_pod("p1"));
        require_refused(store, [&] { return mark(""); }, Errc::invalid_argument);
    }
}

template <StoreMaker M>
void heartbeat_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const auto beat = [&](std::string_view pod_id) { return heartbeat(store, pod_id); };
    const Task dispatched = detail::dispatched_on_p1(store);

    SECTION("the pod was heard from now, and the task it runs has its last_heartbeat now")
    {
        Task running = dispatched;
        SECTION("a dispatched task") {}
        SECTION("a started task")
        {
            running.status = TaskStatus::started;
            overwrite(store, running);
        }
        const Unchanged unchanged{store};
        const Timestamp since = now();
        REQUIRE(beat("p1"));

        const Timestamp heard = require_heard_since(store, "p1", since);
        const Task after = stored_task(store, "t1");
        require_stamped_since(after.last_heartbeat, since);
        REQUIRE(unchanged.except([&](StoreContents& c) {
            heard_at("p1", heard)(c);
            with_id(c.tasks, "t1").last_heartbeat = after.last_heartbeat;
        }));
    }
    SECTION("a pod that runs no task, in any status but terminated, was heard from now, and nothing else is written")
    {
        for (const PodStatus status :
             {PodStatus::initializing, PodStatus::starting, PodStatus::running, PodStatus::decommissioned}) {
            const std::string id = "idle-" + std::string(name_of(status));
            CAPTURE(id);
            seed(store, pod_heard_at(id, status, {}));
            require_only_heard_from(store, id, [&] { return beat(id); });
        }
    }
    SECTION("a task that is not running on the pod in its execution is left alone, and the pod was heard from now")
    {
        for (const auto& [how, other] : detail::not_running_on_p1(dispatched)) {
            DYNAMIC_SECTION(how)
            {
                overwrite(store, other);
                require_only_heard_from(store, "p1", [&] { return beat("p1"); });
            }
        }
    }
    SECTION("a running task that is not stored is nothing to write, and the pod was heard from now")
    {
        Pod ghostly = running_pod("ghostly");
        ghostly.running_task_id = "ghost";
        seed(store, ghostly);
        require_only_heard_from(store, "ghostly", [&] { return beat("ghostly"); });
    }
    SECTION("a terminated pod is precondition_failed, and nothing is written")
    {
        seed(store, pod_heard_at("gone", PodStatus::terminated, {}));
        require_refused(store, [&] { return beat("gone"); }, Errc::precondition_failed);
        set_pod_status(store, "p1", PodStatus::terminated); // still naming its task
        require_refused(store, [&] { return beat("p1"); }, Errc::precondition_failed);
    }
    SECTION("a pod that is not stored is not_found, and nothing is written")
    {
        require_refused(store, [&] { return beat("p9"); }, Errc::not_found);
    }
    SECTION("an empty pod id is invalid_argument, checked first, and nothing is written")
    {
        require_refused(store, [&] { return beat(""); }, Errc::invalid_argument);
    }
}

} // namespace pod_dispatcher::testing

#endif
