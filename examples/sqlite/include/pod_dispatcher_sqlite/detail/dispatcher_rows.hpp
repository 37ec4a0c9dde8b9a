#ifndef POD_DISPATCHER_SQLITE_DETAIL_DISPATCHER_ROWS_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_DISPATCHER_ROWS_HPP

// Dispatchers in three tables (schema.hpp): the dispatcher's own row, its pods and its
// queue, one row per id, in order of position. Reading one takes only the rows a
// Projection asks for; a dequeue deletes the front rows of the queue, so it costs the
// same whatever the queue's length.

#include <pod_dispatcher_sqlite/detail/connection.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher_sqlite::detail {

using pod_dispatcher::PodDispatcher;
using pod_dispatcher::Query;

/// The SELECT of the dispatchers that meet the conditions q sets, with a parameter for
/// each in member order; one text per combination, so that SQLite plans each with its
/// index.
inline const std::string& matching_sql(const Query& q)
{
    static const std::array<std::string, 16> texts = [] {
        std::array<std::string, 16> built;
        for (std::size_t set = 0; set < built.size(); ++set) {
            std::string& sql = built[set];
            sql = "SELECT id, group_id, modification_count, last_modified FROM pod_dispatchers WHERE 1";
            sql += (set & 1U) != 0 ? " AND id = ?" : "";
            sql += (set & 2U) != 0 ? " AND group_id = ?" : "";
            sql += (set & 4U) != 0 ? " AND id IN (SELECT dispatcher_id FROM dispatcher_pods WHERE pod_id = ?)" : "";
            sql += (set & 8U) != 0 ? " AND modification_count = ?" : "";
            sql += " ORDER BY id";
        }
        return built;
    }();
    const std::size_t set = (q.id ? 1U : 0U) | (q.group_id ? 2U : 0U) | (q.pod_id ? 4U : 0U) |
                            (q.modification_count ? 8U : 0U);
    return texts[set];
}

/// The dispatchers q matches, without their pods and queues.
inline Result<std::vector<PodDispatcher>> matching_rows(Connection& c, const Query& q)
{
    BOOST_OUTCOME_TRY(auto select, c.prepare(matching_sql(q)));
    if (q.id) {
        select.bind(*q.id);
    }
    if (q.group_id) {
        select.bind(*q.group_id);
    }
    if (q.pod_id) {
        select.bind(*q.pod_id);
    }
    if (q.modification_count) {
        select.bind(*q.modification_count);
    }
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

/// The first column of every row select returns.
inline Result<std::vector<std::string>> ids_from(Statement& select)
{
    std::vector<std::string> ids;
    for (;;) {
        BOOST_OUTCOME_TRY(bool row, select.step());
        if (!row) {
            return ids;
        }
        ids.emplace_back(select.bytes(0));
    }
}

inline Result<std::vector<std::string>> pods_of(Connection& c, std::string_view dispatcher_id)
{
    BOOST_OUTCOME_TRY(auto select, c.prepare("SELECT pod_id FROM dispatcher_pods WHERE dispatcher_id = ? ORDER BY position"));
    return ids_from(select.bind(dispatcher_id));
}

/// The first max_ids ids of a dispatcher's queue.
inline Result<std::vector<std::string>> queue_of(Connection& c, std::string_view dispatcher_id, std::size_t max_ids)
{
    BOOST_OUTCOME_TRY(auto select, c.prepare("SELECT task_id FROM dispatcher_queue WHERE dispatcher_id = ?"
                                             " ORDER BY position LIMIT ?"));
    return ids_from(select.bind(dispatcher_id).bind(limit_of(max_ids)));
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

// ---- Writing.

/// Stores pod_ids as the pods of dispatcher_id; Errc::duplicate_key when another
/// dispatcher holds one of them.
inline Result<void> put_pods(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& pod_ids)
{
    for (std::size_t i = 0; i < pod_ids.size(); ++i) {
        BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO dispatcher_pods (pod_id, dispatcher_id, position)"
                                                 " VALUES (?, ?, ?)"));
        BOOST_OUTCOME_TRY(insert.bind(pod_ids[i]).bind(dispatcher_id).bind(static_cast<std::int64_t>(i)).run());
    }
    return boost::outcome_v2::success();
}

