#ifndef POD_DISPATCHER_TESTING_MULTI_PROCESS_HPP
#define POD_DISPATCHER_TESTING_MULTI_PROCESS_HPP

// Workers racing for the tasks of one seeded store, each with its own store object: in
// separate processes, or in threads of one process. For a store that can be opened more
// than once on the same data from a location string (a database URI, a file path). The
// test program has its own main, so that the processes the harness starts run as workers:
//
//     int main(int argc, char* argv[])
//     {
//         return pod_dispatcher::testing::main_with_race_workers(argc, argv, [](std::string_view location) {
//             return open_my_store(location); // a std::unique_ptr<MyStore>, null when it cannot
//         });
//     }
//
//     TEST_CASE("MyStore: worker processes race for the tasks")
//     {
//         auto store = open_my_store(location_of_an_empty_store);
//         pod_dispatcher::testing::check_race_across_processes(*store, location_of_an_empty_store, {});
//     }
//
// Every dispatcher of the race holds as many dispatchable tasks as running pods, and each
// pod is asked for by several workers (dispatch_next_task). After the race, race_violations
// checks what the store holds against the invariants (invariants.hpp) and what the workers
// report. A program with a main of its own (a benchmark) starts with
// `if (is_race_worker(argc, argv)) return race_worker_main(argc, argv, open);` instead.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/detail/worker_process.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_session.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

/// What a race seeds and how hard the workers press.
struct RacePlan {
    int workers = 4;               ///< Processes (or threads) asking for work at once.
    int dispatchers = 30;          ///< Dispatchers seeded, each of its own group.
    int tasks_per_dispatcher = 10; ///< Dispatchable tasks queued in each; it holds as many running pods.
    int askers_per_pod = 2;        ///< Workers that ask for each pod, from 1 to workers.
    int max_attempts = 1000;       ///< Tries of each dispatch_next_task before a conflict counts as a failure.
    unsigned seed = 1;             ///< Orders each worker's pods.
    bool watch_counts = true;      ///< Read each pod's dispatcher after its task, to check that counts only grow.
    /// How long a worker keeps asking for a pod whose dispatch found the store unavailable,
    /// as while its server is stopped and started again; 0: such a failure counts.
    int outage_patience_ms = 0;

    int tasks() const noexcept { return dispatchers * tasks_per_dispatcher; }
};

/// What one worker did.
struct WorkerReport {
    std::vector<std::pair<std::string, std::string>> dispatched{}; ///< (pod, task) handed out to it
    std::vector<std::pair<std::string, std::int64_t>> counts_seen{}; ///< (dispatcher, modification_count), in order
    std::vector<std::string> failures{}; ///< What went wrong, besides asking for a pod already at work.
    /// Pods whose dispatch found the store unavailable, within plan.outage_patience_ms: one
    /// may have been committed, its answer lost, and the pod then holds a task it was not told of.
    std::vector<std::string> unanswered{};
};

namespace detail {
template <class T>
inline constexpr bool owns_a_store = false;
template <Store S>
inline constexpr bool owns_a_store<std::unique_ptr<S>> = true;
} // namespace detail

/// Opens a store on the data a location names: `open(location)` returns a
/// std::unique_ptr to a Store, null when it cannot. Called in worker processes and
/// threads, so it must not use Catch2's assertions.
template <class F>
concept StoreOpener = std::invocable<const F&, std::string_view> &&
                      detail::owns_a_store<std::invoke_result_t<const F&, std::string_view>>;

/// Four workers each running ten pods of one dispatcher, one after the other, as four
/// agents would, with no more tries than the default RetryPolicy's: every dispatch races
/// three others for the same queue, and the store's wait before a retry (conflict_backoff)
/// must keep each from giving up.
inline RacePlan one_dispatcher_under_default_retries(unsigned seed)
{
    return RacePlan{.workers = 4,
                    .dispatchers = 1,
                    .tasks_per_dispatcher = 40,
                    .askers_per_pod = 1,
                    .max_attempts = RetryPolicy{}.max_attempts,
                    .seed = seed};
}

// ---- The seeded documents.

inline std::string race_dispatcher_id(int d) { return "d" + std::to_string(d); }
inline std::string race_task_id(int d, int i) { return "t" + std::to_string(d) + "-" + std::to_string(i); }
inline std::string race_pod_id(int d, int i) { return "p" + std::to_string(d) + "-" + std::to_string(i); }

