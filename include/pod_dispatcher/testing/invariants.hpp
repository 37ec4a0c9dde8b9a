#ifndef POD_DISPATCHER_TESTING_INVARIANTS_HPP
#define POD_DISPATCHER_TESTING_INVARIANTS_HPP

// What a store's contents must keep, whatever ran on it: one function per invariant, each
// returning what it found broken, a line per break (nothing when it holds). The random
// interleavings, the multi-process race harness and the benchmarks check a store through
// these, and check on top only what they alone know (what their threads were handed).
//
// Each invariant reads a CheckedContents (checked_contents.hpp): a store's contents now,
// next to its baseline, what it held before the calls under check began. Events are
// appended and never dropped, so a document's events past those of the baseline are what
// the calls did to it.
//
// The invariants come in two kinds, as a store can promise them:
// - every_store_invariants hold on any store. The operations write a unit's documents in
//   an order that keeps them even when a unit stops part way on a store that cannot roll
//   back, and guard every write on what its rule read.
// - rollback_invariants hold where a unit of work that fails leaves nothing written. A
//   store that cannot roll back may keep a failed call's first writes: a pod claimed for a
//   task it did not get, a task released but still queued, a pod terminated but still in
//   its dispatcher, a write without its event.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/testing/checked_contents.hpp>
#include <pod_dispatcher/testing/detail/histories.hpp>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace pod_dispatcher::testing {

/// What an invariant found broken: a line each, none when it holds.
using Broken = std::vector<std::string>;

// ---- What a task's state says of it.

/// Failed by the system (stranded, or out of allocation attempts) rather than by its pod.
inline bool failed_by_system(const Task& t) { return t.status == TaskStatus::failed && t.details_type == "system"; }

/// Reported done by its pod, through finish_task.
inline bool finished_by_pod(const Task& t)
{
    return t.status == TaskStatus::succeeded || (t.status == TaskStatus::failed && !failed_by_system(t));
}

/// Stranded on a pod that died, and failed by the system for it.
inline bool failed_stranded(const Task& t)
{
    return failed_by_system(t) && t.details_description == pod_dispatcher::detail::stranded;
}

/// Handed to a pod in its current execution: running now, finished by that pod, or
/// stranded there. A display task never is; it shows how its execution tasks do.
inline bool went_out(const Task& t)
{
    return !t.display_only && (is_running(t) || finished_by_pod(t) || failed_stranded(t));
}

/// Running on a pod, and not a display task.
inline bool runs_somewhere(const Task& t) { return !t.display_only && is_running(t); }

// ---- Invariants of every store.

/// Nothing of the baseline is gone: the operations delete no task, pod or dispatcher.
inline Broken nothing_lost(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.baseline().tasks) {
        if (c.task(t.id) == nullptr) {
            broken.push_back("task " + t.id + " is gone");
        }
    }
    for (const Pod& p : c.baseline().pods) {
        if (c.pod(p.id) == nullptr) {
            broken.push_back("pod " + p.id + " is gone");
        }
    }
    for (const PodDispatcher& d : c.baseline().dispatchers) {
        if (c.dispatcher(d.id) == nullptr) {
            broken.push_back("dispatcher " + d.id + " is gone");
        }
    }
    return broken;
}

namespace detail {

/// The ids found in two places in the lists `list` of the dispatchers (twice in one, or
/// in two), said as "<kind> <id> is <listed> twice (in <dispatcher> and <dispatcher>)".
inline Broken listed_twice(const CheckedContents& c, std::vector<std::string> PodDispatcher::*list,
                           std::string_view kind, std::string_view listed)
{
    Broken broken;
    std::unordered_map<std::string_view, const PodDispatcher*> first_in;
    for (const PodDispatcher& d : c.now().dispatchers) {
        for (const std::string& id : d.*list) {
            const auto [it, first] = first_in.try_emplace(id, &d);
            if (!first) {
                broken.push_back(std::string(kind) + " " + id + " is " + std::string(listed) + " twice (in " +
                                 it->second->id + " and " + d.id + ")");
            }
        }
    }
    return broken;
}

} // namespace detail

/// No task is queued twice, in one dispatcher or in two.
inline Broken tasks_queued_once(const CheckedContents& c)
{
    return detail::listed_twice(c, &PodDispatcher::task_ids, "task", "queued");
}

/// No pod is held twice, by one dispatcher or by two.
inline Broken pods_in_one_dispatcher(const CheckedContents& c)
{
    return detail::listed_twice(c, &PodDispatcher::pod_ids, "pod", "held");
}

