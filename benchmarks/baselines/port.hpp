#ifndef POD_DISPATCHER_BENCH_BASELINES_PORT_HPP
#define POD_DISPATCHER_BENCH_BASELINES_PORT_HPP

// Baseline (b): a straightforward port of the reference design. One std::mutex guards
// everything; documents are boost::json::values in std::maps, with std::map indexes from
// pod and group to dispatcher (the reference's database indexes). Every operation copies
// each document it reads out whole and decodes it, and encodes and writes back whole each
// document it changes, the dispatcher included, as the reference does with its database.
// The rules and document transitions are the library's own, so that only the storage
// design differs.

#include "baselines/seeding_calls.hpp"
#include "support/timing.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <map>

namespace pod_dispatcher::bench {

class PortStore : public SeedingCalls<PortStore> {
public:
    /// A task, pod or project ref, written into its collection.
    template <class T>
    Result<void> insert_document(const T& doc)
    {
        std::scoped_lock lock{mutex_};
        write(collection_of<T>(tasks_, pods_, project_refs_), doc);
        return boost::outcome_v2::success();
    }

    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        std::scoped_lock lock{mutex_};
        write_dispatcher(d);
        return boost::outcome_v2::success();
    }

    Result<std::optional<Task>> dispatch(const std::string& pod_id)
    {
        std::scoped_lock lock{mutex_};
        auto pod = read<Pod>(pods_, pod_id);
        auto d = dispatcher_holding(pod_id);
        if (!pod || !d) {
            return Errc::not_found;
        }
        if (pod->status != PodStatus::running || !pod->running_task_id.empty()) {
            return Errc::precondition_failed;
        }
        const Timestamp at = now();
        while (!d->task_ids.empty()) {
            auto task = read<Task>(tasks_, d->task_ids.front());
            if (task && may_run(*task)) {
                return dispatch(*d, *task, *pod, at);
            }
            if (task && task->container_allocated) {
                write(tasks_, changed(*task, detail::release()));
                record(detail::task_event(*task, EventType::container_deallocated, at));
            }
            dequeue(*d, at);
        }
        return std::nullopt;
    }

    Result<void> allocate(Task& task, Pod& pod)
    {
        std::scoped_lock lock{mutex_};
        auto stored = read<Task>(tasks_, task.id);
        if (!stored || !should_allocate_container(*stored)) {
            return Errc::precondition_failed;
        }
        const Timestamp at = now();
        const auto group = dispatcher_of_group_.find(get_group_id(*stored));
        PodDispatcher d = group == dispatcher_of_group_.end() ? new_pod_dispatcher(get_group_id(*stored), {}, {})
                                                              : *read<PodDispatcher>(dispatchers_, group->second);
        if (!detail::contains(d.task_ids, task.id)) {
            d.task_ids.push_back(task.id);
        }
        if (!detail::contains(d.pod_ids, pod.id) && takes_another_pod(d.pod_ids.size(), d.task_ids.size(), *stored)) {
            d.pod_ids.push_back(pod.id);
        }
        detail::advance(d, at);
        write_dispatcher(d);
        if (detail::contains(d.pod_ids, pod.id)) {
            write(pods_, pod);
        }
        task = changed(*stored, detail::allocation(*stored, at));
        write(tasks_, task);
        record(detail::task_event(task, EventType::container_allocated, at));
        return boost::outcome_v2::success();
    }

    Result<std::optional<PodDispatcher>> find_by_pod_id(const std::string& pod_id)
    {
        std::scoped_lock lock{mutex_};
        return dispatcher_holding(pod_id);
    }

    Result<void> remove_pod(PodDispatcher& d, const std::string& pod_id)
    {
        std::scoped_lock lock{mutex_};
        auto stored = read<PodDispatcher>(dispatchers_, d.id);
        if (!stored || stored->modification_count != d.modification_count) {
            return Errc::conflict;
        }
        const Timestamp at = now();
        std::erase(stored->pod_ids, pod_id);
        pod_owner_.erase(pod_id);
        if (stored->pod_ids.empty()) {
            release_queue(stored->task_ids, at);
            stored->task_ids.clear();
        }
        detail::advance(*stored, at);
        write_dispatcher(*stored);
        d = std::move(*stored);
        return boost::outcome_v2::success();
    }

private:
    /// doc with change applied, through the library's own field-level write.
    template <class D>
    static D changed(D doc, const detail::Change<D>& change)
    {
        apply_changes(doc, change.under(doc, {}));
        return doc;
    }