inline Result<void> put_queue(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& task_ids)
{
    for (std::size_t i = 0; i < task_ids.size(); ++i) {
        BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO dispatcher_queue (dispatcher_id, position, task_id)"
                                                 " VALUES (?, ?, ?)"));
        BOOST_OUTCOME_TRY(insert.bind(dispatcher_id).bind(static_cast<std::int64_t>(i)).bind(task_ids[i]).run());
    }
    return boost::outcome_v2::success();
}

/// Runs sql, which takes the dispatcher's id as its one parameter.
inline Result<void> run_for(Connection& c, std::string_view sql, std::string_view dispatcher_id)
{
    BOOST_OUTCOME_TRY(auto statement, c.prepare(sql));
    return statement.bind(dispatcher_id).run();
}

/// Store::insert_dispatcher, inside the caller's transaction.
inline Result<void> insert_dispatcher(Connection& c, const PodDispatcher& d)
{
    if (d.id.empty() || d.group_id.empty()) {
        return Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO pod_dispatchers (id, group_id, modification_count, last_modified)"
                                             " VALUES (?, ?, ?, ?)"));
    BOOST_OUTCOME_TRY(insert.bind(d.id).bind(d.group_id).bind(d.modification_count)
                          .bind(d.last_modified.time_since_epoch().count()).run());
    BOOST_OUTCOME_TRY(put_pods(c, d.id, d.pod_ids));
    return put_queue(c, d.id, d.task_ids);
}

/// Applies u to the dispatcher with this id.
inline Result<void> apply(Connection& c, std::string_view id, const pod_dispatcher::DispatcherUpdate& u)
{
    if (u.pod_ids) {
        BOOST_OUTCOME_TRY(run_for(c, "DELETE FROM dispatcher_pods WHERE dispatcher_id = ?", id));
        BOOST_OUTCOME_TRY(put_pods(c, id, *u.pod_ids));
    }
    if (u.task_ids) {
        BOOST_OUTCOME_TRY(run_for(c, "DELETE FROM dispatcher_queue WHERE dispatcher_id = ?", id));
        BOOST_OUTCOME_TRY(put_queue(c, id, *u.task_ids));
    }
    if (!u.dequeue.empty()) {
        BOOST_OUTCOME_TRY(auto drop, c.prepare("DELETE FROM dispatcher_queue WHERE dispatcher_id = ?1 AND position IN"
                                               " (SELECT position FROM dispatcher_queue WHERE dispatcher_id = ?1"
                                               " ORDER BY position LIMIT ?2)"));
        BOOST_OUTCOME_TRY(drop.bind(id).bind(limit_of(u.dequeue.size())).run());
    }
    BOOST_OUTCOME_TRY(auto update, c.prepare("UPDATE pod_dispatchers SET modification_count = modification_count + ?,"
                                             " last_modified = ? WHERE id = ?"));
    return update.bind(u.increment).bind(u.last_modified.time_since_epoch().count()).bind(id).run();
}

/// Store::update_dispatcher, inside the caller's transaction.
inline Result<bool> update_dispatcher(Connection& c, const Query& q, const pod_dispatcher::DispatcherUpdate& u)
{
    if (u.task_ids && !u.dequeue.empty()) {
        return Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(auto matched, matching_rows(c, q));
    for (const PodDispatcher& d : matched) {
        if (!u.dequeue.empty()) {
            BOOST_OUTCOME_TRY(auto front, queue_of(c, d.id, u.dequeue.size()));
            if (front != u.dequeue) {
                continue;
            }
        }
        BOOST_OUTCOME_TRY(apply(c, d.id, u));
        return true;
    }
    return false;
}

} // namespace pod_dispatcher_sqlite::detail

#endif
