#ifndef POD_DISPATCHER_BENCH_TIMING_HPP
#define POD_DISPATCHER_BENCH_TIMING_HPP

// Google Benchmark times the rows; this is what it cannot do. A row is a fixture (a seeded
// store and the work it can still do) run one batch per iteration, each lane on one of
// the benchmark's threads. Between batches, untimed, the batch just run is checked (every
// task handed out exactly once) and the store is seeded again once it is used up; each
// thread times only its own lane (manual time), so seeding and checking never count.
// Heap allocations per operation and conflicts per operation are counters.
//
// A fixture offers:
// - capacity(): the most items any lane can take before the store must be seeded again;
// - next_batch(per_lane) -> std::vector<std::span<Item>>: one span per lane, or none when
//   the store is used up;
// - run(lane, item, tally): one operation;
// - verify(tallies, problems): checks what the batch did;
// - verify_store(problems): checks the store once the fixture is done with it.

#include "support/allocations.hpp"

#include <benchmark/benchmark.h>

#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

using Clock = std::chrono::steady_clock;

/// What one lane's operations did in one batch. A cache line each, so that threads
/// counting side by side do not slow each other down.
struct alignas(64) Tally {
    std::size_t ops = 0;                 ///< Operations that succeeded.
    std::size_t conflicts = 0;           ///< Errc::conflict seen, retried or returned.
    std::size_t allocations = 0;         ///< Heap allocations made by the operations.
    std::vector<std::string> dispatched; ///< Ids of the tasks handed out.
    std::vector<std::string> problems;   ///< Correctness failures.
};

/// Keeps an optimizer from discarding a result nobody reads.
template <class T>
void keep(const T& value)
{
    benchmark::DoNotOptimize(&value);
}

/// Every correctness failure of the run, each with the row it happened in: the program
/// fails when there is one.
class Problems {
public:
    static Problems& all()
    {
        static Problems problems;
        return problems;
    }

    void add(const std::string& row, const std::vector<std::string>& found)
    {
        std::scoped_lock lock{mutex_};
        for (const std::string& problem : found) {
            seen_.push_back(row + ": " + problem);
        }
    }

    /// Prints the first few; 1 if there were any.
    int report() const
    {
        constexpr std::size_t shown = 20;
        for (std::size_t i = 0; i < seen_.size() && i < shown; ++i) {
            std::printf("CORRECTNESS FAILURE: %s\n", seen_[i].c_str());
        }
        if (seen_.size() > shown) {
            std::printf("... and %zu more correctness failures\n", seen_.size() - shown);
        }
        return seen_.empty() ? 0 : 1;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> seen_;
};

/// The fixture of the row under way, and none of any other: rows of big stores must not
/// all hold theirs at once. A row whose fixture was dropped (random interleaving runs
/// other rows between its repetitions) seeds a new one.
class Holder {
public:
    virtual ~Holder() = default;
    virtual void drop() = 0;

    /// Drops the fixture of the previous row, unless it is this one.
    static void claim(Holder* next)
    {
        static Holder* current = nullptr;
        if (current != nullptr && current != next) {
            current->drop();
        }
        current = next;
    }
};

/// A row: fixtures from make(threads), per_lane operations per lane and batch.
template <class Fixture>
class Row final : public Holder {
public:
    using Make = std::function<std::unique_ptr<Fixture>(std::size_t threads)>;

    Row(std::string name, Make make, std::size_t per_lane)
        : name_(std::move(name)), make_(std::move(make)), per_lane_(per_lane)
    {
    }

    void drop() override { retire(); }

