#ifndef POD_DISPATCHER_SQLITE_DETAIL_SCHEMA_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_SCHEMA_HPP

// The tables. Every id is a BLOB, compared byte for byte. Tasks, pods, project refs and
// events are one row each holding the document's JSON; a pod's row also keeps its status
// and last_communicated in columns of their own, indexed, so that a search for stale pods
// reads the index rather than every document. A dispatcher is a row of its own fields,
// with its pods and its queue in rows of their own, so that a lookup by pod uses an index
// and a dequeue deletes the front rows of a queue without rewriting the rest.

#include <pod_dispatcher_sqlite/detail/connection.hpp>

#include <pod_dispatcher/error.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pod_dispatcher_sqlite::detail {

inline constexpr std::string_view schema[] = {
    // The unique group_id is what makes a second dispatcher of a group duplicate_key.
    "CREATE TABLE IF NOT EXISTS pod_dispatchers ("
    " id BLOB PRIMARY KEY, group_id BLOB NOT NULL UNIQUE,"
    " modification_count INTEGER NOT NULL, last_modified INTEGER NOT NULL) WITHOUT ROWID",
    // A pod id is the key: a pod is in at most one dispatcher.
    "CREATE TABLE IF NOT EXISTS dispatcher_pods ("
    " pod_id BLOB PRIMARY KEY, dispatcher_id BLOB NOT NULL, position INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS dispatcher_pods_in_order ON dispatcher_pods (dispatcher_id, position)",
    // Front first by position (dispatcher_rows.hpp says how positions are given); a
    // dequeue deletes the lowest positions.
    "CREATE TABLE IF NOT EXISTS dispatcher_queue ("
    " dispatcher_id BLOB NOT NULL, position INTEGER NOT NULL, task_id BLOB NOT NULL,"
    " PRIMARY KEY (dispatcher_id, position)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS tasks (id BLOB PRIMARY KEY, document BLOB NOT NULL) WITHOUT ROWID",
    // status is the enumerator's name, last_communicated milliseconds since the epoch (0:
    // unset, so earlier than any time): copies of the document's fields, written with it.
    "CREATE TABLE IF NOT EXISTS pods (id BLOB PRIMARY KEY, status TEXT NOT NULL,"
    " last_communicated INTEGER NOT NULL, document BLOB NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS pods_by_liveness ON pods (status, last_communicated)",
    "CREATE TABLE IF NOT EXISTS project_ref (id BLOB PRIMARY KEY, document BLOB NOT NULL) WITHOUT ROWID",
    // Events are never deleted, so the rowid grows in the order they were appended.
    "CREATE TABLE IF NOT EXISTS events ("
    " sequence INTEGER PRIMARY KEY, resource_id BLOB NOT NULL, document BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_by_resource ON events (resource_id, sequence)",
};

/// The layout schema makes, recorded in the file's user_version. A file at 0 is new, or
/// from before pods had their status and last_communicated columns.
inline constexpr std::int64_t layout_version = 1;

/// Brings the pods of a file from before layout 1 up to it: the two columns, filled from
/// each document (which has no last_communicated yet: unset, 0).
inline constexpr std::string_view add_pod_liveness[] = {
    "ALTER TABLE pods ADD COLUMN status TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE pods ADD COLUMN last_communicated INTEGER NOT NULL DEFAULT 0",
    "UPDATE pods SET status = json_extract(CAST(document AS TEXT), '$.status')",
};

/// Puts the file in WAL mode, which the file keeps: readers then never wait for the
/// writer, and processes share the file safely. Errc::invalid_argument where WAL is not
/// possible (an in-memory database, which each connection would see apart anyway).
inline Result<void> use_write_ahead_log(Connection& c)
{
    BOOST_OUTCOME_TRY(auto pragma, c.prepare("PRAGMA journal_mode = WAL"));
    BOOST_OUTCOME_TRY(bool row, pragma.step());
    if (!row || pragma.bytes(0) != "wal") {
        return Errc::invalid_argument;
    }
    return boost::outcome_v2::success();
}

/// The first column of the one row sql returns.
inline Result<std::int64_t> single_integer(Connection& c, std::string_view sql)
{
    BOOST_OUTCOME_TRY(auto query, c.prepare(sql));
    BOOST_OUTCOME_TRY(bool row, query.step());
    return row ? query.integer(0) : 0;
}

inline Result<void> execute_all(Connection& c, std::span<const std::string_view> statements)
{
    for (const std::string_view statement : statements) {
        BOOST_OUTCOME_TRY(c.execute(statement));
    }
    return boost::outcome_v2::success();
}

/// Creates what is missing of the schema, and brings an older file up to it.
inline Result<void> lay_out(Connection& c)
{
    BOOST_OUTCOME_TRY(const std::int64_t version, single_integer(c, "PRAGMA user_version"));
    if (version >= layout_version) {
        return boost::outcome_v2::success();
    }
    BOOST_OUTCOME_TRY(const std::int64_t pods_tables,
                      single_integer(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'pods'"));
    if (pods_tables != 0) {
        BOOST_OUTCOME_TRY(execute_all(c, add_pod_liveness));
    }
    BOOST_OUTCOME_TRY(execute_all(c, schema));
    return c.execute("PRAGMA user_version = " + std::to_string(layout_version));
}

/// Lays the file out in one write transaction, so that processes opening a new file at
/// once each find it either untouched or laid out whole.
inline Result<void> create_schema(Connection& c)
{
    BOOST_OUTCOME_TRY(c.begin(Access::write));
    if (auto laid_out = lay_out(c); !laid_out) {
        c.rollback();
        return laid_out;
    }
    return c.commit();
}

} // namespace pod_dispatcher_sqlite::detail

#endif
