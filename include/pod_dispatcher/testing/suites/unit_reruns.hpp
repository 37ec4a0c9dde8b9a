#ifndef POD_DISPATCHER_TESTING_SUITES_UNIT_RERUNS_HPP
#define POD_DISPATCHER_TESTING_SUITES_UNIT_RERUNS_HPP

// A store may run a unit of work again after a failure of its own (store.hpp): the
// operation then returns what the last run did, and nothing of the run rolled back.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/rerunning_store.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/suites/fault_injection.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pod_dispatcher::testing {

/// The first run of a dispatch hands t1 to p1 and is rolled back; meanwhile t1 is
/// deactivated, so the run that counts releases it instead.
template <StoreMaker M>
void unit_reruns_suite()
{
    detail::require_rollback<M>();
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());
    seed(store, dispatchable_task("t1"));
    seed(store, running_pod("p1"));
    PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
    RerunningStore<store_of<M>> rerunning{store};
    rerunning.rerun_next_unit([&] {
        Task inactive = stored_task(store, "t1");
        inactive.activated = false;
        overwrite(store, inactive);
    });

    Result<std::optional<Task>> handed = std::nullopt;
    const Timestamp before = now();
    SECTION("dispatch_next_task") { handed = dispatch_next_task(rerunning, "p1"); }
    SECTION("assign_next_task")
    {
        Pod pod = stored_pod(store, "p1");
        handed = d.assign_next_task(rerunning, pod);
        REQUIRE(pod == stored_pod(store, "p1"));
        REQUIRE(d == stored_dispatcher(store, d.id));
    }

    REQUIRE(handed);
    REQUIRE(handed.value() == std::nullopt);
    const Task released = stored_task(store, "t1");
    REQUIRE(released.status == TaskStatus::undispatched);
    REQUIRE_FALSE(released.container_allocated);
    Pod idle = running_pod("p1"); // heard from, and running nothing
    idle.last_communicated = require_heard_since(store, "p1", before);
    REQUIRE(stored_pod(store, "p1") == idle);
    REQUIRE(stored_dispatcher(store, d.id).task_ids.empty());
}

} // namespace pod_dispatcher::testing

#endif
