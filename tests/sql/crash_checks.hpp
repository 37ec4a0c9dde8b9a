#ifndef POD_DISPATCHER_TESTS_SQL_CRASH_CHECKS_HPP
#define POD_DISPATCHER_TESTS_SQL_CRASH_CHECKS_HPP

// A process killed with SIGKILL at any statement of an operation leaves the database as
// the operation's units of work left it, each wholly there or wholly absent, and a new
// process carries on from it: it ends where a run that was never interrupted ends, every
// task handed out once.
//
// For each operation of crash_world.hpp, a reference run goes uninterrupted, and the
// database is read after each of its commits. Then, for every k from 1 until the
// operation runs out of statements, a worker process runs the operation on a freshly
// seeded database and kills itself just before its k-th statement. The test opens the
// database after it, finds it as the reference run left it at one of its commits (or
// before the first), runs the operation again unless it was finished, and carries on to
// the end.
//
// For a store, a fixture F says where a database is and how to open it:
// - `F::Store`, `F::Options` (with a `before_statement` hook, called with each SQL
//   statement's text just before it runs);
// - `F::fresh()` -> a std::unique_ptr to a place for a new, empty database, which it
//   removes when destroyed;
// - `F::open(place, options)` -> `F::Store` (or throws);
// - `F::location(place)` -> the location the worker is given;
// - `F::worker` -> the path of the worker program (crash_worker_main.hpp).

#include "child_process.hpp"
#include "crash_world.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace crash_test {

using pod_dispatcher::StoreContents;
using pod_dispatcher::Timestamp;
using pod_dispatcher::testing::contents_json;

/// When this test began: the world is seeded with earlier times only, so a later one was
/// written by a run.
inline const Timestamp test_began = pod_dispatcher::now();

/// t, or test_began when a run wrote it: two runs of the same calls write different times.
inline Timestamp seeded_or_run(Timestamp t)
{
    return t < test_began ? t : test_began;
}

/// contents without what differs between two runs of the same calls: the times they
/// wrote, and the dispatchers' ids, which allocate generates (dispatchers are sorted by
/// group instead).
inline StoreContents without_run_specifics(StoreContents contents)
{
    for (pod_dispatcher::PodDispatcher& d : contents.dispatchers) {
        d.id.clear();
        d.last_modified = {};
    }
    std::ranges::sort(contents.dispatchers, {}, &pod_dispatcher::PodDispatcher::group_id);
    for (pod_dispatcher::Task& task : contents.tasks) {
        for (Timestamp* t : {&task.container_allocated_time, &task.dispatch_time, &task.last_heartbeat}) {
            *t = seeded_or_run(*t);
        }
    }
    for (pod_dispatcher::Pod& pod : contents.pods) {
        pod.last_communicated = seeded_or_run(pod.last_communicated);
    }
    for (pod_dispatcher::Event& event : contents.events) {
        event.timestamp = {};
    }
    return contents;
}

template <class S>
StoreContents contents_of(S& store)
{
    return without_run_specifics(must(store.snapshot(), "reading the store"));
}

/// A place holding the world of crash_world.hpp, and nothing open on it.
template <class F>
auto seeded()
{
    auto place = F::fresh();
    auto store = F::open(*place, {});
    seed_world(store);
    return place;
}

template <class F>
int run_worker(const auto& place, std::string_view operation, long kill_at)
{
    return run_process(F::worker, {F::location(place), std::string(operation), std::to_string(kill_at)});
}

/// What an uninterrupted run stores: before the operation, after each of its commits,
/// after it, and at the end of the work.
struct Reference {
    StoreContents before;
    std::vector<StoreContents> committed;
    StoreContents after;
    StoreContents end;

    /// Whether the database holds what the run left at one of its commits, or before them.
    bool passed_through(const StoreContents& found) const
    {
        return found == before || std::ranges::find(committed, found) != committed.end();
    }
};

