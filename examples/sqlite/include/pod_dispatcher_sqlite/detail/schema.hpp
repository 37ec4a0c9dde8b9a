#ifndef POD_DISPATCHER_SQLITE_DETAIL_SCHEMA_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_SCHEMA_HPP

// The tables. Every id is a BLOB, compared byte for byte. Tasks, pods, project refs and
// events are one row each holding the document's JSON; a dispatcher is a row of its own
// fields, with its pods and its queue in rows of their own, so that a lookup by pod uses
// an index and a dequeue deletes the front rows of a queue without rewriting the rest.

#include <pod_dispatcher_sqlite/detail/connection.hpp>

#include <pod_dispatcher/error.hpp>

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
    // Front first by position; a dequeue deletes the lowest positions.
    "CREATE TABLE IF NOT EXISTS dispatcher_queue ("
    " dispatcher_id BLOB NOT NULL, position INTEGER NOT NULL, task_id BLOB NOT NULL,"
    " PRIMARY KEY (dispatcher_id, position)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS tasks (id BLOB PRIMARY KEY, document BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS pods (id BLOB PRIMARY KEY, document BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS project_ref (id BLOB PRIMARY KEY, document BLOB NOT NULL) WITHOUT ROWID",
    // Events are never deleted, so the rowid grows in the order they were appended.
    "CREATE TABLE IF NOT EXISTS events ("
    " sequence INTEGER PRIMARY KEY, resource_id BLOB NOT NULL, document BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_by_resource ON events (resource_id, sequence)",
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

/// Creates what is missing of the schema, in one transaction.
inline Result<void> create_schema(Connection& c)
{
    BOOST_OUTCOME_TRY(c.begin(Access::write));
    for (const std::string_view statement : schema) {
        if (auto created = c.execute(statement); !created) {
            c.rollback();
            return created;
        }
    }
    return c.commit();
}

} // namespace pod_dispatcher_sqlite::detail

#endif
