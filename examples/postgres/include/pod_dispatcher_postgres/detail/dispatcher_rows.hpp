#ifndef POD_DISPATCHER_POSTGRES_DETAIL_DISPATCHER_ROWS_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_DISPATCHER_ROWS_HPP

// Dispatchers in three tables (schema.hpp): the dispatcher's own row, its pods and its
// queue, one row per id, in order of position.
//
// A read is one statement that returns the dispatcher's row with its pods and the front
// of its queue as arrays: one round trip, and one snapshot, so that even inside a unit
// at READ COMMITTED the row and its lists are of one commit.
//
// A write first locks the dispatcher's row (SELECT ... FOR UPDATE, which waits for a
// transaction writing it and then checks the query again against what that one
// committed), and reads the front of its queue in the same round trip; every write of a
// dispatcher's pods or queue is made under that lock, so the queue it read stays as read
// until it commits. A write of the ids a DispatcherUpdate names writes their rows only: a
// dequeue deletes the front rows, an enqueue inserts a row per id
// (pod_dispatcher_sql/queue_positions.hpp), and added pods a row each, so each costs the
// same whatever the queue's length. The writes that cannot fail but as the backend does
// (a dequeue, the count, a list cleared before it is written whole) wait for the next
// round trip (connection.hpp); those a unique index may refuse run at once.
//
// A dequeue of ids the unit read at the front of a dispatcher's queue (remembered_reads.hpp)
// saves the locked read's round trip: it moves the count on if it is still as read, which
// locks the row, then takes the ids off if they are still the front, both held back for the
// next round trip. Either one failing fails the transaction as a serialization failure, and
// the unit, rolled back whole, runs again, reading under locks. A dispatch reads its pod's
// dispatcher and the pod in one round trip, so that the pod's write is made the same way.
//
// A dequeue's deleted rows stay in the queue's index, dead, until a vacuum removes them,
// and a scan of the queue from its lowest position would walk every one of them: a
// dispatch would cost more with every task dispatched before it. So the dispatcher's row
// keeps queue_front, a position below every row of its queue, which a dequeue moves up to
// the last position it took and a row put in below it moves down; every read of the front
// of a queue starts its index scan there, past the dead rows.

#include <pod_dispatcher_postgres/detail/connection.hpp>
#include <pod_dispatcher_postgres/detail/document_rows.hpp>
#include <pod_dispatcher_postgres/detail/sql_text.hpp>

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

namespace pod_dispatcher_postgres::detail {

using pod_dispatcher::PodDispatcher;
using pod_dispatcher::Query;
using pod_dispatcher_sql::Spot;

// ---- Finding dispatchers.

/// FROM and WHERE for the dispatchers d that meet the conditions set, in member order,
/// numbered from parameter first; a pod is looked up in dispatcher_pods h.
inline std::string matching(unsigned set, int first)
{
    using namespace pod_dispatcher_sql;
    std::string sql = " FROM pod_dispatchers d";
    if ((set & pod_id_set) != 0) {
        sql += " JOIN dispatcher_pods h ON " + same_id("h.dispatcher_id", "d.id");
    }
    sql += " WHERE TRUE";
    int n = first;
    sql += (set & id_set) != 0 ? " AND " + same_id("d.id", parameter(n++)) : "";
    sql += (set & group_id_set) != 0 ? " AND " + same_id("d.group_id", parameter(n++)) : "";
    sql += (set & pod_id_set) != 0 ? " AND " + same_id("h.pod_id", parameter(n++)) : "";
    sql += (set & modification_count_set) != 0 ? " AND d.modification_count = " + parameter(n++) : "";
    return sql + " ORDER BY d.id";
}

/// Binds the values of q's conditions, in member order.
inline Params& bind_query(Params& p, const Query& q)
{
    pod_dispatcher_sql::bind_conditions(q, [&](auto value) {
        if constexpr (std::is_same_v<decltype(value), std::int64_t>) {
            p.integer(value);
        } else {
            p.bytes(value);
        }
    });
    return p;
}

/// SQL's LIMIT for at most n rows: none (NULL) for no limit.
inline Params& limit(Params& p, std::size_t n)
{
    return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()) ? p.null()
                                                                                 : p.integer(static_cast<std::int64_t>(n));
}

