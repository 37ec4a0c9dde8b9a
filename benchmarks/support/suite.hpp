#ifndef POD_DISPATCHER_BENCH_SUITE_HPP
#define POD_DISPATCHER_BENCH_SUITE_HPP

// The benchmark grid, run for one library store next to the two baselines: queue
// length, number of dispatchers, threads, and memory per dispatcher. Then two operations
// on the library store and on SqliteStore (where the benchmarks are built with SQLite):
// allocate into a task group's queue, with what each call wrote, and rescue_stale_pods.

#include "baselines/floor.hpp"
#include "baselines/port.hpp"
#include "support/fixtures.hpp"
#include "support/group_allocate.hpp"
#include "support/groups.hpp"
#include "support/heap.hpp"
#include "support/ids_written.hpp"
#include "support/long_run.hpp"
#include "support/parallelism.hpp"
#include "support/report.hpp"
#include "support/rescue.hpp"
#include "support/written.hpp"

#if POD_DISPATCHER_BENCH_SQLITE
#include "support/sqlite_stores.hpp"
#endif

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

/// How big the grid is.
struct Scale {
    std::vector<std::size_t> queue_lengths{1, 100, 10'000};
    std::vector<std::size_t> dispatcher_counts{1, 10'000, 1'000'000};
    std::vector<std::size_t> thread_counts{1, 2, 4};
    std::size_t pods_per_dispatcher = 100;   ///< At most, in the queue-length runs.
    std::size_t batch_ops = 2000;            ///< Operations per repeat, one thread.
    std::size_t racing_tasks = 1200;         ///< Tasks and pods of the dispatcher threads race on.
    std::size_t dispatchers_per_thread = 30; ///< Each with pods_per_dispatcher tasks and pods.
    std::size_t memory_dispatchers = 1'000'000; ///< 0: memory is not measured.
    std::size_t group_tasks = 10'000;           ///< Tasks of the task-group runs; 0: none.
    std::size_t long_run_dispatches = 1'000'000; ///< Task lives of the long run; 0: none.
    std::size_t long_run_early = 10'000;         ///< When the long run's early memory is taken.
    std::vector<std::size_t> live_pods{1'000, 100'000}; ///< Among which rescue_stale_pods finds its stale pods.
    RepeatPolicy repeats{};
    bool timing_targets = true; ///< MemoryStore's targets; a store behind a network is not held to them.
    const char* caveat = "";    ///< Said of the targets at this scale.
};

inline Scale full_scale() { return Scale{}; }

inline Scale quick_scale()
{
    Scale scale;
    scale.queue_lengths = {1, 100, 1'000};
    scale.dispatcher_counts = {1, 1'000};
    scale.batch_ops = 100;
    scale.racing_tasks = 400;
    scale.dispatchers_per_thread = 2;
    scale.memory_dispatchers = 10'000;
    scale.group_tasks = 1'000;
    scale.long_run_dispatches = 20'000;
    scale.long_run_early = 2'000;
    scale.live_pods = {100, 1'000};
    scale.repeats = RepeatPolicy{3, 10, std::chrono::milliseconds{10}};
    scale.caveat = " (quick mode: too small to judge timings by; only the exactly-once line counts)";
    return scale;
}

/// The full grid, or (quick) a few seconds of it: every operation and thread layout at
/// smaller sizes.
inline Scale memory_store_scale(bool quick)
{
    return quick ? quick_scale() : full_scale();
}

/// Calls per repeat of a row whose calls cost up to milliseconds each (SqliteStore's), and
/// whose stores serve a few calls each: a repeat, and the untimed warm-up that sizes the
/// repeats, stay short.
inline constexpr std::size_t few_calls = 10;

/// A row run only for what its calls wrote: its untimed warm-up batch and one repeat.
inline const RepeatPolicy counting_once{1, 1, std::chrono::milliseconds{0}};

/// Makes stores of type T, each default-constructed.
template <class T>
StoreFactory<T> default_made()
{
    return [] { return std::make_unique<T>(); };
}

/// Where a measurement runs: its threads, how they share dispatchers, the store's shape,
/// and each thread's operations per repeat.
struct Where {
    std::size_t threads = 1;
    Layout layout = Layout::separate;
    Shape shape{};
    std::size_t per_lane = 1;
    bool thread_row = false; ///< Compared across thread counts: see repeats_for.
};

template <class S>
class Suite {
public:
    Suite(std::string engine, StoreFactory<S> make, Scale scale, Report& report)
        : engine_(std::move(engine)), make_(std::move(make)), scale_(std::move(scale)), report_(report)
    {
    }

    void run()
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

    const std::vector<std::string>& problems() const { return problems_; }

private:
    void queue_lengths()
    {
        report_.section("queue_length", "queue length: one dispatcher, one thread");
        for (std::size_t queue : scale_.queue_lengths) {
            const Shape shape{1, queue, std::min(queue, scale_.pods_per_dispatcher)};
            const Where where{1, Layout::separate, shape, scale_.batch_ops};
            dispatch(where);
            assign(where);
            find(where);
            remove_last_pod(Where{1, Layout::separate, Shape{1, queue, 1}, scale_.batch_ops});
            documents(where);
        }
    }

    void dispatcher_counts()
    {
        report_.section("dispatchers", "number of dispatchers: one task and one pod each, one thread");
        for (std::size_t count : scale_.dispatcher_counts) {
            const Where where{1, Layout::separate, Shape{count, 1, 1}, scale_.batch_ops};
            dispatch(where);
            find(where);
            remove_last_pod(where);
            allocate(where);
        }
    }

    void threads()
    {
        for (std::size_t threads : scale_.thread_counts) {
            if (threads > 1) {
                report_.add_parallelism(threads, machine_parallelism(threads));
            }
        }
        // Each section's rows are compared across thread counts: they take turns, all of them.
        report_.section("threads_one_dispatcher", "threads racing on one dispatcher");
        const std::size_t racing = scale_.racing_tasks;
        together([&] {
            for (std::size_t threads : scale_.thread_counts) {
                const Where where{threads, Layout::shared, Shape{1, racing, racing}, racing / threads, true};
                dispatch(where);
                assign(where);
            }
        });
        report_.section("threads_separate", "threads on separate dispatchers");
        const std::size_t pods = scale_.pods_per_dispatcher;
        together([&] {
            for (std::size_t threads : scale_.thread_counts) {
                const Shape shape{threads * scale_.dispatchers_per_thread, pods, pods};
                const Where where{threads, Layout::separate, shape, scale_.dispatchers_per_thread * pods, true};
                dispatch(where);
                assign(where);
            }
        });
    }

    void memory()
    {
        if (scale_.memory_dispatchers == 0) {
            return;
        }
        report_.section("memory", "memory per dispatcher: one task and one pod each, with indexes");
        const std::size_t count = scale_.memory_dispatchers;
        report_.add_memory(point("memory", std::string(floor_engine), Where{1, Layout::separate, {count, 1, 1}}),
                           bytes_per_dispatcher(floor_, count));
        report_.add_memory(point("memory", std::string(port_engine), Where{1, Layout::separate, {count, 1, 1}}),
                           bytes_per_dispatcher(port_, count));
        report_.add_memory(point("memory", engine_, Where{1, Layout::separate, {count, 1, 1}}),
                           bytes_per_dispatcher(make_, count));
    }

    /// The same tasks in groups of ten sharing two pods, and each in a group of its own.
    void task_groups()
    {
        if (scale_.group_tasks == 0) {
            return;
        }
        report_.section("task_groups", "task groups: a pod takes its next task and finishes it, one thread");
        for (const Grouping grouping : {Grouping{scale_.group_tasks, 1, 0}, Grouping{scale_.group_tasks, 10, 2}}) {
            std::size_t pods_started = 0;
            const Point point{"dispatch_and_finish", group_engine(grouping), 1, Layout::separate,
                              Shape{grouping.tasks / grouping.group_size, grouping.group_size, 0}};
            Measurement m = measure(point, grouping.tasks, scale_.repeats, [&] {
                auto fixture = std::make_unique<GroupFixture<S>>(make_, grouping);
                pods_started = fixture->pods_started();
                return fixture;
            }, problems_);
            m.point.shape.pods = pods_started;
            report_.add(m);
        }
    }

    std::string group_engine(const Grouping& grouping) const
    {
        return grouping.group_size == 1 ? engine_ + "/singles" : engine_ + "/groups";
    }

    /// Memory of a store whose tasks come and go, drained and forgotten as they finish.
    void long_run_memory()
    {
        if constexpr (requires(S& s) { s.drain_events(); s.forget_finished(); }) {
            if (scale_.long_run_dispatches == 0) {
                return;
            }
            report_.section("long_run", "a long run: tasks come and go, events drained every 1000");
            auto store = make_();
            const LongRun run = long_run(*store, scale_.long_run_early, scale_.long_run_dispatches, 1000);
            report_.add_long_run(engine_, run);
        }
    }

    /// allocate into a task group's queue at each queue length, and what each call wrote:
    /// on the library store, the ids its dispatcher writes carried; on SqliteStore, the
    /// rows of each table.
    void group_allocations()
    {
        report_.section("group_allocate", "allocate into a task group whose queue holds that many tasks, one thread");
        allocate_into_group(engine_, make_, default_made<IdsWritten<S>>());
#if POD_DISPATCHER_BENCH_SQLITE
        allocate_into_group(std::string(sqlite_engine), StoreFactory<sqlite_test::ScratchStore>{scratch_sqlite_store},
                            default_made<RowCountingSqliteStore>());
#endif
    }

    /// Times calls on stores from make, and counts what calls wrote on stores from
    /// make_counting, apart: counting can cost more than the call. The rows of one engine,
    /// one per queue length, take turns. A store serves at most a tenth of its queue
    /// length in calls, so that the queue stays about that long.
    template <class E, CountsWrites C>
    void allocate_into_group(const std::string& engine, StoreFactory<E> make, const StoreFactory<C>& make_counting)
    {
        together([&] {
            for (std::size_t queue : scale_.queue_lengths) {
                const Where where{1, Layout::separate, Shape{1, queue, 1}, few_calls};
                const std::size_t allocations = std::max<std::size_t>(1, queue / 10);
                const Point at = point("allocate_into_group", engine, where);
                WrittenTally written;
                measure(at, where.per_lane, counting_once, [&] {
                    return std::make_unique<CountedGroupAllocateFixture<C>>(make_counting, queue, allocations, written);
                }, problems_);
                time(at, where, [make, queue, allocations] {
                    return std::make_unique<GroupAllocateFixture<E>>(make, queue, allocations);
                }, written.per_call());
            }
        });
    }

    /// rescue_stale_pods of stale_per_rescue pods among each number of live pods.
    void rescues()
    {
        report_.section("rescue", "rescue_stale_pods: " + std::to_string(stale_per_rescue) +
                                      " stale pods among as many live ones as the pods column says, one thread");
        rescue(engine_, make_);
#if POD_DISPATCHER_BENCH_SQLITE
        rescue(std::string(sqlite_engine), StoreFactory<sqlite_test::ScratchStore>{scratch_sqlite_store});
#endif
    }

    /// The rows of one engine, one per number of live pods, take turns. A store serves
    /// live / 100 rescues, so that the pods its rescues find stale are at most a tenth as
    /// many as the live ones.
    template <class E>
    void rescue(const std::string& engine, StoreFactory<E> make)
    {
        together([&] {
            for (std::size_t live : scale_.live_pods) {
                const Where where{1, Layout::separate, Shape{0, 0, live}, few_calls};
                const std::size_t rescues = std::max<std::size_t>(1, live / 100);
                time(point("rescue_stale_pods", engine, where), where,
                     [make, live, rescues] { return std::make_unique<RescueFixture<E>>(make, live, rescues); });
            }
        });
    }

    static Point point(std::string operation, std::string engine, const Where& where)
    {
        return Point{std::move(operation), std::move(engine), where.threads, where.layout, where.shape};
    }

    /// Calls queue_rows(), then measures every row it queued together, taking turns. A
    /// call inside another leaves the measuring to the outer one.
    template <class QueueRows>
    void together(QueueRows&& queue_rows)
    {
        ++nesting_;
        queue_rows();
        if (--nesting_ > 0) {
            return;
        }
        const std::vector<Measurement> measured = measure_together(queued_);
        for (std::size_t i = 0; i < measured.size(); ++i) {
            report_.add(measured[i], std::move(queued_written_[i]));
        }
        queued_.clear();
        queued_written_.clear();
    }

    /// Queues a row, to be measured by the enclosing together(). The row outlives the
    /// call: make_fixture holds what it needs by value, or members. written: what each of
    /// its calls wrote, where that was counted.
    template <class MakeFixture>
    void time(const Point& point, const Where& where, MakeFixture make_fixture, WrittenPerCall written = {})
    {
        queued_.emplace_back(point, where.per_lane, repeats_for(where), std::move(make_fixture), problems_);
        queued_written_.push_back(std::move(written));
    }

    /// A row compared across thread counts is timed in the long repeats several threads
    /// need, on one thread too: timed in short repeats, the one-thread row would run on a
    /// warmer store than the rows it is compared with.
    RepeatPolicy repeats_for(const Where& where) const
    {
        RepeatPolicy policy = scale_.repeats;
        if (where.thread_row) {
            policy.batch_time = policy.threaded_batch_time;
        }
        return policy;
    }

    /// Work on the pods of a store seeded with where.shape.
    template <class Work, class E>
    void on_pods(const std::string& operation, std::string engine, const StoreFactory<E>& make, const Where& where)
    {
        time(point(operation, std::move(engine), where), where, [&make, where] {
            return std::make_unique<PodFixture<E, Work>>(make, where.shape, where.threads, where.layout);
        });
    }

    void dispatch(const Where& where)
    {
        together([&] {
            on_pods<Dispatching>("dispatch_next_task", std::string(floor_engine), floor_, where);
            on_pods<Dispatching>("dispatch_next_task", std::string(port_engine), port_, where);
            on_pods<Dispatching>("dispatch_next_task", engine_, make_, where);
        });
    }

    void find(const Where& where)
    {
        together([&] {
            on_pods<Finding>("find_one_by_pod_id", std::string(port_engine), port_, where);
            on_pods<Finding>("find_one_by_pod_id", engine_, make_, where);
        });
    }

    void assign(const Where& where)
    {
        together([&] {
            time(point("assign_next_task", engine_, where), where, [this, where] {
                return std::make_unique<AssignFixture<S>>(make_, where.shape, where.threads, where.layout);
            });
        });
    }

    template <class E>
    void remove_last_pod(std::string engine, const StoreFactory<E>& make, const Where& where)
    {
        time(point("remove_pod", std::move(engine), where), where,
             [&make, where] { return std::make_unique<RemoveLastPodFixture<E>>(make, where.shape); });
    }

    void remove_last_pod(const Where& where)
    {
        together([&] {
            remove_last_pod(std::string(port_engine), port_, where);
            remove_last_pod(engine_, make_, where);
        });
    }

    /// Allocations that each create a dispatcher, into a store holding where.shape's; one
    /// store serves several repeats while they grow it by a tenth at most.
    template <class E>
    void allocate(std::string engine, const StoreFactory<E>& make, const Where& where)
    {
        const std::size_t batches = std::max<std::size_t>(1, where.shape.dispatchers / 10 / where.per_lane);
        time(point("allocate", std::move(engine), where), where, [&make, where, batches] {
            return std::make_unique<AllocateFixture<E>>(make, where.shape, batches * where.per_lane);
        });
    }

    void allocate(const Where& where)
    {
        together([&] {
            allocate(std::string(floor_engine), floor_, where);
            allocate(std::string(port_engine), port_, where);
            allocate(engine_, make_, where);
        });
    }

    void documents(const Where& where)
    {
        together([&] {
            time(point("json_encode", engine_, where), where,
                 [where] { return std::make_unique<DocumentFixture<Encoding>>(where.shape); });
            time(point("json_decode", engine_, where), where,
                 [where] { return std::make_unique<DocumentFixture<Decoding>>(where.shape); });
        });
    }

    std::string engine_;
    StoreFactory<S> make_;
    StoreFactory<FloorStore> floor_ = [] { return std::make_unique<FloorStore>(); };
    StoreFactory<PortStore> port_ = [] { return std::make_unique<PortStore>(); };
    Scale scale_;
    Report& report_;
    std::vector<std::string> problems_;
    std::vector<Timing> queued_;
    std::vector<WrittenPerCall> queued_written_; ///< Beside each queued row; empty: not counted.
    int nesting_ = 0; ///< Calls of together() under way.
};

} // namespace pod_dispatcher::bench

#endif
