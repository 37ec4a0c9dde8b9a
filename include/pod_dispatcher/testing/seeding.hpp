#ifndef POD_DISPATCHER_TESTING_SEEDING_HPP
#define POD_DISPATCHER_TESTING_SEEDING_HPP

// Putting documents into a store for a test, and reading them back.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
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

/// Overwrites a stored task whole, as the system that owns tasks would.
template <Store S>
void overwrite_task(S& store, const Task& task)
{
    const auto written =
        store.update_task(FieldUpdate<Task>{task.id, {}, task, FieldSet<Task>::all(), task});
    REQUIRE(written);
    REQUIRE(written.value());
}

} // namespace pod_dispatcher::testing

#endif
