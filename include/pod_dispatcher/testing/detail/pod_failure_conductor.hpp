#ifndef POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_CONDUCTOR_HPP
#define POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_CONDUCTOR_HPP

// The test's own part in a run of pod_failures.hpp. Round after round, until every task
// has ended, every agent with it, and every dead pod has spoken late, it
// - kills each doomed agent once it has written down its task (after its dispatch,
//   before its finish: in the middle of the task);
// - plays the container runtime: when an agent it did not kill has ended, its pod is
//   terminated ("container exited"); a killed one is left for the rescuers to find;
// - plays the dead: once a killed pod is terminated and its task has moved on, sends the
//   pod's late reports and writes down what they were answered;
// - plays the scheduler: allocates every task that should be allocated to a new pod
//   (seeded tasks, and those a rescue restarted or released), and starts its agent.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/detail/pod_failure_roles.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/pod_failure_record.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing::detail {

/// The killed run has moved on: its task runs again, or has ended, in a later execution,
/// or the system failed it.
inline bool moved_on(const Task& task, const TaskRun& killed)
{
    return failed_by_system(task) || (task.execution > killed.execution && (is_running(task) || has_ended(task)));
}

/// Runs one pod failure run on store, with crew's agents and rescuers (pod_failure_crews.hpp).
template <Store S, class Crew>
class PodFailureConductor {
public:
    PodFailureConductor(S& store, Crew& crew, const PodFailurePlan& plan)
        : store_(store), crew_(crew), plan_(plan), deaths_due_(planned_deaths(plan))
    {
        for (const Task& task : pod_failure_seed(plan).tasks) {
            open_tasks_.push_back(task.id);
        }
    }

    PodFailureRecord run()
    {
        crew_.start_rescuers();
        const auto give_up_at = std::chrono::steady_clock::now() + plan_.deadline;
        while (!over()) {
            if (std::chrono::steady_clock::now() > give_up_at) {
                give_up();
                break;
            }
            kill_the_doomed();
            reap_the_ended();
            stop_the_containers();
            hear_the_dead();
            schedule();
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
        }
        for (const std::string& text : crew_.stop_rescuers()) {
            record_.rescuers.push_back(parse_journal(text));
        }
        for (Agent& agent : agents_) {
            record_.pods.push_back(std::move(agent.life));
        }
        return std::move(record_);
    }

private:
    struct Agent {
        PodLife life;
        std::size_t member = 0; ///< Its index in the crew.
        std::string death_key;  ///< Of the task it was allocated for.
        bool ended = false;
        bool container_stopped = false; ///< Its pod terminated once its agent ended.
        bool heard_late = false;
    };

    bool over() const
    {
        return open_tasks_.empty() && std::ranges::all_of(agents_, [](const Agent& a) {
                   return a.ended && (a.life.killed ? a.heard_late : a.container_stopped);
               });
    }

    void fail(std::string what)
    {
        // A store that keeps failing would say the same every round.
        if (std::ranges::find(record_.failures, what) == record_.failures.end()) {
            record_.failures.push_back(std::move(what));
        }
    }

    void kill_the_doomed()
    {
        for (Agent& agent : agents_) {
            if (!agent.life.doomed || agent.life.killed || agent.ended) {
                continue;
            }
            const Journal journal = parse_journal(crew_.journal(agent.member));
            if (!journal.dispatched.empty()) {
                crew_.kill(agent.member);
                agent.life.killed = journal.dispatched.front();
                --deaths_due_[agent.death_key];
            }
        }
    }

    void reap_the_ended()
    {
        for (Agent& agent : agents_) {
            const auto status = agent.ended ? std::nullopt : crew_.ended(agent.member);
            if (!status) {
                continue;
            }
            agent.ended = true;
            agent.life.journal = parse_journal(crew_.journal(agent.member));
            if (agent.life.killed) {
                continue;
            }
            if (*status != 0) {
                fail("the agent of " + agent.life.id + " exited with status " + std::to_string(*status));
            }
        }
    }

    /// The container runtime's notice that a container stopped: the pod of an agent
    /// that ended, and that the run did not kill, is terminated. One that loses its
    /// races is tried again the next round.
    void stop_the_containers()
    {
        for (Agent& agent : agents_) {
            if (!agent.ended || agent.life.killed || agent.container_stopped) {
                continue;
            }
            const auto stopped = terminate_pod(store_, agent.life.id, "container exited");
            agent.container_stopped = stopped || stopped.error() != Errc::conflict;
            if (!stopped && agent.container_stopped) {
                fail("terminate_pod " + agent.life.id + ": " + stopped.error().message());
            }
        }
    }

