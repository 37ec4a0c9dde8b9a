#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_VALIDATE_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_VALIDATE_HPP

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

/// What names a stored dispatcher's version: enough for a conditional write of it.
inline bool valid_version(const PodDispatcher& d)
{
    return !d.id.empty() && !d.group_id.empty() && d.modification_count >= 0;
}

/// A whole dispatcher, fit to be stored: O(n log n) in its ids.
inline Result<void> check_dispatcher(const PodDispatcher& d)
{
    return check(valid_version(d) && valid_ids(d.pod_ids) && valid_ids(d.task_ids));
}

inline Result<void> check_query(const Query& q)
{
    return check(!set_and_empty(q.id) && !set_and_empty(q.group_id) && !set_and_empty(q.pod_id) &&
                 q.modification_count.value_or(0) >= 0);
}

/// An update upsert_one may apply, or insert: it names what to insert, changes the queue
/// and the pods in one way each, neither dequeues (an insert has no queue to take ids
/// from) nor repeats an id.
inline Result<void> check_upsert(const DispatcherUpdate& u)
{
    return check(!u.id.empty() && !u.group_id.empty() && well_formed(u) && valid_ids(u.pod_ids) &&
                 valid_ids(u.task_ids) && valid_ids(u.enqueue) && valid_ids(u.add_pods) && u.dequeue.empty() &&
                 u.increment >= 0);
}

} // namespace pod_dispatcher::detail

#endif
