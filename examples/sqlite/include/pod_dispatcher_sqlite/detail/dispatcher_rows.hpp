#ifndef POD_DISPATCHER_SQLITE_DETAIL_DISPATCHER_ROWS_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_DISPATCHER_ROWS_HPP

// Dispatchers in three tables (schema.hpp): the dispatcher's own row, its pods and its
// queue, one row per id, in order of position. Reading one takes only the rows a
// Projection asks for. A write of the ids a DispatcherUpdate names writes their rows
// only: a dequeue deletes the front rows of the queue, an enqueue inserts a row per id
// (see "Queue positions"), and added pods a row each, so each costs the same whatever
// the queue's length.

#include <pod_dispatcher_sqlite/detail/connection.hpp>

#include <pod_dispatcher_sql/dispatcher_update.hpp>
#include <pod_dispatcher_sql/query_conditions.hpp>
#include <pod_dispatcher_sql/queue_positions.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pod_dispatcher_sqlite::detail {

using pod_dispatcher::PodDispatcher;
using pod_dispatcher::Query;

/// The SELECT of the dispatchers that meet the conditions q sets, with a parameter for
/// each in member order.
inline const std::string& matching_sql(const Query& q)
{
    using namespace pod_dispatcher_sql;
    return text_for(q, [](unsigned set) {
        std::string sql = "SELECT id, group_id, modification_count, last_modified FROM pod_dispatchers WHERE 1";
        sql += (set & id_set) != 0 ? " AND id = ?" : "";
        sql += (set & group_id_set) != 0 ? " AND group_id = ?" : "";
        sql += (set & pod_id_set) != 0 ? " AND id IN (SELECT dispatcher_id FROM dispatcher_pods WHERE pod_id = ?)" : "";
        sql += (set & modification_count_set) != 0 ? " AND modification_count = ?" : "";
        return sql + " ORDER BY id";
    });
}

/// The dispatchers q matches, without their pods and queues.
inline Result<std::vector<PodDispatcher>> matching_rows(Connection& c, const Query& q)
{
    BOOST_OUTCOME_TRY(auto select, c.prepare(matching_sql(q)));
    pod_dispatcher_sql::bind_conditions(q, [&](auto value) { select.bind(value); });
    std::vector<PodDispatcher> found;
    for (;;) {
        BOOST_OUTCOME_TRY(bool row, select.step());
        if (!row) {
            return found;
        }
        PodDispatcher& d = found.emplace_back();
        d.id = select.bytes(0);
        d.group_id = select.bytes(1);
        d.modification_count = select.integer(2);
        d.last_modified = pod_dispatcher::Timestamp{std::chrono::milliseconds{select.integer(3)}};
    }
}

/// SQL's LIMIT for at most n rows; -1 is none.
inline std::int64_t limit_of(std::size_t n) noexcept
{
    return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()) ? -1 : static_cast<std::int64_t>(n);
}

/// The first column of every row select returns: ids (T = std::string) or integers.
template <class T>
Result<std::vector<T>> first_column(Statement& select)
{
    std::vector<T> values;
    for (;;) {
        BOOST_OUTCOME_TRY(bool row, select.step());
        if (!row) {
            return values;
        }
        if constexpr (std::is_same_v<T, std::int64_t>) {
            values.push_back(select.integer(0));
        } else {
            values.emplace_back(select.bytes(0));
        }
    }
}

inline Result<std::vector<std::string>> pods_of(Connection& c, std::string_view dispatcher_id)
{
    BOOST_OUTCOME_TRY(auto select, c.prepare("SELECT pod_id FROM dispatcher_pods WHERE dispatcher_id = ? ORDER BY position"));
    return first_column<std::string>(select.bind(dispatcher_id));
}

/// The first max_ids ids of a dispatcher's queue.
inline Result<std::vector<std::string>> queue_of(Connection& c, std::string_view dispatcher_id, std::size_t max_ids)
{
    BOOST_OUTCOME_TRY(auto select, c.prepare("SELECT task_id FROM dispatcher_queue WHERE dispatcher_id = ?"
                                             " ORDER BY position LIMIT ?"));
    return first_column<std::string>(select.bind(dispatcher_id).bind(limit_of(max_ids)));
}

/// d, read without its pods and queue, with as much of them as p asks for.
inline Result<void> read_lists(Connection& c, PodDispatcher& d, const pod_dispatcher::Projection& p)
{
    if (p.pod_ids) {
        BOOST_OUTCOME_TRY(d.pod_ids, pods_of(c, d.id));
    }
    if (p.max_task_ids > 0) {
        BOOST_OUTCOME_TRY(d.task_ids, queue_of(c, d.id, p.max_task_ids));
    }
    return boost::outcome_v2::success();
}

/// The dispatchers q matches, in order of id, with as much of their pods and queues as p
/// asks for.
inline Result<std::vector<PodDispatcher>> find_dispatchers(Connection& c, const Query& q,
                                                           const pod_dispatcher::Projection& p)
{
    BOOST_OUTCOME_TRY(auto found, matching_rows(c, q));
    for (PodDispatcher& d : found) {
        BOOST_OUTCOME_TRY(read_lists(c, d, p));
    }
    return found;
}

// ---- Writing.

/// Runs sql, which takes the dispatcher's id as its one parameter.
inline Result<void> run_for(Connection& c, std::string_view sql, std::string_view dispatcher_id)
{
    BOOST_OUTCOME_TRY(auto statement, c.prepare(sql));
    return statement.bind(dispatcher_id).run();
}

