#ifndef POD_DISPATCHER_SQL_DISPATCHER_UPDATE_HPP
#define POD_DISPATCHER_SQL_DISPATCHER_UPDATE_HPP

// Store::update_dispatcher for a store that keeps each dispatcher's pods and queue in rows
// of their own: which dispatcher it writes, and what each member of a DispatcherUpdate
// does to its rows, in what order. The SQL is the store's own. These templates call the
// store's row operations unqualified, so that they are found in the namespace of the
// store's Connection (as std::swap finds a type's own swap); for a dispatcher's id:
// - `queue_of(c, id, n)` -> `Result<std::vector<std::string>>`: the first n ids of its queue;
// - `replace_pods(c, id, ids)`, `add_pods(c, id, ids)` -> `Result<void>`;
// - `replace_queue(c, id, ids)`, `dequeue(c, id, n)` -> `Result<void>`: the queue written
//   whole, n ids taken off its front;
// - `spot_at(c, id, at)` -> `Result<Spot>`: where ids go to be put in before index at, or
//   at the back when at is unset or past the end (queue_positions.hpp);
// - `insert_queue_row(c, id, position, task_id)` -> `Result<void>`;
// - `count_up(c, id, u)` -> `Result<void>`: adds u.increment to its modification_count and
//   sets its last_modified.

#include <pod_dispatcher_sql/queue_positions.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/update.hpp>

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher_sql {

/// Puts ids into the queue of the dispatcher with this id before index at, or at its
/// back when at is unset or past the end: a row each, or the whole queue written again
/// when the gap there is used up.
template <class Connection>
pod_dispatcher::Result<void> enqueue(Connection& c, std::string_view id, const std::vector<std::string>& ids,
                                     std::optional<std::size_t> at)
{
    BOOST_OUTCOME_TRY(const Spot spot, spot_at(c, id, at));
    const auto positions = positions_at(spot, ids.size());
    if (!positions) {
        BOOST_OUTCOME_TRY(auto queue, queue_of(c, id, std::numeric_limits<std::size_t>::max()));
        return replace_queue(c, id, with_inserted(std::move(queue), ids, at));
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
        BOOST_OUTCOME_TRY(insert_queue_row(c, id, (*positions)[i], ids[i]));
    }
    return boost::outcome_v2::success();
}

/// Applies u, which is well formed, to the dispatcher with this id: its pods, then its
/// queue, each changed in the one way u says, then its count and last_modified.
template <class Connection>
pod_dispatcher::Result<void> apply_update(Connection& c, std::string_view id, const pod_dispatcher::DispatcherUpdate& u)
{
    if (u.pod_ids) {
        BOOST_OUTCOME_TRY(replace_pods(c, id, *u.pod_ids));
    } else if (!u.add_pods.empty()) {
        BOOST_OUTCOME_TRY(add_pods(c, id, u.add_pods));
    }
    if (u.task_ids) {
        BOOST_OUTCOME_TRY(replace_queue(c, id, *u.task_ids));
    } else if (!u.dequeue.empty()) {
        BOOST_OUTCOME_TRY(dequeue(c, id, u.dequeue.size()));
    } else if (!u.enqueue.empty()) {
        BOOST_OUTCOME_TRY(enqueue(c, id, u.enqueue, u.enqueue_at));
    }
    return count_up(c, id, u);
}

/// Store::update_dispatcher: applies u to the first of the dispatchers matched(n) returns
/// whose queue starts with u.dequeue. matched(n) returns those the store's query matches,
/// in order of id, each with the first n = u.dequeue.size() ids of its queue (as task_ids),
/// read so that they stay as read until the unit ends (under the store's lock). true when
/// one was written; false, writing nothing, when none fits; Errc::invalid_argument,
/// reading nothing, for an update that is not well formed.
template <class Connection, class Matched>
pod_dispatcher::Result<bool> update_dispatcher(Connection& c, const pod_dispatcher::DispatcherUpdate& u,
                                               Matched matched)
{
    if (!pod_dispatcher::well_formed(u)) {
        return pod_dispatcher::Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(const auto candidates, matched(u.dequeue.size()));
    for (const pod_dispatcher::PodDispatcher& candidate : candidates) {
        if (candidate.task_ids == u.dequeue) {
            BOOST_OUTCOME_TRY(apply_update(c, candidate.id, u));
            return true;
        }
    }
    return false;
}

} // namespace pod_dispatcher_sql

#endif
