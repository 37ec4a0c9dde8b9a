#ifndef POD_DISPATCHER_TESTING_SUITES_STORE_MEMBERS_HPP
#define POD_DISPATCHER_TESTING_SUITES_STORE_MEMBERS_HPP

// The Store members whose contract goes beyond a plain read or insert, called directly:
// the conditional writes of tasks, pods and dispatchers, the projected read, and the
// search for pods by status and last_communicated.

#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher::testing {

template <StoreMaker M>
void update_task_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const Task before = allocatable_task("t");
    seed(store, before);
    Task values;
    values.status = TaskStatus::dispatched;
    values.pod_id = "p";
    const auto changes = FieldSet<Task>::of(&Task::status, &Task::pod_id);
    const auto guard = FieldSet<Task>::of(&Task::status, &Task::activated, &Task::depends_on);

    SECTION("sets the changed fields of a task that passes the guard, and returns it as stored after")
    {
        Task expected = before;
        SECTION("the guard as stored") {}
        SECTION("fields outside the guard differ") { expected.priority = 7, expected.requester = "other"; }
        const auto after = store.update_task(FieldUpdate<Task>{"t", guard, expected, changes, values});
        REQUIRE(after);
        REQUIRE(after.value());
        Task stored = before;
        stored.status = TaskStatus::dispatched;
        stored.pod_id = "p";
        REQUIRE(*after.value() == stored);
        REQUIRE(stored_task(store, "t") == stored);
    }
    SECTION("a task that fails the guard is left as stored: empty optional")
    {
        Task stale = before;
        SECTION("a scalar field") { stale.status = TaskStatus::started; }
        SECTION("a boolean") { stale.activated = false; }
        SECTION("a dependency") { stale.depends_on.push_back(Dependency{.task_id = "d", .finished = true}); }
        const Unchanged unchanged{store};
        const auto after = store.update_task(FieldUpdate<Task>{"t", guard, stale, changes, values});
        REQUIRE(after);
        REQUIRE(after.value() == std::nullopt);
        REQUIRE(unchanged());
    }
    SECTION("a timestamp and a string in the guard compare exactly")
    {
        Task stored = before;
        stored.activated_time = Timestamp{std::chrono::milliseconds{1'700'000'000'001}};
        stored.display_task_id = "display";
        overwrite(store, stored);
        const auto both = FieldSet<Task>::of(&Task::activated_time, &Task::display_task_id);
        Task off = stored;
        off.activated_time += std::chrono::milliseconds{1};
        REQUIRE(store.update_task(FieldUpdate<Task>{"t", both, off, changes, values}).value() == std::nullopt);
        REQUIRE(store.update_task(FieldUpdate<Task>{"t", both, stored, changes, values}).value());
    }
    SECTION("a missing task: empty optional, nothing written")
    {
        const Unchanged unchanged{store};
        REQUIRE(store.update_task(FieldUpdate<Task>{"none", {}, before, changes, values}).value() == std::nullopt);
        REQUIRE(unchanged());
    }
    SECTION("every field can be set and read back")
    {
        Task full = dispatchable_task("t");
        full.execution = 3;
        full.depends_on = {Dependency{"a", true, false}, Dependency{"b", false, true}};
        full.execution_tasks = {"e1", "e2"};
        full.display_only = true;
        full.dispatch_time = Timestamp{std::chrono::milliseconds{1'700'000'000'002}};
        full.task_group = "tg";
        full.build_variant = "bv";
        full.version = "v";
        full.task_group_max_hosts = 2;
        full.task_group_order = 5;
        full.details_type = "system";
        overwrite(store, full);
        REQUIRE(stored_task(store, "t") == full);
    }
}

