#ifndef POD_DISPATCHER_BENCH_WRITTEN_HPP
#define POD_DISPATCHER_BENCH_WRITTEN_HPP

// What an operation wrote, beside what it cost: a store that counts its writes (the rows
// of each table of a SqliteStore, the ids each dispatcher write of a store in memory
// carries) tells a fixture, which reports them per call.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

/// What a store has written since it was made, by what it counts (a table's rows, a kind
/// of id), in an order of the store's choosing.
using Written = std::vector<std::pair<std::string, std::int64_t>>;

/// Counts per call, in the store's order.
using WrittenPerCall = std::vector<std::pair<std::string, double>>;

/// A store that says what it has written.
template <class S>
concept CountsWrites = requires(const S& store) {
    { store.written() } -> std::same_as<Written>;
};

/// What a row's calls wrote, over every store they ran on.
class WrittenTally {
public:
    /// Adds what a store wrote between two of its counts, over `calls` calls.
    void add(const Written& before, const Written& after, std::size_t calls)
    {
        if (before.size() != after.size() || (!totals_.empty() && totals_.size() != after.size())) {
            throw std::logic_error("a store changed what it counts");
        }
        if (totals_.empty()) {
            for (const auto& [what, count] : after) {
                totals_.emplace_back(what, 0);
            }
        }
        for (std::size_t i = 0; i < after.size(); ++i) {
            totals_[i].second += after[i].second - before[i].second;
        }
        calls_ += calls;
    }

    WrittenPerCall per_call() const
    {
        WrittenPerCall per_call;
        for (const auto& [what, count] : totals_) {
            per_call.emplace_back(what, calls_ == 0 ? 0 : static_cast<double>(count) / static_cast<double>(calls_));
        }
        return per_call;
    }

private:
    Written totals_;
    std::size_t calls_ = 0;
};

/// The count of `what` in per_call, if it is there.
inline const double* count_of(const WrittenPerCall& per_call, const std::string& what)
{
    for (const auto& [name, count] : per_call) {
        if (name == what) {
            return &count;
        }
    }
    return nullptr;
}

} // namespace pod_dispatcher::bench

#endif
