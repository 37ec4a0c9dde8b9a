#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_POD_INDEX_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_POD_INDEX_HPP

// One stripe's pods ordered by (status, last_communicated, id), so that a search for
// stale pods reads only them. Every dispatch moves its pod's entry (it sets
// last_communicated); the entry's node is taken out and put back, so a move allocates
// nothing. The oldest time of each status is kept beside the entries: a search visits
// every stripe, and most have no stale pod, which that one look tells.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/query.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <set>
#include <string_view>
#include <tuple>

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

    /// id views the stored pod's key, which outlives the entry.
    void insert(PodStatus status, Timestamp at, std::string_view id)
    {
        keys_.emplace(status, at, id);
        note_oldest(status);
    }

    void erase(const PodIndexKey& key)
    {
        keys_.erase(key);
        note_oldest(key.status);
    }

    /// Moves the entry at from to to, reusing its node.
    void move(const PodIndexKey& from, const PodIndexKey& to)
    {
        auto node = keys_.extract(from);
        node.value() = to;
        keys_.insert(std::move(node));
        note_oldest(from.status);
        note_oldest(to.status);
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

    void clear() noexcept
    {
        keys_.clear();
        oldest_.fill(Timestamp::max());
    }

private:
    static PodIndexKey first_of(PodStatus status) noexcept { return {status, Timestamp::min(), std::string_view{}}; }

    Timestamp oldest_of(PodStatus status) const noexcept { return oldest_[static_cast<std::size_t>(status)]; }

    void note_oldest(PodStatus status)
    {
        const auto it = keys_.lower_bound(first_of(status));
        oldest_[static_cast<std::size_t>(status)] =
            it != keys_.end() && it->status == status ? it->last_communicated : Timestamp::max();
    }

    std::set<PodIndexKey> keys_;
    std::array<Timestamp, EnumNames<PodStatus>::names.size()> oldest_{}; ///< Per status; max() when none.
};

} // namespace pod_dispatcher::detail

#endif
