#ifndef POD_DISPATCHER_TESTING_SUITES_FAULT_INJECTION_HPP
#define POD_DISPATCHER_TESTING_SUITES_FAULT_INJECTION_HPP

// A store that fails at any point of an operation leaves the store and the caller's
// objects exactly as they were, and the same call succeeds once the store is back.
//
// Each scenario runs its operation once to count the store calls it makes (n), then for
// every k in 1..n runs it again on a fresh, identically seeded store whose k-th call
// fails. Only a store that rolls back a failed unit of work can promise this; on any
// other the suites skip, saying so.

#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/suites/remove_pod.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// What the caller holds across a call; an operation may change it only by succeeding.
struct Caller {
    PodDispatcher dispatcher{};
    Task task{};
    Pod pod{};

    bool operator==(const Caller&) const = default;
};

inline boost::json::value caller_json(const Caller& c)
{
    return boost::json::object{{"dispatcher", boost::json::value_from(c.dispatcher)},
                               {"task", boost::json::value_from(c.task)},
                               {"pod", boost::json::value_from(c.pod)}};
}

/// One way through an operation: how to seed a store and what the caller holds then,
/// and the call itself, which returns its error (none on success).
template <class S>
struct FaultScenario {
    std::string name;
    std::function<Caller(S&)> prepare;
    std::function<std::error_code(FaultyStore<S>&, Caller&)> run;
};

/// Replaces each time with "<set>": two runs of the same call stamp different times, but
/// must agree on which times they set (an unset time is left out of the JSON).
inline void mark_times(boost::json::value& v)
{
    static constexpr std::array<std::string_view, 7> times{
        "last_modified", "timestamp",      "activated_time",   "container_allocated_time",
        "dispatch_time", "last_heartbeat", "last_communicated"};
    if (auto* object = v.if_object()) {
        for (auto& member : *object) {
            if (std::ranges::find(times, std::string_view(member.key())) != times.end()) {
                member.value() = "<set>";
            } else {
                mark_times(member.value());
            }
        }
    } else if (auto* array = v.if_array()) {
        for (auto& element : *array) {
            mark_times(element);
        }
    }
}

/// The store after a call, as two runs of it must agree on: with times marked only as
/// set, and without the ids of dispatchers an operation generates (sorted by group
/// instead).
template <class S>
boost::json::value stored_outcome_json(S& store)
{
    boost::json::value v = contents_json(contents_of(store));
    auto& dispatchers = v.at("dispatchers").as_array();
    for (auto& d : dispatchers) {
        d.as_object().erase("id");
    }
    std::ranges::sort(dispatchers, {}, [](const boost::json::value& d) { return d.at("group_id").as_string(); });
    mark_times(v);
    return v;
}

/// The store and the caller after a call, as two runs of it must agree on (see
/// stored_outcome_json).
template <class S>
boost::json::value outcome_json(S& store, const Caller& caller)
{
    boost::json::value v = stored_outcome_json(store);
    Caller without_generated_id = caller;
    without_generated_id.dispatcher.id.clear();
    boost::json::value& held = v.as_object()["caller"] = caller_json(without_generated_id);
    mark_times(held);
    return v;
}

/// SKIPs the calling test unless the stores M makes roll back a failed unit of work.
template <StoreMaker M>
void require_rollback()
{
    if (!M::make()->rolls_back()) {
        SKIP("the store does not roll back a failed unit of work (rolls_back() is false), so an operation that "
             "fails part way may leave writes behind; this suite needs a store that leaves none");
    }
}

/// What a fault may leave written, checked once the call has failed: given the store,
/// what it held before the call, and how many units of work committed before the fault.
template <class S>
using FaultCheck = std::function<void(S&, const Unchanged<S>&, std::size_t)>;

/// The check for an operation that is one unit of work: a fault leaves nothing written.
template <class S>
void require_nothing_written(S&, const Unchanged<S>& unchanged, std::size_t)
{
    REQUIRE(unchanged());
}

