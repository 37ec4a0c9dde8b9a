// pod_dispatcher in memory: tasks allocated in task groups and on their own, pods that
// ask for work from several threads at once, a few pods that die in the middle of their
// tasks, a rescue that finds them, and a summary of what happened.
//
// A task group's pods take one task after another, so the group's pods start once for
// many tasks; a task on its own gets a pod of its own. A pod that dies stops being heard
// from; rescue_stale_pods terminates it, and its task runs again on a new pod.

#include "example_support.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pd = pod_dispatcher;

namespace {

constexpr int group_count = 8;
constexpr int tasks_per_group = 40;
constexpr int hosts_per_group = 4;
constexpr int single_tasks = 64;
constexpr int thread_count = 4;
constexpr int every_nth_pod_dies = 13;
constexpr auto heartbeat_timeout = std::chrono::milliseconds(100);

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

/// What the scheduler does for each task: store it (the first time) and allocate it a
/// container, offering a new pod. Returns the pods the dispatchers took, which the system then starts.
std::vector<std::string> allocate_all(pd::MemoryStore& store, const std::vector<pd::Task>& tasks,
                                      const std::string& pod_prefix)
{
    std::vector<std::string> started;
    for (pd::Task task : tasks) {
        if (task.execution == 0) {
            store.insert_task(task).value();
        }
        pd::Pod pod;
        pod.id = pod_prefix + task.id;
        pod.agent_version = "agent-1";
        const pd::PodDispatcher d = pd::allocate(store, task, pod).value();
        if (std::find(d.pod_ids.begin(), d.pod_ids.end(), pod.id) != d.pod_ids.end()) {
            started.push_back(pod.id);
        }
    }
    return started;
}

struct Tally {
    std::atomic<int> dispatched{0};
    std::atomic<int> conflicts_retried{0};
    std::atomic<int> pods_lost{0};
    std::atomic<int> errors{0};
};

/// Says whether a call went through, counting and printing the error if not.
template <class T>
bool went_through(const pd::Result<T>& result, const std::string& pod_id, Tally& tally)
{
    if (!result) {
        ++tally.errors;
        std::fprintf(stderr, "%s: %s\n", pod_id.c_str(), result.error().message().c_str());
    }
    return static_cast<bool>(result);
}

/// A pod's life, as its agent lives it: it makes first contact, then asks for work until
/// there is none for it, heartbeating while it runs each task it is given and reporting
/// it finished; when it exits, the container runtime's stop notice terminates it. A pod of
/// a task group stays for the group's next task; any other pod is decommissioned with its
/// one task and asks no more. A pod that dies goes silent in the middle of its first task.
void live(pd::MemoryStore& store, const std::string& pod_id, bool dies, Tally& tally)
{
    pd::DispatchOptions options;
    options.retry.on_retry = [&](const std::error_code&) { ++tally.conflicts_retried; };
    if (!went_through(pd::mark_pod_running(store, pod_id), pod_id, tally)) {
        return;
    }
    for (;;) {
        auto task = pd::dispatch_next_task(store, pod_id, options);
        if (!task && task.error() == pd::Errc::precondition_failed) {
            break; // decommissioned after its one task
        }
        if (!went_through(task, pod_id, tally) || !task.value()) {
            break; // nothing left for this pod
        }
        ++tally.dispatched;
        if (dies) {
            ++tally.pods_lost;
            return; // no heartbeat, no report, no stop notice: only a rescue finds it
        }
        if (!went_through(pd::heartbeat(store, pod_id), pod_id, tally) ||
            !went_through(pd::finish_task(store, pod_id, pd::TaskStatus::succeeded), pod_id, tally)) {
            return;
        }
    }
    went_through(pd::terminate_pod(store, pod_id, "container exited"), pod_id, tally);
}

/// Runs each pod's life in one of thread_count threads; every_nth pod dies (0: none).
void run_pods(pd::MemoryStore& store, const std::vector<std::string>& pods, int every_nth, Tally& tally)
{
    std::vector<std::jthread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = static_cast<std::size_t>(t); i < pods.size(); i += thread_count) {
                live(store, pods[i], every_nth > 0 && i % static_cast<std::size_t>(every_nth) == 5, tally);
            }
        });
    }
}

/// The periodic rescue, run once: waits until the silent pods are stale, terminates them,
/// and has the scheduler allocate each task they stranded (and restarted) a new pod.
/// Returns the tasks restarted and the new pods.
std::pair<std::vector<pd::Task>, std::vector<std::string>> rescue(pd::MemoryStore& store)
{
    std::this_thread::sleep_for(heartbeat_timeout * 3 / 2);
    pd::RescueOptions options;
    options.heartbeat_timeout = heartbeat_timeout;
    pd::RescueReport report = pd::rescue_stale_pods(store, options).value();
    std::vector<pd::Task> restarted;
    std::ranges::copy_if(report.stranded_tasks, std::back_inserter(restarted), &pd::should_allocate_container);
    std::vector<std::string> pods = allocate_all(store, restarted, "second-pod-for-");
    return {std::move(restarted), std::move(pods)};
}

/// Tasks of ids that did not succeed: none, if nothing was lost.
int tasks_lost(pd::MemoryStore& store, const std::vector<pd::Task>& tasks)
{
    return static_cast<int>(std::ranges::count_if(tasks, [&](const pd::Task& t) {
        const auto stored = store.find_task(t.id).value();
        return !stored || stored->status != pd::TaskStatus::succeeded;
    }));
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
    const std::vector<std::string> pods = allocate_all(store, tasks, "pod-for-");

    Tally tally;
    const auto start = std::chrono::steady_clock::now();
    run_pods(store, pods, every_nth_pod_dies, tally);
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    const auto [rescued, second_pods] = rescue(store);
    run_pods(store, second_pods, 0, tally);
    const int lost = tasks_lost(store, tasks);

    const int total_tasks = static_cast<int>(tasks.size());
    std::printf("tasks:              %d (%d task groups of %d, up to %d pods each; %d on their own)\n",
                total_tasks, group_count, tasks_per_group, hosts_per_group, single_tasks);
    std::printf("pods started:       %zu, asking for work from %d threads\n", pods.size(), thread_count);
    std::printf("start-ups saved:    %d by pods that took their group's next task\n",
                total_tasks - static_cast<int>(pods.size()));
    std::printf("tasks dispatched:   %d (%zu of them again, on new pods)\n", tally.dispatched.load(),
                rescued.size());
    std::printf("conflicts retried:  %d\n", tally.conflicts_retried.load());
    std::printf("pods lost:          %d, died in the middle of a task\n", tally.pods_lost.load());
    std::printf("tasks rescued:      %zu, found by rescue_stale_pods after %lld ms of silence\n", rescued.size(),
                static_cast<long long>(heartbeat_timeout.count()));
    std::printf("tasks lost:         %d\n", lost);
    std::printf("errors:             %d\n", tally.errors.load());
    std::printf("time taken:         %.2f ms, before the rescue\n", elapsed.count());
    const bool every_task_ran = lost == 0 && rescued.size() == static_cast<std::size_t>(tally.pods_lost.load());
    return every_task_ran && tally.errors == 0 ? 0 : 1;
}
