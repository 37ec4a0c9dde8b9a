// PostgresStore's throughput against the server POD_DISPATCHER_POSTGRES_URI names, for
// benchmarks/run.sh to set beside River's on the same server (benchmarks/river/).
//
//   pod_dispatcher_bench_postgres [--processes P] [--layout dispatcher_per_process|one_dispatcher]
//                                 [--tasks N] [--csv PATH]
//
// On a fresh schema, allocate queues N tasks in task groups: one group (so one
// dispatcher) per worker process, each with one pod (a single-host group), or one group
// for all, with P pods.
// Then P worker processes (forked, each with a store of its own) each run one pod, which
// loops dispatch_next_task and finish_task until its queue is empty. One unit is one task
// handed out to a pod (dispatch_next_task, a committed transaction) and reported
// finished (finish_task, another); the time runs from the moment every worker is
// connected until the last one ends. Every task must have been handed out exactly once
// and the store must keep every invariant (testing/invariants.hpp), else the program
// fails. Prints a RESULT line and appends a row to PATH; the schema is dropped after.

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/checked_contents.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/multi_process.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher_postgres/postgres_store.hpp>

#include <libpq-fe.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace {

namespace pd = pod_dispatcher;
using pd::testing::WorkerReport;
using pod_dispatcher_postgres::PostgresStore;

enum class Layout { dispatcher_per_process, one_dispatcher };

struct Plan {
    int processes = 1;
    Layout layout = Layout::dispatcher_per_process;
    int tasks = 2000;
    std::string csv;
};

const char* name_of(Layout layout)
{
    return layout == Layout::dispatcher_per_process ? "dispatcher_per_process" : "one_dispatcher";
}

/// A task group of the plan: its dispatcher's tasks, and the pods it takes.
struct Group {
    std::string name;
    int tasks = 0;
    int pods = 0;
};

std::vector<Group> groups_of(const Plan& plan)
{
    if (plan.layout == Layout::one_dispatcher) {
        return {Group{"g", plan.tasks, plan.processes}};
    }
    std::vector<Group> groups;
    for (int w = 0; w < plan.processes; ++w) {
        // The remainder goes to the first groups, so that all plan.tasks are queued.
        const int share = plan.tasks / plan.processes + (w < plan.tasks % plan.processes ? 1 : 0);
        groups.push_back(Group{"g" + std::to_string(w), share, 1});
    }
    return groups;
}

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "pod_dispatcher_bench_postgres: %s\n", what.c_str());
    std::exit(1);
}

PostgresStore open_store(const std::string& uri, const std::string& schema)
{
    auto store = PostgresStore::open(uri, {.schema = schema});
    if (!store) {
        fail("cannot open schema " + schema + ": " + store.error().message());
    }
    return std::move(store).value();
}

template <class T>
T value_or_fail(pd::Result<T> result, const PostgresStore& store, const std::string& what)
{
    if (!result) {
        fail(what + ": " + result.error().message() + " " + store.last_error_message());
    }
    if constexpr (!std::is_void_v<T>) {
        return std::move(result).value();
    }
}

/// Stores and allocates a group's tasks in order, each offering a pod already running (as
/// its agent would have reported it); the group's dispatcher as the last allocate left it.
pd::PodDispatcher allocate_group(PostgresStore& store, const Group& group)
{
    pd::PodDispatcher allocated;
    for (int i = 0; i < group.tasks; ++i) {
        pd::Task task = pd::testing::group_task(group.name + "-" + std::to_string(i), group.name, i, group.pods);
        pd::Pod pod = pd::testing::running_pod(group.name + "-pod" + std::to_string(i));
        value_or_fail(store.insert_task(task), store, "insert " + task.id);
        allocated = value_or_fail(pd::allocate(store, task, pod), store, "allocate " + task.id);
    }
    return allocated;
}

/// The plan's tasks allocated into their groups; the groups' pods, one per worker.
std::vector<std::string> allocate_tasks(PostgresStore& store, const Plan& plan)
{
    value_or_fail(store.insert_project_ref(pd::testing::enabled_project()), store, "project");
    std::vector<std::string> pods;
    for (const Group& group : groups_of(plan)) {
        const pd::PodDispatcher allocated = allocate_group(store, group);
        pods.insert(pods.end(), allocated.pod_ids.begin(), allocated.pod_ids.end());
    }
    if (pods.size() != static_cast<std::size_t>(plan.processes)) {
        fail("allocate gave " + std::to_string(pods.size()) + " pods for " + std::to_string(plan.processes) +
             " workers");
    }
    return pods;
}

/// One pod's loop: its next task, then that task finished, until it is given none.
WorkerReport run_pod(PostgresStore& store, const std::string& pod)
{
    WorkerReport report;
    for (;;) {
        const auto task = pd::dispatch_next_task(store, pod);
        if (!task || !task.value()) {
            if (!task) {
                report.failures.push_back("dispatch_next_task: " + task.error().message());
            }
            return report;
        }
        report.dispatched.emplace_back(pod, task.value()->id);
        if (const auto done = pd::finish_task(store, pod, pd::TaskStatus::succeeded); !done) {
            report.failures.push_back("finish_task " + task.value()->id + ": " + done.error().message());
            return report;
        }
    }
}

