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
    pod.status = PodStatus::running;
    Pod stored = store.find_pod("pod").value().value();
    Pod running = stored;
    running.status = PodStatus::running;
    if (!store.replace_pod(stored, running)) {
        return 1;
    }
    auto dispatched = dispatch_next_task(store, "pod");
    return dispatched && dispatched.value() && dispatched.value()->id == "task" ? 0 : 1;
}
