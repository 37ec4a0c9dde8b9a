#ifndef POD_DISPATCHER_TESTING_CHECKED_CONTENTS_HPP
#define POD_DISPATCHER_TESTING_CHECKED_CONTENTS_HPP

// A store's contents next to its baseline, what it held before the calls under check
// began, indexed once for the invariants (invariants.hpp): documents by id, the dispatcher
// queuing each task and holding each pod, and each document's events, those since the
// baseline apart.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/store_contents.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace pod_dispatcher::testing {

/// A store's contents now and at its baseline, indexed once for every invariant. It
/// refers to both, which must outlive it.
class CheckedContents {
public:
    CheckedContents(const StoreContents& now, const StoreContents& baseline) : now_(now), baseline_(baseline)
    {
        index(now.tasks, tasks_);
        index(now.pods, pods_);
        index(now.dispatchers, dispatchers_);
        index(baseline.tasks, tasks_before_);
        index(baseline.pods, pods_before_);
        for (const PodDispatcher& d : now.dispatchers) {
            for (const std::string& id : d.task_ids) {
                queued_in_.try_emplace(id, &d);
            }
            for (const std::string& id : d.pod_ids) {
                held_by_.try_emplace(id, &d);
            }
        }
        // Both lists are sorted by resource, each resource's events in the order appended.
        for (std::size_t i = 0; i < now.events.size(); ++i) {
            auto [it, first] = events_.try_emplace(now.events[i].resource_id, i, 0);
            ++it->second.second;
        }
        for (const Event& e : baseline.events) {
            ++events_before_[e.resource_id];
        }
    }

    const StoreContents& now() const noexcept { return now_; }
    const StoreContents& baseline() const noexcept { return baseline_; }

    const Task* task(std::string_view id) const { return find(tasks_, id); }
    const Pod* pod(std::string_view id) const { return find(pods_, id); }
    const PodDispatcher* dispatcher(std::string_view id) const { return find(dispatchers_, id); }
    const Task* task_before(std::string_view id) const { return find(tasks_before_, id); }
    const Pod* pod_before(std::string_view id) const { return find(pods_before_, id); }

    /// A dispatcher whose queue holds the task (the first by id, where several do).
    const PodDispatcher* queuing(std::string_view task_id) const { return find(queued_in_, task_id); }
    /// A dispatcher that holds the pod (the first by id, where several do).
    const PodDispatcher* holding(std::string_view pod_id) const { return find(held_by_, pod_id); }

    /// Every event of a task or pod, in the order appended.
    std::span<const Event> events_of(std::string_view resource) const
    {
        const auto it = events_.find(resource);
        if (it == events_.end()) {
            return {};
        }
        return std::span<const Event>(now_.events).subspan(it->second.first, it->second.second);
    }

    /// The events of a task or pod appended since the baseline.
    std::span<const Event> new_events_of(std::string_view resource) const
    {
        const std::span<const Event> all = events_of(resource);
        const auto before = events_before_.find(resource);
        const std::size_t old = before == events_before_.end() ? 0 : before->second;
        return old >= all.size() ? std::span<const Event>{} : all.subspan(old);
    }

    /// How execution of task_id ended on pod_id, by the task_finished event naming both.
    std::optional<TaskStatus> finish_on(std::string_view task_id, int execution, std::string_view pod_id) const
    {
        for (const Event& e : events_of(task_id)) {
            const auto* data = e.type == EventType::task_finished ? std::get_if<FinishData>(&e.data) : nullptr;
            if (data != nullptr && data->execution == execution && data->pod_id == pod_id) {
                return data->status;
            }
        }
        return std::nullopt;
    }

private:
    template <class T>
    using ById = std::unordered_map<std::string_view, const T*>;

    template <class T>
    static void index(const std::vector<T>& documents, ById<T>& by_id)
    {
        by_id.reserve(documents.size());
        for (const T& d : documents) {
            by_id.emplace(d.id, &d);
        }
    }

    template <class T>
    static const T* find(const ById<T>& by_id, std::string_view id)
    {
        const auto it = by_id.find(id);
        return it == by_id.end() ? nullptr : it->second;
    }

    const StoreContents& now_;
    const StoreContents& baseline_;
    ById<Task> tasks_;
    ById<Pod> pods_;
    ById<PodDispatcher> dispatchers_;
    ById<Task> tasks_before_;
    ById<Pod> pods_before_;
    ById<PodDispatcher> queued_in_;
    ById<PodDispatcher> held_by_;
    /// Resource id -> (index of its first event, how many) in now().events.
    std::unordered_map<std::string_view, std::pair<std::size_t, std::size_t>> events_;
    std::unordered_map<std::string_view, std::size_t> events_before_;
};

} // namespace pod_dispatcher::testing

#endif
