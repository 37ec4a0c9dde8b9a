#ifndef POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_CHECKS_HPP
#define POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_CHECKS_HPP

// What a run of pod_failures.hpp checks on top of the invariants (invariants.hpp): what
// only the run knows (whom it killed, what the agents and rescuers wrote down, what the
// dead pods' late reports were answered), and how every task ended. One function per
// promise, each returning what it found broken, like the invariants.

#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/testing/checked_contents.hpp>
#include <pod_dispatcher/testing/detail/histories.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/pod_failure_record.hpp>
#include <pod_dispatcher/testing/printing.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace pod_dispatcher::testing::detail {

/// The events that terminated a pod (pod_status_changed to terminated), in order.
inline std::vector<const Event*> terminations_of(const CheckedContents& c, std::string_view pod_id)
{
    std::vector<const Event*> found;
    for (const Event& e : c.events_of(pod_id)) {
        const auto* change = e.type == EventType::pod_status_changed ? std::get_if<StatusChangeData>(&e.data) : nullptr;
        if (change != nullptr && change->new_status == PodStatus::terminated) {
            found.push_back(&e);
        }
    }
    return found;
}

inline const StatusChangeData& change_of(const Event& termination)
{
    return std::get<StatusChangeData>(termination.data);
}

/// How a task that has not ended is stuck.
inline std::string how_stuck(const CheckedContents& c, const Task& t)
{
    if (is_running(t)) {
        const Pod* pod = c.pod(t.pod_id);
        return pod != nullptr && pod->status == PodStatus::terminated
                   ? "is dispatched to " + t.pod_id + ", which is terminated"
                   : "still runs on " + t.pod_id;
    }
    if (t.container_allocated) {
        return c.queuing(t.id) != nullptr ? "is allocated and still waits in a queue" : "is allocated, but in no queue";
    }
    return should_allocate_container(t) ? "is left undispatched and allocatable"
                                        : "is undispatched, can no longer be allocated, and was not failed";
}

/// Every task ended: finished by its pod, or failed by the system. None is stuck.
inline Broken every_task_ended(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        if (!has_ended(t)) {
            broken.push_back("task " + execution_of(t.id, t.execution) + " " + how_stuck(c, t));
        }
    }
    return broken;
}

/// Each execution of a task that is over ended once: finished by its pod (task_finished)
/// or failed by the system (task_system_failed, stranded or out of allocations), never
/// both, never twice. Each was dispatched at most once, and none is past the task's.
inline Broken executions_end_once(const CheckedContents& c)
{
    struct Tally {
        int finished = 0;
        int failed = 0;
        int dispatched = 0;
    };
    Broken broken;
    for (const Task& t : c.now().tasks) {
        std::map<int, Tally> tallies;
        for (const Event& e : c.events_of(t.id)) {
            if (const auto* f = std::get_if<FinishData>(&e.data)) {
                ++tallies[f->execution].finished;
            } else if (const auto* s = std::get_if<SystemFailureData>(&e.data)) {
                ++tallies[s->execution].failed;
            } else if (const auto* d = std::get_if<DispatchData>(&e.data)) {
                ++tallies[d->execution].dispatched;
            }
        }
        if (!tallies.empty() && tallies.rbegin()->first > t.execution) {
            broken.push_back("task " + t.id + " has events of execution " + std::to_string(tallies.rbegin()->first) +
                             ", past its own");
        }
        const int last_over = has_ended(t) ? t.execution : t.execution - 1;
        for (int e = 0; e <= t.execution; ++e) {
            const Tally tally = tallies[e];
            const int ends = tally.finished + tally.failed;
            if (ends != (e <= last_over ? 1 : 0)) {
                broken.push_back("task " + execution_of(t.id, e) + " ended " + std::to_string(ends) + " times (" +
                                 std::to_string(tally.finished) + " finished, " + std::to_string(tally.failed) +
                                 " failed by the system)");
            }
            if (tally.dispatched > 1) {
                broken.push_back("task " + execution_of(t.id, e) + " was dispatched " +
                                 std::to_string(tally.dispatched) + " times");
            }
        }
    }
    return broken;
}

