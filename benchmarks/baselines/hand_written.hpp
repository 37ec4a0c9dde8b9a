#ifndef POD_DISPATCHER_BENCH_BASELINES_HAND_WRITTEN_HPP
#define POD_DISPATCHER_BENCH_BASELINES_HAND_WRITTEN_HPP

// The hand-written baseline: what a C++ engineer writes for these rules when genericity
// is no concern. The rules of dispatch_next_task, assign_next_task and allocate, written
// directly against plain hash maps under one std::mutex: no Store concept, no unit of
// work, no stripes. It does the same work as the library: it reads and writes the same
// documents, records the same events, returns the whole Task (or dispatcher), and writes
// nothing on failure, because it decides everything before it writes anything. What the
// library costs over it is the price of its genericity.
//
// It keeps no index of pods by status and age (MemoryStore's, for rescue_stale_pods),
// since it offers no rescue: that upkeep counts against the library here.

#include "baselines/seeding_calls.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace pod_dispatcher::bench {

class HandWrittenStore : public SeedingCalls<HandWrittenStore> {
public:
    // ---- Seeding.

    /// A task, pod or project ref, new to the store.
    template <class D>
    Result<void> insert_document(const D& doc)
    {
        std::scoped_lock lock{mutex_};
        if (!collection_of<D>(tasks_, pods_, project_refs_).try_emplace(doc.id, doc).second) {
            return Errc::duplicate_key;
        }
        return boost::outcome_v2::success();
    }

    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        std::scoped_lock lock{mutex_};
        if (dispatchers_.contains(d.id) || by_group_.contains(d.group_id)) {
            return Errc::duplicate_key;
        }
        add_dispatcher(Dispatcher{d.id, d.group_id, d.pod_ids, {d.task_ids.begin(), d.task_ids.end()},
                                  d.modification_count, d.last_modified});
        return boost::outcome_v2::success();
    }

    // ---- The operations, with the library's errors.

    Result<std::optional<Task>> dispatch_next_task(std::string_view pod_id)
    {
        if (pod_id.empty()) {
            return Errc::invalid_argument;
        }
        std::scoped_lock lock{mutex_};
        Pod* pod = find(pods_, pod_id);
        const auto owner = by_pod_.find(pod_id);
        if (owner == by_pod_.end()) {
            return pod_refusal(pod, Errc::pod_busy).value_or(Errc::pod_not_in_dispatcher);
        }
        if (const auto why = pod_refusal(pod, Errc::pod_busy)) {
            return *why;
        }
        Dispatcher& d = *owner->second;
        const Walk walk = walk_queue(d.queue, pod_id);
        return write(walk, &d, pod, now());
    }

    Result<std::optional<Task>> assign_next_task(PodDispatcher& copy, Pod& caller_pod)
    {
        if (copy.id.empty() || copy.group_id.empty() || copy.modification_count < 0 || caller_pod.id.empty()) {
            return Errc::invalid_argument;
        }
        if (!caller_pod.running_task_id.empty()) {
            return Errc::pod_busy;
        }
        std::scoped_lock lock{mutex_};
        const Walk walk = walk_queue(copy.task_ids, caller_pod.id);
        Dispatcher* d = find(dispatchers_, copy.id);
        // A walk that took nothing off the queue writes no dispatcher, so checks no version.
        if (walk.examined > 0 && !(d != nullptr && is_version(*d, copy) && starts_with(d->queue, copy.task_ids, walk.examined))) {
            return Errc::conflict;
        }
        Pod* pod = find(pods_, caller_pod.id);
        if (const auto why = walk.candidate != nullptr ? pod_refusal(pod, Errc::precondition_failed) : refusal_if_dead(pod)) {
            return *why;
        }
        const Timestamp at = now();
        auto task = write(walk, d, pod, at);
        copy.task_ids.erase(copy.task_ids.begin(), copy.task_ids.begin() + static_cast<std::ptrdiff_t>(walk.examined));
        if (walk.examined > 0) {
            copy.modification_count += static_cast<std::int64_t>(walk.examined);
            copy.last_modified = at;
        }
        if (pod != nullptr) {
            caller_pod = *pod;
        }
        return task;
    }

    Result<PodDispatcher> allocate(Task& task, Pod& pod)
    {
        if (task.id.empty() || pod.id.empty()) {
            return Errc::invalid_argument;
        }
        std::scoped_lock lock{mutex_};
        Task* stored = find(tasks_, task.id);
        if (stored == nullptr) {
            return Errc::not_found;
        }
        if (!should_allocate_container(*stored)) {
            return Errc::precondition_failed;
        }
        std::string group = get_group_id(*stored);
        Dispatcher* const* grouped = find(by_group_, group);
        Dispatcher* d = grouped == nullptr ? nullptr : *grouped;
        const std::optional<std::size_t> position = d == nullptr ? std::optional<std::size_t>{0} : queue_position(*d, *stored);
        const std::size_t pods = d == nullptr ? 0 : d->pod_ids.size();
        const std::size_t tasks = (d == nullptr ? 0 : d->queue.size()) + (position ? 1 : 0);
        const bool holds_pod = d != nullptr && std::ranges::find(d->pod_ids, pod.id) != d->pod_ids.end();
        const bool pod_joins = !holds_pod && takes_another_pod(pods, tasks, *stored);
        if ((holds_pod || pod_joins) && (pods_.contains(pod.id) || (pod_joins && by_pod_.contains(pod.id)))) {
            return Errc::duplicate_key;
        }
        // Decided: from here on nothing fails.
        const Timestamp at = now();
        if (d == nullptr) {
            d = &add_dispatcher(Dispatcher{new_pod_dispatcher(group, {}, {}).id, std::move(group)});
        }
        if (position) {
            d->queue.insert(d->queue.begin() + static_cast<std::ptrdiff_t>(*position), stored->id);
        }
        if (pod_joins) {
            d->pod_ids.push_back(pod.id);
            by_pod_.emplace(pod.id, d);
        }
        ++d->modification_count;
        d->last_modified = at;
        if (holds_pod || pod_joins) {
            if (pod.last_communicated == Timestamp{}) {
                pod.last_communicated = at;
            }
            pods_.emplace(pod.id, pod);
        }
        stored->container_allocated = true;
        stored->container_allocated_time = at;
        ++stored->container_allocation_attempts;
        events_.push_back(Event{stored->id, EventType::container_allocated, at, AllocationData{stored->execution}});
        task = *stored;
        return d->document();
    }

    /// Everything the store holds, as StoreContents orders it.
    StoreContents snapshot() const
    {
        std::scoped_lock lock{mutex_};
        StoreContents contents;
        for (const auto& [id, d] : dispatchers_) {
            contents.dispatchers.push_back(d.document());
        }
        contents.tasks = values(tasks_);
        contents.pods = values(pods_);
        contents.project_refs = values(project_refs_);
        contents.events = events_;
        sort_contents(contents);
        return contents;
    }

