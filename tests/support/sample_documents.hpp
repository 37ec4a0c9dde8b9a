#ifndef POD_DISPATCHER_TESTS_SAMPLE_DOCUMENTS_HPP
#define POD_DISPATCHER_TESTS_SAMPLE_DOCUMENTS_HPP

// Documents in the states the rules talk about, shared by the tests and the benchmarks.

#include <pod_dispatcher/documents.hpp>

#include <chrono>
#include <string>

namespace pod_dispatcher::samples {

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

/// A pod allocate has not stored yet.
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

} // namespace pod_dispatcher::samples

#endif
