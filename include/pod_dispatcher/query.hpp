#ifndef POD_DISPATCHER_QUERY_HPP
#define POD_DISPATCHER_QUERY_HPP

// Which dispatchers an operation reads or writes.

#include <cstdint>
#include <optional>
#include <string>

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

} // namespace pod_dispatcher

#endif
