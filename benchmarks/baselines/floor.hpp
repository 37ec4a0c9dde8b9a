#ifndef POD_DISPATCHER_BENCH_BASELINES_FLOOR_HPP
#define POD_DISPATCHER_BENCH_BASELINES_FLOOR_HPP

// Baseline (a), the floor: the least any correct in-memory dispatch can cost. A dispatch
// looks up the pod's dispatcher, pops a task id from its std::deque<std::string> under
// its std::mutex, and sets two fields of the task in an unordered_map. No events, no
// rules, no undo: what is left when everything a dispatcher must do beyond that is free.

#include "support/library_ops.hpp"
#include "support/timing.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace pod_dispatcher::bench {

class FloorStore {
public:
    Result<void> insert_task(const Task& task)
    {
        tasks_.try_emplace(task.id, TaskFields{task.status, {}, task.container_allocated,
                                               task.container_allocation_attempts});
        return boost::outcome_v2::success();
    }

    Result<void> insert_pod(const Pod&) { return boost::outcome_v2::success(); }
    Result<void> insert_project_ref(const ProjectRef&) { return boost::outcome_v2::success(); }

    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        Dispatcher& added = add(d.group_id);
        added.queue.assign(d.task_ids.begin(), d.task_ids.end());
        for (const std::string& pod : d.pod_ids) {
            dispatcher_of_pod_.try_emplace(pod, &added);
        }
        return boost::outcome_v2::success();
    }

    /// The id of the task handed to pod, or none. The maps' shapes are fixed after
    /// seeding, so concurrent dispatches touch only their dispatcher and their task.
    std::optional<std::string> dispatch(const std::string& pod)
    {
        Dispatcher& d = *dispatcher_of_pod_.find(pod)->second;
        std::scoped_lock lock{d.mutex};
        if (d.queue.empty()) {
            return std::nullopt;
        }
        std::string task_id = std::move(d.queue.front());
        d.queue.pop_front();
        TaskFields& task = tasks_.find(task_id)->second;
        task.status = TaskStatus::dispatched;
        task.pod_id = pod;
        return task_id;
    }

    /// Creates the task's dispatcher, queues the task and marks it allocated.
    bool allocate(const Task& task, const Pod& pod)
    {
        std::scoped_lock lock{mutex_};
        Dispatcher& d = add(task.id);
        d.queue.push_back(task.id);
        dispatcher_of_pod_.try_emplace(pod.id, &d);
        TaskFields& fields = tasks_.find(task.id)->second;
        fields.container_allocated = true;
        ++fields.container_allocation_attempts;
        return true;
    }

private:
    // A cache line each, so that threads on neighbouring dispatchers do not slow each other.
    struct alignas(64) Dispatcher {
        std::mutex mutex;
        std::deque<std::string> queue; ///< Guarded by mutex.
    };

    struct TaskFields {
        TaskStatus status;
        std::string pod_id;
        bool container_allocated;
        int container_allocation_attempts;
    };

    Dispatcher& add(const std::string& group)
    {
        auto& slot = dispatchers_[group];
        slot = std::make_unique<Dispatcher>();
        return *slot;
    }

    std::mutex mutex_; ///< Guards the maps' shapes during allocate.
    std::unordered_map<std::string, std::unique_ptr<Dispatcher>> dispatchers_; ///< By group id.
    std::unordered_map<std::string, Dispatcher*> dispatcher_of_pod_;
    std::unordered_map<std::string, TaskFields> tasks_;
};

inline void dispatch_for(FloorStore& store, const std::string& pod, Tally& tally)
{
    auto task = store.dispatch(pod);
    if (!task) {
        return tally.problems.push_back("no task for " + pod + " although tasks were queued");
    }
    ++tally.ops;
    tally.dispatched.push_back(std::move(*task));
}

inline void allocate_for(FloorStore& store, Task& task, Pod& pod, Tally& tally)
{
    tally.ops += store.allocate(task, pod) ? 1 : 0;
}

} // namespace pod_dispatcher::bench

#endif
