// pod_dispatcher in memory: tasks queued in groups, pods asking for work from several
// threads at once, and a summary of what happened.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace pd = pod_dispatcher;

namespace {

constexpr int group_count = 8;
constexpr int tasks_per_group = 40;
constexpr int single_tasks = 64;
constexpr int thread_count = 4;

pd::Task ready_task(std::string id)
{
    pd::Task task;
    task.id = std::move(id);
    task.project = "demo";
    task.requester = "patch_request";
    task.activated = true;
    task.container_allocated = true; // a container is already set aside for each
    task.container_allocation_attempts = 1;
    return task;
}

pd::Pod running_pod(std::string id)
{
    pd::Pod pod;
    pod.id = std::move(id);
    pod.status = pd::PodStatus::running;
    pod.agent_version = "agent-1";
    return pod;
}

/// Groups of tasks, each with a pod per task, queued in one dispatcher per group.
std::vector<std::string> queue_groups(pd::MemoryStore& store)
{
    std::vector<std::string> pods;
    for (int g = 0; g < group_count; ++g) {
        std::vector<std::string> task_ids;
        std::vector<std::string> pod_ids;
        for (int t = 0; t < tasks_per_group; ++t) {
            const std::string suffix = std::to_string(g) + "-" + std::to_string(t);
            task_ids.push_back("task-" + suffix);
            pod_ids.push_back("pod-" + suffix);
            store.insert_task(ready_task(task_ids.back())).value();
            store.insert_pod(running_pod(pod_ids.back())).value();
        }
        pd::PodDispatcher d = pd::new_pod_dispatcher("group-" + std::to_string(g), task_ids, pod_ids);
        d.upsert_atomically(store).value();
        pods.insert(pods.end(), pod_ids.begin(), pod_ids.end());
    }
    return pods;
}

/// Tasks allocated one by one: allocate creates each one's dispatcher and intent pod,
/// which then starts running.
std::vector<std::string> allocate_singles(pd::MemoryStore& store)
{
    std::vector<std::string> pods;
    for (int i = 0; i < single_tasks; ++i) {
        pd::Task task = ready_task("single-" + std::to_string(i));
        task.container_allocated = false;
        task.container_allocation_attempts = 0;
        store.insert_task(task).value();
        pd::Pod pod;
        pod.id = "single-pod-" + std::to_string(i);
        pod.agent_version = "agent-1";
        pd::allocate(store, task, pod).value();
        store.replace_pod(pod, running_pod(pod.id)).value();
        pods.push_back(pod.id);
    }
    return pods;
}

struct Tally {
    std::atomic<int> dispatched{0};
    std::atomic<int> idle{0};
    std::atomic<int> conflicts_retried{0};
    std::atomic<int> errors{0};
};

/// Half the pods ask through dispatch_next_task; the other half keep a copy of their
/// dispatcher and use assign_next_task, re-reading it when it has gone stale.
void ask_for_work(pd::MemoryStore& store, const std::string& pod_id, bool optimistic, Tally& tally)
{
    pd::Result<std::optional<pd::Task>> task = pd::Errc::conflict;
    if (optimistic) {
        pd::Pod pod = store.find_pod(pod_id).value().value();
        do {
            pd::PodDispatcher copy = pd::find_one_by_pod_id(store, pod_id).value().value();
            task = copy.assign_next_task(store, pod);
        } while (!task && task.error() == pd::Errc::conflict && ++tally.conflicts_retried);
    } else {
        pd::DispatchOptions options;
        options.on_retry = [&](const std::error_code&) { ++tally.conflicts_retried; };
        task = pd::dispatch_next_task(store, pod_id, options);
    }
    if (!task) {
        ++tally.errors;
        std::fprintf(stderr, "%s: %s\n", pod_id.c_str(), task.error().message().c_str());
    } else if (task.value()) {
        ++tally.dispatched;
    } else {
        ++tally.idle;
    }
}

} // namespace

int main()
{
    pd::MemoryStore store;
    pd::ProjectRef project;
    project.id = "demo";
    store.insert_project_ref(project).value();

    std::vector<std::string> pods = queue_groups(store);
    const std::vector<std::string> singles = allocate_singles(store);
    pods.insert(pods.end(), singles.begin(), singles.end());

    Tally tally;
    const auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < thread_count; ++t) {
            threads.emplace_back([&, t] {
                for (std::size_t i = static_cast<std::size_t>(t); i < pods.size(); i += thread_count) {
                    ask_for_work(store, pods[i], i % 2 == 0, tally);
                }
            });
        }
    }
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);

    const int total_tasks = group_count * tasks_per_group + single_tasks;
    std::printf("tasks queued:       %d in %d groups + %d single-task groups\n", total_tasks, group_count,
                single_tasks);
    std::printf("pods asking:        %zu from %d threads\n", pods.size(), thread_count);
    std::printf("tasks dispatched:   %d\n", tally.dispatched.load());
    std::printf("pods left idle:     %d\n", tally.idle.load());
    std::printf("conflicts retried:  %d\n", tally.conflicts_retried.load());
    std::printf("errors:             %d\n", tally.errors.load());
    std::printf("time taken:         %.2f ms\n", elapsed.count());
    return tally.dispatched == total_tasks && tally.errors == 0 ? 0 : 1;
}