/// What a race seeds: its project, and for each dispatcher (modification_count 0) its
/// dispatchable tasks and running pods; in StoreContents' order.
inline StoreContents race_seed(const RacePlan& plan)
{
    StoreContents seeded;
    seeded.project_refs.push_back(enabled_project());
    for (int d = 0; d < plan.dispatchers; ++d) {
        PodDispatcher& dispatcher =
            seeded.dispatchers.emplace_back(race_dispatcher_id(d), "g" + std::to_string(d), std::vector<std::string>{},
                                            std::vector<std::string>{}, 0, Timestamp{});
        for (int i = 0; i < plan.tasks_per_dispatcher; ++i) {
            dispatcher.task_ids.push_back(race_task_id(d, i));
            dispatcher.pod_ids.push_back(race_pod_id(d, i));
            seeded.tasks.push_back(dispatchable_task(dispatcher.task_ids.back()));
            seeded.pods.push_back(running_pod(dispatcher.pod_ids.back()));
        }
    }
    sort_contents(seeded);
    return seeded;
}

/// Stores seeded (project refs, tasks, pods, then dispatchers) in an empty store.
template <TestableStore S>
Result<void> seed_contents(S& store, const StoreContents& seeded)
{
    for (const ProjectRef& ref : seeded.project_refs) {
        BOOST_OUTCOME_TRY(store.insert_project_ref(ref));
    }
    for (const Task& task : seeded.tasks) {
        BOOST_OUTCOME_TRY(store.insert_task(task));
    }
    for (const Pod& pod : seeded.pods) {
        BOOST_OUTCOME_TRY(store.insert_pod(pod));
    }
    for (const PodDispatcher& dispatcher : seeded.dispatchers) {
        BOOST_OUTCOME_TRY(dispatcher.insert(store));
    }
    return boost::outcome_v2::success();
}

/// Stores race_seed(plan) in an empty store.
template <TestableStore S>
Result<void> seed_race(S& store, const RacePlan& plan)
{
    return seed_contents(store, race_seed(plan));
}

/// The pods worker asks for, in its order: each pod is asked for by plan.askers_per_pod
/// workers, each in an order of its own.
inline std::vector<std::string> pods_asked_by(const RacePlan& plan, int worker)
{
    std::vector<std::string> pods;
    for (int d = 0; d < plan.dispatchers; ++d) {
        for (int i = 0; i < plan.tasks_per_dispatcher; ++i) {
            const int j = d * plan.tasks_per_dispatcher + i;
            if (((worker - j) % plan.workers + plan.workers) % plan.workers < plan.askers_per_pod) {
                pods.push_back(race_pod_id(d, i));
            }
        }
    }
    std::ranges::shuffle(pods, std::mt19937{plan.seed * 7919U + static_cast<unsigned>(worker)});
    return pods;
}