/// The units of work committed before a fault: the "commit" calls in a FaultyStore's log
/// before its last call, the one that failed.
inline std::size_t commits_before_fault(const std::vector<std::string_view>& log)
{
    REQUIRE_FALSE(log.empty());
    return static_cast<std::size_t>(std::count(log.begin(), log.end() - 1, std::string_view("commit")));
}

/// Runs the scenario with a fault injected at each of its store calls in turn: the call
/// returns the fault, leaves the caller's objects alone and the store as check says (by
/// default, as it was), and once the store is back the same call succeeds and leaves what
/// a run without a fault leaves.
template <StoreMaker M>
void require_every_fault_harmless(const FaultScenario<store_of<M>>& scenario,
                                  const FaultCheck<store_of<M>>& check = require_nothing_written<store_of<M>>)
{
    using S = store_of<M>;
    auto reference_store = M::make();
    Caller reference_caller = scenario.prepare(*reference_store);
    FaultyStore<S> counting{*reference_store};
    REQUIRE(scenario.run(counting, reference_caller) == std::error_code{});
    const std::size_t points = counting.calls();
    REQUIRE(points > 0);
    const boost::json::value expected = outcome_json(*reference_store, reference_caller);

    for (std::size_t k = 1; k <= points; ++k) {
        INFO(scenario.name << ": store call " << k << " of " << points << " fails");
        auto store = M::make();
        Caller caller = scenario.prepare(*store);
        const Caller caller_before = caller;
        const Unchanged unchanged{*store};
        FaultyStore<S> faulty{*store};

        faulty.fail_at(k);
        const std::error_code error = scenario.run(faulty, caller);
        REQUIRE(error == Errc::store_unavailable);
        REQUIRE(faulty.faults() == 1);
        check(*store, unchanged, commits_before_fault(faulty.log()));
        REQUIRE(caller_json(caller) == caller_json(caller_before));
        REQUIRE(caller == caller_before);

        faulty.fail_at(0);
        REQUIRE(scenario.run(faulty, caller) == std::error_code{});
        REQUIRE(outcome_json(*store, caller) == expected);
    }
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

inline PodDispatcher sample_dispatcher(std::vector<std::string> task_ids, std::vector<std::string> pod_ids)
{
    return PodDispatcher{"d1", "g1", std::move(pod_ids), std::move(task_ids), 7, {}};
}

/// A task that belongs to a display task, so dispatching it rolls the display task up.
inline Task display_member(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.display_task_id = "display";
    return task;
}

inline Task display_task()
{
    Task task;
    task.id = "display";
    task.project = project_id;
    task.display_only = true;
    return task;
}

inline Task undispatchable_task(std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.activated = false;
    return task;
}

/// Group "g"'s tasks t1 (order 1), t2 and t3 of a single-host group, allocated in that
/// order with pods p1 to p3, of which the group takes p1; p1 is started and has run t1
/// to the outcome given. The caller holds p1.
template <class S>
Caller single_host_group_after_t1(S& store, TaskStatus outcome)
{
    seed(store, enabled_project());
    for (int order = 1; order <= 3; ++order) {
        const std::string n = std::to_string(order);
        Task task = group_task("t" + n, "g", order, 1);
        Pod pod = intent_pod("p" + n);
        seed(store, task);
        REQUIRE(allocate(store, task, pod));
    }
    set_pod_status(store, "p1", PodStatus::running);
    REQUIRE(dispatch_next_task(store, "p1").value());
    REQUIRE(finish_task(store, "p1", outcome));
    return Caller{{}, {}, stored_pod(store, "p1")};
}

inline constexpr auto allocate_callers = [](auto& store, Caller& c) {
    auto r = allocate(store, c.task, c.pod);
    if (r) {
        c.dispatcher = r.value();
    }
    return error_of(r);
};

inline constexpr auto assign_to_callers_pod = [](auto& store, Caller& c) {
    return error_of(c.dispatcher.assign_next_task(store, c.pod));
};

inline constexpr auto remove_callers_pod = [](auto& store, Caller& c) {
    return error_of(c.dispatcher.remove_pod(store, c.pod.id));
};

inline constexpr auto dispatch_to_callers_pod = [](auto& store, Caller& c) {
    return error_of(dispatch_next_task(store, c.pod.id));
};

} // namespace detail

