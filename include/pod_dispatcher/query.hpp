#ifndef POD_DISPATCHER_QUERY_HPP
#define POD_DISPATCHER_QUERY_HPP

// Which dispatchers a read or write is about and how much of them a read returns
// (Query, Projection), and which pods a search for stale pods finds (PodQuery).

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/fields.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace pod_dispatcher {

/// A conjunction of conditions on a dispatcher; an unset member matches anything,
/// so Query{} matches every dispatcher.
struct Query {
    std::optional<std::string> id{};
    std::optional<std::string> group_id{};
    std::optional<std::string> pod_id{}; ///< Matches a dispatcher whose pod_ids hold it.
    std::optional<std::int64_t> modification_count{};

    bool operator==(const Query&) const = default;
};

inline Query by_id(std::string id)
{
    Query q;
    q.id = std::move(id);
    return q;
}

inline Query by_group_id(std::string group_id)
{
    Query q;
    q.group_id = std::move(group_id);
    return q;
}

inline Query by_pod_id(std::string pod_id)
{
    Query q;
    q.pod_id = std::move(pod_id);
    return q;
}

/// The condition every write of d is made under: the stored copy is still d's version.
inline Query version_of(const PodDispatcher& d)
{
    Query q = by_id(d.id);
    q.group_id = d.group_id;
    q.modification_count = d.modification_count;
    return q;
}

/// version_of(d), taking d's id and group instead of copying them.
inline Query version_of(PodDispatcher&& d)
{
    Query q;
    q.id = std::move(d.id);
    q.group_id = std::move(d.group_id);
    q.modification_count = d.modification_count;
    return q;
}

/// Whether d meets every condition q sets.
inline bool matches(const Query& q, const PodDispatcher& d)
{
    return (!q.id || *q.id == d.id) && (!q.group_id || *q.group_id == d.group_id) &&
           (!q.pod_id || std::ranges::find(d.pod_ids, *q.pod_id) != d.pod_ids.end()) &&
           (!q.modification_count || *q.modification_count == d.modification_count);
}

/// How much of a dispatcher a read returns; by default all of it.
struct Projection {
    bool pod_ids = true;                                                 ///< false: pod_ids left empty.
    std::size_t max_task_ids = std::numeric_limits<std::size_t>::max(); ///< The queue's first ids only.

    bool operator==(const Projection&) const = default;
};

/// Just the front of the queue: what a dispatch reads.
inline constexpr Projection queue_head(std::size_t max_task_ids) noexcept { return Projection{false, max_task_ids}; }

/// The pods in one status that were last heard from before a time: what rescue_stale_pods
/// reads, one status at a time, so that a store answers it from an index on (status,
/// last_communicated) without looking at the other pods.
struct PodQuery {
    PodStatus status = PodStatus::running;
    /// Only pods whose last_communicated is strictly earlier; an unset one is earlier
    /// than any time.
    Timestamp communicated_before{};

    bool operator==(const PodQuery&) const = default;
};

/// Whether pod meets q.
inline bool matches(const PodQuery& q, const Pod& pod) noexcept
{
    return pod.status == q.status && pod.last_communicated < q.communicated_before;
}

template <>
struct Fields<Query> {
    static constexpr std::tuple all{
        field("id", &Query::id),
        field("group_id", &Query::group_id),
        field("pod_id", &Query::pod_id),
        field("modification_count", &Query::modification_count),
    };
};

} // namespace pod_dispatcher

#endif