    void hear_the_dead()
    {
        for (Agent& agent : agents_) {
            if (!agent.life.killed || agent.heard_late) {
                continue;
            }
            const auto pod = store_.find_pod(agent.life.id);
            const auto task = store_.find_task(agent.life.killed->task_id);
            if (!pod || !pod.value() || !task || !task.value()) {
                fail("cannot read " + agent.life.id + " or " + agent.life.killed->task_id);
                continue;
            }
            if (pod.value()->status == PodStatus::terminated && moved_on(*task.value(), *agent.life.killed)) {
                record_.late_reports.push_back(late_reports_of(*pod.value()));
                agent.heard_late = true;
            }
        }
    }

    /// What a dead pod's agent would say if it came back: its task done, a heartbeat,
    /// first contact, a request for work.
    LateReports late_reports_of(const Pod& pod)
    {
        LateReports late{pod.id, {}, false};
        const auto answer = [&late](const char* operation, const auto& result) {
            late.answers.emplace_back(operation, result ? std::error_code{} : result.error());
        };
        answer("finish_task", finish_task(store_, pod.id, TaskStatus::succeeded));
        answer("heartbeat", heartbeat(store_, pod.id));
        answer("mark_pod_running", mark_pod_running(store_, pod.id));
        answer("dispatch_next_task", dispatch_next_task(store_, pod.id));
        const auto after = store_.find_pod(pod.id);
        late.pod_unchanged = after && after.value() && *after.value() == pod;
        return late;
    }

    void schedule()
    {
        std::erase_if(open_tasks_, [this](const std::string& id) {
            const auto task = store_.find_task(id);
            if (!task || !task.value()) {
                fail("cannot read " + id);
                return false;
            }
            if (has_ended(*task.value())) {
                return true;
            }
            if (should_allocate_container(*task.value())) {
                allocate_a_pod(*task.value());
            }
            return false;
        });
    }

    /// A new pod is doomed while a death is due for its task's key, unless a doomed pod
    /// of that key is still to be killed.
    bool dooms(const std::string& key) const
    {
        const auto due = deaths_due_.find(key);
        return due != deaths_due_.end() && due->second > 0 && std::ranges::none_of(agents_, [&](const Agent& a) {
                   return a.death_key == key && a.life.doomed && !a.life.killed && !a.ended;
               });
    }

    void allocate_a_pod(Task task)
    {
        Pod pod = intent_pod("p" + std::to_string(agents_made_++));
        const std::string key = death_key(task);
        const auto allocated = allocate(store_, task, pod);
        if (!allocated) {
            // Another writer got there first, or the task changed since it was read: the
            // next round reads it again.
            if (allocated.error() != Errc::conflict && allocated.error() != Errc::precondition_failed) {
                fail("allocate " + task.id + ": " + allocated.error().message());
            }
            return;
        }
        if (std::ranges::find(allocated.value().pod_ids, pod.id) == allocated.value().pod_ids.end()) {
            return; // the group has pods enough
        }
        const bool doomed = dooms(key);
        agents_.push_back(Agent{PodLife{pod.id, doomed, std::nullopt, {}}, crew_.start_pod_agent(pod.id, doomed), key});
    }

    /// Out of time: every agent still running is killed, and the record says what was
    /// left undone (the checks say how each task is stuck).
    void give_up()
    {
        const auto left = std::ranges::count_if(agents_, [](const Agent& a) { return !a.ended; });
        fail("the run did not end within " + std::to_string(plan_.deadline.count()) + " ms: " +
             std::to_string(open_tasks_.size()) + " tasks had not ended, " + std::to_string(left) +
             " agents still ran");
        for (Agent& agent : agents_) {
            if (!agent.ended) {
                crew_.kill(agent.member);
            }
        }
        while (!std::ranges::all_of(agents_, [](const Agent& a) { return a.ended; })) {
            for (Agent& agent : agents_) {
                if (!agent.ended && crew_.ended(agent.member)) {
                    agent.ended = true;
                    agent.life.journal = parse_journal(crew_.journal(agent.member));
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
        }
    }

    S& store_;
    Crew& crew_;
    PodFailurePlan plan_;
    std::map<std::string, int> deaths_due_;
    std::vector<std::string> open_tasks_;
    std::vector<Agent> agents_;
    int agents_made_ = 0;
    PodFailureRecord record_;
};

} // namespace pod_dispatcher::testing::detail

#endif
