// A store that fails at any point of an operation leaves the store and the caller's
// objects exactly as they were, and the same call succeeds once the store is back.
//
// Each scenario runs its operation once to count the store calls it makes (n), then for
// every k in 1..n runs it again on a fresh, identically seeded store whose k-th call fails.

#include "support/documents.hpp"
#include "support/faulty_store.hpp"
#include "support/store_factory.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

/// Stores that roll back a unit of work a fault interrupts. A MongoDB store running its
/// units as transactions belongs here too.
using RollbackStoreTypes = std::tuple<MemoryStore>;

/// What the caller holds across a call; an operation may change it only by succeeding.
struct Caller {
    PodDispatcher dispatcher{};
    Task task{};
    Pod pod{};

    bool operator==(const Caller&) const = default;
};

boost::json::value caller_json(const Caller& c)
{
    return boost::json::object{{"dispatcher", boost::json::value_from(c.dispatcher)},
                               {"task", boost::json::value_from(c.task)},
                               {"pod", boost::json::value_from(c.pod)}};
}

/// One way through an operation: how to seed a store and what the caller holds then,
/// and the call itself.
template <class S>
struct Scenario {
    std::string name;
    std::function<Caller(S&)> prepare;
    std::function<std::error_code(FaultyStore<S>&, Caller&)> run;
};

/// Drops what differs between two runs of the same call: the time, and the ids of
/// dispatchers an operation generates (sorting those by group instead).
void drop_run_specifics(boost::json::value& v)
{
    static constexpr std::array<std::string_view, 6> times{
        "last_modified", "timestamp", "activated_time", "container_allocated_time", "dispatch_time",
        "last_heartbeat"};
    if (auto* object = v.if_object()) {
        for (std::string_view key : times) {
            object->erase(key);
        }
        for (auto& member : *object) {
            drop_run_specifics(member.value());
        }
    } else if (auto* array = v.if_array()) {
        for (auto& element : *array) {
            drop_run_specifics(element);
        }
    }
}

template <class S>
boost::json::value outcome_json(S& store, const Caller& caller)
{
    boost::json::value v = contents_json(store.snapshot());
    auto& dispatchers = v.at("dispatchers").as_array();
    for (auto& d : dispatchers) {
        d.as_object().erase("id");
    }
    std::ranges::sort(dispatchers, {}, [](const boost::json::value& d) { return d.at("group_id").as_string(); });
    Caller without_generated_id = caller;
    without_generated_id.dispatcher.id.clear();
    v.as_object()["caller"] = caller_json(without_generated_id);
    drop_run_specifics(v);
    return v;
}

/// Runs the scenario with a fault injected at each of its store calls in turn, and
/// returns how many there were.
template <class S>
std::size_t require_every_fault_harmless(const Scenario<S>& scenario)
{
    auto reference_store = StoreFactory<S>::make();
    Caller reference_caller = scenario.prepare(*reference_store);
    FaultyStore<S> counting{*reference_store};
    REQUIRE(scenario.run(counting, reference_caller) == std::error_code{});
    const std::size_t points = counting.calls();
    REQUIRE(points > 0);
    const boost::json::value expected = outcome_json(*reference_store, reference_caller);

    for (std::size_t k = 1; k <= points; ++k) {
        INFO(scenario.name << ": store call " << k << " of " << points << " fails");
        auto store = StoreFactory<S>::make();
        Caller caller = scenario.prepare(*store);
        const Caller caller_before = caller;
        const StoreContents before = store->snapshot();
        FaultyStore<S> faulty{*store};

        faulty.fail_at(k);
        const std::error_code error = scenario.run(faulty, caller);
        CAPTURE(error.message());
        REQUIRE(error == Errc::store_unavailable);
        REQUIRE(faulty.faults() == 1);
        REQUIRE(contents_json(store->snapshot()) == contents_json(before));
        REQUIRE(store->snapshot() == before);
        REQUIRE(caller_json(caller) == caller_json(caller_before));
        REQUIRE(caller == caller_before);

        faulty.fail_at(0);
        REQUIRE(scenario.run(faulty, caller) == std::error_code{});
        REQUIRE(outcome_json(*store, caller) == expected);
    }
    std::cout << "fault injection: " << scenario.name << ": " << points << " fault points, each harmless\n";
    return points;
}

/// Seeds the project, tasks and pods, and the dispatcher itself; the caller holds the
/// dispatcher as stored and the first pod.
template <class S>
Caller seed_group(S& store, const PodDispatcher& d, const std::vector<Task>& tasks, const std::vector<Pod>& pods)
{
    seed(store, enabled_project());
    for (const Task& task : tasks) {
        seed(store, task);
    }
    for (const Pod& pod : pods) {
        seed(store, pod);
    }
    seed(store, d);
    return Caller{d, {}, pods.empty() ? Pod{} : pods.front()};
}

PodDispatcher group(std::vector<std::string> task_ids, std::vector<std::string> pod_ids)
{
    return PodDispatcher{"d1", "g1", std::move(pod_ids), std::move(task_ids), 7, {}};
}

/// A task that belongs to a display task, so dispatching it rolls the display task up.
Task display_member(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.display_task_id = "display";
    return task;
}

Task display_task()
{
    Task task;
    task.id = "display";
    task.project = project_id;
    task.display_only = true;
    return task;
}

Task undispatchable_task(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.activated = false;
    return task;
}

Task exhausted_task(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.container_allocation_attempts = max_container_allocation_attempts;
    return task;
}

template <class S>
std::error_code allocate_callers(FaultyStore<S>& store, Caller& c)
{
    auto r = allocate(store, c.task, c.pod);
    if (r) {
        c.dispatcher = r.value();
    }
    return error_of(r);
}

