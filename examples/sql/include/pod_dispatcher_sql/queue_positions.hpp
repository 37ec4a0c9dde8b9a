#ifndef POD_DISPATCHER_SQL_QUEUE_POSITIONS_HPP
#define POD_DISPATCHER_SQL_QUEUE_POSITIONS_HPP

// Where a queue row goes, for a store that keeps a dispatcher's queue as one row per id
// ordered by an integer position, so that putting one id in writes one row.
//
// Only the order of positions means anything. A queue written whole numbers its rows
// queue_gap apart. An id put in between two rows takes the position halfway between
// theirs, one at the back a gap past the last, one at the front a gap before the first,
// and no other row moves: one row written whatever the length of the queue. Each insert
// at one spot halves the gap there; only when a gap is used up (after 32 inserts at the
// same spot) is the whole queue written again, numbered afresh. A dequeue deletes the
// lowest positions and renumbers nothing.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace pod_dispatcher_sql {

inline constexpr std::int64_t queue_gap = std::int64_t{1} << 32;

/// The position of the i-th row of a queue written whole.
constexpr std::int64_t fresh_position(std::size_t i) noexcept { return static_cast<std::int64_t>(i) * queue_gap; }

/// The position for an id put in between the rows at before and after (none: that end of
/// the queue), or none when no position is left between them.
inline std::optional<std::int64_t> position_between(std::optional<std::int64_t> before,
                                                    std::optional<std::int64_t> after)
{
    constexpr std::int64_t highest = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
    if (before && after) {
        // Unsigned: the distance between two positions may exceed the largest int64.
        const std::uint64_t gap = static_cast<std::uint64_t>(*after) - static_cast<std::uint64_t>(*before);
        if (gap < 2) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(*before) + gap / 2);
    }
    if (before) {
        return *before > highest - queue_gap ? std::nullopt : std::optional{*before + queue_gap};
    }
    if (after) {
        return *after < lowest + queue_gap ? std::nullopt : std::optional{*after - queue_gap};
    }
    return 0;
}

/// Where ids go into a queue: between the rows at these positions (none before the front,
/// none after the back).
struct Spot {
    std::optional<std::int64_t> before;
    std::optional<std::int64_t> after;
};

/// The spot before index at, given the positions of the rows at indexes at - 1 and at
/// (as many of the two as exist; for at == 0, of the row at 0 alone), or none when at is
/// past the end (the caller then puts the ids at the back).
inline std::optional<Spot> spot_before(std::size_t at, const std::vector<std::int64_t>& around)
{
    const auto nth = [&](std::size_t i) { return i < around.size() ? std::optional{around[i]} : std::nullopt; };
    if (at == 0) {
        return Spot{std::nullopt, nth(0)};
    }
    if (around.empty()) {
        return std::nullopt;
    }
    return Spot{around.front(), nth(1)};
}

/// Positions for count ids put in, in order, at spot; none when its gap is used up.
inline std::optional<std::vector<std::int64_t>> positions_at(Spot spot, std::size_t count)
{
    std::vector<std::int64_t> positions;
    for (std::size_t i = 0; i < count; ++i) {
        spot.before = position_between(spot.before, spot.after);
        if (!spot.before) {
            return std::nullopt;
        }
        positions.push_back(*spot.before);
    }
    return positions;
}

/// queue with ids put in before index at, or at its back when at is unset or past the
/// end: what a queue is written whole as when the gap at that spot is used up.
inline std::vector<std::string> with_inserted(std::vector<std::string> queue, const std::vector<std::string>& ids,
                                              std::optional<std::size_t> at)
{
    const std::size_t index = std::min(at.value_or(queue.size()), queue.size());
    queue.insert(queue.begin() + static_cast<std::ptrdiff_t>(index), ids.begin(), ids.end());
    return queue;
}

} // namespace pod_dispatcher_sql

#endif
