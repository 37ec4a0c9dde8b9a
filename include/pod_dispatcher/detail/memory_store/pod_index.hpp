#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_POD_INDEX_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_POD_INDEX_HPP

// One stripe's pods ordered by (status, last_communicated, id), so that a search for
// stale pods reads only them. Every dispatch moves its pod's entry (it sets
// last_communicated); the entry's node is taken out and put back, so a move allocates
// nothing. The oldest time of each status is kept beside the entries, and published to
// PodAges when a unit commits: a search for stale pods then locks only the stripes that
// hold some.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/query.hpp>

#include <array>
#include <atomic>
#include <compare>
#include <cstddef>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

namespace pod_dispatcher::detail {

/// Where a pod sits in the index: its id views the key of the stripe's pod map.
struct PodIndexKey {
    PodStatus status;
    Timestamp last_communicated;
    std::string_view id;

    explicit PodIndexKey(const Pod& pod) noexcept
        : status(pod.status), last_communicated(pod.last_communicated), id(pod.id)
    {
    }
    PodIndexKey(PodStatus s, Timestamp at, std::string_view pod_id) noexcept
        : status(s), last_communicated(at), id(pod_id)
    {
    }

    auto operator<=>(const PodIndexKey&) const = default;
    bool operator==(const PodIndexKey&) const = default;

    /// Whether a change of pod's fields from this key moves its entry.
    bool moved_by(const Pod& pod) const noexcept
    {
        return status != pod.status || last_communicated != pod.last_communicated;
    }
};

class PodIndex {
public:
    PodIndex() noexcept { oldest_.fill(Timestamp::max()); }

    // Each change says whether it changed the oldest time of a status, which is then to
    // be published.

    /// id views the stored pod's key, which outlives the entry.
    bool insert(PodStatus status, Timestamp at, std::string_view id)
    {
        keys_.emplace(status, at, id);
        return note_oldest(status);
    }

    bool erase(const PodIndexKey& key)
    {
        keys_.erase(key);
        return note_oldest(key.status);
    }

    /// Moves the entry at from to to, reusing its node. A dispatch moves its pod's entry
    /// later within its status, which leaves the oldest alone unless the pod was it.
    bool move(const PodIndexKey& from, const PodIndexKey& to)
    {
        auto node = keys_.extract(from);
        node.value() = to;
        keys_.insert(std::move(node));
        if (from.status == to.status && oldest_of(from.status) < from.last_communicated &&
            oldest_of(to.status) <= to.last_communicated) {
            return false;
        }
        const bool from_changed = note_oldest(from.status);
        return note_oldest(to.status) || from_changed;
    }

    /// f(id) for each pod q matches, oldest first.
    template <class F>
    void for_each_match(const PodQuery& q, F&& f) const
    {
        if (!(oldest_of(q.status) < q.communicated_before)) {
            return;
        }
        for (auto it = keys_.lower_bound(first_of(q.status));
             it != keys_.end() && it->status == q.status && it->last_communicated < q.communicated_before; ++it) {
            f(it->id);
        }
    }

    /// The oldest last_communicated of a status; Timestamp::max() when no pod has it.
    Timestamp oldest_of(PodStatus status) const noexcept { return oldest_[static_cast<std::size_t>(status)]; }

private:
    static PodIndexKey first_of(PodStatus status) noexcept { return {status, Timestamp::min(), std::string_view{}}; }

    /// Finds the oldest time of status again; whether it changed.
    bool note_oldest(PodStatus status)
    {
        const auto it = keys_.lower_bound(first_of(status));
        const Timestamp oldest = it != keys_.end() && it->status == status ? it->last_communicated : Timestamp::max();
        return std::exchange(oldest_[static_cast<std::size_t>(status)], oldest) != oldest;
    }

    std::set<PodIndexKey> keys_;
    std::array<Timestamp, EnumNames<PodStatus>::names.size()> oldest_{}; ///< Per status; max() when none.
};

/// The oldest last_communicated of each status in each stripe's pod index, as the last
/// unit to commit on the stripe left it, readable without the stripe's lock: a search
/// for stale pods reads these, then locks and reads only the stripes they point to.
template <std::size_t Stripes>
class PodAges {
public:
    PodAges() noexcept
    {
        for (auto& of_status : ages_) {
            for (auto& age : of_status) {
                age.store(Timestamp::max().time_since_epoch().count(), std::memory_order_relaxed);
            }
        }
    }

    Timestamp oldest(PodStatus status, std::size_t stripe) const noexcept
    {
        return Timestamp{Timestamp::duration{ages_[static_cast<std::size_t>(status)][stripe].load(std::memory_order_acquire)}};
    }

    /// Publishes what index, the stripe's, holds now; under the stripe's lock.
    void publish(std::size_t stripe, const PodIndex& index) noexcept
    {
        for (std::size_t status = 0; status < ages_.size(); ++status) {
            const Timestamp oldest = index.oldest_of(static_cast<PodStatus>(status));
            ages_[status][stripe].store(oldest.time_since_epoch().count(), std::memory_order_release);
        }
    }

private:
    // By status, then stripe: a search reads one status's ages in one run of memory.
    std::array<std::array<std::atomic<Timestamp::rep>, Stripes>, EnumNames<PodStatus>::names.size()> ages_;
};

} // namespace pod_dispatcher::detail

#endif
