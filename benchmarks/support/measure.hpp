#ifndef POD_DISPATCHER_BENCH_MEASURE_HPP
#define POD_DISPATCHER_BENCH_MEASURE_HPP

// Timing: a fixture (a seeded store and the work it can still do) runs one batch per
// repeat, each lane on its own thread; the result is the median over repeats, after an
// untimed warm-up batch. Rows whose ratios are reported take turns, a repeat each.
//
// A fixture offers:
// - capacity(): the most items any lane can take before the store must be seeded again;
// - next_batch(per_lane) -> std::vector<std::span<Item>>: one span per lane, or none when
//   the store is used up;
// - run(lane, item, tally): one operation;
// - verify(tallies, problems): checks what the batch did (untimed);
// - verify_store(problems): checks the store once the fixture is done with it (untimed).

#include "support/allocations.hpp"
#include "support/lanes.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <latch>
#include <limits>
#include <memory>
#include <stdexcept>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace pod_dispatcher::bench {

using Clock = std::chrono::steady_clock;

/// What one lane's operations did in one batch. A cache line each, so that threads
/// counting side by side do not slow each other down.
struct alignas(64) Tally {
    std::size_t ops = 0;                  ///< Operations that succeeded.
    std::size_t conflicts = 0;            ///< Errc::conflict seen, retried or returned.
    std::size_t allocations = 0;          ///< Heap allocations made by the operations.
    std::vector<std::string> dispatched;  ///< Ids of the tasks handed out.
    std::vector<std::string> problems;    ///< Correctness failures.
};

/// Which benchmark a measurement is of.
struct Point {
    std::string operation;
    std::string engine;
    std::size_t threads = 1;
    Layout layout = Layout::separate;
    Shape shape{};
};

struct Measurement {
    Point point;
    std::size_t repeats = 0;
    std::size_t ops_per_repeat = 0;
    double median_ns = 0; ///< Wall time per operation, all threads together.
    double allocations_per_op = 0; ///< Heap allocations per operation, over every repeat.
    double q1_ns = 0;
    double q3_ns = 0;
    double conflicts_per_success = 0;
    std::size_t problems = 0; ///< Correctness failures seen, warm-up included.

    double ops_per_second() const { return median_ns > 0 ? 1e9 / median_ns : 0; }
};

/// How many times a point is run.
struct RepeatPolicy {
    std::size_t min_repeats = 11;
    std::size_t max_repeats = 500;
    std::chrono::milliseconds min_time{500}; ///< Wall time per point, seeding included.
    std::chrono::nanoseconds batch_time{std::chrono::microseconds{500}}; ///< Aimed at per repeat, one thread.
    /// Aimed at per repeat of several threads: long enough that threads starting a little
    /// apart barely matter.
    std::chrono::nanoseconds threaded_batch_time{std::chrono::milliseconds{20}};
};

/// Keeps an optimizer from discarding a result nobody reads.
template <class T>
void keep(const T& value)
{
    asm volatile("" : : "g"(&value) : "memory");
}

/// Runs every lane's items, each lane on its own thread released together with the
/// others (the calling thread when there is one lane). Returns the wall time from the
/// first start to the last finish.
template <class Fixture, class Item>
std::chrono::nanoseconds run_lanes(Fixture& fixture, const std::vector<std::span<Item>>& lanes,
                                   std::vector<Tally>& tallies)
{
    auto run_lane = [&](std::size_t lane, Clock::time_point& start, Clock::time_point& end) {
        Tally& tally = tallies[lane];
        start = Clock::now();
        for (Item& item : lanes[lane]) {
            const std::size_t before = allocations_on_this_thread();
            fixture.run(lane, item, tally);
            tally.allocations += allocations_on_this_thread() - before;
        }
        end = Clock::now();
    };
    std::vector<Clock::time_point> starts(lanes.size());
    std::vector<Clock::time_point> ends(lanes.size());
    if (lanes.size() == 1) {
        run_lane(0, starts[0], ends[0]);
    } else {
        std::latch go{1};
        std::vector<std::jthread> threads;
        for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
            threads.emplace_back([&, lane] {
                go.wait();
                run_lane(lane, starts[lane], ends[lane]);
            });
        }
        go.count_down();
    }
    return *std::ranges::max_element(ends) - *std::ranges::min_element(starts);
}