/// What the agents wrote down agrees with the events: a pod was handed a run exactly
/// when a task_dispatched says so, and reported it finished exactly when a task_finished
/// says so.
inline Broken journals_agree_with_events(const CheckedContents& c, const PodFailureRecord& r)
{
    using Told = std::pair<std::string, TaskRun>; // pod, run
    std::set<Told> handed;
    std::set<Told> reported;
    for (const PodLife& pod : r.pods) {
        for (const TaskRun& run : pod.journal.dispatched) {
            handed.emplace(pod.id, run);
        }
        for (const TaskRun& run : pod.journal.finished) {
            reported.emplace(pod.id, run);
        }
    }
    std::set<Told> dispatched;
    std::set<Told> finished;
    for (const Event& e : c.now().events) {
        if (const auto* d = std::get_if<DispatchData>(&e.data)) {
            dispatched.emplace(d->pod_id, TaskRun{e.resource_id, d->execution});
        } else if (const auto* f = std::get_if<FinishData>(&e.data)) {
            finished.emplace(f->pod_id, TaskRun{e.resource_id, f->execution});
        }
    }
    Broken broken;
    const auto compare = [&broken](const std::set<Told>& told, const std::set<Told>& stored, std::string_view what,
                                   std::string_view event) {
        for (const auto& [pod, run] : told) {
            if (!stored.contains(Told{pod, run})) {
                broken.push_back("the agent of " + pod + " " + std::string(what) + " " +
                                 execution_of(run.task_id, run.execution) + ", but no " + std::string(event) +
                                 " says so");
            }
        }
        for (const auto& [pod, run] : stored) {
            if (!told.contains(Told{pod, run})) {
                broken.push_back(std::string(event) + " of " + execution_of(run.task_id, run.execution) + " names " +
                                 pod + ", whose agent never " + std::string(what) + " it");
            }
        }
    };
    compare(handed, dispatched, "was handed", "task_dispatched");
    compare(reported, finished, "reported finished", "task_finished");
    return broken;
}

/// When a run of a task ended: its task_finished, else the termination of its pod.
inline std::optional<Timestamp> end_of_run(const CheckedContents& c, const std::string& task_id,
                                           const DispatchData& run)
{
    for (const Event& e : c.events_of(task_id)) {
        const auto* f = std::get_if<FinishData>(&e.data);
        if (f != nullptr && f->execution == run.execution && f->pod_id == run.pod_id) {
            return e.timestamp;
        }
    }
    const auto terminations = terminations_of(c, run.pod_id);
    return terminations.empty() ? std::nullopt : std::optional{terminations.front()->timestamp};
}

/// No task ran on two live pods at once: each run of a task was dispatched after the run
/// before it had ended, its pod terminated.
inline Broken no_task_on_two_live_pods(const CheckedContents& c)
{
    Broken broken;
    for (const Task& t : c.now().tasks) {
        std::vector<std::pair<const DispatchData*, Timestamp>> runs;
        for (const Event& e : c.events_of(t.id)) {
            if (const auto* d = std::get_if<DispatchData>(&e.data)) {
                runs.emplace_back(d, e.timestamp);
            }
        }
        std::ranges::sort(runs, {}, [](const auto& run) { return run.first->execution; });
        for (std::size_t i = 1; i < runs.size(); ++i) {
            const DispatchData& before = *runs[i - 1].first;
            const auto ended = end_of_run(c, t.id, before);
            if (!ended || *ended > runs[i].second) {
                broken.push_back("task " + execution_of(t.id, runs[i].first->execution) + " was dispatched to " +
                                 runs[i].first->pod_id + " while " + before.pod_id + " still ran execution " +
                                 std::to_string(before.execution));
            }
        }
    }
    return broken;
}

/// Every killed pod was terminated by a rescuer for its silence, and the run it was
/// killed in was stranded; the run killed as many pods as it planned.
inline Broken killed_pods_were_rescued(const CheckedContents& c, const PodFailurePlan& plan,
                                       const PodFailureRecord& r)
{
    Broken broken;
    std::map<std::string, int> kills;
    for (const PodLife& pod : r.pods) {
        if (!pod.killed) {
            continue;
        }
        const std::string run = execution_of(pod.killed->task_id, pod.killed->execution);
        if (const Task* t = c.task(pod.killed->task_id)) {
            ++kills[death_key(*t)];
        }
        const auto terminations = terminations_of(c, pod.id);
        if (terminations.empty()) {
            broken.push_back("pod " + pod.id + ", killed in " + run + ", was never terminated");
        } else if (change_of(*terminations.front()).reason != "heartbeat timeout") {
            broken.push_back("pod " + pod.id + ", killed in " + run + ", was terminated for '" +
                             change_of(*terminations.front()).reason + "', not for a heartbeat timeout");
        }
        const auto events = c.events_of(pod.killed->task_id);
        if (std::ranges::none_of(events, [&](const Event& e) {
                const auto* s = std::get_if<SystemFailureData>(&e.data);
                return s != nullptr && s->execution == pod.killed->execution &&
                       s->details_description == pod_dispatcher::detail::stranded;
            })) {
            broken.push_back("task " + run + ", whose pod " + pod.id + " was killed, was not stranded");
        }
    }
    for (const auto& [key, planned] : planned_deaths(plan)) {
        if (kills[key] != planned) {
            broken.push_back("the run killed " + std::to_string(kills[key]) + " pods of " + key + ", not " +
                             std::to_string(planned) + " as planned");
        }
    }
    return broken;
}