    using Collection = std::map<std::string, boost::json::value, std::less<>>;

    /// The document copied out of its collection and decoded, as a database read does.
    template <class T>
    static std::optional<T> read(const Collection& collection, const std::string& id)
    {
        const auto it = collection.find(id);
        if (it == collection.end()) {
            return std::nullopt;
        }
        const boost::json::value copy = it->second;
        return boost::json::value_to<T>(copy);
    }

    template <class T>
    static void write(Collection& collection, const T& doc)
    {
        collection[doc.id] = boost::json::value_from(doc);
    }

    void write_dispatcher(const PodDispatcher& d)
    {
        write(dispatchers_, d);
        dispatcher_of_group_.try_emplace(d.group_id, d.id);
        for (const std::string& pod : d.pod_ids) {
            pod_owner_.try_emplace(pod, d.id);
        }
    }

    std::optional<PodDispatcher> dispatcher_holding(const std::string& pod_id) const
    {
        const auto owner = pod_owner_.find(pod_id);
        return owner == pod_owner_.end() ? std::nullopt : read<PodDispatcher>(dispatchers_, owner->second);
    }

    void record(const Event& event) { events_.push_back(boost::json::value_from(event)); }

    bool may_run(const Task& task) const
    {
        const auto project = read<ProjectRef>(project_refs_, task.project);
        return is_container_dispatchable(task) && project && project_allows_dispatch(*project, task.requester);
    }

    void dequeue(PodDispatcher& d, Timestamp at)
    {
        d.task_ids.erase(d.task_ids.begin());
        detail::advance(d, at);
        write_dispatcher(d);
    }

    Task dispatch(PodDispatcher& d, const Task& task, const Pod& pod, Timestamp at)
    {
        const Task task_after = changed(task, detail::dispatch_to(pod, at));
        const Pod pod_after = changed(pod, detail::start(task_after, status_after_dispatch(task, pod.status), at));
        write(tasks_, task_after);
        write(pods_, pod_after);
        dequeue(d, at);
        boost::container::small_vector<Event, 3> events;
        detail::record_dispatch(events, task_after, pod_after, pod.status, at);
        for (const Event& e : events) {
            record(e);
        }
        return task_after;
    }

    void release_queue(const std::vector<std::string>& task_ids, Timestamp at)
    {
        for (const std::string& id : task_ids) {
            auto task = read<Task>(tasks_, id);
            if (!task || !task->container_allocated) {
                continue;
            }
            const bool exhausted = allocation_exhausted(*task);
            const Task after = changed(*task, exhausted ? detail::system_failure(detail::unallocatable) : detail::release());
            if (exhausted) {
                record(detail::system_failed_event(after, at));
            }
            write(tasks_, after);
            record(detail::task_event(after, EventType::container_deallocated, at));
        }
    }

    std::mutex mutex_;
    Collection dispatchers_;
    Collection tasks_;
    Collection pods_;
    Collection project_refs_;
    std::map<std::string, std::string, std::less<>> pod_owner_;
    std::map<std::string, std::string, std::less<>> dispatcher_of_group_;
    std::vector<boost::json::value> events_;
};

inline void dispatch_for(PortStore& store, const std::string& pod, Tally& tally)
{
    record(tally, store.dispatch(pod), pod);
}

inline void find_for(PortStore& store, const std::string& pod, Tally& tally)
{
    auto found = store.find_by_pod_id(pod);
    keep(found);
    record(tally, found, "find_by_pod_id");
}

inline void allocate_for(PortStore& store, Task& task, Pod& pod, Tally& tally)
{
    record(tally, store.allocate(task, pod), "allocate");
}

inline void remove_last_pod_for(PortStore& store, PodDispatcher& d, Tally& tally)
{
    const std::string pod = d.pod_ids.front();
    record(tally, store.remove_pod(d, pod), "remove_pod");
}

} // namespace pod_dispatcher::bench

#endif
