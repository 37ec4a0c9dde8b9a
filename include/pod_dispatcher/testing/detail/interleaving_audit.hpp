#ifndef POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_AUDIT_HPP
#define POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_AUDIT_HPP

// The audit of a store after a random interleaving: the final contents checked against
// the invariants, and against what the threads were handed.

#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/detail/interleaving_actor.hpp>
#include <pod_dispatcher/testing/detail/interleaving_world.hpp>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pod_dispatcher::testing::detail {

/// Collects every invariant the final store breaks. Some hold on any store; the others
/// hold only where a call that failed wrote nothing, so on a store that rolls back.
class Audit {
public:
    /// What a store that does not roll back is not held to, and why.
    static constexpr std::string_view unchecked_without_rollback =
        "the store does not roll back a failed unit of work, so a call that lost a race part way may leave its "
        "first writes behind (a pod claimed for a task it did not get, a task released but still queued, a write "
        "without its event). Not checked: each pod's history of tasks, events against the final state, "
        "allocation counts, allocated tasks against the queues, and a task group's order against its queue.";

    Audit(const StoreContents& contents, const World& world, const std::vector<ThreadLog>& logs, bool rolls_back)
        : contents_(contents), world_(world), logs_(logs), rolls_back_(rolls_back)
    {
        for (const Task& t : contents.tasks) {
            tasks_[t.id] = &t;
        }
        for (const Pod& p : contents.pods) {
            pods_[p.id] = &p;
        }
        for (const Event& e : contents.events) {
            events_[{e.resource_id, e.type}].push_back(&e);
        }
        for (const PodDispatcher& d : contents.dispatchers) {
            for (const std::string& task_id : d.task_ids) {
                queued_in_.emplace(task_id, &d);
            }
        }
        for (const ThreadLog& log : logs) {
            for (const auto& [task_id, pod_id] : log.dispatched) {
                if (!handed_to_.try_emplace(task_id, pod_id).second) {
                    fail("task " + task_id + " was handed out twice");
                }
            }
        }
    }

    std::vector<std::string> run()
    {
        nothing_lost();
        queues_and_pods_are_unique();
        handed_out_tasks_went_to_their_pods();
        a_decommissioned_pod_takes_no_other_task();
        running_tasks_run_on_their_pods();
        task_groups_keep_their_caps_and_order();
        single_host_groups_use_one_pod();
        events_carry_their_payloads();
        counts_only_grow();
        for (const ThreadLog& log : logs_) {
            violations_.insert(violations_.end(), log.anomalies.begin(), log.anomalies.end());
        }
        if (rolls_back_) {
            pods_took_one_task_at_a_time();
            events_agree_with_tasks();
            allocations_match_events();
            waiting_tasks_are_queued();
            group_order_never_goes_back();
            display_tasks_roll_up();
        }
        return violations_;
    }

private:
    void fail(std::string message) { violations_.push_back(std::move(message)); }

    const std::vector<const Event*>& events(const std::string& resource, EventType type) const
    {
        static const std::vector<const Event*> none;
        const auto it = events_.find({resource, type});
        return it == events_.end() ? none : it->second;
    }

    const Task* task(const std::string& id) const
    {
        const auto it = tasks_.find(id);
        return it == tasks_.end() ? nullptr : it->second;
    }

    static bool failed_by_system(const Task& t) { return t.status == TaskStatus::failed && t.details_type == "system"; }

    /// Reported done by its pod through finish_task.
    static bool finished(const Task& t)
    {
        return t.status == TaskStatus::succeeded || (t.status == TaskStatus::failed && !failed_by_system(t));
    }

    /// Handed to a pod at some point: running now, or finished. A display task runs
    /// nowhere; it only shows how its execution tasks do.
    static bool went_out(const Task& t) { return !t.display_only && (is_running(t) || finished(t)); }

    // ---- Invariants of every store.

    void nothing_lost()
    {
        for (const auto& [id, seeded] : world_.tasks) {
            if (!tasks_.contains(id)) {
                fail("task " + id + " is gone");
            }
        }
        auto require_pod = [&](const std::string& id) {
            if (!pods_.contains(id)) {
                fail("pod " + id + " is gone");
            }
        };
        std::ranges::for_each(world_.pod_ids, require_pod);
        for (const ThreadLog& log : logs_) {
            std::ranges::for_each(log.pods_added, require_pod);
        }
    }