/// Each killed pod's late reports were refused (precondition_failed), and wrote nothing:
/// the pod is as it was, and has no event after its termination.
inline Broken late_reports_refused(const CheckedContents& c, const PodFailureRecord& r)
{
    Broken broken;
    for (const PodLife& pod : r.pods) {
        if (!pod.killed) {
            continue;
        }
        const auto late = std::ranges::find(r.late_reports, pod.id, &LateReports::pod_id);
        if (late == r.late_reports.end()) {
            broken.push_back("pod " + pod.id + " was killed, and its late reports were never made");
            continue;
        }
        for (const auto& [operation, answer] : late->answers) {
            if (answer != Errc::precondition_failed) {
                broken.push_back("pod " + pod.id + "'s late " + operation + " was answered " + describe(answer));
            }
        }
        if (!late->pod_unchanged) {
            broken.push_back("pod " + pod.id + "'s late reports changed it");
        }
        const auto terminations = terminations_of(c, pod.id);
        for (const Event& e : c.events_of(pod.id)) {
            if (!terminations.empty() && e.timestamp > terminations.front()->timestamp) {
                broken.push_back("pod " + pod.id + " has " + std::string(name_of(e.type)) + " after its termination");
            }
        }
    }
    return broken;
}

/// Each pod was terminated once, whoever did it (its agent's end, or a rescuer), and no
/// two rescuers, nor one twice, say they terminated the same pod.
inline Broken pods_terminated_once(const CheckedContents& c, const PodFailureRecord& r)
{
    Broken broken;
    for (const Pod& p : c.now().pods) {
        if (const auto n = terminations_of(c, p.id).size(); n != 1) {
            broken.push_back("pod " + p.id + " was terminated " + std::to_string(n) + " times");
        }
    }
    std::map<std::string, int> rescued;
    for (const Journal& rescuer : r.rescuers) {
        for (const std::string& pod : rescuer.terminated) {
            if (++rescued[pod] == 2) {
                broken.push_back("pod " + pod + " was terminated by two rescues");
            }
        }
    }
    return broken;
}

/// A live pod's report was refused only because its pod had been terminated (a rescue
/// that found it silent too long, when the machine was slow).
inline Broken refusals_were_for_terminated_pods(const CheckedContents& c, const PodFailureRecord& r)
{
    Broken broken;
    for (const PodLife& pod : r.pods) {
        if (!pod.journal.refused.empty() && terminations_of(c, pod.id).empty()) {
            broken.push_back("the agent of " + pod.id + " had its " + pod.journal.refused.front() +
                             " refused, yet the pod was never terminated");
        }
    }
    return broken;
}

/// A rescue terminated only pods silent for longer than its timeout: the pod's last word
/// (its last_communicated, which nothing writes once it is terminated) came more than
/// the timeout before its termination.
inline Broken rescues_were_due(const CheckedContents& c, const PodFailurePlan& plan)
{
    Broken broken;
    for (const Pod& p : c.now().pods) {
        for (const Event* e : terminations_of(c, p.id)) {
            const std::string& reason = change_of(*e).reason;
            const auto timeout = reason == "heartbeat timeout" ? std::optional{plan.heartbeat_timeout}
                                 : reason == "startup timeout" ? std::optional{plan.startup_timeout}
                                                               : std::nullopt;
            const auto silence = e->timestamp - p.last_communicated;
            if (timeout && silence <= *timeout) {
                broken.push_back("pod " + p.id + " was terminated for a " + reason + " after only " +
                                 std::to_string(silence.count()) + " ms without a word");
            }
        }
    }
    return broken;
}

/// What the run, the agents and the rescuers met that they should not have.
inline Broken failures_met(const PodFailureRecord& r)
{
    Broken broken;
    for (const std::string& f : r.failures) {
        broken.push_back("the run: " + f);
    }
    for (const PodLife& pod : r.pods) {
        for (const std::string& f : pod.journal.failures) {
            broken.push_back("the agent of " + pod.id + ": " + f);
        }
    }
    for (std::size_t i = 0; i < r.rescuers.size(); ++i) {
        for (const std::string& f : r.rescuers[i].failures) {
            broken.push_back("rescuer " + std::to_string(i) + ": " + f);
        }
    }
    return broken;
}

} // namespace pod_dispatcher::testing::detail

#endif
