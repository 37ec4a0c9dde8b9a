// MongoStore's throughput against the server POD_DISPATCHER_MONGODB_URI names: worker
// processes, each with its own store, dispatching the tasks of one database at once, for
// 1, 4 and 8 processes, on a small and a larger database. The workload is the race of testing/multi_process.hpp with each
// pod asked for once: every dispatcher's pods are spread over the processes, so they
// contend for its queue as the pods of one group would. Every run is checked as the
// multi-process test checks it; a run that breaks a promise fails the benchmark.
//
//   pod_dispatcher_bench_mongo [--quick] [--csv PATH]
//
// Prints a table and writes PATH (default bench-results-mongo.csv). Each configuration
// runs on a fresh database, dropped afterwards.

#include <pod_dispatcher/testing/multi_process.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pod_dispatcher::testing::RacePlan;
using pod_dispatcher::testing::WorkerReport;
using pod_dispatcher_mongo::MongoStore;

std::unique_ptr<MongoStore> open_at(std::string_view location)
{
    auto store = MongoStore::open(location);
    return store ? std::make_unique<MongoStore>(std::move(store).value()) : nullptr;
}

struct Run {
    double seconds = 0;
    std::size_t dispatched = 0;
};

/// One timed race on a fresh database; exits the program when the race breaks a promise.
Run race_once(const std::string& uri, const RacePlan& plan, int index)
{
    const std::string where = pod_dispatcher_mongo::uri_naming_database(
        uri, "pod_dispatcher_bench_" + std::to_string(::getpid()) + "_" + std::to_string(index));
    const auto store = open_at(where);
    if (!store || !store->drop_database() || !pod_dispatcher::testing::seed_race(*store, plan)) {
        std::fprintf(stderr, "cannot set up %s: %s\n", where.c_str(), store ? store->last_error_message().c_str() : "");
        std::exit(1);
    }
    const auto start = std::chrono::steady_clock::now();
    const std::vector<WorkerReport> reports = pod_dispatcher::testing::race_in_processes(where, plan);
    Run run{std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0};
    for (const WorkerReport& report : reports) {
        run.dispatched += report.dispatched.size();
    }
    const auto contents = store->snapshot();
    const auto violations = contents ? pod_dispatcher::testing::race_violations(plan, contents.value(), reports)
                                     : std::vector<std::string>{"cannot read the store back"};
    (void)store->drop_database();
    if (!violations.empty() || run.dispatched != static_cast<std::size_t>(plan.tasks())) {
        for (const std::string& v : violations) {
            std::fprintf(stderr, "violation: %s\n", v.c_str());
        }
        std::fprintf(stderr, "%zu of %d tasks dispatched\n", run.dispatched, plan.tasks());
        std::exit(1);
    }
    return run;
}

} // namespace

int main(int argc, char* argv[])
{
    if (pod_dispatcher::testing::is_race_worker(argc, argv)) {
        return pod_dispatcher::testing::race_worker_main(argc, argv, open_at);
    }
    bool quick = false;
    std::string csv = "bench-results-mongo.csv";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--quick") {
            quick = true;
        } else if (arg == "--csv" && i + 1 < argc) {
            csv = argv[++i];
        }
    }
    const char* uri = std::getenv("POD_DISPATCHER_MONGODB_URI");
    if (uri == nullptr || *uri == '\0') {
        std::printf("skipped: set POD_DISPATCHER_MONGODB_URI to a MongoDB-wire server to benchmark MongoStore\n");
        return 0;
    }

    // FerretDB reads every document of a collection to find one by _id, so the cost of a
    // call grows with the collections: a small and a larger database.
    struct Size {
        int dispatchers;
        int tasks_per_dispatcher;
    };
    const std::vector<Size> sizes = quick ? std::vector<Size>{{4, 8}} : std::vector<Size>{{4, 8}, {16, 16}};
    const int repeats = quick ? 1 : 3;
    std::ofstream out{csv};
    out << "store,processes,dispatchers,tasks,seconds,dispatches_per_second,ms_per_dispatch\n";
    std::printf("%-10s %-12s %-10s %-16s %s\n", "processes", "dispatchers", "tasks", "dispatches/s", "ms per dispatch");
    int index = 0;
    for (const Size size : sizes) {
        for (const int processes : {1, 4, 8}) {
            RacePlan plan;
            plan.workers = processes;
            plan.dispatchers = size.dispatchers;
            plan.tasks_per_dispatcher = size.tasks_per_dispatcher;
            plan.askers_per_pod = 1;
            plan.watch_counts = false;
            std::vector<Run> runs;
            for (int r = 0; r < repeats; ++r) {
                runs.push_back(race_once(uri, plan, index++));
            }
            std::ranges::sort(runs, {}, &Run::seconds);
            const Run median = runs[runs.size() / 2];
            const double rate = static_cast<double>(median.dispatched) / median.seconds;
            // Each process dispatches back to back: a call takes its share of the time.
            const double ms = 1000.0 * processes / rate;
            std::printf("%-10d %-12d %-10d %-16.1f %.1f\n", processes, plan.dispatchers, plan.tasks(), rate, ms);
            out << "mongo_store," << processes << ',' << plan.dispatchers << ',' << plan.tasks() << ','
                << median.seconds << ',' << rate << ',' << ms << '\n';
        }
    }
    return out ? 0 : 1;
}