inline double quantile(std::vector<double> samples, double q)
{
    std::ranges::sort(samples);
    const double at = q * static_cast<double>(samples.size() - 1);
    const auto below = static_cast<std::size_t>(at);
    const std::size_t above = std::min(below + 1, samples.size() - 1);
    return samples[below] + (samples[above] - samples[below]) * (at - static_cast<double>(below));
}

inline Measurement summarize(const Point& point, const std::vector<double>& samples, std::size_t ops_per_repeat,
                             std::size_t ops, std::size_t conflicts, std::size_t allocations)
{
    Measurement m{point, samples.size(), ops_per_repeat};
    m.allocations_per_op = ops == 0 ? 0 : static_cast<double>(allocations) / static_cast<double>(ops);
    m.median_ns = quantile(samples, 0.5);
    m.q1_ns = quantile(samples, 0.25);
    m.q3_ns = quantile(samples, 0.75);
    m.conflicts_per_success = ops == 0 ? 0 : static_cast<double>(conflicts) / static_cast<double>(ops);
    return m;
}

/// What one batch did.
struct Batch {
    double ns_per_op = 0;
    std::size_t ops = 0;
    std::size_t conflicts = 0;
    std::size_t allocations = 0;
};

/// Adds what a check of point found to problems, saying where.
inline void attribute(const Point& point, const std::vector<std::string>& found, std::vector<std::string>& problems)
{
    for (const std::string& problem : found) {
        problems.push_back(point.operation + " (" + point.engine + ", " + name_of(point.layout, point.threads) +
                           ", " + std::to_string(point.threads) + " threads): " + problem);
    }
}

/// Checks the store of a fixture that is done with it.
template <class Fixture>
void retire(const Point& point, const Fixture& fixture, std::vector<std::string>& problems)
{
    std::vector<std::string> found;
    fixture.verify_store(found);
    attribute(point, found, problems);
}

/// Runs and checks one batch of per_lane operations per lane, seeding a new fixture when
/// the current one is used up (and checking its store). Correctness failures go to
/// problems.
template <class Fixture, class Make>
Batch run_batch(const Point& point, std::unique_ptr<Fixture>& fixture, Make& make, std::size_t per_lane,
                std::vector<std::string>& problems)
{
    auto lanes = fixture->next_batch(per_lane);
    if (lanes.empty()) {
        retire(point, *fixture, problems);
        fixture.reset();
        fixture = make();
        lanes = fixture->next_batch(per_lane);
    }
    std::vector<Tally> tallies(lanes.size());
    for (Tally& tally : tallies) {
        tally.dispatched.reserve(per_lane); // so that recording what was handed out allocates nothing
    }
    const auto wall = run_lanes(*fixture, lanes, tallies);
    std::vector<std::string> found;
    fixture->verify(tallies, found);
    Batch batch{static_cast<double>(wall.count()) / static_cast<double>(per_lane * lanes.size())};
    for (const Tally& tally : tallies) {
        found.insert(found.end(), tally.problems.begin(), tally.problems.end());
        batch.ops += tally.ops;
        batch.conflicts += tally.conflicts;
        batch.allocations += tally.allocations;
    }
    attribute(point, found, problems);
    return batch;
}

/// Operations per lane for a repeat of about the policy's batch time, judged by the
/// warm-up, and at most `most`: a short repeat is seldom cut into by other processes, so
/// the median of many of them shows the cost of the operation rather than the load of the
/// machine.
inline std::size_t batch_size(double ns_per_op, std::size_t lanes, std::size_t most, const RepeatPolicy& policy)
{
    const auto aim = lanes == 1 ? policy.batch_time : policy.threaded_batch_time;
    const double fits = static_cast<double>(aim.count()) / (ns_per_op * static_cast<double>(lanes));
    return std::clamp<std::size_t>(static_cast<std::size_t>(fits), 1, most);
}

