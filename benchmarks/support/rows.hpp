#ifndef POD_DISPATCHER_BENCH_ROWS_HPP
#define POD_DISPATCHER_BENCH_ROWS_HPP

// The benchmark grid, registered with Google Benchmark for one library store next to the
// baselines: queue length, number of dispatchers, threads, memory per dispatcher, task
// groups, a long run; then allocate into a task group's queue, with what each call wrote,
// and rescue_stale_pods, on the library store, the hand-written baseline (allocate) and
// SqliteStore (where the benchmarks are built with SQLite).
//
// A row's name says where it was measured, for the report (benchmarks/report.py):
//   SWEEP/OPERATION/ENGINE/dispatchers:D/queue:Q/pods:P
// and Google Benchmark adds /manual_time and /threads:N. Rows that are counted rather
// than timed run once and carry their numbers as counters.

#include "baselines/floor.hpp"
#include "baselines/hand_written.hpp"
#include "baselines/port.hpp"
#include "support/fixtures.hpp"
#include "support/group_allocate.hpp"
#include "support/groups.hpp"
#include "support/heap.hpp"
#include "support/ids_written.hpp"
#include "support/long_run.hpp"
#include "support/rescue.hpp"
#include "support/timing.hpp"
#include "support/written.hpp"

#if POD_DISPATCHER_BENCH_SQLITE
#include "support/sqlite_stores.hpp"
#endif

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

inline constexpr std::string_view floor_engine = "floor";
inline constexpr std::string_view port_engine = "port";
inline constexpr std::string_view hand_written_engine = "hand_written";
inline constexpr std::string_view sqlite_engine = "sqlite_store";

