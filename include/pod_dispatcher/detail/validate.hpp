#ifndef POD_DISPATCHER_DETAIL_VALIDATE_HPP
#define POD_DISPATCHER_DETAIL_VALIDATE_HPP

// Input checks shared by the operations: bad input is Errc::invalid_argument, found
// before anything is written.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher::detail {

inline Result<void> check(bool valid)
{
    if (!valid) {
        return Errc::invalid_argument;
    }
    return boost::outcome_v2::success();
}

/// Non-empty ids, none given twice.
inline bool valid_ids(const std::vector<std::string>& ids)
{
    std::vector<std::string_view> sorted(ids.begin(), ids.end());
    std::ranges::sort(sorted);
    return std::ranges::adjacent_find(sorted) == sorted.end() &&
           std::ranges::none_of(sorted, &std::string_view::empty);
}

inline bool valid_ids(const std::optional<std::vector<std::string>>& ids) { return !ids || valid_ids(*ids); }

inline bool set_and_empty(const std::optional<std::string>& s) { return s && s->empty(); }

inline Result<void> check_dispatcher(const PodDispatcher& d)
{
    return check(!d.id.empty() && !d.group_id.empty() && d.modification_count >= 0 && valid_ids(d.pod_ids) &&
                 valid_ids(d.task_ids));
}

inline Result<void> check_query(const Query& q)
{
    return check(!set_and_empty(q.id) && !set_and_empty(q.group_id) && !set_and_empty(q.pod_id) &&
                 q.modification_count.value_or(0) >= 0);
}

inline Result<void> check_update(const DispatcherUpdate& u)
{
    return check(!u.id.empty() && !u.group_id.empty() && valid_ids(u.pod_ids) && valid_ids(u.task_ids) &&
                 !set_and_empty(u.dequeue) && u.increment >= 0);
}

} // namespace pod_dispatcher::detail

#endif
