#ifndef POD_DISPATCHER_TESTS_SQL_CRASH_WORLD_HPP
#define POD_DISPATCHER_TESTS_SQL_CRASH_WORLD_HPP

// What the crash tests store before an operation, the operations they interrupt, and how
// the work then goes on to its end, on a store of any type S. Shared by each store's test
// and the worker process it kills.

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/samples.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace crash_test {

/// r's value, or a thrown std::system_error: a broken setup, not a finding.
template <class T>
T must(pod_dispatcher::Result<T> r, std::string_view what)
{
    if (!r) {
        throw std::system_error(r.error(), std::string(what));
    }
    if constexpr (!std::is_void_v<T>) {
        return std::move(r).value();
    }
}

inline pod_dispatcher::Task group_task(std::string id, int order)
{
    return pod_dispatcher::testing::group_task(std::move(id), "tg", order, 2);
}

inline pod_dispatcher::Task dispatched_on(std::string id, std::string pod_id)
{
    pod_dispatcher::Task task = pod_dispatcher::testing::dispatchable_task(std::move(id));
    task.status = pod_dispatcher::TaskStatus::dispatched;
    task.pod_id = std::move(pod_id);
    return task;
}

/// A dispatcher with a fixed id, so that two runs store the same thing.
inline pod_dispatcher::PodDispatcher dispatcher(std::string id, std::string group, std::vector<std::string> tasks,
                                                std::vector<std::string> pods)
{
    return pod_dispatcher::PodDispatcher{std::move(id), std::move(group), std::move(pods), std::move(tasks), 0, {}};
}

/// When the world's pods were last heard from, unless said otherwise: a fixed time, so
/// that two runs store the same thing, and one long before any run.
inline constexpr pod_dispatcher::Timestamp seeded_at{std::chrono::milliseconds{1'700'000'000'000}};

/// What rescue_stale_pods is run with: seeded_at is recent, an hour before it is stale.
inline pod_dispatcher::RescueOptions rescue_options()
{
    pod_dispatcher::RescueOptions options;
    options.now = seeded_at + std::chrono::minutes{1};
    return options;
}

/// A pod in status, last heard from at heard.
inline pod_dispatcher::Pod pod(std::string id, pod_dispatcher::PodStatus status,
                               pod_dispatcher::Timestamp heard = seeded_at)
{
    pod_dispatcher::Pod pod = pod_dispatcher::testing::running_pod(std::move(id));
    pod.status = status;
    pod.last_communicated = heard;
    return pod;
}

/// pod, running task (which is dispatched on it).
inline pod_dispatcher::Pod running(pod_dispatcher::Pod pod, const pod_dispatcher::Task& task)
{
    pod.running_task_id = task.id;
    pod.running_task_execution = task.execution;
    return pod;
}

/// What each operation starts from, stored in one transaction:
/// - "queue": [skip (allocated, disabled), t1 (part of display task "display"), t2, t3]
///   and three idle running pods;
/// - task group "tg" (two pods at most): [g1, g3] and pod pg1; g2 allocatable, to join it;
/// - task "solo", allocatable, in no dispatcher yet;
/// - "leaving": pod pr and [r1 (no attempts left), r2, r3 (not stored)];
/// - pod pf, decommissioned, running task tf;
/// - "marking": pod pm, starting, and [m1];
/// - "terminating": pods pt (running task tt) and pu, and [tq];
/// - "stale": pods pz1 (running task tz1, heard from two hours before seeded_at) and pz2
///   (starting, an hour before), and [tz2].
template <class S>
void seed_world(S& store)
{
    using namespace pod_dispatcher::testing;
    using pod_dispatcher::PodStatus;
    using pod_dispatcher::Task;
    must(store.atomically([&]() -> pod_dispatcher::Result<void> {
             Task skip = dispatchable_task("skip");
             skip.priority = -1;
             Task t1 = dispatchable_task("t1");
             t1.display_task_id = "display";
             Task display = allocatable_task("display");
             display.display_only = true;
             display.execution_tasks = {"t1"};
             Task r1 = dispatchable_task("r1");
             r1.container_allocation_attempts = pod_dispatcher::max_container_allocation_attempts;
             Task g1 = group_task("g1", 1);
             Task g3 = group_task("g3", 3);
             for (Task* task : {&g1, &g3}) {
                 task->container_allocated = true;
                 task->container_allocation_attempts = 1;
             }
             const Task tf = dispatched_on("tf", "pf");
             const Task tt = dispatched_on("tt", "pt");
             const Task tz1 = dispatched_on("tz1", "pz1");
             for (const Task& task : {skip, t1, display, dispatchable_task("t2"), dispatchable_task("t3"), g1,
                                      group_task("g2", 2), g3, allocatable_task("solo"), r1, dispatchable_task("r2"), tf,
                                      dispatchable_task("m1"), tt, dispatchable_task("tq"), tz1,
                                      dispatchable_task("tz2")}) {
                 BOOST_OUTCOME_TRY(store.insert_task(task));
             }
             for (const auto& pod : {pod("p1", PodStatus::running), pod("p2", PodStatus::running),
                                     pod("p3", PodStatus::running), pod("pg1", PodStatus::running),
                                     pod("pr", PodStatus::running), running(pod("pf", PodStatus::decommissioned), tf),
                                     pod("pm", PodStatus::starting), running(pod("pt", PodStatus::running), tt),
                                     pod("pu", PodStatus::running),
                                     running(pod("pz1", PodStatus::running, seeded_at - std::chrono::hours{2}), tz1),
                                     pod("pz2", PodStatus::starting, seeded_at - std::chrono::hours{1})}) {
                 BOOST_OUTCOME_TRY(store.insert_pod(pod));
             }
             BOOST_OUTCOME_TRY(store.insert_project_ref(enabled_project()));
             for (const auto& d :
                  {dispatcher("d-queue", "queue", {"skip", "t1", "t2", "t3"}, {"p1", "p2", "p3"}),
                   dispatcher("d-group", pod_dispatcher::get_group_id(g1), {"g1", "g3"}, {"pg1"}),
                   dispatcher("d-leaving", "leaving", {"r1", "r2", "r3"}, {"pr"}),
                   dispatcher("d-marking", "marking", {"m1"}, {"pm"}),
                   dispatcher("d-terminating", "terminating", {"tq"}, {"pt", "pu"}),
                   dispatcher("d-stale", "stale", {"tz2"}, {"pz1", "pz2"})}) {
                 BOOST_OUTCOME_TRY(store.insert_dispatcher(d));
             }
             return boost::outcome_v2::success();
         }),
         "seeding the world");
}

/// An operation the crash tests interrupt, as a pod or the allocator would call it.
template <class S>
struct Operation {
    std::string_view name;
    std::function<pod_dispatcher::Result<void>(S&)> run;
};

template <class S>
pod_dispatcher::Result<void> allocate(S& store, std::string_view task_id, std::string pod_id)
{
    BOOST_OUTCOME_TRY(auto task, store.find_task(task_id));
    if (!task) {
        return pod_dispatcher::Errc::not_found;
    }
    pod_dispatcher::Pod pod = pod_dispatcher::testing::intent_pod(std::move(pod_id));
    BOOST_OUTCOME_TRY(pod_dispatcher::allocate(store, *task, pod));
    return boost::outcome_v2::success();
}

template <class S>
pod_dispatcher::Result<void> dispatch(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(auto task, pod_dispatcher::dispatch_next_task(store, pod_id));
    if (!task) {
        return pod_dispatcher::Errc::not_found;
    }
    return boost::outcome_v2::success();
}

template <class S>
pod_dispatcher::Result<void> remove_pod(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(auto holder, pod_dispatcher::find_one_by_pod_id(store, pod_id));
    if (!holder) {
        return pod_dispatcher::Errc::pod_not_in_dispatcher;
    }
    return holder->remove_pod(store, pod_id);
}

template <class S>
pod_dispatcher::Result<void> terminate_pod(S& store, std::string_view pod_id)
{
    BOOST_OUTCOME_TRY(auto stranded, pod_dispatcher::terminate_pod(store, pod_id, "stopped"));
    if (!stranded) {
        return pod_dispatcher::Errc::not_found;
    }
    return boost::outcome_v2::success();
}

template <class S>
pod_dispatcher::Result<void> rescue_stale_pods(S& store)
{
    BOOST_OUTCOME_TRY(pod_dispatcher::rescue_stale_pods(store, rescue_options()));
    return boost::outcome_v2::success();
}

template <class S>
const std::array<Operation<S>, 9>& operations()
{
    using pod_dispatcher::TaskStatus;
    static const std::array<Operation<S>, 9> all{{
        {"allocate into a new dispatcher", [](S& s) { return allocate(s, "solo", "ps"); }},
        {"allocate into a task group's queue", [](S& s) { return allocate(s, "g2", "pg2"); }},
        {"dispatch_next_task", [](S& s) { return dispatch(s, "p1"); }},
        {"remove_pod", [](S& s) { return remove_pod(s, "pr"); }},
        {"finish_task", [](S& s) { return pod_dispatcher::finish_task(s, "pf", TaskStatus::succeeded); }},
        {"mark_pod_running", [](S& s) { return pod_dispatcher::mark_pod_running(s, "pm"); }},
        {"heartbeat", [](S& s) { return pod_dispatcher::heartbeat(s, "pf"); }},
        {"terminate_pod", [](S& s) { return terminate_pod(s, "pt"); }},
        {"rescue_stale_pods", [](S& s) { return rescue_stale_pods(s); }},
    }};
    return all;
}

template <class S>
const Operation<S>* operation_named(std::string_view name)
{
    const auto& all = operations<S>();
    const auto found = std::ranges::find(all, name, &Operation<S>::name);
    return found == all.end() ? nullptr : &*found;
}

/// Why a pod of carry_on takes no task: the operation did not make it, or it is done with
/// its one task (decommissioned, or still running the one the operation gave it).
inline bool takes_no_task(std::error_code error)
{
    using pod_dispatcher::Errc;
    return error == Errc::not_found || error == Errc::pod_not_in_dispatcher ||
           error == Errc::precondition_failed || error == Errc::pod_busy;
}

/// The work that follows any operation, to the end: the new pods start, and every pod
/// asks for tasks (finishing each one it gets, so a group's pods take the next) until no
/// pod gets one. Tasks restarted after their pod was terminated stay for an allocator.
template <class S>
void carry_on(S& store)
{
    for (const std::string_view pod_id : {"ps", "pg2"}) {
        const pod_dispatcher::Pod running = pod_dispatcher::testing::running_pod(std::string(pod_id));
        const auto status = pod_dispatcher::FieldSet<pod_dispatcher::Pod>::of(&pod_dispatcher::Pod::status);
        must(store.update_pod(pod_dispatcher::FieldUpdate<pod_dispatcher::Pod>{pod_id, {}, running, status, running}),
             "starting a pod");
    }
    for (bool any = true; any;) {
        any = false;
        for (const std::string_view pod_id : {"p1", "p2", "p3", "pg1", "pg2", "ps", "pm", "pu"}) {
            auto task = pod_dispatcher::dispatch_next_task(store, pod_id);
            if (!task && takes_no_task(task.error())) {
                continue;
            }
            if (must(std::move(task), "dispatching")) {
                must(pod_dispatcher::finish_task(store, pod_id, pod_dispatcher::TaskStatus::succeeded), "finishing");
                any = true;
            }
        }
    }
}

} // namespace crash_test

#endif
