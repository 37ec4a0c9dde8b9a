#ifndef POD_DISPATCHER_EXAMPLE_SUPPORT_HPP
#define POD_DISPATCHER_EXAMPLE_SUPPORT_HPP

// What the example programs share: a task ready for a container, a failure report in
// the store's own words, and a few tasks dispatched.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/operations.hpp>

#include <cstdio>
#include <string>
#include <utility>

namespace example {

/// A task of project "demo" that may be given a container.
inline pod_dispatcher::Task ready_task(std::string id)
{
    pod_dispatcher::Task task;
    task.id = std::move(id);
    task.project = "demo";
    task.requester = "patch_request";
    task.activated = true;
    return task;
}

/// Says whether a call failed, printing why, with the backend's message.
template <class T, class S>
bool failed(const char* what, const pod_dispatcher::Result<T>& result, const S& store)
{
    if (result) {
        return false;
    }
    std::fprintf(stderr, "%s failed: %s (%s)\n", what, result.error().message().c_str(),
                 store.last_error_message().c_str());
    return true;
}

/// Allocates task_count tasks a container each, starts their pods and lets each pod take
/// its task, saying what happens; false, having said why, when a call fails.
template <class S>
bool dispatch_all(S& store, int task_count = 3)
{
    if (failed("storing the project", store.insert_project_ref(pod_dispatcher::ProjectRef{.id = "demo"}), store)) {
        return false;
    }
    for (int i = 0; i < task_count; ++i) {
        pod_dispatcher::Task task = ready_task("task-" + std::to_string(i));
        pod_dispatcher::Pod pod{.id = "pod-" + std::to_string(i), .agent_version = "agent-1"};
        if (failed("storing a task", store.insert_task(task), store) ||
            failed("allocate", pod_dispatcher::allocate(store, task, pod), store)) {
            return false;
        }
        std::printf("allocated %s a container, pod %s\n", task.id.c_str(), pod.id.c_str());
    }
    for (int i = 0; i < task_count; ++i) {
        const std::string pod_id = "pod-" + std::to_string(i);
        // The pod's agent makes first contact, then asks for work.
        const auto started = pod_dispatcher::mark_pod_running(store, pod_id);
        const auto task = pod_dispatcher::dispatch_next_task(store, pod_id);
        if (failed("starting a pod", started, store) || failed("dispatch_next_task", task, store)) {
            return false;
        }
        std::printf("%s took %s\n", pod_id.c_str(), task.value() ? task.value()->id.c_str() : "nothing");
    }
    return true;
}

} // namespace example

#endif