/// A dispatcher's modification_count never goes back.
inline Broken counts_never_go_back(const CheckedContents& c)
{
    Broken broken;
    for (const PodDispatcher& before : c.baseline().dispatchers) {
        const PodDispatcher* now = c.dispatcher(before.id);
        if (now != nullptr && now->modification_count < before.modification_count) {
            broken.push_back("dispatcher " + before.id + "'s count went back from " +
                             std::to_string(before.modification_count) + " to " +
                             std::to_string(now->modification_count));
        }
    }
    return broken;
}

/// A running task's pod runs it, in the task's execution.
inline Broken running_tasks_run_on_their_pods(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        if (!runs_somewhere(t)) {
            continue;
        }
        const Pod* pod = c.pod(t.pod_id);
        if (pod == nullptr || pod->running_task_id != t.id || pod->running_task_execution != t.execution) {
            broken.push_back("task " + detail::execution_of(t.id, t.execution) + " is dispatched to " + t.pod_id +
                             ", which does not run it");
        }
    }
    return broken;
}

/// No task is dispatched or started on a terminated pod, and a terminated pod runs nothing.
inline Broken nothing_runs_on_a_terminated_pod(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        const Pod* pod = runs_somewhere(t) ? c.pod(t.pod_id) : nullptr;
        if (pod != nullptr && pod->status == PodStatus::terminated) {
            broken.push_back("task " + t.id + " is dispatched to " + t.pod_id + ", which is terminated");
        }
    }
    for (const Pod& p : c.now().pods) {
        if (p.status == PodStatus::terminated && !p.running_task_id.empty()) {
            broken.push_back("pod " + p.id + " is terminated, yet runs " + p.running_task_id);
        }
    }
    return broken;
}

/// A single-host group runs its tasks one at a time.
inline Broken single_host_groups_run_one_task_at_a_time(const CheckedContents& c)
{
    std::map<std::string, int> running;
    for (const Task& t : c.now().tasks) {
        if (in_single_host_group(t) && runs_somewhere(t)) {
            ++running[get_group_id(t)];
        }
    }
    Broken broken;
    for (const auto& [group_id, n] : running) {
        if (n > 1) {
            broken.push_back("single-host group " + group_id + " runs " + std::to_string(n) + " tasks at once");
        }
    }
    return broken;
}

/// A task group's dispatcher holds no more pods than the group's task_group_max_hosts,
/// and queues only the group's tasks, in task_group_order.
inline Broken task_groups_keep_their_caps_and_order(const CheckedContents& c)
{
    // The highest cap any task of the group carries: allocate counts the one it is given.
    std::map<std::string, int> caps;
    for (const Task& t : c.now().tasks) {
        if (in_task_group(t)) {
            const auto [it, first] = caps.try_emplace(get_group_id(t), t.task_group_max_hosts);
            it->second = std::max(it->second, t.task_group_max_hosts);
        }
    }
    Broken broken;
    for (const PodDispatcher& d : c.now().dispatchers) {
        const auto cap = caps.find(d.group_id);
        if (cap == caps.end()) {
            continue;
        }
        if (cap->second >= 1 && d.pod_ids.size() > static_cast<std::size_t>(cap->second)) {
            broken.push_back("task group " + d.group_id + " holds " + std::to_string(d.pod_ids.size()) +
                             " pods, over its " + std::to_string(cap->second));
        }
        int previous = INT_MIN;
        for (const std::string& id : d.task_ids) {
            const Task* t = c.task(id);
            if (t == nullptr || get_group_id(*t) != d.group_id) {
                broken.push_back("task group " + d.group_id + " queues " + id + ", which is not one of its tasks");
            } else if (t->task_group_order < std::exchange(previous, t->task_group_order)) {
                broken.push_back("task group " + d.group_id + " queues " + id + " out of task_group_order");
            }
        }
    }
    return broken;
}

/// Every event carries the payload of its type.
inline Broken events_carry_their_payloads(const CheckedContents& c)
{
    Broken broken;
    for (const Event& e : c.now().events) {
        if (e.data.index() != payload_index(e.type)) {
            broken.push_back("event " + std::string(name_of(e.type)) + " of " + e.resource_id +
                             " carries the wrong payload");
        }
    }
    return broken;
}