/// A pipe between the parent and its forked workers, a byte per worker: a starting gate.
/// Each side closes the end it does not use, so that when the other side dies the pipe
/// ends rather than waits.
class Gate {
public:
    Gate()
    {
        if (::pipe(ends_) != 0) {
            fail("pipe: " + std::system_category().message(errno));
        }
    }
    ~Gate() { close_both(); }
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;

    void only_read() { close_end(1); }
    void only_write() { close_end(0); }
    void close_both() { only_read(), only_write(); }

    bool send(int count)
    {
        const std::string bytes(static_cast<std::size_t>(count), 'x');
        return ::write(ends_[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    }

    bool receive(int count)
    {
        char byte = 0;
        for (int i = 0; i < count; ++i) {
            if (::read(ends_[0], &byte, 1) != 1) {
                return false;
            }
        }
        return true;
    }

private:
    void close_end(int end)
    {
        if (ends_[end] >= 0) {
            ::close(ends_[end]);
            ends_[end] = -1;
        }
    }

    int ends_[2] = {-1, -1};
};

/// A forked worker: connects, says it is ready, waits for the start, runs its pod and
/// writes its report. Leaves with _exit, touching nothing the parent holds.
[[noreturn]] void worker(const std::string& uri, const std::string& schema, const std::string& pod, Gate& ready,
                         Gate& go, const std::string& report_path)
{
    ready.only_write();
    go.only_read();
    WorkerReport report;
    {
        auto opened = PostgresStore::open(uri, {.schema = schema});
        const bool started = ready.send(1);
        ready.close_both();
        if (!started || !go.receive(1)) {
            ::_exit(2);
        }
        if (opened) {
            report = run_pod(opened.value(), pod);
        } else {
            report.failures.push_back("cannot open the store: " + opened.error().message());
        }
    }
    std::ofstream{report_path} << pd::testing::detail::report_text(report);
    ::_exit(0);
}

struct Timed {
    double seconds = 0;
    std::vector<WorkerReport> reports;
};

/// Forks one worker per pod and times them from the moment all are connected until the
/// last has ended.
Timed run_workers(const std::string& uri, const std::string& schema, const std::vector<std::string>& pods)
{
    Gate ready;
    Gate go;
    std::vector<pd::testing::detail::ReportFile> files(pods.size());
    std::vector<pid_t> children;
    std::fflush(nullptr);
    for (std::size_t w = 0; w < pods.size(); ++w) {
        const pid_t child = ::fork();
        if (child == 0) {
            worker(uri, schema, pods[w], ready, go, files[w].path());
        }
        if (child < 0) {
            fail("fork: " + std::system_category().message(errno));
        }
        children.push_back(child);
    }
    ready.only_read();
    go.only_write();
    const int workers = static_cast<int>(pods.size());
    if (!ready.receive(workers)) {
        fail("a worker did not start");
    }
    const auto start = std::chrono::steady_clock::now();
    if (!go.send(workers)) {
        fail("cannot start the workers");
    }
    Timed timed;
    for (std::size_t w = 0; w < children.size(); ++w) {
        const int status = pd::testing::detail::wait_for(children[w]);
        WorkerReport& report = timed.reports.emplace_back(pd::testing::detail::parse_report(files[w].contents()));
        if (status != 0) {
            report.failures.push_back("worker " + std::to_string(w) + " ended with status " + std::to_string(status));
        }
    }
    timed.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return timed;
}

/// What went wrong: a worker's failure, a task handed out other than exactly once or not
/// finished, and every invariant the store broke since allocation.
std::vector<std::string> violations(const pd::StoreContents& now, const pd::StoreContents& allocated,
                                    const std::vector<WorkerReport>& reports)
{
    std::vector<std::string> found;
    std::map<std::string, int> handed_out;
    for (const WorkerReport& report : reports) {
        found.insert(found.end(), report.failures.begin(), report.failures.end());
        for (const auto& [pod, task] : report.dispatched) {
            ++handed_out[task];
        }
    }
    for (const pd::Task& task : now.tasks) {
        if (const int times = handed_out[task.id]; times != 1) {
            found.push_back(task.id + " was handed out " + std::to_string(times) + " times");
        }
        if (task.status != pd::TaskStatus::succeeded) {
            found.push_back(task.id + " did not finish");
        }
    }
    if (handed_out.size() != now.tasks.size()) {
        found.push_back("a task handed out is not stored");
    }
    const pd::testing::CheckedContents checked{now, allocated};
    for (const auto& broken : {pd::testing::every_store_invariants(checked), pd::testing::rollback_invariants(checked)}) {
        found.insert(found.end(), broken.begin(), broken.end());
    }
    return found;
}

// ---- Round trips per dispatch_next_task, for a store whose round_trips() returns the
// round trips it has made (PostgresStore's does).

template <class S>
concept CountsRoundTrips = requires(const S& store) {
    { store.round_trips() } -> std::convertible_to<std::uint64_t>;
};

/// The round trips of each dispatch_next_task of one pod alone on its group, over a few
/// tasks (its finish_task uncounted); none when the store does not count them.
template <class S>
std::optional<double> round_trips_per_dispatch(S& store)
{
    if constexpr (CountsRoundTrips<S>) {
        constexpr int dispatches = 20;
        const std::string pod = allocate_group(store, Group{"round_trips", dispatches, 1}).pod_ids.front();
        std::uint64_t trips = 0;
        for (int i = 0; i < dispatches; ++i) {
            const std::uint64_t before = store.round_trips();
            value_or_fail(pd::dispatch_next_task(store, pod), store, "dispatch_next_task");
            trips += store.round_trips() - before;
            value_or_fail(pd::finish_task(store, pod, pd::TaskStatus::succeeded), store, "finish_task");
        }
        return static_cast<double>(trips) / dispatches;
    } else {
        (void)store;
        return std::nullopt;
    }
}

void drop_schema(const std::string& uri, const std::string& schema)
{
    PGconn* conn = PQconnectdb(uri.c_str());
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PQclear(PQexec(conn, ("DROP SCHEMA IF EXISTS " + schema + " CASCADE").c_str()));
    PQfinish(conn);
}

/// Drops the schema however the run ends, short of a crash.
class FreshSchema {
public:
    explicit FreshSchema(std::string uri) : uri_(std::move(uri)) { drop_schema(uri_, name_); }
    ~FreshSchema() { drop_schema(uri_, name_); }
    FreshSchema(const FreshSchema&) = delete;
    FreshSchema& operator=(const FreshSchema&) = delete;

    const std::string& name() const noexcept { return name_; }

private:
    std::string uri_;
    std::string name_ = "pod_dispatcher_bench_" + std::to_string(::getpid());
};

// The columns river_bench shares.
constexpr const char* csv_header =
    "system,layout,processes,workers,units,seconds,units_per_second,round_trips_per_dispatch";

void report(const Plan& plan, double seconds, std::optional<double> trips)
{
    const double rate = plan.tasks / seconds;
    std::printf("RESULT system=pod_dispatcher layout=%s processes=%d workers=%d units=%d seconds=%.3f "
                "units_per_second=%.1f\n",
                name_of(plan.layout), plan.processes, plan.processes, plan.tasks, seconds, rate);
    if (trips) {
        std::printf("round trips per dispatch_next_task (a task group's pod): %.1f\n", *trips);
    }
    if (plan.csv.empty()) {
        return;
    }
    std::ofstream out{plan.csv, std::ios::app};
    if (out.tellp() == 0) {
        out << csv_header << '\n';
    }
    out << "pod_dispatcher," << name_of(plan.layout) << ',' << plan.processes << ',' << plan.processes << ','
        << plan.tasks << ',' << seconds << ',' << rate << ',';
    if (trips) {
        out << std::fixed << std::setprecision(1) << *trips;
    }
    out << '\n';
    if (!out) {
        fail("cannot write " + plan.csv);
    }
}

Plan parse(int argc, char* argv[])
{
    Plan plan;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--processes") {
            plan.processes = std::stoi(value);
        } else if (flag == "--tasks") {
            plan.tasks = std::stoi(value);
        } else if (flag == "--layout" && (value == "one_dispatcher" || value == "dispatcher_per_process")) {
            plan.layout = value == "one_dispatcher" ? Layout::one_dispatcher : Layout::dispatcher_per_process;
        } else if (flag == "--csv") {
            plan.csv = value;
        } else {
            fail("unknown argument " + std::string(flag) + " " + value);
        }
    }
    if (plan.processes < 1 || plan.tasks < plan.processes) {
        fail("needs at least one process, and a task for each");
    }
    return plan;
}

} // namespace

int main(int argc, char* argv[])
{
    const Plan plan = parse(argc, argv);
    const char* uri = std::getenv("POD_DISPATCHER_POSTGRES_URI");
    if (uri == nullptr || *uri == '\0') {
        std::printf("skipped: set POD_DISPATCHER_POSTGRES_URI to a PostgreSQL server to benchmark PostgresStore\n");
        return 0;
    }
    const FreshSchema schema{uri};
    std::vector<std::string> pods;
    pd::StoreContents allocated;
    {
        // Closed before the fork, so that no worker shares its connection.
        PostgresStore store = open_store(uri, schema.name());
        pods = allocate_tasks(store, plan);
        allocated = value_or_fail(store.snapshot(), store, "snapshot");
    }
    const Timed timed = run_workers(uri, schema.name(), pods);
    PostgresStore store = open_store(uri, schema.name());
    const auto broken = violations(value_or_fail(store.snapshot(), store, "snapshot"), allocated, timed.reports);
    for (const std::string& v : broken) {
        std::fprintf(stderr, "violation: %s\n", v.c_str());
    }
    if (!broken.empty()) {
        return 1;
    }
    report(plan, timed.seconds, round_trips_per_dispatch(store));
    return 0;
}
