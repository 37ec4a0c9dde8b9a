#ifndef POD_DISPATCHER_BENCH_MEASURE_HPP
#define POD_DISPATCHER_BENCH_MEASURE_HPP

// Timing: a fixture (a seeded store and the work it can still do) runs one batch per
// repeat, each lane on its own thread; the result is the median over repeats, after an
// untimed warm-up batch.
//
// A fixture offers:
// - capacity(): the most items any lane can take before the store must be seeded again;
// - next_batch(per_lane) -> std::vector<std::span<Item>>: one span per lane, or none when
//   the store is used up;
// - run(lane, item, tally): one operation;
// - verify(tallies, problems): checks what the batch did (untimed).

#include "support/lanes.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <latch>
#include <stdexcept>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace pod_dispatcher::bench {

using Clock = std::chrono::steady_clock;

/// What one lane's operations did in one batch.
struct Tally {
    std::size_t ops = 0;                  ///< Operations that succeeded.
    std::size_t conflicts = 0;            ///< Errc::conflict seen, retried or returned.
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
        start = Clock::now();
        for (Item& item : lanes[lane]) {
            fixture.run(lane, item, tallies[lane]);
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
                             std::size_t ops, std::size_t conflicts)
{
    Measurement m{point, samples.size(), ops_per_repeat};
    m.median_ns = quantile(samples, 0.5);
    m.q1_ns = quantile(samples, 0.25);
    m.q3_ns = quantile(samples, 0.75);
    m.conflicts_per_success = ops == 0 ? 0 : static_cast<double>(conflicts) / static_cast<double>(ops);
    return m;
}

/// Measures the fixtures make() builds: per_lane operations per lane and repeat, seeding
/// a new fixture whenever the current one is used up. Correctness failures go to problems.
template <class Make>
Measurement measure(const Point& point, std::size_t per_lane, const RepeatPolicy& policy, Make make,
                    std::vector<std::string>& problems)
{
    auto fixture = make();
    per_lane = std::min(per_lane, fixture->capacity());
    if (per_lane == 0) {
        throw std::logic_error(point.operation + " (" + point.engine + "): a fixture with no work");
    }
    std::vector<double> samples;
    const std::size_t problems_before = problems.size();
    std::size_t ops = 0;
    std::size_t conflicts = 0;
    const auto began = Clock::now();
    for (bool warm_up = true;; warm_up = false) {
        auto lanes = fixture->next_batch(per_lane);
        if (lanes.empty()) {
            fixture.reset();
            fixture = make();
            lanes = fixture->next_batch(per_lane);
        }
        std::vector<Tally> tallies(lanes.size());
        const auto wall = run_lanes(*fixture, lanes, tallies);
        std::vector<std::string> found;
        fixture->verify(tallies, found);
        for (const Tally& tally : tallies) {
            found.insert(found.end(), tally.problems.begin(), tally.problems.end());
            if (!warm_up) {
                ops += tally.ops;
                conflicts += tally.conflicts;
            }
        }
        for (const std::string& problem : found) {
            problems.push_back(point.operation + " (" + point.engine + ", " + name_of(point.layout, point.threads) +
                               ", " + std::to_string(point.threads) + " threads): " + problem);
        }
        if (!warm_up) {
            samples.push_back(static_cast<double>(wall.count()) / static_cast<double>(per_lane * lanes.size()));
        }
        const bool enough_time = Clock::now() - began >= policy.min_time;
        if (samples.size() >= policy.max_repeats || (samples.size() >= policy.min_repeats && enough_time)) {
            Measurement m = summarize(point, samples, per_lane * lanes.size(), ops, conflicts);
            m.problems = problems.size() - problems_before;
            return m;
        }
    }
}

} // namespace pod_dispatcher::bench

#endif