/// The statement that reads the dispatchers q matches, in order of id: each one's row,
/// its pods as an array when $1, and the first $2 ids of its queue as another.
inline const std::string& dispatchers_sql(const Query& q)
{
    return pod_dispatcher_sql::text_for(q, [](unsigned set) {
        return "SELECT d.id, d.group_id, d.modification_count, d.last_modified,"
               " CASE WHEN $1 THEN ARRAY(SELECT p.pod_id FROM dispatcher_pods p WHERE " +
               same_id("p.dispatcher_id", "d.id") +
               " ORDER BY p.position) END,"
               " ARRAY(SELECT q.task_id FROM dispatcher_queue q WHERE " +
               same_id("q.dispatcher_id", "d.id") + " AND q.position > d.queue_front ORDER BY q.position LIMIT $2)" +
               matching(set, 3);
    });
}

/// The parameters of dispatchers_sql(q), for as much of the pods and queues as projection
/// asks for.
inline Params dispatchers_params(const Query& q, const pod_dispatcher::Projection& projection)
{
    Params p;
    limit(p.boolean(projection.pod_ids), projection.max_task_ids);
    bind_query(p, q);
    return p;
}

/// The dispatchers in the rows of dispatchers_sql.
inline Result<std::vector<PodDispatcher>> dispatchers_of(Connection& c, const Rows& rows)
{
    std::vector<PodDispatcher> found;
    for (int row = 0; row < rows.size(); ++row) {
        PodDispatcher& d = found.emplace_back();
        d.id = rows.bytes(row, 0);
        d.group_id = rows.bytes(row, 1);
        const auto count = rows.bigint(row, 2);
        const auto modified = rows.bigint(row, 3);
        auto pods = rows.is_null(row, 4) ? std::optional{std::vector<std::string>{}} : rows.byte_strings(row, 4);
        auto queue = rows.byte_strings(row, 5);
        if (!count || !modified || !pods || !queue) {
            return c.malformed("pod_dispatchers");
        }
        d.modification_count = *count;
        d.last_modified = pod_dispatcher::Timestamp{std::chrono::milliseconds{*modified}};
        d.pod_ids = std::move(*pods);
        d.task_ids = std::move(*queue);
    }
    return found;
}

/// The dispatchers in the rows of dispatchers_sql, their fronts remembered as the unit
/// read them.
inline Result<std::vector<PodDispatcher>> remembered_dispatchers_of(Connection& c, const Rows& rows)
{
    BOOST_OUTCOME_TRY(auto found, dispatchers_of(c, rows));
    if (c.reads().on()) { // else the copies of the fronts would be made for nothing
        for (const PodDispatcher& d : found) {
            c.reads().remember_front(d.id, ReadFront{d.group_id, d.modification_count, d.task_ids});
        }
    }
    return found;
}

/// The task at the front of the queue of the dispatcher that holds pod $1, and the task's
/// project: id, table and document of each.
inline const std::string& head_task_sql()
{
    static const std::string sql = [] {
        const std::string tasks(pod_dispatcher_sql::DocumentTable<pod_dispatcher::Task>::name);
        const std::string projects(pod_dispatcher_sql::DocumentTable<pod_dispatcher::ProjectRef>::name);
        return "WITH head AS (SELECT t.id, t.project, t.document FROM dispatcher_pods p JOIN pod_dispatchers d ON " +
               same_id("d.id", "p.dispatcher_id") + " CROSS JOIN LATERAL (SELECT q.task_id FROM dispatcher_queue q WHERE " +
               same_id("q.dispatcher_id", "d.id") + " AND q.position > d.queue_front ORDER BY q.position LIMIT 1) AS front JOIN " +
               tasks + " t ON " + same_id("t.id", "front.task_id") + " WHERE " + same_id("p.pod_id", "$1") +
               ") SELECT id, '" + tasks + "', document FROM head UNION ALL SELECT r.id, '" + projects +
               "', r.document FROM head JOIN " + projects + " r ON " + same_id("r.id", "head.project");
    }();
    return sql;
}

