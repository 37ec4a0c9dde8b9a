#ifndef POD_DISPATCHER_BENCH_GROUPS_HPP
#define POD_DISPATCHER_BENCH_GROUPS_HPP

// Task groups against single-task groups: the same tasks, allocated in groups whose pods
// take one task after another, or each with a pod of its own. An operation is one pod
// asking for its next task and finishing it.

#include "support/fixtures.hpp"
#include "support/library_ops.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace pod_dispatcher::bench {

/// How the tasks of a GroupFixture are grouped.
struct Grouping {
    std::size_t tasks = 10'000;
    std::size_t group_size = 1; ///< 1: every task its own group (no task group).
    int max_hosts = 0;          ///< task_group_max_hosts of grouped tasks.
};

inline std::string grouped_task_id(std::size_t i) { return "gt" + std::to_string(i); }
inline std::string grouped_pod_id(std::size_t i) { return "gp" + std::to_string(i); }

/// Task i of grouping, allocatable.
inline Task grouped_task(std::size_t i, const Grouping& grouping)
{
    if (grouping.group_size == 1) {
        return allocatable_task(grouped_task_id(i));
    }
    return group_task(grouped_task_id(i), "g" + std::to_string(i / grouping.group_size),
                      static_cast<int>(i % grouping.group_size), grouping.max_hosts);
}

/// A store whose tasks were allocated as grouping says, each allocation offering a pod of
/// its own, and whose pods the groups took were started. Its items: one pod id per task,
/// each pod as often as its group has tasks for it.
template <class S>
class GroupFixture : public StoreFixture<S, std::string> {
public:
    GroupFixture(const StoreFactory<S>& make, const Grouping& grouping)
        : StoreFixture<S, std::string>(make(), Lanes<std::string>{}), grouping_(grouping)
    {
        S& store = *this->store_;
        expect(store.insert_project_ref(enabled_project()), "project");
        std::vector<std::string> asks;
        std::vector<std::string> group_pods;
        for (std::size_t i = 0; i < grouping.tasks; ++i) {
            if (i % grouping.group_size == 0) {
                group_pods.clear();
            }
            allocate_task(store, i, group_pods);
            asks.push_back(group_pods[(i % grouping.group_size) % group_pods.size()]);
        }
        this->lanes_ = Lanes<std::string>(std::vector<std::vector<std::string>>{std::move(asks)});
        this->seeded(grouping.tasks);
    }

    void run(std::size_t, std::string& pod, Tally& tally)
    {
        auto task = dispatch_next_task(*this->store_, pod);
        if (task && task.value()) {
            const auto finished = finish_task(*this->store_, pod, TaskStatus::succeeded);
            if (!finished) {
                return tally.problems.push_back("finishing on " + pod + " failed: " + finished.error().message());
            }
        }
        record(tally, std::move(task), pod);
    }

    /// Pods the allocations started.
    std::size_t pods_started() const { return pods_started_; }

private:
    void allocate_task(S& store, std::size_t i, std::vector<std::string>& group_pods)
    {
        Task task = grouped_task(i, grouping_);
        expect(store.insert_task(task), "task");
        Pod pod = intent_pod(grouped_pod_id(i));
        auto d = allocate(store, task, pod);
        if (!d) {
            throw std::runtime_error("allocate failed: " + d.error().message());
        }
        if (pod_dispatcher::detail::contains(d.value().pod_ids, pod.id)) {
            start_pod(store, pod.id);
            group_pods.push_back(pod.id);
            ++pods_started_;
        }
    }

    static void start_pod(S& store, const std::string& pod_id)
    {
        Pod running;
        running.status = PodStatus::running;
        const Pod any;
        const auto started =
            store.update_pod(FieldUpdate<Pod>{pod_id, {}, any, FieldSet<Pod>::of(&Pod::status), running});
        if (!started || !started.value()) {
            throw std::runtime_error("starting pod " + pod_id + " failed");
        }
    }

    Grouping grouping_;
    std::size_t pods_started_ = 0;
};

} // namespace pod_dispatcher::bench

#endif
