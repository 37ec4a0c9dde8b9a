#ifndef POD_DISPATCHER_BENCH_LANES_HPP
#define POD_DISPATCHER_BENCH_LANES_HPP

// The work a seeded store can still do, split into one lane per thread.

#include "support/documents.hpp"

#include <algorithm>
#include <cstddef>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

/// How threads share dispatchers: all on one (racing), or each on its own ones.
enum class Layout { shared, separate };

inline const char* name_of(Layout layout, std::size_t threads)
{
    if (threads == 1) {
        return "single";
    }
    return layout == Layout::shared ? "one-dispatcher" : "separate";
}

/// The lane (thread) that works on pod `pod` of dispatcher `dispatcher`.
inline std::size_t lane_of(std::size_t dispatcher, std::size_t pod, std::size_t threads, Layout layout)
{
    return (layout == Layout::shared ? pod : dispatcher) % threads;
}

template <class Item>
class Lanes {
public:
    Lanes() = default;

    /// Items in a shuffled order, so that a batch touches dispatchers spread over the store.
    explicit Lanes(std::vector<std::vector<Item>> lanes) : lanes_(std::move(lanes))
    {
        std::mt19937_64 random{42};
        for (auto& lane : lanes_) {
            std::ranges::shuffle(lane, random);
        }
    }

    /// Builds the items of every (dispatcher, pod) pair of shape with make(dispatcher, pod).
    template <class Make>
    static Lanes per_pod(const Shape& shape, std::size_t threads, Layout layout, Make make)
    {
        std::vector<std::vector<Item>> lanes(threads);
        for (std::size_t d = 0; d < shape.dispatchers; ++d) {
            for (std::size_t p = 0; p < shape.pods; ++p) {
                lanes[lane_of(d, p, threads, layout)].push_back(make(d, p));
            }
        }
        return Lanes(std::move(lanes));
    }

    /// The fewest items any lane holds.
    std::size_t capacity() const
    {
        std::size_t least = lanes_.empty() ? 0 : lanes_.front().size();
        for (const auto& lane : lanes_) {
            least = std::min(least, lane.size());
        }
        return least;
    }

    /// The next per_lane items of every lane; none when a lane has fewer left.
    std::vector<std::span<Item>> take(std::size_t per_lane)
    {
        if (next_ + per_lane > capacity()) {
            return {};
        }
        std::vector<std::span<Item>> batch;
        for (auto& lane : lanes_) {
            batch.emplace_back(lane.data() + next_, per_lane);
        }
        next_ += per_lane;
        return batch;
    }

    /// As take, but starts over from the first items when the lanes run out: for work
    /// that leaves the store as it found it.
    std::vector<std::span<Item>> take_cyclic(std::size_t per_lane)
    {
        if (next_ + per_lane > capacity()) {
            next_ = 0;
        }
        return take(per_lane);
    }

private:
    std::vector<std::vector<Item>> lanes_;
    std::size_t next_ = 0;
};

} // namespace pod_dispatcher::bench

#endif