/// Appends pod_ids to the pods of dispatcher_id, one row each; Errc::duplicate_key when a
/// dispatcher holds one of them already.
inline Result<void> add_pods(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& pod_ids)
{
    for (const std::string& pod_id : pod_ids) {
        BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO dispatcher_pods (pod_id, dispatcher_id, position)"
                                                 " SELECT ?1, ?2, coalesce(max(position) + 1, 0)"
                                                 " FROM dispatcher_pods WHERE dispatcher_id = ?2"));
        BOOST_OUTCOME_TRY(insert.bind(pod_id).bind(dispatcher_id).run());
    }
    return boost::outcome_v2::success();
}

// ---- Queue positions (pod_dispatcher_sql/queue_positions.hpp says how they are given).

using pod_dispatcher_sql::Spot;

/// The spot before index at of the queue of dispatcher_id, or at its back when at is
/// unset or past the end. Reads the rows up to it (SQLite counts its way to an offset),
/// and writes none.
inline Result<Spot> spot_at(Connection& c, std::string_view dispatcher_id, std::optional<std::size_t> at)
{
    if (at) {
        // The rows at indexes at - 1 and at; the front has none before it.
        const bool front = *at == 0;
        BOOST_OUTCOME_TRY(auto select, c.prepare("SELECT position FROM dispatcher_queue WHERE dispatcher_id = ?"
                                                 " ORDER BY position LIMIT ? OFFSET ?"));
        select.bind(dispatcher_id).bind(std::int64_t{front ? 1 : 2}).bind(limit_of(front ? 0 : *at - 1));
        BOOST_OUTCOME_TRY(auto around, first_column<std::int64_t>(select));
        if (const auto spot = pod_dispatcher_sql::spot_before(*at, around)) {
            return *spot;
        }
    }
    BOOST_OUTCOME_TRY(auto select, c.prepare("SELECT position FROM dispatcher_queue WHERE dispatcher_id = ?"
                                             " ORDER BY position DESC LIMIT 1"));
    BOOST_OUTCOME_TRY(auto last, first_column<std::int64_t>(select.bind(dispatcher_id)));
    return Spot{last.empty() ? std::nullopt : std::optional{last.front()}, std::nullopt};
}

inline Result<void> insert_queue_row(Connection& c, std::string_view dispatcher_id, std::int64_t position,
                                     std::string_view task_id)
{
    BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO dispatcher_queue (dispatcher_id, position, task_id)"
                                             " VALUES (?, ?, ?)"));
    return insert.bind(dispatcher_id).bind(position).bind(task_id).run();
}

/// Stores task_ids as the queue of dispatcher_id, which has none, numbered afresh.
inline Result<void> put_queue(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& task_ids)
{
    for (std::size_t i = 0; i < task_ids.size(); ++i) {
        BOOST_OUTCOME_TRY(insert_queue_row(c, dispatcher_id, pod_dispatcher_sql::fresh_position(i), task_ids[i]));
    }
    return boost::outcome_v2::success();
}

inline Result<void> replace_queue(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& task_ids)
{
    BOOST_OUTCOME_TRY(run_for(c, "DELETE FROM dispatcher_queue WHERE dispatcher_id = ?", dispatcher_id));
    return put_queue(c, dispatcher_id, task_ids);
}

/// Takes count ids off the front of the queue of dispatcher_id, in one statement.
inline Result<void> dequeue(Connection& c, std::string_view dispatcher_id, std::size_t count)
{
    BOOST_OUTCOME_TRY(auto drop, c.prepare("DELETE FROM dispatcher_queue WHERE dispatcher_id = ?1 AND position IN"
                                           " (SELECT position FROM dispatcher_queue WHERE dispatcher_id = ?1"
                                           " ORDER BY position LIMIT ?2)"));
    return drop.bind(dispatcher_id).bind(limit_of(count)).run();
}

// ---- The Store members.

/// Store::insert_dispatcher, inside the caller's transaction.
inline Result<void> insert_dispatcher_rows(Connection& c, const PodDispatcher& d)
{
    if (d.id.empty() || d.group_id.empty()) {
        return Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO pod_dispatchers (id, group_id, modification_count, last_modified)"
                                             " VALUES (?, ?, ?, ?)"));
    BOOST_OUTCOME_TRY(insert.bind(d.id).bind(d.group_id).bind(d.modification_count).bind(d.last_modified).run());
    BOOST_OUTCOME_TRY(add_pods(c, d.id, d.pod_ids));
    return put_queue(c, d.id, d.task_ids);
}

inline Result<void> replace_pods(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& pod_ids)
{
    BOOST_OUTCOME_TRY(run_for(c, "DELETE FROM dispatcher_pods WHERE dispatcher_id = ?", dispatcher_id));
    return add_pods(c, dispatcher_id, pod_ids);
}

/// Adds u.increment to the dispatcher's modification_count and sets its last_modified.
inline Result<void> count_up(Connection& c, std::string_view dispatcher_id, const pod_dispatcher::DispatcherUpdate& u)
{
    BOOST_OUTCOME_TRY(auto update, c.prepare("UPDATE pod_dispatchers SET modification_count = modification_count + ?,"
                                             " last_modified = ? WHERE id = ?"));
    return update.bind(u.increment).bind(u.last_modified).bind(dispatcher_id).run();
}

/// Store::update_dispatcher, inside the caller's transaction
/// (pod_dispatcher_sql/dispatcher_update.hpp, on the row operations above).
inline Result<bool> update_dispatcher_rows(Connection& c, const Query& q, const pod_dispatcher::DispatcherUpdate& u)
{
    return pod_dispatcher_sql::update_dispatcher(
        c, u, [&](std::size_t n) { return find_dispatchers(c, q, pod_dispatcher::queue_head(n)); });
}

} // namespace pod_dispatcher_sqlite::detail

#endif
