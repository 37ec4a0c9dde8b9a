// Allocates one task and dispatches it: exits 0 only if the pod got it.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

int main()
{
    using namespace pod_dispatcher;
    MemoryStore store;
    Task task;
    task.id = "task";
    task.project = "project";
    task.activated = true;
    Pod pod;
    pod.id = "pod";
    ProjectRef project;
    project.id = "project";
    if (!store.insert_task(task) || !store.insert_project_ref(project) || !allocate(store, task, pod)) {
        return 1;
    }
    // The pod starts: the system that runs pods says so through the store.
    Pod running;
    running.status = PodStatus::running;
    const auto started =
        store.update_pod(FieldUpdate<Pod>{"pod", {}, pod, FieldSet<Pod>::of(&Pod::status), running});
    if (!started || !started.value()) {
        return 1;
    }
    auto dispatched = dispatch_next_task(store, "pod");
    return dispatched && dispatched.value() && dispatched.value()->id == "task" ? 0 : 1;
}
