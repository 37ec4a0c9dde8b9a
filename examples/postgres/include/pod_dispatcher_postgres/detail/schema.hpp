#ifndef POD_DISPATCHER_POSTGRES_DETAIL_SCHEMA_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_SCHEMA_HPP

// The tables. Every id is a bytea, compared byte for byte, and indexed through its
// SHA-256 (sql_text.hpp). Tasks, pods, project refs and events are one row each holding
// the document's JSON, as bytea too (the JSON carries ids as they are, invalid UTF-8
// included, which json and jsonb refuse); a pod's row also keeps its status and
// last_communicated in columns of their own, indexed, so that a search for stale pods
// reads the index rather than every document, and a task's and a pod's rows the ids of
// the documents theirs name (document_rows.hpp). A dispatcher is a row of its own fields,
// with its pods and its queue in rows of their own, so that a lookup by pod uses an index
// and a dequeue deletes the front rows of a queue without rewriting the rest. The
// dispatcher's row also keeps queue_front, below the position of every row of its queue
// (dispatcher_rows.hpp).

#include <pod_dispatcher_postgres/detail/connection.hpp>

#include <pod_dispatcher/error.hpp>

#include <string>
#include <string_view>

namespace pod_dispatcher_postgres::detail {

inline const std::string schema[] = {
    // The unique group_id is what makes a second dispatcher of a group duplicate_key.
    "CREATE TABLE IF NOT EXISTS pod_dispatchers (id bytea NOT NULL, group_id bytea NOT NULL,"
    " modification_count bigint NOT NULL, last_modified bigint NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS pod_dispatchers_by_id ON pod_dispatchers (sha256(id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS pod_dispatchers_by_group ON pod_dispatchers (sha256(group_id))",
    // A pod id is unique: a pod is in at most one dispatcher.
    "CREATE TABLE IF NOT EXISTS dispatcher_pods (pod_id bytea NOT NULL, dispatcher_id bytea NOT NULL,"
    " position bigint NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS dispatcher_pods_by_pod ON dispatcher_pods (sha256(pod_id))",
    "CREATE INDEX IF NOT EXISTS dispatcher_pods_in_order ON dispatcher_pods (sha256(dispatcher_id), position)",
    // Front first by position (pod_dispatcher_sql/queue_positions.hpp); a dequeue deletes
    // the lowest positions.
    "CREATE TABLE IF NOT EXISTS dispatcher_queue (dispatcher_id bytea NOT NULL, position bigint NOT NULL,"
    " task_id bytea NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS dispatcher_queue_in_order ON dispatcher_queue (sha256(dispatcher_id), position)",
    "CREATE TABLE IF NOT EXISTS tasks (id bytea NOT NULL, document bytea NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_id ON tasks (sha256(id))",
    // status is the enumerator's name, last_communicated milliseconds since the epoch (0:
    // unset, so earlier than any time): copies of the document's fields, written with it.
    "CREATE TABLE IF NOT EXISTS pods (id bytea NOT NULL, status text NOT NULL, last_communicated bigint NOT NULL,"
    " document bytea NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS pods_by_id ON pods (sha256(id))",
    "CREATE INDEX IF NOT EXISTS pods_by_liveness ON pods (status, last_communicated)",
    "CREATE TABLE IF NOT EXISTS project_ref (id bytea NOT NULL, document bytea NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS project_ref_by_id ON project_ref (sha256(id))",
    // Events are never deleted; sequence grows in the order they were appended.
    "CREATE TABLE IF NOT EXISTS events (sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " resource_id bytea NOT NULL, document bytea NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_by_resource ON events (sha256(resource_id), sequence)",
    // Added so, and not in CREATE TABLE, so that tables laid out before it existed get it
    // too. The lowest bigint is below every position a queue row may have.
    "ALTER TABLE pod_dispatchers ADD COLUMN IF NOT EXISTS queue_front bigint NOT NULL"
    " DEFAULT -9223372036854775808",
    // The ids a task's and a pod's documents name, copied out of them (References,
    // document_rows.hpp); NULL in a row written before the columns were.
    "ALTER TABLE tasks ADD COLUMN IF NOT EXISTS project bytea",
    "ALTER TABLE pods ADD COLUMN IF NOT EXISTS running_task_id bytea",
    "ALTER TABLE pods ADD COLUMN IF NOT EXISTS last_task_id bytea",
    // Last, as what laid_out looks for. A write made on condition that a row is as the unit
    // read it passes the number of rows it wrote: none fails the transaction as one that
    // lost to another (serialization_failure), which the store runs again
    // (document_rows.hpp).
    "CREATE OR REPLACE FUNCTION pod_dispatcher_wrote_one(written bigint) RETURNS void LANGUAGE plpgsql AS $$"
    " BEGIN IF written <> 1 THEN RAISE EXCEPTION 'the row changed after the unit read it'"
    " USING ERRCODE = 'serialization_failure'; END IF; END $$",
};

/// Whether the tables are laid out as this version lays them out: the last column and the
/// function it adds exist, which it makes in the transaction that makes the rest.
inline Result<bool> laid_out(Connection& c)
{
    static const std::string sql =
        "SELECT to_regprocedure('pod_dispatcher_wrote_one(bigint)') IS NOT NULL AND EXISTS (SELECT FROM"
        " information_schema.columns WHERE table_schema = current_schema() AND table_name = 'pods' AND"
        " column_name = 'last_task_id')";
    BOOST_OUTCOME_TRY(const auto rows, c.run(sql, Params{}));
    return rows.size() == 1 && rows.bytes(0, 0) == std::string_view("\1", 1);
}

/// Creates the schema's tables (and the options' schema itself) unless they are there.
/// Runs no DDL when they are: even CREATE INDEX IF NOT EXISTS locks its table against
/// writers, which would make every store opened wait for, or deadlock with, the units of
/// work running on the tables. Creates them in one transaction that first takes a lock
/// every store takes to lay out its tables, so that processes opening one new database
/// at once each find it either untouched or laid out whole (concurrent CREATE ... IF NOT
/// EXISTS of one name may otherwise fail).
inline Result<void> create_schema(Connection& c, const std::string& schema_name)
{
    BOOST_OUTCOME_TRY(const bool done, laid_out(c));
    if (done) {
        return boost::outcome_v2::success();
    }
    BOOST_OUTCOME_TRY(c.execute("BEGIN"));
    const auto created = [&]() -> Result<void> {
        BOOST_OUTCOME_TRY(c.run("SELECT pg_advisory_xact_lock(7060150401)", Params{}));
        BOOST_OUTCOME_TRY(const bool done_meanwhile, laid_out(c));
        if (done_meanwhile) {
            return c.commit();
        }
        if (!schema_name.empty()) {
            BOOST_OUTCOME_TRY(c.execute("CREATE SCHEMA IF NOT EXISTS " + c.identifier(schema_name)));
        }
        for (const std::string& statement : schema) {
            BOOST_OUTCOME_TRY(c.execute(statement));
        }
        return c.commit();
    }();
    if (!created) {
        c.rollback();
    }
    return created;
}

} // namespace pod_dispatcher_postgres::detail

#endif