/// The dispatchers q matches, with as much of their pods and queues as projection asks for.
/// A unit that remembers its reads reads in the same round trip, and remembers, what a
/// dispatch reads next when q names a pod: the pod, the tasks it names (its last one, for
/// a task group's rule), and the task at the front of the queue with its project.
inline Result<std::vector<PodDispatcher>> find_dispatchers(Connection& c, const Query& q,
                                                           const pod_dispatcher::Projection& projection)
{
    const Params params = dispatchers_params(q, projection);
    if (!q.pod_id || !c.reads().on()) {
        BOOST_OUTCOME_TRY(const auto rows, c.run(dispatchers_sql(q), params));
        return remembered_dispatchers_of(c, rows);
    }
    using PodSql = DocumentSql<pod_dispatcher::Pod>;
    const Params pod_id = Params{}.bytes(*q.pod_id);
    BOOST_OUTCOME_TRY(const auto answers, c.run({{dispatchers_sql(q), params},
                                                 {PodSql::find, pod_id},
                                                 {PodSql::referenced, pod_id},
                                                 {head_task_sql(), pod_id}}));
    remember_found<pod_dispatcher::Pod>(c, *q.pod_id, answers[1]);
    remember_referenced(c, answers[2]);
    remember_referenced(c, answers[3]);
    return remembered_dispatchers_of(c, answers[0]);
}

/// The first column of every row: ids.
inline std::vector<std::string> ids_of(const Rows& rows)
{
    std::vector<std::string> ids;
    for (int row = 0; row < rows.size(); ++row) {
        ids.emplace_back(rows.bytes(row, 0));
    }
    return ids;
}

/// The dispatchers q matches, in order of id, each with the first n ids of its queue,
/// their rows locked until the transaction ends. One round trip of two statements: the
/// lock (SELECT ... FOR UPDATE, which waits for a transaction writing a row, then checks q
/// again against what that one committed), then the read, whose snapshot, taken after
/// the lock, sees the locked dispatchers' queues as they stay until the transaction ends.
/// A dispatcher the read finds and the lock did not (committed in between) is left out.
inline Result<std::vector<PodDispatcher>> lock_matching(Connection& c, const Query& q, std::size_t n)
{
    const std::string& lock_sql =
        pod_dispatcher_sql::text_for(q, [](unsigned set) { return "SELECT d.id" + matching(set, 1) + " FOR UPDATE OF d"; });
    Params lock_params;
    bind_query(lock_params, q);
    const Params read_params = dispatchers_params(q, pod_dispatcher::queue_head(n));
    BOOST_OUTCOME_TRY(const auto answers, c.run({{lock_sql, lock_params}, {dispatchers_sql(q), read_params}}));
    const std::vector<std::string> locked = ids_of(answers[0]);
    BOOST_OUTCOME_TRY(auto found, dispatchers_of(c, answers[1]));
    std::erase_if(found, [&](const PodDispatcher& d) { return std::ranges::find(locked, d.id) == locked.end(); });
    return found;
}

/// The condition that a row of dispatcher_queue is of the queue of the dispatcher whose
/// id is the first parameter, searched from the queue's front.
inline std::string in_queue_of_first()
{
    return same_id("dispatcher_id", "$1") + " AND position > (SELECT queue_front FROM pod_dispatchers WHERE " +
           same_id("id", "$1") + ")";
}

/// The first max_ids ids of a dispatcher's queue.
inline Result<std::vector<std::string>> queue_of(Connection& c, std::string_view dispatcher_id, std::size_t max_ids)
{
    static const std::string sql =
        "SELECT task_id FROM dispatcher_queue WHERE " + in_queue_of_first() + " ORDER BY position LIMIT $2";
    Params p;
    BOOST_OUTCOME_TRY(const auto rows, c.run(sql, limit(p.bytes(dispatcher_id), max_ids)));
    return ids_of(rows);
}