    /// The benchmark's body, on each of its threads.
    void run(benchmark::State& state)
    {
        const auto lane = static_cast<std::size_t>(state.thread_index());
        if (lane == 0) {
            start(static_cast<std::size_t>(state.threads()));
        }
        // Google Benchmark's own barrier at the loop's start lets the other threads in.
        Tally totals;
        for (auto _ : state) {
            sync_->arrive_and_wait();
            if (lane == 0) {
                next_batch();
            }
            sync_->arrive_and_wait();
            const auto began = Clock::now();
            run_lane(lane);
            state.SetIterationTime(std::chrono::duration<double>(Clock::now() - began).count());
            add(totals, tallies_[lane]);
        }
        // ... and its barrier at the loop's end holds lane 0 until every lane is done.
        if (lane == 0) {
            check_batch();
        }
        set_counters(state, totals);
    }

private:
    void start(std::size_t threads)
    {
        Holder::claim(this);
        if (fixture_ == nullptr || threads != threads_) {
            retire();
            threads_ = threads;
            fixture_ = make_(threads);
        }
        sync_ = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(threads));
        tallies_ = std::vector<Tally>(threads);
        lanes_.clear();
    }

    void next_batch()
    {
        check_batch();
        const std::size_t per_lane = std::min(per_lane_, fixture_->capacity());
        lanes_ = fixture_->next_batch(per_lane);
        if (lanes_.empty()) {
            retire();
            fixture_ = make_(threads_);
            lanes_ = fixture_->next_batch(per_lane);
        }
        for (Tally& tally : tallies_) {
            tally = Tally{};
            tally.dispatched.reserve(per_lane); // so that recording what was handed out allocates nothing
        }
    }

    void run_lane(std::size_t lane)
    {
        Tally& tally = tallies_[lane];
        for (auto& item : lanes_[lane]) {
            const std::size_t before = allocations_on_this_thread();
            fixture_->run(lane, item, tally);
            tally.allocations += allocations_on_this_thread() - before;
        }
    }

    /// Checks the batch last run, once.
    void check_batch()
    {
        if (lanes_.empty()) {
            return;
        }
        std::vector<std::string> found;
        fixture_->verify(tallies_, found);
        for (const Tally& tally : tallies_) {
            found.insert(found.end(), tally.problems.begin(), tally.problems.end());
        }
        Problems::all().add(name_, found);
        lanes_.clear();
    }

    /// Checks the store of the fixture, which is done with it, and drops it.
    void retire()
    {
        if (fixture_ == nullptr) {
            return;
        }
        check_batch();
        std::vector<std::string> found;
        fixture_->verify_store(found);
        Problems::all().add(name_, found);
        fixture_.reset();
    }

    static void add(Tally& totals, const Tally& batch)
    {
        totals.ops += batch.ops;
        totals.conflicts += batch.conflicts;
        totals.allocations += batch.allocations;
    }

    static void set_counters(benchmark::State& state, const Tally& totals)
    {
        using benchmark::Counter;
        const double ops = totals.ops == 0 ? 1.0 : static_cast<double>(totals.ops);
        state.SetItemsProcessed(static_cast<std::int64_t>(totals.ops));
        state.counters["allocs_per_op"] = Counter(static_cast<double>(totals.allocations) / ops, Counter::kAvgThreads);
        state.counters["conflicts_per_op"] = Counter(static_cast<double>(totals.conflicts) / ops, Counter::kAvgThreads);
    }

    std::string name_;
    Make make_;
    std::size_t per_lane_;
    std::size_t threads_ = 0;
    std::unique_ptr<Fixture> fixture_;
    std::unique_ptr<std::barrier<>> sync_;
    std::vector<Tally> tallies_;
    std::vector<std::span<typename Fixture::Item>> lanes_;
};

/// Registers a row run on `threads` threads; its fixtures come from make(threads).
template <class Fixture>
benchmark::internal::Benchmark* add_row(const std::string& name, typename Row<Fixture>::Make make,
                                        std::size_t per_lane, std::size_t threads = 1)
{
    auto row = std::make_shared<Row<Fixture>>(name, std::move(make), per_lane);
    return benchmark::RegisterBenchmark(name.c_str(), [row](benchmark::State& state) { row->run(state); })
        ->Threads(static_cast<int>(threads))
        ->UseManualTime();
}

} // namespace pod_dispatcher::bench

#endif