template <StoreMaker M>
void update_pod_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const Pod idle = running_pod("p");
    seed(store, idle);
    Pod values;
    values.status = PodStatus::decommissioned;
    values.running_task_id = "t";
    values.running_task_execution = 3;
    const auto changes = FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id, &Pod::running_task_execution);
    const auto guard = FieldSet<Pod>::of(&Pod::status, &Pod::running_task_id);

    SECTION("a pod that passes the guard is changed and returned as stored after")
    {
        const auto after = store.update_pod(FieldUpdate<Pod>{"p", guard, idle, changes, values});
        REQUIRE(after);
        REQUIRE(after.value());
        Pod expected = idle;
        expected.status = PodStatus::decommissioned;
        expected.running_task_id = "t";
        expected.running_task_execution = 3;
        REQUIRE(*after.value() == expected);
        REQUIRE(stored_pod(store, "p") == expected);
    }
    SECTION("a pod that fails the guard is left as it is: empty optional")
    {
        Pod stored = idle;
        SECTION("busy") { stored.running_task_id = "other"; }
        SECTION("not running yet") { stored.status = PodStatus::starting; }
        const Pod update_values = stored;
        REQUIRE(store.update_pod(FieldUpdate<Pod>{"p", {}, idle, FieldSet<Pod>::all(), update_values}).value());
        const Unchanged unchanged{store};
        REQUIRE(store.update_pod(FieldUpdate<Pod>{"p", guard, idle, changes, values}).value() == std::nullopt);
        REQUIRE(unchanged());
    }
    SECTION("a missing pod: empty optional, nothing written")
    {
        const Unchanged unchanged{store};
        REQUIRE(store.update_pod(FieldUpdate<Pod>{"none", guard, idle, changes, values}).value() == std::nullopt);
        REQUIRE(unchanged());
    }
    SECTION("a pod id already stored is duplicate_key")
    {
        const Unchanged unchanged{store};
        REQUIRE(store.insert_pod(intent_pod("p")).error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
}

template <StoreMaker M>
void find_pods_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const Timestamp t{std::chrono::milliseconds{1'800'000'000'000}};
    const std::chrono::milliseconds ms{1};
    const std::vector<Pod> pods{
        pod_heard_at("earlier", PodStatus::running, t - ms),   pod_heard_at("at-the-time", PodStatus::running, t),
        pod_heard_at("later", PodStatus::running, t + ms),     pod_heard_at("never", PodStatus::running, {}),
        pod_heard_at("starting", PodStatus::starting, t - ms), pod_heard_at("gone", PodStatus::terminated, t - ms),
    };
    for (const Pod& pod : pods) {
        seed(store, pod);
    }
    const auto found = [&](PodStatus status, Timestamp before) {
        auto result = store.find_pods(PodQuery{status, before});
        REQUIRE(result);
        std::vector<Pod> sorted = std::move(result).value();
        std::ranges::sort(sorted, {}, &Pod::id);
        return sorted;
    };
    const auto seeded = [&](std::initializer_list<const char*> ids) {
        std::vector<Pod> chosen;
        for (const char* id : ids) {
            chosen.push_back(*std::ranges::find(pods, std::string_view(id), &Pod::id));
        }
        return chosen;
    };

    SECTION("finds whole the pods in the status last heard from strictly before the time, one never heard from "
            "among them")
    {
        REQUIRE(found(PodStatus::running, t) == seeded({"earlier", "never"}));
        REQUIRE(found(PodStatus::starting, t) == seeded({"starting"}));
        REQUIRE(found(PodStatus::terminated, t + ms) == seeded({"gone"}));
    }
    SECTION("finds nothing when no pod matches: nothing is before an unset time")
    {
        REQUIRE(found(PodStatus::decommissioned, t + ms).empty());
        REQUIRE(found(PodStatus::running, Timestamp{}).empty());
    }
    SECTION("finds a pod by its values as update_pod leaves them")
    {
        Pod values = pod_heard_at("", PodStatus::decommissioned, t + ms);
        const auto moved = FieldSet<Pod>::of(&Pod::status);
        const auto heard = FieldSet<Pod>::of(&Pod::last_communicated);
        REQUIRE(store.update_pod(FieldUpdate<Pod>{"earlier", {}, values, moved, values}).value());
        REQUIRE(store.update_pod(FieldUpdate<Pod>{"never", {}, values, heard, values}).value());
        REQUIRE(found(PodStatus::running, t).empty());
        REQUIRE(found(PodStatus::decommissioned, t) == std::vector<Pod>{stored_pod(store, "earlier")});
        REQUIRE(found(PodStatus::running, t + 2 * ms).size() == 3);
    }
    SECTION("a unit of work that fails leaves every pod found where it was, on a store that rolls back")
    {
        if (store.rolls_back()) {
            const Pod values = pod_heard_at("", PodStatus::decommissioned, t + ms);
            const auto both = FieldSet<Pod>::of(&Pod::status, &Pod::last_communicated);
            const auto failed = store.atomically([&]() -> Result<void> {
                BOOST_OUTCOME_TRY(store.update_pod(FieldUpdate<Pod>{"earlier", {}, values, both, values}));
                return Errc::store_unavailable;
            });
            REQUIRE(failed.error() == Errc::store_unavailable);
            REQUIRE(found(PodStatus::running, t) == seeded({"earlier", "never"}));
            REQUIRE(found(PodStatus::decommissioned, t + 2 * ms).empty());
        }
    }
}