// ---- Writing.

/// Holds sql back for the next round trip: a write of rows of the dispatcher, under its
/// lock, that takes its id as its one parameter.
inline void defer_for(Connection& c, const std::string& sql, std::string_view dispatcher_id)
{
    c.defer(sql, Params{}.bytes(dispatcher_id));
}

/// Appends pod_ids to the pods of dispatcher_id, one row each, in one statement;
/// Errc::duplicate_key when a dispatcher holds one of them already.
inline Result<void> add_pods(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& pod_ids)
{
    static const std::string sql =
        "INSERT INTO dispatcher_pods (pod_id, dispatcher_id, position)"
        " SELECT pod_id, $2::bytea, (SELECT coalesce(max(position), -1) FROM dispatcher_pods WHERE " +
        same_id("dispatcher_id", "$2::bytea") + ") + n FROM unnest($1::bytea[]) WITH ORDINALITY AS added (pod_id, n)";
    if (pod_ids.empty()) {
        return boost::outcome_v2::success();
    }
    BOOST_OUTCOME_TRY(c.run(sql, Params{}.byte_strings(pod_ids).bytes(dispatcher_id)));
    return boost::outcome_v2::success();
}

/// Puts task_id into the queue of dispatcher_id at position, and moves the queue's front
/// below it when it is not.
inline Result<void> insert_queue_row(Connection& c, std::string_view dispatcher_id, std::int64_t position,
                                     std::string_view task_id)
{
    static const std::string sql = "WITH front AS (UPDATE pod_dispatchers SET queue_front = $2::bigint - 1 WHERE " +
                                   same_id("id", "$1") + " AND queue_front >= $2::bigint)"
                                   " INSERT INTO dispatcher_queue (dispatcher_id, position, task_id) VALUES ($1, $2, $3)";
    BOOST_OUTCOME_TRY(c.run(sql, Params{}.bytes(dispatcher_id).integer(position).bytes(task_id)));
    return boost::outcome_v2::success();
}

/// Stores task_ids as the queue of dispatcher_id, which has none, numbered afresh, in one
/// statement.
inline Result<void> put_queue(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& task_ids)
{
    static const std::string sql = "INSERT INTO dispatcher_queue (dispatcher_id, position, task_id)"
                                   " SELECT $1::bytea, (n - 1) * $3::bigint, task_id"
                                   " FROM unnest($2::bytea[]) WITH ORDINALITY AS queued (task_id, n)";
    if (task_ids.empty()) {
        return boost::outcome_v2::success();
    }
    static_assert(pod_dispatcher_sql::fresh_position(1) == pod_dispatcher_sql::queue_gap);
    BOOST_OUTCOME_TRY(
        c.run(sql, Params{}.bytes(dispatcher_id).byte_strings(task_ids).integer(pod_dispatcher_sql::queue_gap)));
    return boost::outcome_v2::success();
}

/// Writes the queue of dispatcher_id whole, its front just below the first fresh position.
inline Result<void> replace_queue(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& task_ids)
{
    static const std::string sql = "WITH cleared AS (DELETE FROM dispatcher_queue WHERE " +
                                   same_id("dispatcher_id", "$1") + ") UPDATE pod_dispatchers SET queue_front = " +
                                   std::to_string(pod_dispatcher_sql::fresh_position(0) - 1) + " WHERE " +
                                   same_id("id", "$1");
    defer_for(c, sql, dispatcher_id);
    return put_queue(c, dispatcher_id, task_ids);
}

/// The positions of the rows the statement returned.
inline Result<std::vector<std::int64_t>> positions_of(Connection& c, const Rows& rows)
{
    std::vector<std::int64_t> positions;
    for (int row = 0; row < rows.size(); ++row) {
        const auto position = rows.bigint(row, 0);
        if (!position) {
            return c.malformed("dispatcher_queue");
        }
        positions.push_back(*position);
    }
    return positions;
}

