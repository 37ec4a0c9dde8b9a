#ifndef POD_DISPATCHER_STORE_CONTENTS_HPP
#define POD_DISPATCHER_STORE_CONTENTS_HPP

// A whole store's contents, for inspection and tests; not part of the Store concept.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>

#include <algorithm>
#include <vector>

namespace pod_dispatcher {

/// Everything a store holds: each kind sorted by id, events by resource id and then in
/// the order they were appended. Two equal contents mean nothing was written.
struct StoreContents {
    std::vector<PodDispatcher> dispatchers{};
    std::vector<Task> tasks{};
    std::vector<Pod> pods{};
    std::vector<ProjectRef> project_refs{};
    std::vector<Event> events{};

    bool operator==(const StoreContents&) const = default;
};

/// Puts contents in the order StoreContents promises, given each kind as a store read it
/// and events of each resource in the order they were appended.
inline void sort_contents(StoreContents& contents)
{
    std::ranges::sort(contents.dispatchers, {}, &PodDispatcher::id);
    std::ranges::sort(contents.tasks, {}, &Task::id);
    std::ranges::sort(contents.pods, {}, &Pod::id);
    std::ranges::sort(contents.project_refs, {}, &ProjectRef::id);
    std::ranges::stable_sort(contents.events, {}, &Event::resource_id);
}

} // namespace pod_dispatcher

#endif