/// One row under measurement, a batch at a time, so that rows compared with each other
/// can take turns (measure_together): a spell of load from other processes then falls on
/// all of them, not on whichever happened to be running, and their ratios hold still.
class Timing {
public:
    /// Times the fixtures make() builds: at most per_lane operations per lane and repeat,
    /// seeding a new fixture whenever the current one is used up.
    template <class Make>
    Timing(Point point, std::size_t per_lane, const RepeatPolicy& policy, Make make, std::vector<std::string>& problems)
        : point_(std::move(point)), policy_(policy), problems_(problems), problems_before_(problems.size())
    {
        using Fixture = typename decltype(make())::element_type;
        struct State {
            Make make;
            std::unique_ptr<Fixture> fixture;
        };
        auto state = std::make_shared<State>(State{std::move(make), nullptr});
        state->fixture = state->make();
        per_lane_ = std::min(per_lane, state->fixture->capacity());
        if (per_lane_ == 0) {
            throw std::logic_error(point_.operation + " (" + point_.engine + "): a fixture with no work");
        }
        run_ = [state](const Point& at, std::size_t per_lane, std::vector<std::string>& found) {
            return run_batch(at, state->fixture, state->make, per_lane, found);
        };
        retire_ = [state](const Point& at, std::vector<std::string>& found) { retire(at, *state->fixture, found); };
    }

    const RepeatPolicy& policy() const noexcept { return policy_; }

    /// An untimed batch, which sets the batch size.
    void warm_up()
    {
        const Batch batch = run_(point_, per_lane_, problems_);
        per_lane_ = batch_size(batch.ns_per_op, point_.threads, per_lane_, policy_);
    }

    void repeat()
    {
        const Batch batch = run_(point_, per_lane_, problems_);
        samples_.push_back(batch.ns_per_op);
        ops_ += batch.ops;
        conflicts_ += batch.conflicts;
        allocations_ += batch.allocations;
    }

    /// Checks the store of the fixture the last repeat ran on.
    void finish() { retire_(point_, problems_); }

    Measurement result() const
    {
        Measurement m = summarize(point_, samples_, per_lane_ * point_.threads, ops_, conflicts_, allocations_);
        m.problems = problems_.size() - problems_before_;
        return m;
    }

private:
    Point point_;
    RepeatPolicy policy_;
    std::vector<std::string>& problems_;
    std::size_t problems_before_;
    std::size_t per_lane_ = 0;
    std::function<Batch(const Point&, std::size_t, std::vector<std::string>&)> run_;
    std::function<void(const Point&, std::vector<std::string>&)> retire_;
    std::vector<double> samples_;
    std::size_t ops_ = 0;
    std::size_t conflicts_ = 0;
    std::size_t allocations_ = 0;
};

/// Measures rows taking turns, a repeat of each per round, for as many rounds as the
/// strictest of their policies asks and for the wall time all of them ask together.
inline std::vector<Measurement> measure_together(std::vector<Timing>& rows)
{
    std::size_t min_repeats = 0;
    std::size_t max_repeats = std::numeric_limits<std::size_t>::max();
    Clock::duration min_time{};
    for (const Timing& row : rows) {
        min_repeats = std::max(min_repeats, row.policy().min_repeats);
        max_repeats = std::min(max_repeats, row.policy().max_repeats);
        min_time += row.policy().min_time;
    }
    const auto began = Clock::now();
    for (Timing& row : rows) {
        row.warm_up();
    }
    for (std::size_t round = 0; round < max_repeats && (round < min_repeats || Clock::now() - began < min_time);
         ++round) {
        for (Timing& row : rows) {
            row.repeat();
        }
    }
    std::vector<Measurement> measured;
    for (Timing& row : rows) {
        row.finish();
        measured.push_back(row.result());
    }
    return measured;
}

/// Measures one row on its own.
template <class Make>
Measurement measure(const Point& point, std::size_t per_lane, const RepeatPolicy& policy, Make make,
                    std::vector<std::string>& problems)
{
    std::vector<Timing> rows;
    rows.emplace_back(point, per_lane, policy, std::move(make), problems);
    return measure_together(rows).front();
}

} // namespace pod_dispatcher::bench

#endif