    void queues_and_pods_are_unique()
    {
        std::map<std::string, const PodDispatcher*> queued;
        std::map<std::string, const PodDispatcher*> pod_owner;
        for (const PodDispatcher& d : contents_.dispatchers) {
            for (const std::string& task_id : d.task_ids) {
                if (!queued.try_emplace(task_id, &d).second) {
                    fail("task " + task_id + " is queued twice (in " + d.id + " and " + queued[task_id]->id + ")");
                }
            }
            for (const std::string& pod_id : d.pod_ids) {
                if (!pod_owner.try_emplace(pod_id, &d).second) {
                    fail("pod " + pod_id + " is in two dispatchers");
                }
            }
        }
    }

    void handed_out_tasks_went_to_their_pods()
    {
        for (const auto& [task_id, pod_id] : handed_to_) {
            const Task* t = task(task_id);
            if (t == nullptr || t->pod_id != pod_id || !went_out(*t)) {
                fail("task " + task_id + " was handed to " + pod_id + " but is stored as not run by it");
            }
        }
    }

    void a_decommissioned_pod_takes_no_other_task()
    {
        std::map<std::string, std::vector<std::string>> taken;
        for (const auto& [task_id, pod_id] : handed_to_) {
            taken[pod_id].push_back(task_id);
        }
        for (const auto& [pod_id, task_ids] : taken) {
            const bool decommissioned = std::ranges::any_of(task_ids, [&](const std::string& id) {
                const Task* t = task(id);
                return t != nullptr && !in_task_group(*t);
            });
            if (decommissioned && task_ids.size() > 1) {
                fail("pod " + pod_id + " took a task outside any group, and another besides");
            }
        }
    }

    void running_tasks_run_on_their_pods()
    {
        for (const Task& t : contents_.tasks) {
            if (!is_running(t) || t.display_only) {
                continue;
            }
            const auto pod = pods_.find(t.pod_id);
            if (pod == pods_.end() || pod->second->running_task_id != t.id ||
                pod->second->running_task_execution != t.execution) {
                fail("task " + t.id + " is dispatched to " + t.pod_id + ", which does not run it");
            }
        }
    }

    void task_groups_keep_their_caps_and_order()
    {
        for (const PodDispatcher& d : contents_.dispatchers) {
            const auto cap = world_.max_hosts.find(d.group_id);
            if (cap == world_.max_hosts.end()) {
                continue;
            }
            if (cap->second >= 1 && d.pod_ids.size() > static_cast<std::size_t>(cap->second)) {
                fail("task group " + d.group_id + " holds " + std::to_string(d.pod_ids.size()) + " pods");
            }
            int previous = INT_MIN;
            for (const std::string& id : d.task_ids) {
                const Task* t = task(id);
                if (t == nullptr || get_group_id(*t) != d.group_id) {
                    fail("task group " + d.group_id + " queues " + id + ", which is not one of its tasks");
                } else if (t->task_group_order < std::exchange(previous, t->task_group_order)) {
                    fail("task group " + d.group_id + " queues " + id + " out of task_group_order");
                }
            }
        }
    }

    /// A single-host group's one pod runs its tasks one at a time: none on another pod,
    /// never two at once.
    void single_host_groups_use_one_pod()
    {
        std::map<std::string, std::set<std::string>> pods_of;
        std::map<std::string, int> running;
        for (const Task& t : contents_.tasks) {
            if (in_single_host_group(t) && went_out(t)) {
                pods_of[get_group_id(t)].insert(t.pod_id);
                running[get_group_id(t)] += is_running(t) ? 1 : 0;
            }
        }
        for (const auto& [group_id, pods] : pods_of) {
            if (pods.size() > 1) {
                fail("single-host group " + group_id + " ran tasks on " + std::to_string(pods.size()) + " pods");
            }
            if (running[group_id] > 1) {
                fail("single-host group " + group_id + " runs " + std::to_string(running[group_id]) + " tasks at once");
            }
        }
    }

    void events_carry_their_payloads()
    {
        for (const Event& e : contents_.events) {
            if (e.data.index() != payload_index(e.type)) {
                fail("event " + std::string(name_of(e.type)) + " of " + e.resource_id + " carries the wrong payload");
            }
        }
    }

    void counts_only_grow()
    {
        for (const PodDispatcher& d : contents_.dispatchers) {
            for (const ThreadLog& log : logs_) {
                const auto seen = log.counts.find(d.id);
                if (seen != log.counts.end() && seen->second > d.modification_count) {
                    fail("dispatcher " + d.id + " ends at count " + std::to_string(d.modification_count) + " after " +
                         std::to_string(seen->second) + " was seen");
                }
            }
        }
    }

