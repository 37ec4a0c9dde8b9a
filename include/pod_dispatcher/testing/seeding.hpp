#ifndef POD_DISPATCHER_TESTING_SEEDING_HPP
#define POD_DISPATCHER_TESTING_SEEDING_HPP

// Putting documents into a store for a test, and reading them back.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace pod_dispatcher::testing {

/// Stores what a test needs; any failure here is a broken test, not a finding.
template <TestableStore S, class Document>
void seed(S& store, const Document& doc)
{
    if constexpr (std::is_same_v<Document, Task>) {
        REQUIRE(store.insert_task(doc));
    } else if constexpr (std::is_same_v<Document, Pod>) {
        REQUIRE(store.insert_pod(doc));
    } else if constexpr (std::is_same_v<Document, ProjectRef>) {
        REQUIRE(store.insert_project_ref(doc));
    } else {
        static_assert(std::is_same_v<Document, PodDispatcher>, "seed takes a task, pod, project ref or dispatcher");
        REQUIRE(doc.insert(store));
    }
}

/// Stores pod running task, as a dispatch leaves them, without the dispatch's events and
/// with the pod heard from when pod says.
template <TestableStore S>
void seed_running(S& store, Pod pod, Task task)
{
    task.status = TaskStatus::dispatched;
    task.pod_id = pod.id;
    task.agent_version = pod.agent_version;
    pod.running_task_id = task.id;
    pod.running_task_execution = task.execution;
    seed(store, task);
    seed(store, pod);
}

/// A new dispatcher of group "group", stored.
template <TestableStore S>
PodDispatcher seeded_dispatcher(S& store, std::vector<std::string> task_ids, std::vector<std::string> pod_ids)
{
    PodDispatcher d = new_pod_dispatcher("group", std::move(task_ids), std::move(pod_ids));
    seed(store, d);
    return d;
}

/// The document a lookup must find.
template <class T>
T required(Result<std::optional<T>> found)
{
    REQUIRE(found);
    REQUIRE(found.value());
    return std::move(*found.value());
}

template <Store S>
Task stored_task(S& store, std::string_view id)
{
    return required(store.find_task(id));
}

template <Store S>
Pod stored_pod(S& store, std::string_view id)
{
    return required(store.find_pod(id));
}

template <Store S>
PodDispatcher stored_dispatcher(S& store, std::string_view id)
{
    return required(find_one_by_id(store, id));
}

/// Requires t to be the time of a call made since `since`: no earlier, and no later than
/// now.
inline void require_stamped_since(Timestamp t, Timestamp since)
{
    const Timestamp until = now();
    CAPTURE(since, until);
    REQUIRE(t >= since);
    REQUIRE(t <= until);
}

/// The stored pod's last_communicated, which a call made since `since` must have set to
/// its own time.
template <Store S>
Timestamp require_heard_since(S& store, std::string_view pod_id, Timestamp since)
{
    const Pod pod = stored_pod(store, pod_id);
    CAPTURE(pod);
    require_stamped_since(pod.last_communicated, since);
    return pod.last_communicated;
}

/// Everything the store holds.
template <TestableStore S>
StoreContents contents_of(S& store)
{
    auto contents = store.snapshot();
    REQUIRE(contents);
    return std::move(contents).value();
}

/// The events recorded for a task or pod, oldest first.
template <TestableStore S>
std::vector<Event> events_of(S& store, std::string_view resource_id)
{
    std::vector<Event> found;
    for (Event& e : contents_of(store).events) {
        if (e.resource_id == resource_id) {
            found.push_back(std::move(e));
        }
    }
    return found;
}

/// The types of the events recorded for a task or pod, oldest first.
template <TestableStore S>
std::vector<EventType> event_types(S& store, std::string_view resource_id)
{
    std::vector<EventType> types;
    for (const Event& e : events_of(store, resource_id)) {
        types.push_back(e.type);
    }
    return types;
}

/// The reason a pod was terminated for: the reason its last pod_status_changed event
/// carries, which must be one to terminated.
template <TestableStore S>
std::string termination_reason(S& store, std::string_view pod_id)
{
    const auto events = events_of(store, pod_id);
    REQUIRE_FALSE(events.empty());
    const auto* change = std::get_if<StatusChangeData>(&events.back().data);
    REQUIRE(events.back().type == EventType::pod_status_changed);
    REQUIRE(change != nullptr);
    REQUIRE(change->new_status == PodStatus::terminated);
    return change->reason;
}

/// The task dispatch_next_task hands the pod; it must hand one.
template <Store S>
Task handed(S& store, std::string_view pod_id)
{
    auto task = dispatch_next_task(store, pod_id);
    REQUIRE(task);
    REQUIRE(task.value());
    return *task.value();
}

/// Sets a stored pod's status, as the system that starts pods would.
template <Store S>
void set_pod_status(S& store, std::string_view pod_id, PodStatus status)
{
    Pod values;
    values.status = status;
    const Pod any;
    const auto changed = store.update_pod(FieldUpdate<Pod>{pod_id, {}, any, FieldSet<Pod>::of(&Pod::status), values});
    REQUIRE(changed);
    REQUIRE(changed.value());
}

/// Overwrites a stored task or pod whole, as the system that owns it would.
template <Store S, class Document>
void overwrite(S& store, const Document& doc)
{
    static_assert(std::is_same_v<Document, Task> || std::is_same_v<Document, Pod>, "overwrite takes a task or a pod");
    const FieldUpdate<Document> whole{doc.id, {}, doc, FieldSet<Document>::all(), doc};
    const auto written = [&] {
        if constexpr (std::is_same_v<Document, Task>) {
            return store.update_task(whole);
        } else {
            return store.update_pod(whole);
        }
    }();
    REQUIRE(written);
    REQUIRE(written.value());
}

} // namespace pod_dispatcher::testing

#endif