private:
    struct Dispatcher {
        std::string id;
        std::string group_id;
        std::vector<std::string> pod_ids{};
        std::deque<std::string> queue{}; ///< A deque: a dispatch pops the front.
        std::int64_t modification_count = 0;
        Timestamp last_modified{};

        PodDispatcher document() const
        {
            return PodDispatcher{id, group_id, pod_ids, {queue.begin(), queue.end()}, modification_count, last_modified};
        }
    };

    /// What a pod's walk down a queue decided: how many ids it takes off, the task the pod
    /// runs (if any), and the allocated tasks it skipped, to be released.
    struct Walk {
        std::size_t examined = 0;
        Task* candidate = nullptr;
        std::vector<Task*> releases{};
    };

    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    template <class V>
    using Map = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

    template <class V>
    static V* find(Map<V>& map, std::string_view id)
    {
        const auto it = map.find(id);
        return it == map.end() ? nullptr : &it->second;
    }

    template <class V>
    static std::vector<V> values(const Map<V>& map)
    {
        std::vector<V> all;
        for (const auto& [id, v] : map) {
            all.push_back(v);
        }
        return all;
    }

    Dispatcher& add_dispatcher(Dispatcher d)
    {
        Dispatcher& added = dispatchers_.try_emplace(d.id, std::move(d)).first->second;
        by_group_.emplace(added.group_id, &added);
        for (const std::string& pod : added.pod_ids) {
            by_pod_.emplace(pod, &added);
        }
        return added;
    }

    static bool is_version(const Dispatcher& d, const PodDispatcher& copy)
    {
        return d.group_id == copy.group_id && d.modification_count == copy.modification_count;
    }

    static bool starts_with(const std::deque<std::string>& queue, const std::vector<std::string>& ids, std::size_t n)
    {
        return n <= queue.size() && std::equal(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), queue.begin());
    }

    /// assign_next_task with no task for the pod refuses only a terminated pod.
    static std::optional<Errc> refusal_if_dead(const Pod* pod)
    {
        return pod != nullptr && pod->status == PodStatus::terminated ? std::optional{Errc::precondition_failed}
                                                                      : std::nullopt;
    }

    bool may_run(const Task& task)
    {
        if (!is_container_dispatchable(task)) {
            return false;
        }
        const ProjectRef* project = find(project_refs_, task.project);
        return project != nullptr && project_allows_dispatch(*project, task.requester);
    }

    /// The pod's last task failed in task's single-host group, which then runs no more.
    bool group_stopped(const Task& task, std::string_view pod_id)
    {
        const Pod* pod = find(pods_, pod_id);
        const Task* last = pod == nullptr || pod->last_task_id.empty() ? nullptr : find(tasks_, pod->last_task_id);
        return last != nullptr && stops_group_of(*last, task);
    }

    /// Reads ids from the front until a task the pod may run turns up.
    template <class Ids>
    Walk walk_queue(const Ids& ids, std::string_view pod_id)
    {
        Walk walk;
        bool stopping = false;
        bool first = true;
        for (const std::string& id : ids) {
            ++walk.examined;
            Task* task = find(tasks_, id);
            if (task == nullptr) {
                continue;
            }
            if (std::exchange(first, false) && in_single_host_group(*task)) {
                stopping = group_stopped(*task, pod_id);
            }
            if (!stopping && may_run(*task)) {
                walk.candidate = task;
                return walk;
            }
            if (task->container_allocated) {
                walk.releases.push_back(task);
            }
        }
        return walk;
    }

    /// Writes what walk decided for pod on dispatcher d (which a walk that examined nothing
    /// does not need): the pod starts the task (or is heard from), skipped tasks are
    /// released, the task is dispatched, the ids dequeued.
    std::optional<Task> write(const Walk& walk, Dispatcher* d, Pod* pod, Timestamp at)
    {
        if (pod != nullptr) {
            pod->last_communicated = at;
        }
        for (Task* skipped : walk.releases) {
            skipped->container_allocated = false;
            skipped->container_allocated_time = {};
            events_.push_back(Event{skipped->id, EventType::container_deallocated, at, AllocationData{skipped->execution}});
        }
        std::optional<Task> dispatched;
        if (walk.candidate != nullptr) {
            dispatched = dispatch(*walk.candidate, *pod, at);
        }
        if (walk.examined > 0) {
            d->queue.erase(d->queue.begin(), d->queue.begin() + static_cast<std::ptrdiff_t>(walk.examined));
            d->modification_count += static_cast<std::int64_t>(walk.examined);
            d->last_modified = at;
        }
        return dispatched;
    }

    Task dispatch(Task& task, Pod& pod, Timestamp at)
    {
        const PodStatus before = pod.status;
        pod.status = status_after_dispatch(task, before);
        pod.running_task_id = task.id;
        pod.running_task_execution = task.execution;
        task.status = TaskStatus::dispatched;
        task.dispatch_time = at;
        task.last_heartbeat = at;
        task.pod_id = pod.id;
        task.agent_version = pod.agent_version;
        events_.push_back(Event{task.id, EventType::task_dispatched, at, DispatchData{pod.id, task.execution}});
        events_.push_back(Event{pod.id, EventType::pod_assigned_task, at, AssignmentData{task.id, task.execution}});
        if (pod.status != before) {
            events_.push_back(Event{pod.id, EventType::pod_status_changed, at, StatusChangeData{before, pod.status, {}}});
        }
        roll_up_display_task(task.display_task_id, at);
        return task;
    }

    void roll_up_display_task(const std::string& display_id, Timestamp at)
    {
        Task* display = display_id.empty() ? nullptr : find(tasks_, display_id);
        if (display != nullptr && display->status == TaskStatus::undispatched) {
            display->status = TaskStatus::dispatched;
            display->dispatch_time = at;
        }
    }

    /// Where task joins d's queue: the end, or in a task group after every queued task of
    /// no higher task_group_order (the queue is kept in that order); none when it is
    /// queued already.
    std::optional<std::size_t> queue_position(const Dispatcher& d, const Task& task)
    {
        if (std::ranges::find(d.queue, task.id) != d.queue.end()) {
            return std::nullopt;
        }
        if (!in_task_group(task)) {
            return d.queue.size();
        }
        const auto order_of = [this](const std::string& id) {
            const Task* queued = find(tasks_, id);
            return queued == nullptr ? INT32_MIN : queued->task_group_order;
        };
        const auto after = std::ranges::upper_bound(d.queue, task.task_group_order, {}, order_of);
        return static_cast<std::size_t>(after - d.queue.begin());
    }

    mutable std::mutex mutex_;
    Map<Task> tasks_;
    Map<Pod> pods_;
    Map<ProjectRef> project_refs_;
    Map<Dispatcher> dispatchers_; ///< By id; nodes stay put, so the indexes point at them.
    Map<Dispatcher*> by_group_;
    Map<Dispatcher*> by_pod_;
    std::vector<Event> events_;
};

inline void dispatch_for(HandWrittenStore& store, const std::string& pod, Tally& tally)
{
    record(tally, store.dispatch_next_task(pod), pod);
}

/// For rows on one thread: there a conflict is a problem, not a race lost.
inline void assign_for(HandWrittenStore& store, PodDispatcher& d, Pod& pod, Tally& tally)
{
    record(tally, store.assign_next_task(d, pod), pod.id);
}

inline void allocate_for(HandWrittenStore& store, Task& task, Pod& pod, Tally& tally)
{
    record(tally, store.allocate(task, pod), "allocate");
}

} // namespace pod_dispatcher::bench

#endif
