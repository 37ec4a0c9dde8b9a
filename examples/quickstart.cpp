// pod_dispatcher in memory: tasks allocated in task groups and on their own, pods that
// ask for work from several threads at once, and a summary of what happened.
//
// A task group's pods take one task after another, so the group's pods start once for
// many tasks; a task on its own gets a pod of its own.

#include "example_support.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pd = pod_dispatcher;

namespace {

constexpr int group_count = 8;
constexpr int tasks_per_group = 40;
constexpr int hosts_per_group = 4;
constexpr int single_tasks = 64;
constexpr int thread_count = 4;

/// Task t of group g: a "compile" group of build variant g, up to hosts_per_group pods.
pd::Task group_member(int g, int t)
{
    pd::Task task = example::ready_task("group-" + std::to_string(g) + "-task-" + std::to_string(t));
    task.task_group = "compile";
    task.build_variant = "variant-" + std::to_string(g);
    task.version = "v1";
    task.task_group_order = t;
    task.task_group_max_hosts = hosts_per_group;
    return task;
}

/// What the scheduler does for each task: store it and allocate it a container, offering
/// a new pod. Returns the pods the dispatchers took, which the system then starts.
std::vector<std::string> allocate_all(pd::MemoryStore& store, const std::vector<pd::Task>& tasks)
{
    std::vector<std::string> started;
    for (pd::Task task : tasks) {
        store.insert_task(task).value();
        pd::Pod pod;
        pod.id = "pod-for-" + task.id;
        pod.agent_version = "agent-1";
        const pd::PodDispatcher d = pd::allocate(store, task, pod).value();
        if (std::find(d.pod_ids.begin(), d.pod_ids.end(), pod.id) != d.pod_ids.end()) {
            started.push_back(pod.id);
        }
    }
    return started;
}

/// The pod has started: the system that runs pods says so through the store.
void mark_running(pd::MemoryStore& store, const std::string& pod_id)
{
    pd::Pod running;
    running.status = pd::PodStatus::running;
    const pd::Pod any;
    store.update_pod(pd::FieldUpdate<pd::Pod>{pod_id, {}, any, pd::FieldSet<pd::Pod>::of(&pd::Pod::status), running})
        .value();
}

struct Tally {
    std::atomic<int> dispatched{0};
    std::atomic<int> conflicts_retried{0};
    std::atomic<int> errors{0};
};

/// A pod's life: it asks for work until there is none for it, running and finishing each
/// task it is given. A pod of a task group stays running for the group's next task; any
/// other pod is decommissioned with its one task and asks no more.
void work(pd::MemoryStore& store, const std::string& pod_id, Tally& tally)
{
    pd::DispatchOptions options;
    options.on_retry = [&](const std::error_code&) { ++tally.conflicts_retried; };
    for (;;) {
        auto task = pd::dispatch_next_task(store, pod_id, options);
        if (!task && task.error() == pd::Errc::precondition_failed) {
            return; // decommissioned after its one task
        }
        if (!task) {
            ++tally.errors;
            std::fprintf(stderr, "%s: %s\n", pod_id.c_str(), task.error().message().c_str());
            return;
        }
        if (!task.value()) {
            return; // nothing left for this pod
        }
        ++tally.dispatched;
        if (auto done = pd::finish_task(store, pod_id, pd::TaskStatus::succeeded); !done) {
            ++tally.errors;
            std::fprintf(stderr, "%s: %s\n", pod_id.c_str(), done.error().message().c_str());
            return;
        }
    }
}

} // namespace

int main()
{
    pd::MemoryStore store;
    pd::ProjectRef project;
    project.id = "demo";
    store.insert_project_ref(project).value();

    std::vector<pd::Task> tasks;
    for (int g = 0; g < group_count; ++g) {
        for (int t = 0; t < tasks_per_group; ++t) {
            tasks.push_back(group_member(g, t));
        }
    }
    for (int i = 0; i < single_tasks; ++i) {
        tasks.push_back(example::ready_task("single-" + std::to_string(i)));
    }
    const std::vector<std::string> pods = allocate_all(store, tasks);
    for (const std::string& pod : pods) {
        mark_running(store, pod);
    }

    Tally tally;
    const auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < thread_count; ++t) {
            threads.emplace_back([&, t] {
                for (std::size_t i = static_cast<std::size_t>(t); i < pods.size(); i += thread_count) {
                    work(store, pods[i], tally);
                }
            });
        }
    }
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);

    const int total_tasks = static_cast<int>(tasks.size());
    std::printf("tasks:              %d (%d task groups of %d, up to %d pods each; %d on their own)\n",
                total_tasks, group_count, tasks_per_group, hosts_per_group, single_tasks);
    std::printf("pods started:       %zu, asking for work from %d threads\n", pods.size(), thread_count);
    std::printf("start-ups saved:    %d by pods that took their group's next task\n",
                total_tasks - static_cast<int>(pods.size()));
    std::printf("tasks dispatched:   %d\n", tally.dispatched.load());
    std::printf("conflicts retried:  %d\n", tally.conflicts_retried.load());
    std::printf("errors:             %d\n", tally.errors.load());
    std::printf("time taken:         %.2f ms\n", elapsed.count());
    return tally.dispatched == total_tasks && tally.errors == 0 ? 0 : 1;
}