/// A stranded task restarts at most max_stranded_restarts times: each task_restarted
/// event names a new execution no higher than that.
inline Broken restarts_within_limit(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        int restarts = 0;
        for (const Event& e : c.events_of(t.id)) {
            const auto* data = e.type == EventType::task_restarted ? std::get_if<RestartData>(&e.data) : nullptr;
            if (data == nullptr) {
                continue;
            }
            if (++restarts > max_stranded_restarts || data->execution < 1 || data->execution > max_stranded_restarts) {
                broken.push_back("task " + t.id + " restarted into execution " + std::to_string(data->execution) +
                                 ", past max_stranded_restarts");
            }
        }
    }
    return broken;
}

// ---- Invariants of a store where a unit of work that fails leaves nothing written.

/// A pod that is not terminated runs only a task that runs on it, in the execution the
/// pod names: no pod stays claimed for a task it did not get.
inline Broken live_pods_run_their_tasks(const CheckedContents& c)
{
    Broken broken;
    for (const Pod& p : c.now().pods) {
        if (p.status == PodStatus::terminated || p.running_task_id.empty()) {
            continue;
        }
        const Task* t = c.task(p.running_task_id);
        if (t == nullptr || !runs_on(*t, p)) {
            broken.push_back("pod " + p.id + " is claimed for " + detail::execution_of(p.running_task_id, p.running_task_execution) +
                             ", which does not run on it");
        }
    }
    return broken;
}

/// No two live pods run the same task.
inline Broken no_two_live_pods_run_one_task(const CheckedContents& c)
{
    Broken broken;
    std::unordered_map<std::string_view, const Pod*> runner;
    for (const Pod& p : c.now().pods) {
        if (p.status == PodStatus::terminated || p.running_task_id.empty()) {
            continue;
        }
        const auto [it, first] = runner.try_emplace(p.running_task_id, &p);
        if (!first) {
            broken.push_back("task " + p.running_task_id + " runs on two live pods, " + it->second->id + " and " + p.id);
        }
    }
    return broken;
}

/// A terminated pod has left its dispatcher.
inline Broken terminated_pods_leave_their_dispatchers(const CheckedContents& c)
{
    Broken broken;
    for (const Pod& p : c.now().pods) {
        const PodDispatcher* d = p.status == PodStatus::terminated ? c.holding(p.id) : nullptr;
        if (d != nullptr) {
            broken.push_back("pod " + p.id + " is terminated, yet dispatcher " + d->id + " holds it");
        }
    }
    return broken;
}

/// A task waits in a queue exactly while it is allocated and not dispatched, and the
/// dispatcher queuing it holds a pod that is not terminated: no task is left behind,
/// allocated in no queue, or queued where no pod will take it.
inline Broken waiting_tasks_are_queued(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        const bool waiting = t.container_allocated && t.status == TaskStatus::undispatched;
        const PodDispatcher* d = c.queuing(t.id);
        if (waiting != (d != nullptr)) {
            broken.push_back("task " + t.id + (waiting ? " is allocated and waiting, but in no queue"
                                                       : " is queued, but not allocated and waiting"));
        } else if (d != nullptr && std::ranges::none_of(d->pod_ids, [&](const std::string& id) {
                       const Pod* p = c.pod(id);
                       return p != nullptr && p->status != PodStatus::terminated;
                   })) {
            broken.push_back("task " + t.id + " waits in dispatcher " + d->id + ", which holds no live pod");
        }
    }
    return broken;
}

/// Each task's events since the baseline, replayed from the task as it was then, are
/// allowed by the rules at each step and end where the task is stored: its status,
/// execution, pod, allocation and attempts, and the system's details. Tasks stored since
/// the baseline, and display tasks (display_tasks_roll_up), are not replayed.
inline Broken task_histories_agree_with_state(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        const Task* before = c.task_before(t.id);
        if (before == nullptr || t.display_only) {
            continue;
        }
        detail::TaskReplay replay{*before};
        if (const auto wrong = detail::first_wrong(replay, c.new_events_of(t.id), t)) {
            broken.push_back("task " + t.id + ": " + *wrong);
        }
    }
    return broken;
}

/// Each pod's events since the baseline tell a life the rules allow, that ends where the
/// pod is stored: it takes a task only while running and idle, after finishing the one
/// before; never a task of a single-host group after a failed one of that group; it is
/// decommissioned with a task outside any group; its status changes follow one another;
/// it is terminated running nothing, with a reason; its running task and last finished
/// task are as stored.
inline Broken pod_histories_agree_with_state(const CheckedContents& c)
{
    Broken broken;
    for (const Pod& p : c.now().pods) {
        detail::PodReplay replay{c, p};
        if (const auto wrong = detail::first_wrong(replay, c.new_events_of(p.id), p)) {
            broken.push_back("pod " + p.id + " " + *wrong);
        }
    }
    return broken;
}

