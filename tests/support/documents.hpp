#ifndef POD_DISPATCHER_TESTS_DOCUMENTS_HPP
#define POD_DISPATCHER_TESTS_DOCUMENTS_HPP

// Sample documents, and helpers that seed a store and read it back.

#include "support/sample_documents.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <type_traits>
#include <vector>

namespace pod_dispatcher::test {

using namespace samples;

/// Stores what a test needs; any failure here is a broken test, not a finding.
template <class S, class Document>
void seed(S& store, const Document& doc)
{
    if constexpr (std::is_same_v<Document, Task>) {
        REQUIRE(store.insert_task(doc));
    } else if constexpr (std::is_same_v<Document, Pod>) {
        REQUIRE(store.insert_pod(doc));
    } else if constexpr (std::is_same_v<Document, ProjectRef>) {
        REQUIRE(store.insert_project_ref(doc));
    } else {
        REQUIRE(doc.insert(store));
    }
}

/// A new dispatcher of group "group", stored.
template <class S>
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

template <class S>
Task stored_task(S& store, std::string_view id)
{
    return required(store.find_task(id));
}

template <class S>
Pod stored_pod(S& store, std::string_view id)
{
    return required(store.find_pod(id));
}

template <class S>
PodDispatcher stored_dispatcher(S& store, std::string_view id)
{
    return required(find_one_by_id(store, id));
}

/// Event types recorded for a resource, oldest first.
template <class S>
std::vector<EventType> event_types(S& store, std::string_view resource_id)
{
    std::vector<EventType> types;
    for (const Event& e : store.events_for(resource_id)) {
        types.push_back(e.type);
    }
    return types;
}

} // namespace pod_dispatcher::test

#endif