namespace detail {

/// dispatch_next_task for pod, asked again while the store is unavailable, for at most
/// plan.outage_patience_ms; the pod is reported unanswered if it ever was.
template <Store S>
Result<std::optional<Task>> dispatch_through_outage(S& store, const std::string& pod, const RacePlan& plan,
                                                    const DispatchOptions& options, WorkerReport& report)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(plan.outage_patience_ms);
    for (;;) {
        auto task = dispatch_next_task(store, pod, options);
        if (task || task.error() != Errc::store_unavailable || plan.outage_patience_ms == 0) {
            return task;
        }
        if (report.unanswered.empty() || report.unanswered.back() != pod) {
            report.unanswered.push_back(pod);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return task;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

} // namespace detail

/// One worker's part: asks for each of its pods once (again while an outage lasts, up to
/// plan.outage_patience_ms), and (plan.watch_counts) reads the pod's dispatcher after each
/// task it is given. A pod another worker has put to work answers Errc::pod_busy; every
/// other error is a failure.
template <Store S>
WorkerReport run_race_worker(S& store, const RacePlan& plan, int worker)
{
    WorkerReport report;
    DispatchOptions options;
    options.retry.max_attempts = plan.max_attempts;
    for (const std::string& pod : pods_asked_by(plan, worker)) {
        const auto task = detail::dispatch_through_outage(store, pod, plan, options, report);
        if (!task) {
            if (task.error() != Errc::pod_busy) {
                report.failures.push_back(pod + ": " + task.error().message());
            }
            continue;
        }
        if (!task.value()) {
            report.failures.push_back(pod + ": given no task, as if its queue were empty");
            continue;
        }
        report.dispatched.emplace_back(pod, task.value()->id);
        if (!plan.watch_counts) {
            continue;
        }
        const auto holder = find_one_by_pod_id(store, pod);
        if (holder && holder.value()) {
            report.counts_seen.emplace_back(holder.value()->id, holder.value()->modification_count);
        } else {
            report.failures.push_back(pod + ": its dispatcher cannot be read");
        }
    }
    return report;
}

namespace detail {

inline constexpr std::string_view race_worker_flag = "--pod-dispatcher-race-worker";

// A report travels from a worker process as lines of words; the harness's ids hold no
// spaces, and a failure's text takes the rest of its line.

inline std::string report_text(const WorkerReport& report)
{
    std::ostringstream out;
    for (const auto& [pod, task] : report.dispatched) {
        out << "dispatched " << pod << ' ' << task << '\n';
    }
    for (const auto& [dispatcher, count] : report.counts_seen) {
        out << "count " << dispatcher << ' ' << count << '\n';
    }
    for (const std::string& pod : report.unanswered) {
        out << "unanswered " << pod << '\n';
    }
    for (const std::string& failure : report.failures) {
        std::string line = failure;
        std::ranges::replace(line, '\n', ' ');
        out << "failure " << line << '\n';
    }
    return out.str();
}

inline WorkerReport parse_report(const std::string& text)
{
    WorkerReport report;
    std::istringstream in{text};
    std::string kind;
    while (in >> kind) {
        if (kind == "dispatched") {
            auto& [pod, task] = report.dispatched.emplace_back();
            in >> pod >> task;
        } else if (kind == "count") {
            auto& [dispatcher, count] = report.counts_seen.emplace_back();
            in >> dispatcher >> count;
        } else if (kind == "unanswered") {
            in >> report.unanswered.emplace_back();
        } else {
            std::string rest;
            std::getline(in >> std::ws, rest);
            report.failures.push_back(kind == "failure" ? rest : "unreadable report line: " + kind + ' ' + rest);
        }
    }
    return report;
}

inline std::vector<std::string> plan_args(const RacePlan& plan)
{
    return {std::to_string(plan.workers),        std::to_string(plan.dispatchers),
            std::to_string(plan.tasks_per_dispatcher), std::to_string(plan.askers_per_pod),
            std::to_string(plan.max_attempts),   std::to_string(plan.seed),
            std::to_string(plan.watch_counts ? 1 : 0), std::to_string(plan.outage_patience_ms)};
}

inline constexpr int worker_argc = 13; ///< program, flag, location, report path, worker, plan...

inline RacePlan parse_plan(char* args[])
{
    const auto number = [](const char* s) { return static_cast<int>(std::strtol(s, nullptr, 10)); };
    return RacePlan{number(args[0]), number(args[1]), number(args[2]), number(args[3]), number(args[4]),
                    static_cast<unsigned>(std::strtoul(args[5], nullptr, 10)), number(args[6]) != 0,
                    number(args[7])};
}

} // namespace detail

/// Whether this program was started by race_in_processes, as a worker.
inline bool is_race_worker(int argc, char* argv[])
{
    return argc > 1 && argv[1] == detail::race_worker_flag;
}

/// The main of a worker process: opens a store with open on the location race_in_processes
/// passed, runs the worker's part and writes its report where the harness reads it.
template <StoreOpener Open>
int race_worker_main(int argc, char* argv[], const Open& open)
{
    if (argc != detail::worker_argc) {
        std::fprintf(stderr, "race worker: expected %d arguments, got %d\n", detail::worker_argc - 1, argc - 1);
        return 2;
    }
    const RacePlan plan = detail::parse_plan(argv + 5);
    WorkerReport report;
    if (auto store = open(argv[2])) {
        report = run_race_worker(*store, plan, static_cast<int>(std::strtol(argv[4], nullptr, 10)));
    } else {
        report.failures.push_back(std::string("cannot open ") + argv[2]);
    }
    std::FILE* out = std::fopen(argv[3], "w");
    if (out == nullptr) {
        return 2;
    }
    const std::string text = detail::report_text(report);
    const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    return std::fclose(out) == 0 && written ? 0 : 2;
}

/// The main of a test program that races worker processes: runs as a worker when the
/// harness starts it, else runs the program's Catch2 tests.
template <StoreOpener Open>
int main_with_race_workers(int argc, char* argv[], const Open& open)
{
    return is_race_worker(argc, argv) ? race_worker_main(argc, argv, open) : Catch::Session().run(argc, argv);
}

/// Runs plan.workers copies of this program, each a worker with its own store opened on
/// location, and returns their reports; meanwhile, if set, runs while they do. The
/// program's main must run race_worker_main when is_race_worker (main_with_race_workers
/// does).
inline std::vector<WorkerReport> race_in_processes(std::string_view location, const RacePlan& plan,
                                                   const std::function<void()>& meanwhile = {})
{
    std::vector<detail::ReportFile> files(static_cast<std::size_t>(plan.workers));
    std::vector<pid_t> children;
    for (int w = 0; w < plan.workers; ++w) {
        std::vector<std::string> args{std::string(detail::race_worker_flag), std::string(location),
                                      files[static_cast<std::size_t>(w)].path(), std::to_string(w)};
        const auto plan_words = detail::plan_args(plan);
        args.insert(args.end(), plan_words.begin(), plan_words.end());
        children.push_back(detail::start_copy(args));
    }
    if (meanwhile) {
        meanwhile();
    }
    std::vector<WorkerReport> reports;
    for (int w = 0; w < plan.workers; ++w) {
        const pid_t child = children[static_cast<std::size_t>(w)];
        const int status = child > 0 ? detail::wait_for(child) : -1;
        WorkerReport& report = reports.emplace_back(detail::parse_report(files[static_cast<std::size_t>(w)].contents()));
        if (status != 0) {
            report.failures.push_back("worker " + std::to_string(w) + " did not run to the end (status " +
                                      std::to_string(status) + ")");
        }
    }
    return reports;
}

/// Runs plan.workers threads, each a worker with its own store opened on location, and
/// returns their reports.
template <StoreOpener Open>
std::vector<WorkerReport> race_in_threads(const Open& open, std::string_view location, const RacePlan& plan)
{
    std::vector<WorkerReport> reports(static_cast<std::size_t>(plan.workers));
    {
        std::vector<std::jthread> threads;
        for (int w = 0; w < plan.workers; ++w) {
            threads.emplace_back([&, w] {
                WorkerReport& report = reports[static_cast<std::size_t>(w)];
                if (auto store = open(location)) {
                    report = run_race_worker(*store, plan, w);
                } else {
                    report.failures.push_back("cannot open " + std::string(location));
                }
            });
        }
    }
    return reports;
}

namespace detail {

/// The pods some worker's dispatch of found the store unavailable.
inline std::set<std::string> unanswered_pods(const std::vector<WorkerReport>& reports)
{
    std::set<std::string> pods;
    for (const WorkerReport& report : reports) {
        pods.insert(report.unanswered.begin(), report.unanswered.end());
    }
    return pods;
}

/// What the workers were told: each task handed out once, to one pod, which runs it, and
/// every task dispatched handed to some worker, unless its answer was lost in an outage.
inline void check_reports(const CheckedContents& c, const std::vector<WorkerReport>& reports,
                          std::vector<std::string>& violations)
{
    std::map<std::string, std::string> pod_of_task;
    std::set<std::string> pods_given;
    const std::set<std::string> unanswered = unanswered_pods(reports);
    for (std::size_t w = 0; w < reports.size(); ++w) {
        for (const std::string& failure : reports[w].failures) {
            violations.push_back("worker " + std::to_string(w) + " failed: " + failure);
        }
        for (const auto& [pod, task] : reports[w].dispatched) {
            if (!pod_of_task.emplace(task, pod).second) {
                violations.push_back(task + " was handed out twice, to " + pod_of_task[task] + " and " + pod);
            }
            if (!pods_given.insert(pod).second) {
                violations.push_back(pod + " was given two tasks");
            }
            const Pod* stored = c.pod(pod);
            if (stored == nullptr || stored->running_task_id != task) {
                violations.push_back(pod + " was given " + task + " but does not run it");
            }
        }
    }
    std::set<std::string> held_unanswered;
    for (const Pod& pod : c.now().pods) {
        if (unanswered.contains(pod.id) && !pod.running_task_id.empty()) {
            held_unanswered.insert(pod.running_task_id);
        }
    }
    for (const Task& task : c.now().tasks) {
        if (task.status == TaskStatus::dispatched && !pod_of_task.contains(task.id) &&
            !held_unanswered.contains(task.id)) {
            violations.push_back(task.id + " is dispatched, yet no worker was given it");
        }
    }
}

/// Counts only grow: each worker saw them grow, and each dispatcher's count is the number
/// of ids it dequeued (it started at 0, and every dequeued id counts one).
inline void check_counts(const RacePlan& plan, const CheckedContents& c, const std::vector<WorkerReport>& reports,
                         std::vector<std::string>& violations)
{
    for (std::size_t w = 0; w < reports.size(); ++w) {
        std::map<std::string, std::int64_t> last_seen;
        for (const auto& [id, count] : reports[w].counts_seen) {
            auto [it, first] = last_seen.emplace(id, count);
            if (!first && count < it->second) {
                violations.push_back("worker " + std::to_string(w) + " saw " + id + "'s count go back from " +
                                     std::to_string(it->second) + " to " + std::to_string(count));
            }
            it->second = count;
        }
    }
    for (int d = 0; d < plan.dispatchers; ++d) {
        const PodDispatcher* found = c.dispatcher(race_dispatcher_id(d));
        if (found == nullptr) {
            continue; // nothing_lost says so
        }
        const auto dequeued = plan.tasks_per_dispatcher - static_cast<std::int64_t>(found->task_ids.size());
        if (found->modification_count != dequeued) {
            violations.push_back(found->id + " has count " + std::to_string(found->modification_count) +
                                 " after dequeuing " + std::to_string(dequeued) + " ids");
        }
    }
}

} // namespace detail

/// What went wrong in a race, read from the store's contents afterwards and the workers'
/// reports; empty when nothing did. The store is held to the invariants of both kinds, even
/// one that cannot roll back every unit of work: the stores the harness serves take back
/// what a unit that lost a conflict wrote, and a race loses no server or process part
/// way. On top: no task was handed out twice, no pod given two, each pod given a task runs
/// it, every dispatched task was given to a worker, and every dispatcher's
/// modification_count only grew, one for each id it dequeued.
inline std::vector<std::string> race_violations(const RacePlan& plan, const StoreContents& contents,
                                                const std::vector<WorkerReport>& reports)
{
    const StoreContents seeded = race_seed(plan);
    const CheckedContents checked{contents, seeded};
    std::vector<std::string> violations = every_store_invariants(checked);
    const Broken more = rollback_invariants(checked);
    violations.insert(violations.end(), more.begin(), more.end());
    detail::check_reports(checked, reports, violations);
    detail::check_counts(plan, checked, reports, violations);
    return violations;
}

/// Fails the calling test with every violation, if there are any.
inline void require_no_violations(const std::vector<std::string>& violations)
{
    for (const std::string& v : violations) {
        UNSCOPED_INFO(v);
    }
    REQUIRE(violations.empty());
}

/// Fails the calling test with every violation the race left in store.
template <TestableStore S>
void require_sound_race(S& store, const RacePlan& plan, const std::vector<WorkerReport>& reports)
{
    require_no_violations(race_violations(plan, contents_of(store), reports));
}

/// Seeds the empty store at location (store is one object on it) and races worker
/// processes for its tasks; fails the calling test with what went wrong.
template <TestableStore S>
void check_race_across_processes(S& store, std::string_view location, const RacePlan& plan)
{
    REQUIRE(seed_race(store, plan));
    require_sound_race(store, plan, race_in_processes(location, plan));
}

/// As check_race_across_processes, with outage run while the workers race: it stops the
/// store's server and starts it again, within plan.outage_patience_ms. Some worker must
/// have found the store unavailable, or the outage came too late to test anything. A
/// dispatch whose answer was lost may have been committed: its pod then holds a task that
/// nobody was told of (a rescue of stale pods brings it back, section 7), and nothing else.
template <TestableStore S, std::invocable Outage>
void check_race_across_an_outage(S& store, std::string_view location, const RacePlan& plan, const Outage& outage)
{
    REQUIRE(seed_race(store, plan));
    const std::vector<WorkerReport> reports = race_in_processes(location, plan, outage);
    require_sound_race(store, plan, reports);
    const std::size_t unanswered = detail::unanswered_pods(reports).size();
    std::printf("outage: %zu pods found the store unavailable while asked for\n", unanswered);
    REQUIRE(unanswered > 0);
}

/// As check_race_across_processes, with the workers threads of this process, each with a
/// store object of its own.
template <TestableStore S, StoreOpener Open>
void check_race_across_store_objects(S& store, const Open& open, std::string_view location, const RacePlan& plan)
{
    REQUIRE(seed_race(store, plan));
    require_sound_race(store, plan, race_in_threads(open, location, plan));
}

} // namespace pod_dispatcher::testing

#endif