    // ---- Invariants of a store where a failed call wrote nothing.

    /// The tasks a pod was assigned, in order, from its pod_assigned_task events.
    std::vector<std::string> assignments_of(const Pod& pod)
    {
        std::vector<std::string> ids;
        for (const Event* e : events(pod.id, EventType::pod_assigned_task)) {
            if (const auto* data = std::get_if<AssignmentData>(&e->data)) {
                ids.push_back(data->task_id);
            }
        }
        return ids;
    }

    /// Finished by pod_id: reported through finish_task, with the event to show it.
    bool finished_by(const Task& t, const std::string& pod_id) const
    {
        const auto& finishes = events(t.id, EventType::task_finished);
        const auto* data = finishes.size() == 1 ? std::get_if<FinishData>(&finishes.front()->data) : nullptr;
        return finished(t) && data != nullptr && data->pod_id == pod_id;
    }

    /// Each pod took its tasks one at a time: every task it was assigned before its last
    /// was finished by it, and it runs its last one or finished that too. Within a task
    /// group, its tasks went in task_group_order, and none after a failed task of a
    /// single-host group.
    void pods_took_one_task_at_a_time()
    {
        for (const Pod& pod : contents_.pods) {
            const std::vector<std::string> assigned = assignments_of(pod);
            if (!pod.running_task_id.empty() && (assigned.empty() || assigned.back() != pod.running_task_id)) {
                fail("pod " + pod.id + " runs " + pod.running_task_id + ", which was not the last task assigned to it");
            }
            for (std::size_t i = 0; i < assigned.size(); ++i) {
                const Task* t = task(assigned[i]);
                const bool runs_it = i + 1 == assigned.size() && !pod.running_task_id.empty();
                if (t == nullptr || t->pod_id != pod.id) {
                    fail("pod " + pod.id + " was assigned " + assigned[i] + ", which is not dispatched to it");
                } else if (runs_it && !is_running(*t)) {
                    fail("pod " + pod.id + " runs " + assigned[i] + ", which is not running");
                } else if (!runs_it && !finished_by(*t, pod.id)) {
                    fail("pod " + pod.id + " moved on from " + assigned[i] + " before finishing it");
                }
            }
            task_groups_went_in_order(pod, assigned);
            status_changes_agree(pod, assigned);
        }
    }

    void task_groups_went_in_order(const Pod& pod, const std::vector<std::string>& assigned)
    {
        std::map<std::string, int> last_order;
        std::set<std::string> stopped;
        for (const std::string& id : assigned) {
            const Task* t = task(id);
            if (t == nullptr || !in_task_group(*t)) {
                continue;
            }
            const std::string group_id = get_group_id(*t);
            const auto [last, first] = last_order.try_emplace(group_id, t->task_group_order);
            if (!first && t->task_group_order < std::exchange(last->second, t->task_group_order)) {
                fail("pod " + pod.id + " took " + id + " after a later task of its group");
            }
            if (stopped.contains(group_id)) {
                fail("pod " + pod.id + " took " + id + " after a failed task of its single-host group");
            }
            if (in_single_host_group(*t) && finished(*t) && t->status == TaskStatus::failed) {
                stopped.insert(group_id);
            }
        }
    }

    /// A pod that took a task outside any group was decommissioned then, and only then.
    void status_changes_agree(const Pod& pod, const std::vector<std::string>& assigned)
    {
        const bool decommissioned = std::ranges::any_of(assigned, [&](const std::string& id) {
            const Task* t = task(id);
            return t != nullptr && !in_task_group(*t);
        });
        const auto& changes = events(pod.id, EventType::pod_status_changed);
        if (changes.size() != (decommissioned ? 1U : 0U) ||
            (decommissioned && pod.status != PodStatus::decommissioned)) {
            fail("pod " + pod.id + ": pod_status_changed events do not agree with the tasks it took");
        }
    }

    void events_agree_with_tasks()
    {
        for (const Task& t : contents_.tasks) {
            const auto& dispatches = events(t.id, EventType::task_dispatched);
            const auto* dispatch = dispatches.size() == 1 ? std::get_if<DispatchData>(&dispatches.front()->data) : nullptr;
            if (went_out(t) != (dispatch != nullptr) || dispatches.size() > 1 ||
                (dispatch != nullptr && *dispatch != DispatchData{t.pod_id, t.execution})) {
                fail("task " + t.id + " does not have exactly the task_dispatched events its state calls for");
            }
            const auto handed = handed_to_.find(t.id);
            if (went_out(t) != (handed != handed_to_.end())) {
                fail("task " + t.id + (went_out(t) ? " went out, but no call handed it out"
                                                   : " was handed out, but is not stored as dispatched"));
            }
            const auto& finishes = events(t.id, EventType::task_finished);
            const auto* finish = finishes.size() == 1 ? std::get_if<FinishData>(&finishes.front()->data) : nullptr;
            if (finished(t) != (finish != nullptr) || finishes.size() > 1 ||
                (finish != nullptr && *finish != FinishData{t.pod_id, t.execution, t.status})) {
                fail("task " + t.id + " does not have exactly the task_finished events its state calls for");
            }
        }
    }

