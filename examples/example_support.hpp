#ifndef POD_DISPATCHER_EXAMPLE_SUPPORT_HPP
#define POD_DISPATCHER_EXAMPLE_SUPPORT_HPP

// What the example programs share: a task ready for a container, and a failure report
// in the store's own words.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>

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

} // namespace example

#endif