/// The spot before index at of the queue of dispatcher_id, or at its back when at is
/// unset or past the end. Reads the rows up to it (PostgreSQL counts its way to an
/// offset along the index), and writes none.
inline Result<Spot> spot_at(Connection& c, std::string_view dispatcher_id, std::optional<std::size_t> at)
{
    static const std::string around_sql =
        "SELECT position FROM dispatcher_queue WHERE " + in_queue_of_first() + " ORDER BY position LIMIT $2 OFFSET $3";
    static const std::string last_sql = "SELECT position FROM dispatcher_queue WHERE " +
                                        same_id("dispatcher_id", "$1") + " ORDER BY position DESC LIMIT 1";
    if (at) {
        // The rows at indexes at - 1 and at; the front has none before it.
        const bool front = *at == 0;
        Params p;
        limit(p.bytes(dispatcher_id).integer(front ? 1 : 2), front ? 0 : *at - 1);
        BOOST_OUTCOME_TRY(const auto rows, c.run(around_sql, p));
        BOOST_OUTCOME_TRY(const auto around, positions_of(c, rows));
        if (const auto spot = pod_dispatcher_sql::spot_before(*at, around)) {
            return *spot;
        }
    }
    BOOST_OUTCOME_TRY(const auto rows, c.run(last_sql, Params{}.bytes(dispatcher_id)));
    BOOST_OUTCOME_TRY(const auto last, positions_of(c, rows));
    return Spot{last.empty() ? std::nullopt : std::optional{last.front()}, std::nullopt};
}

/// The parts of a dequeue of the first $2 ids of the queue of dispatcher $1: `taken`, the
/// rows deleted, and the update that moves the queue's front up to the last of them. It
/// deletes the range of positions from the front to the last of them (not the positions
/// IN a subquery, which PostgreSQL joins with every row of the queue), so that it reads
/// only their index entries.
struct DequeueSql {
    static inline const std::string taken =
        "taken AS (DELETE FROM dispatcher_queue WHERE " + in_queue_of_first() +
        " AND position <= (SELECT max(position) FROM (SELECT position FROM dispatcher_queue WHERE " +
        in_queue_of_first() + " ORDER BY position LIMIT $2) AS front_rows) RETURNING position, task_id)";
    static inline const std::string front_moved =
        "UPDATE pod_dispatchers SET queue_front = (SELECT max(position) FROM taken) WHERE " + same_id("id", "$1") +
        " AND EXISTS (SELECT FROM taken)";
};

/// Takes count ids off the front of the queue of dispatcher_id and moves its front up to
/// the last of them, in one statement, held back for the next round trip.
inline Result<void> dequeue(Connection& c, std::string_view dispatcher_id, std::size_t count)
{
    static const std::string sql = "WITH " + DequeueSql::taken + " " + DequeueSql::front_moved;
    Params p;
    limit(p.bytes(dispatcher_id), count);
    c.defer(sql, std::move(p));
    return boost::outcome_v2::success();
}

// ---- The Store members.