template <class S>
std::error_code assign_to_callers_pod(FaultyStore<S>& store, Caller& c)
{
    return error_of(c.dispatcher.assign_next_task(store, c.pod));
}

template <class S>
std::error_code remove_callers_pod(FaultyStore<S>& store, Caller& c)
{
    return error_of(c.dispatcher.remove_pod(store, c.pod.id));
}

} // namespace

TEMPLATE_LIST_TEST_CASE("allocate writes nothing when the store fails at any point", "[reliability][faults]",
                        RollbackStoreTypes)
{
    using S = TestType;
    SECTION("when it creates the group's dispatcher and stores the pod")
    {
        require_every_fault_harmless<S>({"allocate, new dispatcher",
                                         [](S& store) {
                                             seed(store, enabled_project());
                                             seed(store, allocatable_task("t1"));
                                             return Caller{{}, allocatable_task("t1"), intent_pod("p1")};
                                         },
                                         allocate_callers<S>});
    }
    SECTION("when it queues the task in the group's existing dispatcher")
    {
        require_every_fault_harmless<S>({"allocate, existing dispatcher",
                                         [](S& store) {
                                             seed_group(store, PodDispatcher{"d1", "t1", {"p0"}, {}, 3, {}},
                                                        {allocatable_task("t1")}, {running_pod("p0")});
                                             return Caller{{}, allocatable_task("t1"), intent_pod("p1")};
                                         },
                                         allocate_callers<S>});
    }
}

TEMPLATE_LIST_TEST_CASE("assign_next_task writes nothing when the store fails at any point",
                        "[reliability][faults]", RollbackStoreTypes)
{
    using S = TestType;
    SECTION("when it dispatches the head of the queue and rolls up its display task")
    {
        require_every_fault_harmless<S>(
            {"assign_next_task, dispatch", [](S& store) {
                 return seed_group(store, group({"t1"}, {"p1"}), {display_member("t1"), display_task()},
                                   {running_pod("p1")});
             },
             assign_to_callers_pod<S>});
    }
    SECTION("when it skips a queued id with no stored task")
    {
        require_every_fault_harmless<S>(
            {"assign_next_task, skip missing task", [](S& store) {
                 return seed_group(store, group({"gone", "t1"}, {"p1"}), {dispatchable_task("t1")},
                                   {running_pod("p1")});
             },
             assign_to_callers_pod<S>});
    }
    SECTION("when it releases and skips a task that is no longer dispatchable")
    {
        require_every_fault_harmless<S>(
            {"assign_next_task, skip undispatchable task", [](S& store) {
                 return seed_group(store, group({"t0", "t1"}, {"p1"}),
                                   {undispatchable_task("t0"), dispatchable_task("t1")}, {running_pod("p1")});
             },
             assign_to_callers_pod<S>});
    }
}

TEMPLATE_LIST_TEST_CASE("remove_pod writes nothing when the store fails at any point", "[reliability][faults]",
                        RollbackStoreTypes)
{
    using S = TestType;
    SECTION("when other pods remain")
    {
        require_every_fault_harmless<S>({"remove_pod, not the last pod", [](S& store) {
                                             return seed_group(store, group({"t1"}, {"p1", "p2"}),
                                                               {dispatchable_task("t1")},
                                                               {running_pod("p1"), running_pod("p2")});
                                         },
                                         remove_callers_pod<S>});
    }
    SECTION("when the last pod leaves and fails exhausted tasks and releases allocated ones")
    {
        require_every_fault_harmless<S>(
            {"remove_pod, last pod", [](S& store) {
                 return seed_group(store, group({"t1", "t2", "gone", "t3"}, {"p1"}),
                                   {exhausted_task("t1"), dispatchable_task("t2"), allocatable_task("t3")},
                                   {running_pod("p1")});
             },
             remove_callers_pod<S>});
    }
}

TEMPLATE_LIST_TEST_CASE("upsert_atomically writes nothing when the store fails", "[reliability][faults]",
                        RollbackStoreTypes)
{
    using S = TestType;
    auto upsert = [](FaultyStore<S>& store, Caller& c) { return error_of(c.dispatcher.upsert_atomically(store)); };
    SECTION("when it inserts the dispatcher")
    {
        require_every_fault_harmless<S>({"upsert_atomically, insert",
                                         [](S&) { return Caller{group({"t1"}, {"p1"}), {}, {}}; }, upsert});
    }
    SECTION("when it replaces the stored dispatcher's queue and pods")
    {
        require_every_fault_harmless<S>({"upsert_atomically, replace",
                                         [](S& store) {
                                             Caller c = seed_group(store, group({"t1"}, {"p1"}), {}, {});
                                             c.dispatcher.task_ids = {"t2", "t1"};
                                             c.dispatcher.pod_ids = {"p1", "p2"};
                                             return c;
                                         },
                                         upsert});
    }
}

TEMPLATE_LIST_TEST_CASE("dispatch_next_task writes nothing when the store fails at any point",
                        "[reliability][faults]", RollbackStoreTypes)
{
    using S = TestType;
    SECTION("when it reads the queue one id at a time past a missing and an undispatchable task")
    {
        require_every_fault_harmless<S>(
            {"dispatch_next_task, window of one", [](S& store) {
                 return seed_group(store, group({"gone", "t0", "t1"}, {"p1"}),
                                   {undispatchable_task("t0"), display_member("t1"), display_task()},
                                   {running_pod("p1")});
             },
             [](FaultyStore<S>& store, Caller& c) {
                 return error_of(dispatch_next_task(store, c.pod.id, DispatchOptions{.queue_window = 1}));
             }});
    }
}