template <class F>
Reference uninterrupted(const Operation<typename F::Store>& operation)
{
    const auto place = seeded<F>();
    auto reader = F::open(*place, {});
    Reference r;
    r.before = contents_of(reader);
    bool committed = false;
    typename F::Options options;
    options.before_statement = [&](std::string_view sql) {
        // The statement after a COMMIT: the database now holds what that commit wrote.
        if (std::exchange(committed, sql == "COMMIT")) {
            r.committed.push_back(contents_of(reader));
        }
    };
    auto store = F::open(*place, std::move(options));
    must(operation.run(store), "running the operation");
    r.after = contents_of(reader);
    r.committed.push_back(r.after);
    carry_on(reader);
    r.end = contents_of(reader);
    return r;
}

/// At the end of the work each task was handed out at most once, to the one pod it names,
/// and no task is lost: one allocated and still undispatched is queued.
inline void require_all_handed_out_once(const StoreContents& end)
{
    std::set<std::string> queued;
    for (const pod_dispatcher::PodDispatcher& d : end.dispatchers) {
        queued.insert(d.task_ids.begin(), d.task_ids.end());
    }
    std::map<std::string, int> dispatches;
    std::map<std::string, std::vector<std::string>> assigned_to;
    for (const pod_dispatcher::Event& event : end.events) {
        if (event.type == pod_dispatcher::EventType::task_dispatched) {
            REQUIRE(++dispatches[event.resource_id] == 1);
        } else if (event.type == pod_dispatcher::EventType::pod_assigned_task) {
            assigned_to[std::get<pod_dispatcher::AssignmentData>(event.data).task_id].push_back(event.resource_id);
        }
    }
    for (const pod_dispatcher::Task& task : end.tasks) {
        INFO("task " << task.id);
        const bool handed_out = dispatches.contains(task.id);
        if (handed_out) {
            REQUIRE((task.status == pod_dispatcher::TaskStatus::dispatched ||
                     task.status == pod_dispatcher::TaskStatus::succeeded));
            REQUIRE(assigned_to[task.id] == std::vector{task.pod_id});
        }
        if (task.container_allocated && task.status == pod_dispatcher::TaskStatus::undispatched) {
            REQUIRE(queued.contains(task.id));
        }
    }
}

/// The names of the operations, for a GENERATE.
template <class S>
std::vector<std::string_view> operation_names()
{
    std::vector<std::string_view> names;
    for (const Operation<S>& operation : operations<S>()) {
        names.push_back(operation.name);
    }
    return names;
}

/// The operation called name, killed at each of its statements in turn.
template <class F>
void check_kills_at_every_statement(std::string_view name)
{
    INFO("operation: " << name);
    const Operation<typename F::Store>& operation = *operation_named<typename F::Store>(name);
    const Reference reference = uninterrupted<F>(operation);
    REQUIRE(contents_json(reference.before) != contents_json(reference.after));
    require_all_handed_out_once(reference.end);

    long kills = 0;
    for (long k = 1;; ++k) {
        INFO("killed before statement " << k);
        REQUIRE(k < 1'000);
        const auto place = seeded<F>();
        const int status = run_worker<F>(*place, name, k);
        if (WIFEXITED(status)) {
            // The operation ran out of statements before the k-th: it has been cut at each.
            REQUIRE(WEXITSTATUS(status) == 0);
            REQUIRE(kills > 0);
            break;
        }
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);
        ++kills;

        auto store = F::open(*place, {});
        const StoreContents found = contents_of(store);
        if (!reference.passed_through(found)) {
            FAIL("the database holds what no uninterrupted run passes through: " << contents_json(found));
        }
        if (found != reference.after) {
            must(operation.run(store), "running the operation again");
        }
        REQUIRE(contents_json(contents_of(store)) == contents_json(reference.after));
        carry_on(store);
        REQUIRE(contents_json(contents_of(store)) == contents_json(reference.end));
    }
}

} // namespace crash_test

#endif