template <StoreMaker M>
void allocate_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    SECTION("when it creates the group's dispatcher and stores the pod")
    {
        detail::require_every_fault_harmless<M>({"allocate, new dispatcher",
                                                 [](S& store) {
                                                     seed(store, enabled_project());
                                                     seed(store, allocatable_task("t1"));
                                                     return detail::Caller{{}, allocatable_task("t1"), intent_pod("p1")};
                                                 },
                                                 detail::allocate_callers});
    }
    SECTION("when it queues the task in the group's existing dispatcher")
    {
        detail::require_every_fault_harmless<M>(
            {"allocate, existing dispatcher",
             [](S& store) {
                 detail::seed_group(store, PodDispatcher{"d1", "t1", {"p0"}, {}, 3, {}}, {allocatable_task("t1")},
                                    {running_pod("p0")});
                 return detail::Caller{{}, allocatable_task("t1"), intent_pod("p1")};
             },
             detail::allocate_callers});
    }
    SECTION("when it places a task group's task by its order and adds a pod")
    {
        detail::require_every_fault_harmless<M>(
            {"allocate, task group",
             [](S& store) {
                 Task first = group_task("a", "g", 1, 0);
                 Task last = group_task("c", "g", 3, 0);
                 const Task middle = group_task("b", "g", 2, 0);
                 first.container_allocated = last.container_allocated = true;
                 detail::seed_group(store, PodDispatcher{"d1", get_group_id(middle), {"p0"}, {"a", "c"}, 3, {}},
                                    {first, last, middle}, {running_pod("p0")});
                 return detail::Caller{{}, middle, intent_pod("p1")};
             },
             detail::allocate_callers});
    }
}

template <StoreMaker M>
void assign_next_task_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    SECTION("when it dispatches the head of the queue and rolls up its display task")
    {
        detail::require_every_fault_harmless<M>(
            {"assign_next_task, dispatch",
             [](S& store) {
                 return detail::seed_group(store, detail::sample_dispatcher({"t1"}, {"p1"}),
                                           {detail::display_member("t1"), detail::display_task()}, {running_pod("p1")});
             },
             detail::assign_to_callers_pod});
    }
    SECTION("when it skips a queued id with no stored task")
    {
        detail::require_every_fault_harmless<M>(
            {"assign_next_task, skip missing task",
             [](S& store) {
                 return detail::seed_group(store, detail::sample_dispatcher({"gone", "t1"}, {"p1"}),
                                           {dispatchable_task("t1")}, {running_pod("p1")});
             },
             detail::assign_to_callers_pod});
    }
    SECTION("when it releases and skips a task that is no longer dispatchable")
    {
        detail::require_every_fault_harmless<M>(
            {"assign_next_task, skip undispatchable task",
             [](S& store) {
                 return detail::seed_group(store, detail::sample_dispatcher({"t0", "t1"}, {"p1"}),
                                           {detail::undispatchable_task("t0"), dispatchable_task("t1")},
                                           {running_pod("p1")});
             },
             detail::assign_to_callers_pod});
    }
}

