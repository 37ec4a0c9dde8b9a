#ifndef POD_DISPATCHER_TESTING_POD_FAILURE_RECORD_HPP
#define POD_DISPATCHER_TESTING_POD_FAILURE_RECORD_HPP

// What a run of pod_failures.hpp is told to do, and what it saw: the tasks it seeds, whom
// it kills, and for each pod's agent and each rescuer what it wrote down as it went.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/samples.hpp>

#include <chrono>
#include <compare>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

/// What a pod failure run seeds, whom it kills, and how fast everything goes. A killed
/// pod is found by the rescuers once heartbeat_timeout has passed without a word from it;
/// its agent heartbeats every heartbeat_every, well inside that.
struct PodFailurePlan {
    int single_tasks = 8;         ///< Tasks outside any group, each run by a pod of its own.
    int groups = 2;               ///< Task groups, whose pods run one task after another.
    int tasks_per_group = 4;      ///< Tasks in each group.
    int hosts_per_group = 2;      ///< Each group's task_group_max_hosts.
    int killed_twice = 1;         ///< Single tasks whose pod is killed in each of their first two executions.
    int killed_once = 2;          ///< Single tasks whose pod is killed in their first execution only.
    int groups_losing_a_pod = 1;  ///< Groups whose first pod is killed in the middle of its first task.
    int rescuers = 3;             ///< Rescuers running rescue_stale_pods at once.
    std::chrono::milliseconds work{60};              ///< How long a pod works on a task.
    std::chrono::milliseconds heartbeat_every{20};   ///< How often a working pod heartbeats.
    std::chrono::milliseconds heartbeat_timeout{300}; ///< The rescuers' RescueOptions::heartbeat_timeout.
    std::chrono::milliseconds startup_timeout{3000};  ///< The rescuers' RescueOptions::startup_timeout.
    std::chrono::milliseconds rescue_every{30};      ///< The pause between a rescuer's calls.
    std::chrono::milliseconds deadline{30000};       ///< When the run gives up waiting for the tasks to end.
};

/// How many times slower than a plain build this one runs: a plan's times are multiplied
/// by it, so that a heartbeat comes as much inside its timeout under a sanitizer.
inline constexpr int build_slowdown =
#if defined(__SANITIZE_THREAD__)
    6;
#elif defined(__SANITIZE_ADDRESS__)
    3;
#else
    1;
#endif

/// plan with every time multiplied by build_slowdown.
inline PodFailurePlan paced_for_this_build(PodFailurePlan plan)
{
    for (auto* time : {&plan.work, &plan.heartbeat_every, &plan.heartbeat_timeout, &plan.startup_timeout,
                       &plan.rescue_every, &plan.deadline}) {
        *time *= build_slowdown;
    }
    return plan;
}

inline std::string pod_failure_single_task_id(int i) { return "s" + std::to_string(i); }
inline std::string pod_failure_group(int g) { return "g" + std::to_string(g); }
inline std::string pod_failure_group_task_id(int g, int i) { return pod_failure_group(g) + "-" + std::to_string(i); }

/// What a pod failure run seeds: its project, and every task, allocatable.
inline StoreContents pod_failure_seed(const PodFailurePlan& plan)
{
    StoreContents seeded;
    seeded.project_refs.push_back(enabled_project());
    for (int i = 0; i < plan.single_tasks; ++i) {
        seeded.tasks.push_back(allocatable_task(pod_failure_single_task_id(i)));
    }
    for (int g = 0; g < plan.groups; ++g) {
        for (int i = 0; i < plan.tasks_per_group; ++i) {
            seeded.tasks.push_back(
                group_task(pod_failure_group_task_id(g, i), pod_failure_group(g), i, plan.hosts_per_group));
        }
    }
    sort_contents(seeded);
    return seeded;
}

/// Done with: succeeded, or failed (by its pod or by the system).
inline bool has_ended(const Task& task) noexcept
{
    return task.status == TaskStatus::succeeded || task.status == TaskStatus::failed;
}

/// Whose pods a death is planned for: a single task's id, or a task group.
inline std::string death_key(const Task& task) { return in_task_group(task) ? task.task_group : task.id; }

/// How many pods the run kills, by death_key.
inline std::map<std::string, int> planned_deaths(const PodFailurePlan& plan)
{
    std::map<std::string, int> deaths;
    for (int i = 0; i < plan.killed_twice + plan.killed_once && i < plan.single_tasks; ++i) {
        deaths[pod_failure_single_task_id(i)] = i < plan.killed_twice ? 2 : 1;
    }
    for (int g = 0; g < plan.groups_losing_a_pod && g < plan.groups; ++g) {
        deaths[pod_failure_group(g)] = 1;
    }
    return deaths;
}

/// One execution of a task.
struct TaskRun {
    std::string task_id;
    int execution = 0;

    auto operator<=>(const TaskRun&) const = default;
};

/// What a pod's agent or a rescuer wrote down as it went, each line as soon as it knew
/// it: what it wrote before it was killed is kept.
struct Journal {
    std::vector<TaskRun> dispatched;      ///< Runs a pod was handed by dispatch_next_task.
    std::vector<TaskRun> finished;        ///< Runs a pod reported finished, and was heard.
    std::vector<std::string> refused;     ///< A pod's reports refused because it was terminated.
    std::vector<std::string> terminated;  ///< Pods a rescuer terminated.
    std::vector<std::string> failures;    ///< Whatever else went wrong.
};

/// A pod the run had allocated, and what became of its agent.
struct PodLife {
    std::string id;
    bool doomed = false;           ///< Its agent was to be killed in its first task.
    std::optional<TaskRun> killed; ///< The run its agent was killed in.
    Journal journal;
};

/// What a killed pod's late reports were answered, made once its task had moved on: each
/// operation's name and error (none when it was taken), and whether the pod was left as
/// it was.
struct LateReports {
    std::string pod_id;
    std::vector<std::pair<std::string, std::error_code>> answers;
    bool pod_unchanged = false;
};

/// Everything a pod failure run saw, besides what the store holds after it.
struct PodFailureRecord {
    std::vector<PodLife> pods;
    std::vector<LateReports> late_reports;
    std::vector<Journal> rescuers;
    std::vector<std::string> failures; ///< The run's own: a call that failed, an agent that crashed, time run out.
};

} // namespace pod_dispatcher::testing

#endif