/// Store::insert_dispatcher, inside the caller's transaction.
inline Result<void> insert_dispatcher_rows(Connection& c, const PodDispatcher& d)
{
    static const std::string sql = "INSERT INTO pod_dispatchers (id, group_id, modification_count, last_modified)"
                                   " VALUES ($1, $2, $3, $4)";
    if (d.id.empty() || d.group_id.empty()) {
        return Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(
        c.run(sql, Params{}.bytes(d.id).bytes(d.group_id).integer(d.modification_count).time(d.last_modified)));
    BOOST_OUTCOME_TRY(add_pods(c, d.id, d.pod_ids));
    return put_queue(c, d.id, d.task_ids);
}

inline Result<void> replace_pods(Connection& c, std::string_view dispatcher_id, const std::vector<std::string>& pod_ids)
{
    static const std::string sql = "DELETE FROM dispatcher_pods WHERE " + same_id("dispatcher_id", "$1");
    defer_for(c, sql, dispatcher_id);
    return add_pods(c, dispatcher_id, pod_ids);
}

/// The update that adds $1 to the count of dispatcher $3 and sets its last_modified to $2.
inline const std::string count_up_sql = "UPDATE pod_dispatchers SET modification_count = modification_count + $1,"
                                        " last_modified = $2 WHERE " + same_id("id", "$3");

/// Adds u.increment to the dispatcher's modification_count and sets its last_modified,
/// held back for the next round trip.
inline Result<void> count_up(Connection& c, std::string_view dispatcher_id, const pod_dispatcher::DispatcherUpdate& u)
{
    c.defer(count_up_sql, Params{}.integer(u.increment).time(u.last_modified).bytes(dispatcher_id));
    return boost::outcome_v2::success();
}

/// What the unit read of the front of the queue of the one dispatcher q names by id, when
/// u only takes ids off that front and the dispatcher was read in q's group and at q's
/// count: a dequeue that can be made on condition that the dispatcher is still as read.
inline const ReadFront* front_read_for(Connection& c, const Query& q, const pod_dispatcher::DispatcherUpdate& u)
{
    const bool only_dequeues = !u.dequeue.empty() && !u.pod_ids && u.add_pods.empty() && !u.task_ids;
    if (!only_dequeues || !q.id || q.pod_id) {
        return nullptr;
    }
    const ReadFront* read = c.reads().find_front(*q.id);
    if (read == nullptr || q.group_id.value_or(read->group_id) != read->group_id ||
        q.modification_count.value_or(read->modification_count) != read->modification_count) {
        return nullptr;
    }
    const bool at_front = read->ids.size() >= u.dequeue.size() &&
                          std::equal(u.dequeue.begin(), u.dequeue.end(), read->ids.begin());
    return at_front ? read : nullptr;
}

/// Applies u, which only takes ids off the front of the queue of dispatcher_id, on
/// condition that the dispatcher is as the unit read it (front_read_for): held back for
/// the next round trip.
inline void dequeue_as_read(Connection& c, std::string_view dispatcher_id, const ReadFront& read,
                            const pod_dispatcher::DispatcherUpdate& u)
{
    static const std::string count_sql = one_row_or_rerun(count_up_sql + " AND modification_count = $4 RETURNING 1");
    static const std::string dequeue_sql = "WITH " + DequeueSql::taken + ", moved AS (" + DequeueSql::front_moved +
                                           ") SELECT pod_dispatcher_wrote_one(CASE WHEN ARRAY(SELECT task_id FROM"
                                           " taken ORDER BY position) = $3::bytea[] THEN 1 ELSE 0 END)";
    // The count first: its update locks the row, and the dequeue, a statement after it,
    // reads the queue as it stays until the transaction ends.
    c.defer(count_sql,
            Params{}.integer(u.increment).time(u.last_modified).bytes(dispatcher_id).integer(read.modification_count));
    Params p;
    limit(p.bytes(dispatcher_id), u.dequeue.size()).byte_strings(u.dequeue);
    c.defer(dequeue_sql, std::move(p));
}

/// Store::update_dispatcher, inside the caller's transaction
/// (pod_dispatcher_sql/dispatcher_update.hpp, on the row operations above): the rows the
/// query matches are locked before their queues are read, and written under that lock,
/// unless the update is a dequeue of what the unit read (dequeue_as_read).
inline Result<bool> update_dispatcher_rows(Connection& c, const Query& q, const pod_dispatcher::DispatcherUpdate& u)
{
    const ReadFront* read = pod_dispatcher::well_formed(u) ? front_read_for(c, q, u) : nullptr;
    if (read != nullptr) {
        dequeue_as_read(c, *q.id, *read, u);
    }
    c.reads().forget_fronts(); // the unit writes a dispatcher: what it read may be out of date
    if (read != nullptr) {
        return true;
    }
    return pod_dispatcher_sql::update_dispatcher(c, u, [&](std::size_t n) { return lock_matching(c, q, n); });
}

} // namespace pod_dispatcher_postgres::detail

#endif