/// How big the grid is.
struct Scale {
    std::vector<std::size_t> queue_lengths{1, 100, 10'000};
    std::vector<std::size_t> dispatcher_counts{1, 10'000};
    /// Dispatchers of the big_store rows (dispatch_next_task and allocate, library and
    /// hand-written): seeding one costs seconds, so run.sh runs these rows apart, their
    /// repetitions back to back on one store, not interleaved with the other rows.
    std::size_t big_store_dispatchers = 1'000'000;
    std::vector<std::size_t> thread_counts{1, 2, 4};
    std::size_t pods_per_dispatcher = 100;   ///< In the queue-length runs, at most this or a tenth of the queue.
    std::size_t batch_ops = 200;             ///< Operations per batch, one thread.
    std::size_t racing_tasks = 1200;         ///< Tasks and pods of the dispatcher threads race on.
    std::size_t dispatchers_per_thread = 30; ///< Each with pods_per_dispatcher tasks and pods.
    std::size_t memory_dispatchers = 1'000'000;
    std::size_t group_tasks = 10'000;            ///< Tasks of the task-group runs.
    std::size_t long_run_dispatches = 1'000'000; ///< Task lives of the long run.
    std::size_t long_run_early = 10'000;         ///< When the long run's early memory is taken.
    std::vector<std::size_t> live_pods{1'000, 100'000}; ///< Among which rescue_stale_pods finds its stale pods.
};

inline Scale full_scale() { return Scale{}; }

/// Every row at sizes small enough for a few seconds in all: a test of the operations'
/// results, not of their speed.
inline Scale quick_scale()
{
    Scale scale;
    scale.queue_lengths = {1, 100, 1'000};
    scale.dispatcher_counts = {1, 1'000};
    scale.big_store_dispatchers = 5'000;
    scale.batch_ops = 100;
    scale.racing_tasks = 400;
    scale.dispatchers_per_thread = 2;
    scale.memory_dispatchers = 10'000;
    scale.group_tasks = 1'000;
    scale.long_run_dispatches = 20'000;
    scale.long_run_early = 2'000;
    scale.live_pods = {100, 1'000};
    return scale;
}

/// Calls per batch of a row whose calls cost up to milliseconds each (SqliteStore's), and
/// whose stores serve a few calls each.
inline constexpr std::size_t few_calls = 10;

/// Makes stores of engine E, each new and empty.
template <class E>
StoreFactory<E> made()
{
    return [] { return std::make_unique<E>(); };
}

#if POD_DISPATCHER_BENCH_SQLITE
template <>
inline StoreFactory<sqlite_test::ScratchStore> made()
{
    return scratch_sqlite_store;
}
#endif

inline std::string row_name(const std::string& sweep, const std::string& operation, std::string_view engine,
                            const Shape& shape)
{
    return sweep + "/" + operation + "/" + std::string(engine) + "/dispatchers:" + std::to_string(shape.dispatchers) +
           "/queue:" + std::to_string(shape.queue_length) + "/pods:" + std::to_string(shape.pods);
}

/// Where a row runs: its sweep, threads, how they share dispatchers, the store's shape,
/// and each thread's operations per batch.
struct Where {
    std::string sweep;
    Shape shape{};
    std::size_t per_lane = 1;
    std::size_t threads = 1;
    Layout layout = Layout::separate;
};

/// Work (Dispatching, Finding) on the pods of a store of engine E seeded with where.shape.
template <class Work, class E>
void on_pods(const std::string& operation, std::string_view engine, const Where& where)
{
    using Fixture = PodFixture<E, Work>;
    add_row<Fixture>(row_name(where.sweep, operation, engine, where.shape),
                     [where](std::size_t threads) {
                         return std::make_unique<Fixture>(made<E>(), where.shape, threads, where.layout);
                     },
                     where.per_lane, where.threads);
}

template <class S>
void dispatch_rows(std::string_view engine, const Where& where)
{
    on_pods<Dispatching, FloorStore>("dispatch_next_task", floor_engine, where);
    on_pods<Dispatching, PortStore>("dispatch_next_task", port_engine, where);
    on_pods<Dispatching, HandWrittenStore>("dispatch_next_task", hand_written_engine, where);
    on_pods<Dispatching, S>("dispatch_next_task", engine, where);
}

template <class E>
void assign_row(std::string_view engine, const Where& where)
{
    add_row<AssignFixture<E>>(row_name(where.sweep, "assign_next_task", engine, where.shape),
                              [where](std::size_t threads) {
                                  return std::make_unique<AssignFixture<E>>(made<E>(), where.shape, threads,
                                                                            where.layout);
                              },
                              where.per_lane, where.threads);
}

template <class S>
void find_rows(std::string_view engine, const Where& where)
{
    on_pods<Finding, PortStore>("find_one_by_pod_id", port_engine, where);
    on_pods<Finding, S>("find_one_by_pod_id", engine, where);
}

/// pd.remove_pod of each dispatcher's only pod, which takes the queue with it.
template <class E>
void remove_last_pod_row(std::string_view engine, const Where& where)
{
    add_row<RemoveLastPodFixture<E>>(
        row_name(where.sweep, "remove_pod", engine, where.shape),
        [where](std::size_t) { return std::make_unique<RemoveLastPodFixture<E>>(made<E>(), where.shape); },
        where.per_lane);
}

/// Repetitions one allocate store serves, run back to back (not interleaved).
inline constexpr std::size_t allocate_runs_per_store = 4;

/// Allocations that each create a dispatcher, into a store holding where.shape's; one
/// store serves the batches of allocate_runs_per_store runs while they grow it by a tenth
/// at most: a run of that share of the batches it serves, since seeding a big store again
/// costs far more than a run.
template <class E>
void allocate_row(std::string_view engine, const Where& where)
{
    const std::size_t batches = std::max<std::size_t>(1, where.shape.dispatchers / 10 / where.per_lane);
    const std::size_t tasks = batches * where.per_lane;
    add_row<AllocateFixture<E>>(
        row_name(where.sweep, "allocate", engine, where.shape),
        [where, tasks](std::size_t) { return std::make_unique<AllocateFixture<E>>(made<E>(), where.shape, tasks); },
        where.per_lane)
        ->Iterations(static_cast<benchmark::IterationCount>(std::max<std::size_t>(1, batches / allocate_runs_per_store)));
}

template <class Work>
void document_row(const std::string& operation, std::string_view engine, const Where& where)
{
    add_row<DocumentFixture<Work>>(row_name(where.sweep, operation, engine, where.shape),
                                   [where](std::size_t) { return std::make_unique<DocumentFixture<Work>>(where.shape); },
                                   where.per_lane);
}

/// A row that runs once, whatever the repetitions asked, and reports what count()
/// returns as counters.
template <class Count>
void counted_row(const std::string& name, Count count)
{
    benchmark::RegisterBenchmark(name.c_str(),
                                 [count](benchmark::State& state) {
                                     for (auto _ : state) {
                                         for (const auto& [what, value] : count()) {
                                             state.counters[what] = value;
                                         }
                                     }
                                 })
        ->Iterations(1)
        ->Repetitions(1);
}

/// A busy loop that shares nothing between threads: how much parallel work the machine
/// allows right now, the control for the thread rows.
inline void busy_loop_row(std::size_t threads)
{
    benchmark::RegisterBenchmark("machine/busy_loop",
                                 [](benchmark::State& state) {
                                     for (auto _ : state) {
                                         std::uint64_t x = 1;
                                         for (int i = 0; i < 1'000'000; ++i) {
                                             x = x * 6364136223846793005u + 1442695040888963407u;
                                         }
                                         benchmark::DoNotOptimize(x);
                                     }
                                     state.SetItemsProcessed(state.iterations());
                                 })
        ->Threads(static_cast<int>(threads))
        ->UseRealTime();
}

/// The written counts of calls of allocate into a task group, per call, on a store that
/// counts them (untimed: counting can cost more than the call).
template <CountsWrites C>
std::vector<std::pair<std::string, double>> written_per_allocate(std::size_t queue, std::size_t allocations)
{
    WrittenTally written;
    CountedGroupAllocateFixture<C> fixture{made<C>(), queue, allocations, written};
    std::vector<Tally> tallies(1);
    const auto batch = fixture.next_batch(std::min(few_calls, fixture.capacity()));
    for (char& call : batch.front()) {
        fixture.run(0, call, tallies.front());
    }
    std::vector<std::string> problems;
    fixture.verify(tallies, problems);
    Problems::all().add("written per allocate", problems);
    return written.per_call();
}

template <class S>
class Rows {
public:
    Rows(std::string engine, Scale scale) : engine_(std::move(engine)), scale_(std::move(scale)) {}

    void add()
    {
        queue_lengths();
        dispatcher_counts();
        threads();
        memory();
        task_groups();
        long_run_memory();
        group_allocations();
        rescues();
    }

private:
    void queue_lengths()
    {
        for (std::size_t queue : scale_.queue_lengths) {
            // A long queue's dispatcher holds a pod for a tenth of its tasks: a store then
            // serves that many dispatches before it is seeded again, and its queue stays
            // within a tenth of its length.
            const std::size_t pods = std::min(queue, std::max(scale_.pods_per_dispatcher, queue / 10));
            const Where where{"queue_length", {1, queue, pods}, scale_.batch_ops};
            dispatch_rows<S>(engine_, where);
            assign_row<HandWrittenStore>(hand_written_engine, where);
            assign_row<S>(engine_, where);
            find_rows<S>(engine_, where);
            Where one_pod = where;
            one_pod.shape.pods = 1;
            remove_last_pod_row<PortStore>(port_engine, one_pod);
            remove_last_pod_row<S>(engine_, one_pod);
            document_row<Encoding>("json_encode", engine_, where);
            document_row<Decoding>("json_decode", engine_, where);
        }
    }

    void dispatcher_counts()
    {
        for (std::size_t count : scale_.dispatcher_counts) {
            const Where where{"dispatchers", {count, 1, 1}, scale_.batch_ops};
            dispatch_rows<S>(engine_, where);
            find_rows<S>(engine_, where);
            remove_last_pod_row<PortStore>(port_engine, where);
            remove_last_pod_row<S>(engine_, where);
            allocate_row<FloorStore>(floor_engine, where);
            allocate_row<PortStore>(port_engine, where);
            allocate_row<HandWrittenStore>(hand_written_engine, where);
            allocate_row<S>(engine_, where);
        }
        const Where big{"big_store", {scale_.big_store_dispatchers, 1, 1}, scale_.batch_ops};
        on_pods<Dispatching, HandWrittenStore>("dispatch_next_task", hand_written_engine, big);
        on_pods<Dispatching, S>("dispatch_next_task", engine_, big);
        allocate_row<HandWrittenStore>(hand_written_engine, big);
        allocate_row<S>(engine_, big);
    }

    void threads()
    {
        const std::size_t racing = scale_.racing_tasks;
        const std::size_t pods = scale_.pods_per_dispatcher;
        for (std::size_t threads : scale_.thread_counts) {
            busy_loop_row(threads);
            const Where shared{"threads_one_dispatcher", {1, racing, racing}, racing / threads, threads, Layout::shared};
            dispatch_rows<S>(engine_, shared);
            assign_row<S>(engine_, shared);
            const Where separate{"threads_separate", {threads * scale_.dispatchers_per_thread, pods, pods},
                                 scale_.dispatchers_per_thread * pods, threads, Layout::separate};
            dispatch_rows<S>(engine_, separate);
            assign_row<S>(engine_, separate);
        }
    }

    template <class E>
    void memory_row(std::string_view engine)
    {
        const Shape shape{scale_.memory_dispatchers, 1, 1};
        counted_row(row_name("memory", "memory", engine, shape), [count = shape.dispatchers] {
            return std::vector<std::pair<std::string, double>>{
                {"bytes_per_dispatcher", bytes_per_dispatcher(made<E>(), count)}};
        });
    }

    void memory()
    {
        memory_row<FloorStore>(floor_engine);
        memory_row<PortStore>(port_engine);
        memory_row<HandWrittenStore>(hand_written_engine);
        memory_row<S>(engine_);
    }

    /// The same tasks in groups of ten sharing two pods, and each in a group of its own.
    void task_groups()
    {
        for (const Grouping grouping : {Grouping{scale_.group_tasks, 1, 0}, Grouping{scale_.group_tasks, 10, 2}}) {
            const std::size_t groups = grouping.tasks / grouping.group_size;
            const std::size_t pods = grouping.group_size == 1 ? grouping.tasks : groups * grouping.max_hosts;
            const std::string engine = engine_ + (grouping.group_size == 1 ? "/singles" : "/groups");
            add_row<GroupFixture<S>>(
                row_name("task_groups", "dispatch_and_finish", engine, Shape{groups, grouping.group_size, pods}),
                [grouping](std::size_t) { return std::make_unique<GroupFixture<S>>(made<S>(), grouping); },
                scale_.batch_ops);
        }
    }

    /// Memory of a store whose tasks come and go, drained and forgotten as they finish.
    void long_run_memory()
    {
        if constexpr (requires(S& s) { s.drain_events(); s.forget_finished(); }) {
            counted_row(row_name("long_run", "long_run", engine_, Shape{scale_.long_run_dispatches, 1, 1}),
                        [early = scale_.long_run_early, dispatches = scale_.long_run_dispatches] {
                            S store;
                            const LongRun run = long_run(store, early, dispatches, 1000);
                            return std::vector<std::pair<std::string, double>>{
                                {"early_dispatches", static_cast<double>(run.early_dispatches)},
                                {"early_bytes", run.early_bytes},
                                {"bytes", run.bytes},
                                {"drain_ns_per_dispatch", run.drain_ns_per_dispatch},
                                {"cycle_ns", run.cycle_ns}};
                        });
        }
    }

    /// allocate into a task group's queue at each queue length, and what each call wrote:
    /// on the library store, the ids its dispatcher writes carried; on SqliteStore, the
    /// rows of each table.
    void group_allocations()
    {
        allocate_into_group<S, IdsWritten<S>>(engine_);
        allocate_into_group<HandWrittenStore>(hand_written_engine);
#if POD_DISPATCHER_BENCH_SQLITE
        allocate_into_group<sqlite_test::ScratchStore, RowCountingSqliteStore>(sqlite_engine);
#endif
    }

    /// A store serves at most a tenth of its queue length in calls, so that the queue
    /// stays about that long. Counted is void where what the calls wrote is not counted.
    template <class E, class Counted = void>
    void allocate_into_group(std::string_view engine)
    {
        for (std::size_t queue : scale_.queue_lengths) {
            const std::size_t allocations = std::max<std::size_t>(1, queue / 10);
            const std::string name = row_name("group_allocate", "allocate_into_group", engine, Shape{1, queue, 1});
            add_row<GroupAllocateFixture<E>>(
                name,
                [queue, allocations](std::size_t) {
                    return std::make_unique<GroupAllocateFixture<E>>(made<E>(), queue, allocations);
                },
                few_calls);
            if constexpr (!std::is_void_v<Counted>) {
                counted_row(name + "/written",
                            [queue, allocations] { return written_per_allocate<Counted>(queue, allocations); });
            }
        }
    }

    void rescues()
    {
        rescue<S>(engine_);
#if POD_DISPATCHER_BENCH_SQLITE
        rescue<sqlite_test::ScratchStore>(sqlite_engine);
#endif
    }

    /// A store serves live / 100 rescues, so that the pods its rescues find stale are at
    /// most a tenth as many as the live ones.
    template <class E>
    void rescue(std::string_view engine)
    {
        for (std::size_t live : scale_.live_pods) {
            const std::size_t rescues = std::max<std::size_t>(1, live / 100);
            add_row<RescueFixture<E>>(
                row_name("rescue", "rescue_stale_pods", engine, Shape{0, 0, live}),
                [live, rescues](std::size_t) { return std::make_unique<RescueFixture<E>>(made<E>(), live, rescues); },
                few_calls);
        }
    }

    std::string engine_;
    Scale scale_;
};

} // namespace pod_dispatcher::bench

#endif
