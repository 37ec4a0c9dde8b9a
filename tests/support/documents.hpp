#ifndef POD_DISPATCHER_TESTS_DOCUMENTS_HPP
#define POD_DISPATCHER_TESTS_DOCUMENTS_HPP

// Documents in the states the rules talk about, and seeding helpers.

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>

namespace pod_dispatcher::test {

inline constexpr const char* project_id = "project";

/// Container-scheduled and not yet allocated: allocate may take it.
inline Task allocatable_task(std::string id)
{
    Task task;
    task.id = std::move(id);
    task.project = project_id;
    task.requester = "patch_request";
    task.activated = true;
    return task;
}

/// Allocated and scheduled: a pod may take it.
inline Task dispatchable_task(std::string id)
{
    Task task = allocatable_task(std::move(id));
    task.container_allocated = true;
    task.container_allocated_time = Timestamp{std::chrono::milliseconds{1'700'000'000'000}};
    task.container_allocation_attempts = 1;
    return task;
}

inline Pod running_pod(std::string id)
{
    Pod pod;
    pod.id = std::move(id);
    pod.status = PodStatus::running;
    pod.agent_version = "agent-2026-11";
    return pod;
}

inline Pod intent_pod(std::string id)
{
    Pod pod;
    pod.id = std::move(id);
    return pod;
}

inline ProjectRef enabled_project(std::string id = project_id)
{
    ProjectRef ref;
    ref.id = std::move(id);
    return ref;
}

/// Stores what a test needs; any failure here is a broken test, not a finding.
template <class S>
void seed(S& store, const Task& task)
{
    REQUIRE(store.insert_task(task));
}

template <class S>
void seed(S& store, const Pod& pod)
{
    REQUIRE(store.insert_pod(pod));
}

template <class S>
void seed(S& store, const ProjectRef& ref)
{
    REQUIRE(store.insert_project_ref(ref));
}

template <class S>
void seed(S& store, const PodDispatcher& d)
{
    REQUIRE(d.insert(store));
}

template <class S>
Task stored_task(S& store, std::string_view id)
{
    auto task = store.find_task(id);
    REQUIRE(task);
    REQUIRE(task.value());
    return *task.value();
}

template <class S>
Pod stored_pod(S& store, std::string_view id)
{
    auto pod = store.find_pod(id);
    REQUIRE(pod);
    REQUIRE(pod.value());
    return *pod.value();
}

template <class S>
PodDispatcher stored_dispatcher(S& store, std::string_view id)
{
    auto d = find_one_by_id(store, id);
    REQUIRE(d);
    REQUIRE(d.value());
    return *d.value();
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