    void allocations_match_events()
    {
        std::map<std::string, int> allocations;
        for (const ThreadLog& log : logs_) {
            for (const auto& [task_id, n] : log.allocations) {
                allocations[task_id] += n;
            }
        }
        for (const Task& t : contents_.tasks) {
            const SeededTask seeded = world_.tasks.at(t.id);
            const auto allocated = static_cast<int>(events(t.id, EventType::container_allocated).size());
            const auto released = static_cast<int>(events(t.id, EventType::container_deallocated).size());
            if (allocated != seeded.allocations + allocations[t.id] ||
                t.container_allocation_attempts != seeded.attempts + allocated) {
                fail("task " + t.id + ": " + std::to_string(seeded.allocations + allocations[t.id]) + " allocations, " +
                     std::to_string(allocated) + " container_allocated events, attempts " +
                     std::to_string(seeded.attempts) + " -> " + std::to_string(t.container_allocation_attempts));
            }
            if ((seeded.allocated ? 1 : 0) + allocated - released != (t.container_allocated ? 1 : 0)) {
                fail("task " + t.id + ": allocated and deallocated events do not add up to its state");
            }
            if (events(t.id, EventType::task_system_failed).size() != (failed_by_system(t) ? 1U : 0U) ||
                (failed_by_system(t) && t.container_allocation_attempts < max_container_allocation_attempts)) {
                fail("task " + t.id + ": task_system_failed events do not agree with its state");
            }
        }
    }

    /// A task waits in a queue exactly while it is allocated and not dispatched.
    void waiting_tasks_are_queued()
    {
        for (const Task& t : contents_.tasks) {
            const bool waiting = t.container_allocated && t.status == TaskStatus::undispatched;
            if (waiting != queued_in_.contains(t.id)) {
                fail("task " + t.id + (waiting ? " is allocated and waiting but in no queue"
                                               : " is queued but not allocated and waiting"));
            }
        }
    }

    /// A task group's tasks were all queued before the threads started, so none went out
    /// while one of a lower task_group_order still waits.
    void group_order_never_goes_back()
    {
        std::map<std::string, int> highest_out;
        std::map<std::string, int> lowest_waiting;
        for (const Task& t : contents_.tasks) {
            if (!in_task_group(t)) {
                continue;
            }
            const std::string group_id = get_group_id(t);
            if (went_out(t)) {
                auto [it, first] = highest_out.try_emplace(group_id, t.task_group_order);
                it->second = std::max(it->second, t.task_group_order);
            } else if (queued_in_.contains(t.id)) {
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

    /// A display task is dispatched once one of its execution tasks went out, and not
    /// before.
    void display_tasks_roll_up()
    {
        std::set<std::string> rolled_up;
        for (const Task& t : contents_.tasks) {
            if (!t.display_task_id.empty() && went_out(t)) {
                rolled_up.insert(t.display_task_id);
            }
        }
        for (const Task& t : contents_.tasks) {
            const bool dispatched = t.status == TaskStatus::dispatched;
            if (t.display_only && dispatched != rolled_up.contains(t.id)) {
                fail("display task " + t.id + (dispatched ? " is dispatched, but none of its execution tasks went out"
                                                          : " is not dispatched, but one of its execution tasks went out"));
            }
        }
    }

    const StoreContents& contents_;
    const World& world_;
    const std::vector<ThreadLog>& logs_;
    bool rolls_back_;
    std::map<std::string, const Task*> tasks_;
    std::map<std::string, const Pod*> pods_;
    std::map<std::pair<std::string, EventType>, std::vector<const Event*>> events_;
    std::map<std::string, const PodDispatcher*> queued_in_; ///< task id -> a dispatcher queuing it
    std::map<std::string, std::string> handed_to_;          ///< task id -> the pod a call handed it to
    std::vector<std::string> violations_;
};

} // namespace pod_dispatcher::testing::detail

#endif
