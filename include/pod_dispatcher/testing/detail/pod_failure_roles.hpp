#ifndef POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_ROLES_HPP
#define POD_DISPATCHER_TESTING_DETAIL_POD_FAILURE_ROLES_HPP

// The parts of pod_failures.hpp that run in processes (or threads) of their own: a pod's
// agent and a rescuer, each writing down what it does in a journal, a line at a time, as
// words (the run's ids hold no spaces; a failure's text takes the rest of its line).

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/pod_failure_record.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>
#include <string>
#include <thread>

namespace pod_dispatcher::testing::detail {

inline std::string journal_line(std::string_view kind, const TaskRun& run)
{
    return std::string(kind) + ' ' + run.task_id + ' ' + std::to_string(run.execution);
}

inline std::string failure_line(std::string text)
{
    std::ranges::replace(text, '\n', ' ');
    return "failure " + text;
}

inline Journal parse_journal(const std::string& text)
{
    Journal journal;
    std::istringstream in{text};
    std::string kind;
    while (in >> kind) {
        if (kind == "dispatched" || kind == "finished") {
            TaskRun& run = (kind == "dispatched" ? journal.dispatched : journal.finished).emplace_back();
            in >> run.task_id >> run.execution;
        } else if (kind == "refused") {
            in >> journal.refused.emplace_back();
        } else if (kind == "terminated") {
            in >> journal.terminated.emplace_back();
        } else {
            std::string rest;
            std::getline(in >> std::ws, rest);
            journal.failures.push_back(kind == "failure" ? rest : "unreadable journal line: " + kind + ' ' + rest);
        }
    }
    return journal;
}

/// Calls call until it returns anything but Errc::conflict, pausing a little longer
/// each time, while alive() says so: a pod's agent tries a report again for as long as it
/// loses races. (On a store keeping units apart by claims, an agent killed in the middle
/// of a call keeps the other units off its dispatcher until its claim's lease ends.)
template <class Alive, class Call>
auto until_settled(const Alive& alive, Call&& call) -> decltype(call())
{
    auto result = call();
    for (int tries = 1; !result && result.error() == Errc::conflict && alive(); ++tries) {
        std::this_thread::sleep_for(std::chrono::milliseconds{std::min(tries, 50)});
        result = call();
    }
    return result;
}

/// Whether a pod's call went through. One refused because the pod was terminated is
/// written down as such (the agent then stops, as a container whose pod is gone would);
/// any other error as a failure.
template <class R, class Note>
bool went_through(const R& result, std::string_view operation, const Note& note)
{
    if (result) {
        return true;
    }
    if (result.error() == Errc::precondition_failed) {
        note("refused " + std::string(operation));
    } else {
        note(failure_line(std::string(operation) + ": " + result.error().message()));
    }
    return false;
}

/// A pod's agent at work on a task for `length`, heartbeating every plan.heartbeat_every;
/// whether it is still alive and its pod heard at the end. A heartbeat that loses a race
/// is not tried again: the next one comes soon.
template <Store S, class Alive, class Note>
bool work_on(S& store, const std::string& pod_id, std::chrono::milliseconds length, const PodFailurePlan& plan,
             const Alive& alive, const Note& note)
{
    const auto until = std::chrono::steady_clock::now() + length;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(plan.heartbeat_every);
        if (!alive()) {
            return false;
        }
        const auto beat = heartbeat(store, pod_id);
        if (!beat && beat.error() == Errc::conflict) {
            continue;
        }
        if (!went_through(beat, "heartbeat", note)) {
            return false;
        }
    }
    return alive();
}

/// A pod's agent: makes first contact, then asks for a task, works on it (heartbeating)
/// and reports it succeeded, and in a task group asks again, until it is given none. A
/// doomed agent never ends its first task: it works on until it is killed (alive() turns
/// false in a thread; a process is killed outright).
template <Store S, class Alive, class Note>
void run_pod_agent(S& store, const std::string& pod_id, bool doomed, const PodFailurePlan& plan, const Alive& alive,
                   const Note& note)
{
    const auto running = until_settled(alive, [&] { return mark_pod_running(store, pod_id); });
    if (!went_through(running, "mark_pod_running", note)) {
        return;
    }
    DispatchOptions options;
    options.retry.max_attempts = 100;
    while (alive()) {
        const auto task = until_settled(alive, [&] { return dispatch_next_task(store, pod_id, options); });
        if (!went_through(task, "dispatch_next_task", note) || !task.value()) {
            return;
        }
        const TaskRun run{task.value()->id, task.value()->execution};
        note(journal_line("dispatched", run));
        if (!work_on(store, pod_id, doomed ? plan.deadline : plan.work, plan, alive, note)) {
            return;
        }
        if (doomed) {
            note(failure_line("was to be killed in " + run.task_id + ", and never was"));
            return;
        }
        const auto finished = until_settled(alive, [&] { return finish_task(store, pod_id, TaskStatus::succeeded); });
        if (!went_through(finished, "finish_task", note)) {
            return;
        }
        note(journal_line("finished", run));
        if (!in_task_group(*task.value())) {
            return;
        }
    }
}

/// A rescuer: calls rescue_stale_pods about every plan.rescue_every while keep_going()
/// says so, and writes down each pod it terminated. A rescue that lost its races is tried
/// again at the next call. The pauses vary (from half to one and a half times
/// rescue_every), so that the rescuers started together do not keep their order: each
/// gets to be the first to find a pod stale.
template <Store S, class KeepGoing, class Note>
void run_rescuer(S& store, const PodFailurePlan& plan, const KeepGoing& keep_going, const Note& note)
{
    RescueOptions options;
    options.startup_timeout = plan.startup_timeout;
    options.heartbeat_timeout = plan.heartbeat_timeout;
    std::minstd_rand random{std::random_device{}()};
    std::uniform_int_distribution<std::chrono::milliseconds::rep> pause{plan.rescue_every.count() / 2,
                                                                        plan.rescue_every.count() * 3 / 2};
    while (keep_going()) {
        const auto report = rescue_stale_pods(store, options);
        if (report) {
            for (const std::string& pod : report.value().terminated_pods) {
                note("terminated " + pod);
            }
        } else if (report.error() != Errc::conflict) {
            note(failure_line("rescue_stale_pods: " + report.error().message()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{pause(random)});
    }
}

} // namespace pod_dispatcher::testing::detail

#endif