template <StoreMaker M>
void remove_pod_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    SECTION("when other pods remain")
    {
        detail::require_every_fault_harmless<M>(
            {"remove_pod, not the last pod",
             [](S& store) {
                 return detail::seed_group(store, detail::sample_dispatcher({"t1"}, {"p1", "p2"}),
                                           {dispatchable_task("t1")}, {running_pod("p1"), running_pod("p2")});
             },
             detail::remove_callers_pod});
    }
    SECTION("when the last pod leaves and fails exhausted tasks and releases allocated ones")
    {
        detail::require_every_fault_harmless<M>(
            {"remove_pod, last pod",
             [](S& store) {
                 return detail::seed_group(store, detail::sample_dispatcher({"t1", "t2", "gone", "t3"}, {"p1"}),
                                           {detail::exhausted_task("t1"), dispatchable_task("t2"),
                                            allocatable_task("t3")},
                                           {running_pod("p1")});
             },
             detail::remove_callers_pod});
    }
}

template <StoreMaker M>
void upsert_atomically_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    const auto upsert = [](auto& store, detail::Caller& c) { return error_of(c.dispatcher.upsert_atomically(store)); };
    SECTION("when it inserts the dispatcher")
    {
        detail::require_every_fault_harmless<M>(
            {"upsert_atomically, insert",
             [](S&) { return detail::Caller{detail::sample_dispatcher({"t1"}, {"p1"}), {}, {}}; }, upsert});
    }
    SECTION("when it replaces the stored dispatcher's queue and pods")
    {
        detail::require_every_fault_harmless<M>({"upsert_atomically, replace",
                                                 [](S& store) {
                                                     detail::Caller c = detail::seed_group(
                                                         store, detail::sample_dispatcher({"t1"}, {"p1"}), {}, {});
                                                     c.dispatcher.task_ids = {"t2", "t1"};
                                                     c.dispatcher.pod_ids = {"p1", "p2"};
                                                     return c;
                                                 },
                                                 upsert});
    }
}

template <StoreMaker M>
void dispatch_next_task_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    SECTION("when it reads the queue one id at a time past a missing and an undispatchable task")
    {
        detail::require_every_fault_harmless<M>(
            {"dispatch_next_task, window of one",
             [](S& store) {
                 return detail::seed_group(store, detail::sample_dispatcher({"gone", "t0", "t1"}, {"p1"}),
                                           {detail::undispatchable_task("t0"), detail::display_member("t1"),
                                            detail::display_task()},
                                           {running_pod("p1")});
             },
             [](auto& store, detail::Caller& c) {
                 return error_of(dispatch_next_task(store, c.pod.id, DispatchOptions{.queue_window = 1}));
             }});
    }
    SECTION("when a task group's pod takes the group's next task")
    {
        detail::require_every_fault_harmless<M>(
            {"dispatch_next_task, task group's next task",
             [](S& store) { return detail::single_host_group_after_t1(store, TaskStatus::succeeded); },
             detail::dispatch_to_callers_pod});
    }
    SECTION("when a single-host group stops after a failure and releases its queue")
    {
        detail::require_every_fault_harmless<M>(
            {"dispatch_next_task, single-host group stops",
             [](S& store) { return detail::single_host_group_after_t1(store, TaskStatus::failed); },
             detail::dispatch_to_callers_pod});
    }
}

template <StoreMaker M>
void finish_task_faults_suite()
{
    using S = store_of<M>;
    detail::require_rollback<M>();
    TaskStatus outcome = TaskStatus::succeeded;
    SECTION("when a task succeeded") {}
    SECTION("when a task failed") { outcome = TaskStatus::failed; }
    detail::require_every_fault_harmless<M>(
        {"finish_task",
         [](S& store) {
             detail::Caller c = detail::seed_group(store, detail::sample_dispatcher({"t1"}, {"p1"}),
                                                   {dispatchable_task("t1")}, {running_pod("p1")});
             REQUIRE(dispatch_next_task(store, "p1").value());
             c.pod = stored_pod(store, "p1");
             return c;
         },
         [outcome](auto& store, detail::Caller& c) { return error_of(finish_task(store, c.pod.id, outcome)); }});
}

} // namespace pod_dispatcher::testing

#endif