/// Every task_dispatched has its pod_assigned_task, and the other way round: a task and
/// its pod agree on who took what.
inline Broken dispatches_match_assignments(const CheckedContents& c)
{
    using Hand = std::tuple<std::string, int, std::string>; // task, execution, pod
    std::set<Hand> dispatched;
    std::set<Hand> assigned;
    for (const Event& e : c.now().events) {
        if (const auto* d = e.type == EventType::task_dispatched ? std::get_if<DispatchData>(&e.data) : nullptr) {
            dispatched.emplace(e.resource_id, d->execution, d->pod_id);
        } else if (const auto* a = e.type == EventType::pod_assigned_task ? std::get_if<AssignmentData>(&e.data) : nullptr) {
            assigned.emplace(a->task_id, a->task_execution, e.resource_id);
        }
    }
    Broken broken;
    for (const auto& [task, execution, pod] : dispatched) {
        if (!assigned.contains(Hand{task, execution, pod})) {
            broken.push_back("task " + detail::execution_of(task, execution) + " was dispatched to " + pod +
                             ", which has no pod_assigned_task for it");
        }
    }
    for (const auto& [task, execution, pod] : assigned) {
        if (!dispatched.contains(Hand{task, execution, pod})) {
            broken.push_back("pod " + pod + " was assigned " + detail::execution_of(task, execution) +
                             ", which has no task_dispatched to it");
        }
    }
    return broken;
}

/// A display task is dispatched once one of its execution tasks was, and not before.
inline Broken display_tasks_roll_up(const CheckedContents& c)
{
    std::set<std::string> rolled_up;
    for (const Task& t : c.now().tasks) {
        const auto events = c.events_of(t.id);
        if (!t.display_task_id.empty() &&
            std::ranges::any_of(events, [](const Event& e) { return e.type == EventType::task_dispatched; })) {
            rolled_up.insert(t.display_task_id);
        }
    }
    Broken broken;
    for (const Task& t : c.now().tasks) {
        const bool dispatched = t.status == TaskStatus::dispatched;
        if (t.display_only && (dispatched || t.status == TaskStatus::undispatched) &&
            dispatched != rolled_up.contains(t.id)) {
            broken.push_back("display task " + t.id + (dispatched ? " is dispatched, but none of its execution tasks was"
                                                                  : " is not dispatched, but one of its execution tasks was"));
        }
    }
    return broken;
}

// ---- Both kinds at once.

namespace detail {
inline Broken joined(std::initializer_list<Broken> parts)
{
    Broken all;
    for (const Broken& part : parts) {
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
}
} // namespace detail

/// What every store keeps, whether or not it rolls back a unit of work that fails.
inline Broken every_store_invariants(const CheckedContents& c)
{
    return detail::joined({nothing_lost(c), tasks_queued_once(c), pods_in_one_dispatcher(c), counts_never_go_back(c),
                           running_tasks_run_on_their_pods(c), nothing_runs_on_a_terminated_pod(c),
                           single_host_groups_run_one_task_at_a_time(c), task_groups_keep_their_caps_and_order(c),
                           events_carry_their_payloads(c), restarts_within_limit(c)});
}

/// What a store keeps besides where a unit of work that fails leaves nothing written.
inline Broken rollback_invariants(const CheckedContents& c)
{
    return detail::joined({live_pods_run_their_tasks(c), no_two_live_pods_run_one_task(c),
                           terminated_pods_leave_their_dispatchers(c), waiting_tasks_are_queued(c),
                           task_histories_agree_with_state(c), pod_histories_agree_with_state(c),
                           dispatches_match_assignments(c), display_tasks_roll_up(c)});
}

/// What store promises and c shows broken: the invariants of every store, and where the
/// store rolls back a unit of work that fails, those of a store that does.
template <Store S>
Broken invariants_broken(S& store, const CheckedContents& c)
{
    Broken broken = every_store_invariants(c);
    if (store.rolls_back()) {
        const Broken more = rollback_invariants(c);
        broken.insert(broken.end(), more.begin(), more.end());
    }
    return broken;
}

} // namespace pod_dispatcher::testing

#endif
