#ifndef POD_DISPATCHER_OPERATIONS_FIND_HPP
#define POD_DISPATCHER_OPERATIONS_FIND_HPP

// Reading dispatchers.

#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher {

/// Every dispatcher q matches, by id.
template <Store S>
Result<std::vector<PodDispatcher>> find(S& store, const Query& q)
{
    BOOST_OUTCOME_TRY(detail::check_query(q));
    BOOST_OUTCOME_TRY(auto found, store.find_dispatchers(q));
    std::ranges::sort(found, {}, &PodDispatcher::id);
    return found;
}

/// A dispatcher q matches, or an empty optional when there is none.
template <Store S>
Result<std::optional<PodDispatcher>> find_one(S& store, const Query& q)
{
    BOOST_OUTCOME_TRY(detail::check_query(q));
    return store.find_dispatcher(q, Projection{});
}

template <Store S>
Result<std::optional<PodDispatcher>> find_one_by_id(S& store, std::string_view id)
{
    return find_one(store, by_id(std::string(id)));
}

template <Store S>
Result<std::optional<PodDispatcher>> find_one_by_group_id(S& store, std::string_view group_id)
{
    return find_one(store, by_group_id(std::string(group_id)));
}

/// The dispatcher holding a pod; a pod is in at most one.
template <Store S>
Result<std::optional<PodDispatcher>> find_one_by_pod_id(S& store, std::string_view pod_id)
{
    return find_one(store, by_pod_id(std::string(pod_id)));
}

} // namespace pod_dispatcher

#endif
