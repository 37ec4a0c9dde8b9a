#ifndef POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_AUDIT_HPP
#define POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_AUDIT_HPP

// The audit of a store after a random interleaving: the final contents checked against
// the invariants (invariants.hpp), and against what the threads were handed and saw.

#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/detail/interleaving_actor.hpp>
#include <pod_dispatcher/testing/detail/interleaving_world.hpp>
#include <pod_dispatcher/testing/invariants.hpp>

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pod_dispatcher::testing::detail {

/// Collects every invariant the final store breaks: those of every store, then those of
/// a store where a call that failed wrote nothing, if the store is one.
class Audit {
public:
    /// What a store that does not roll back is not held to, and why.
    static constexpr std::string_view unchecked_without_rollback =
        "the store does not roll back a failed unit of work, so a call that lost a race part way may leave its "
        "first writes behind (a pod claimed for a task it did not get, a task released but still queued, a pod "
        "terminated but still in its dispatcher, a write without its event). Not checked: rollback_invariants "
        "(pods against their tasks, queues against allocations, each task's and pod's events against its state), "
        "allocation counts, and a task group's order.";

    Audit(const StoreContents& contents, const World& world, const std::vector<ThreadLog>& logs, bool rolls_back)
        : checked_(contents, world.seeded), logs_(logs), rolls_back_(rolls_back)
    {
        for (const ThreadLog& log : logs) {
            for (const Handed& h : log.dispatched) {
                if (!handed_to_.try_emplace({h.task_id, h.execution}, h.pod_id).second) {
                    fail("task " + execution_of(h.task_id, h.execution) + " was handed out twice");
                }
            }
        }
    }

    std::vector<std::string> run()
    {
        keep(every_store_invariants(checked_));
        pods_added_are_stored();
        handed_out_tasks_went_to_their_pods();
        a_decommissioned_pod_takes_no_other_task();
        counts_seen_are_not_above_the_last();
        for (const ThreadLog& log : logs_) {
            keep(log.anomalies);
        }
        if (rolls_back_) {
            keep(rollback_invariants(checked_));
            tasks_went_out_exactly_when_handed_out();
            allocations_match_the_calls();
            groups_allocated_once_keep_their_order();
        }
        return violations_;
    }

private:
    void fail(std::string message) { violations_.push_back(std::move(message)); }
    void keep(const Broken& broken) { violations_.insert(violations_.end(), broken.begin(), broken.end()); }

    // ---- What the threads were handed and saw, against any store.

    void pods_added_are_stored()
    {
        for (const ThreadLog& log : logs_) {
            for (const std::string& id : log.pods_added) {
                if (checked_.pod(id) == nullptr) {
                    fail("pod " + id + ", which allocate stored, is gone");
                }
            }
        }
    }

    /// A task handed to a pod is stored as run by that pod, unless it runs a later
    /// execution since, restarted when the pod died.
    void handed_out_tasks_went_to_their_pods()
    {
        for (const auto& [handed, pod_id] : handed_to_) {
            const auto& [task_id, execution] = handed;
            const Task* t = checked_.task(task_id);
            const bool ran_there = t != nullptr && t->execution == execution && t->pod_id == pod_id && went_out(*t);
            if (!ran_there && (t == nullptr || t->execution <= execution)) {
                fail("task " + execution_of(task_id, execution) + " was handed to " + pod_id +
                     " but is stored as not run by it");
            }
        }
    }

    void a_decommissioned_pod_takes_no_other_task()
    {
        std::map<std::string, std::vector<std::string>> taken;
        for (const auto& [handed, pod_id] : handed_to_) {
            taken[pod_id].push_back(handed.first);
        }
        for (const auto& [pod_id, task_ids] : taken) {
            const bool decommissioned = std::ranges::any_of(task_ids, [&](const std::string& id) {
                const Task* t = checked_.task(id);
                return t != nullptr && !in_task_group(*t);
            });
            if (decommissioned && task_ids.size() > 1) {
                fail("pod " + pod_id + " took a task outside any group, and another besides");
            }
        }
    }

    void counts_seen_are_not_above_the_last()
    {
        for (const PodDispatcher& d : checked_.now().dispatchers) {
            for (const ThreadLog& log : logs_) {
                const auto seen = log.counts.find(d.id);
                if (seen != log.counts.end() && seen->second > d.modification_count) {
                    fail("dispatcher " + d.id + " ends at count " + std::to_string(d.modification_count) + " after " +
                         std::to_string(seen->second) + " was seen");
                }
            }
        }
    }

    // ---- What the threads were handed and did, against a store where a failed call wrote nothing.

    /// A task is running or finished in its execution exactly when a call handed it out.
    void tasks_went_out_exactly_when_handed_out()
    {
        for (const Task& t : checked_.now().tasks) {
            const bool handed = handed_to_.contains({t.id, t.execution});
            if (went_out(t) != handed) {
                fail("task " + execution_of(t.id, t.execution) +
                     (handed ? " was handed out, but is not stored as dispatched" : " went out, but no call handed it out"));
            }
        }
    }

    /// Every container_allocated event since seeding is an allocate call that succeeded.
    void allocations_match_the_calls()
    {
        for (const Task& t : checked_.now().tasks) {
            const auto events = checked_.new_events_of(t.id);
            const auto allocated = std::ranges::count(events, EventType::container_allocated, &Event::type);
            if (allocated != allocations(t.id)) {
                fail("task " + t.id + ": " + std::to_string(allocations(t.id)) + " allocate calls succeeded, " +
                     std::to_string(allocated) + " container_allocated events");
            }
        }
    }

    int allocations(const std::string& task_id) const
    {
        int n = 0;
        for (const ThreadLog& log : logs_) {
            const auto it = log.allocations.find(task_id);
            n += it == log.allocations.end() ? 0 : it->second;
        }
        return n;
    }

    /// The task groups whose tasks were all queued before the threads started, and none
    /// again since: each pod took their tasks in task_group_order, none went out while one
    /// of a lower order still waits, and a single-host group's ran on its one pod.
    void groups_allocated_once_keep_their_order()
    {
        std::set<std::string> allocated_again;
        for (const Task& t : checked_.now().tasks) {
            if (in_task_group(t) && allocations(t.id) > 0) {
                allocated_again.insert(get_group_id(t));
            }
        }
        const auto kept = [&](const Task& t) { return in_task_group(t) && !allocated_again.contains(get_group_id(t)); };
        pods_took_group_tasks_in_order(kept);
        group_order_never_goes_back(kept);
        single_host_groups_use_one_pod(kept);
    }

    template <class Kept>
    void pods_took_group_tasks_in_order(const Kept& kept)
    {
        for (const Pod& pod : checked_.now().pods) {
            std::map<std::string, int> last_order;
            for (const Event& e : checked_.new_events_of(pod.id)) {
                const auto* a = e.type == EventType::pod_assigned_task ? std::get_if<AssignmentData>(&e.data) : nullptr;
                const Task* t = a == nullptr ? nullptr : checked_.task(a->task_id);
                if (t == nullptr || !kept(*t)) {
                    continue;
                }
                const auto [last, first] = last_order.try_emplace(get_group_id(*t), t->task_group_order);
                if (!first && t->task_group_order < std::exchange(last->second, t->task_group_order)) {
                    fail("pod " + pod.id + " took " + t->id + " after a later task of its group");
                }
            }
        }
    }

    template <class Kept>
    void group_order_never_goes_back(const Kept& kept)
    {
        std::map<std::string, int> highest_out;
        std::map<std::string, int> lowest_waiting;
        for (const Task& t : checked_.now().tasks) {
            if (!kept(t)) {
                continue;
            }
            const std::string group_id = get_group_id(t);
            if (went_out(t)) {
                auto [it, first] = highest_out.try_emplace(group_id, t.task_group_order);
                it->second = std::max(it->second, t.task_group_order);
            } else if (checked_.queuing(t.id) != nullptr) {
                auto [it, first] = lowest_waiting.try_emplace(group_id, t.task_group_order);
                it->second = std::min(it->second, t.task_group_order);
            }
        }
        for (const auto& [group_id, highest] : highest_out) {
            const auto waiting = lowest_waiting.find(group_id);
            if (waiting != lowest_waiting.end() && waiting->second < highest) {
                fail("task group " + group_id + " ran a task of order " + std::to_string(highest) +
                     " while one of order " + std::to_string(waiting->second) + " still waits");
            }
        }
    }

    template <class Kept>
    void single_host_groups_use_one_pod(const Kept& kept)
    {
        std::map<std::string, std::set<std::string>> pods_of;
        for (const Task& t : checked_.now().tasks) {
            if (kept(t) && in_single_host_group(t) && went_out(t)) {
                pods_of[get_group_id(t)].insert(t.pod_id);
            }
        }
        for (const auto& [group_id, pods] : pods_of) {
            if (pods.size() > 1) {
                fail("single-host group " + group_id + " ran tasks on " + std::to_string(pods.size()) + " pods");
            }
        }
    }

    CheckedContents checked_;
    const std::vector<ThreadLog>& logs_;
    bool rolls_back_;
    std::map<std::pair<std::string, int>, std::string> handed_to_; ///< (task id, execution) -> the pod a call handed it to
    std::vector<std::string> violations_;
};

} // namespace pod_dispatcher::testing::detail

#endif