template <StoreMaker M>
void update_dispatcher_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    PodDispatcher d = new_pod_dispatcher("group", {"t1", "t2", "t3"}, {"p1"});
    d.modification_count = 4;
    seed(store, d);
    const Timestamp at{std::chrono::milliseconds{1'800'000'000'000}};

    SECTION("takes ids off the front of the queue, counting them as the update says")
    {
        DispatcherUpdate u;
        u.dequeue = {"t1", "t2"};
        u.increment = 2;
        u.last_modified = at;
        REQUIRE(store.update_dispatcher(version_of(d), u).value());
        const PodDispatcher after = stored_dispatcher(store, d.id);
        REQUIRE(after.task_ids == std::vector<std::string>{"t3"});
        REQUIRE(after.modification_count == 6);
        REQUIRE(after.last_modified == at);
    }
    SECTION("a dequeue of ids the queue does not start with writes nothing: false")
    {
        DispatcherUpdate u;
        SECTION("not at the front") { u.dequeue = {"t2"}; }
        SECTION("in another order") { u.dequeue = {"t2", "t1"}; }
        SECTION("more ids than queued") { u.dequeue = {"t1", "t2", "t3", "t4"}; }
        const Unchanged unchanged{store};
        REQUIRE_FALSE(store.update_dispatcher(version_of(d), u).value());
        REQUIRE(unchanged());
    }
    SECTION("a query that matches nothing writes nothing: false")
    {
        Query stale = version_of(d);
        stale.modification_count = 3;
        const Unchanged unchanged{store};
        REQUIRE_FALSE(store.update_dispatcher(stale, DispatcherUpdate{}).value());
        REQUIRE_FALSE(store.update_dispatcher(by_id("0123456789abcdef01234567"), DispatcherUpdate{}).value());
        REQUIRE(unchanged());
    }
    SECTION("sets the pods and the queue, and finds the dispatcher by its new pods")
    {
        DispatcherUpdate u;
        u.pod_ids = std::vector<std::string>{"p2", "p3"};
        u.task_ids = std::vector<std::string>{"t9"};
        u.last_modified = at;
        REQUIRE(store.update_dispatcher(by_pod_id("p1"), u).value());
        const PodDispatcher after = stored_dispatcher(store, d.id);
        REQUIRE(after.pod_ids == std::vector<std::string>{"p2", "p3"});
        REQUIRE(after.task_ids == std::vector<std::string>{"t9"});
        REQUIRE(after.modification_count == 5);
        REQUIRE(store.find_dispatcher(by_pod_id("p3"), Projection{}).value()->id == d.id);
        REQUIRE(store.find_dispatcher(by_pod_id("p1"), Projection{}).value() == std::nullopt);
    }
    SECTION("puts ids into the queue before the id at enqueue_at, or at the back when that is unset or past the "
            "end")
    {
        DispatcherUpdate u;
        u.enqueue = {"n1", "n2"};
        u.last_modified = at;
        std::vector<std::string> queue;
        SECTION("at the front") { u.enqueue_at = 0, queue = {"n1", "n2", "t1", "t2", "t3"}; }
        SECTION("inside") { u.enqueue_at = 2, queue = {"t1", "t2", "n1", "n2", "t3"}; }
        SECTION("at the back") { queue = {"t1", "t2", "t3", "n1", "n2"}; }
        SECTION("past the end") { u.enqueue_at = 9, queue = {"t1", "t2", "t3", "n1", "n2"}; }
        REQUIRE(store.update_dispatcher(version_of(d), u).value());
        const PodDispatcher after = stored_dispatcher(store, d.id);
        REQUIRE(after.task_ids == queue);
        REQUIRE(after.modification_count == 5);
        REQUIRE(after.last_modified == at);
    }
    SECTION("counts enqueue_at from the front of the queue as it is after earlier dequeues")
    {
        DispatcherUpdate taken;
        taken.dequeue = {"t1"};
        REQUIRE(store.update_dispatcher(by_id(d.id), taken).value());
        DispatcherUpdate u;
        u.enqueue = {"n"};
        u.enqueue_at = 1;
        REQUIRE(store.update_dispatcher(by_id(d.id), u).value());
        REQUIRE(stored_dispatcher(store, d.id).task_ids == std::vector<std::string>{"t2", "n", "t3"});
    }
    SECTION("a queue refilled after dequeues reads back whole, from its front")
    {
        // A store may remember where a queue's front moved to, to skip what a dequeue
        // deleted; what goes in afterwards, in any of three ways, must still be read.
        DispatcherUpdate taken;
        DispatcherUpdate u;
        std::vector<std::string> queue;
        SECTION("ids put in at the back of a queue taken to its end")
        {
            taken.dequeue = {"t1", "t2", "t3"};
            u.enqueue = {"n1", "n2"};
            queue = {"n1", "n2"};
        }
        SECTION("an id put in at the front")
        {
            taken.dequeue = {"t1", "t2"};
            u.enqueue = {"n1"};
            u.enqueue_at = 0;
            queue = {"n1", "t3"};
        }
        SECTION("the queue written whole")
        {
            taken.dequeue = {"t1", "t2"};
            u.task_ids = std::vector<std::string>{"w1", "w2", "w3"};
            queue = {"w1", "w2", "w3"};
        }
        REQUIRE(store.update_dispatcher(by_id(d.id), taken).value());
        REQUIRE(store.update_dispatcher(by_id(d.id), u).value());
        REQUIRE(stored_dispatcher(store, d.id).task_ids == queue);
        REQUIRE(store.find_dispatcher(by_id(d.id), queue_head(1)).value()->task_ids ==
                std::vector<std::string>{queue.front()});
    }
    SECTION("adds pods, and finds the dispatcher by them")
    {
        DispatcherUpdate u;
        u.add_pods = {"p2"};
        REQUIRE(store.update_dispatcher(version_of(d), u).value());
        REQUIRE(stored_dispatcher(store, d.id).pod_ids == std::vector<std::string>{"p1", "p2"});
        REQUIRE(store.find_dispatcher(by_pod_id("p2"), Projection{}).value()->id == d.id);
    }
    SECTION("a pod another dispatcher holds is duplicate_key, and nothing is written")
    {
        seed(store, new_pod_dispatcher("other", {}, {"p9"}));
        DispatcherUpdate u;
        SECTION("setting the pods") { u.pod_ids = std::vector<std::string>{"p1", "p9"}; }
        SECTION("adding a pod") { u.add_pods = {"p9"}; }
        const Unchanged unchanged{store};
        REQUIRE(store.update_dispatcher(version_of(d), u).error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("a projected read returns no pods and only the front of the queue")
    {
        const auto head = store.find_dispatcher(by_id(d.id), queue_head(2));
        REQUIRE(head);
        REQUIRE(head.value());
        REQUIRE(head.value()->task_ids == std::vector<std::string>{"t1", "t2"});
        REQUIRE(head.value()->pod_ids.empty());
        REQUIRE(head.value()->modification_count == 4);
        REQUIRE(head.value()->group_id == "group");
    }
}

} // namespace pod_dispatcher::testing

#endif
