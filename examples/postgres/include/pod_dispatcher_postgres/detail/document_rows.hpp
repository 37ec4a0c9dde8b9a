#ifndef POD_DISPATCHER_POSTGRES_DETAIL_DOCUMENT_ROWS_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_DOCUMENT_ROWS_HPP

// Tasks, pods, project refs and events: one row each, keyed by id (events by their place
// in the log), holding the document's JSON, and for a pod the fields find_pods searches
// by in columns of their own.
//
// A guarded write of a document the unit has not read reads the row with SELECT ... FOR
// UPDATE, which waits for a transaction writing it and then reads what that one
// committed, checks the guard and applies the changes in memory, and writes the row back
// under that lock: at READ COMMITTED a plain read, check and write could lose another's
// update. The write back, like an event's, cannot fail but as the backend does, so it
// waits for the next round trip (connection.hpp).
//
// A guarded write of a document the unit has read (remembered_reads.hpp) saves that
// round trip: it checks the guard against what the unit read, and writes on condition
// that the row still holds exactly that, held back too. The condition is the guard's
// check made by the server, under the row lock the write takes: a row that changed
// meanwhile is not written, and the statement then fails the transaction as a
// serialization failure, so the unit, rolled back whole, runs again, reading under locks.
//
// A task's row also keeps its project's id, and a pod's row its running and last task's
// ids, copied out of the document (References): a unit that reads one reads the
// documents those name in the same round trip, and remembers them, since the next read
// of a dispatch or a finish_task is of one of them, and the server cannot find them in
// the JSON. They are remembered by their own ids, so a column that is out of date (a
// row an earlier version wrote) costs a round trip, never a wrong answer.

#include <pod_dispatcher_postgres/detail/connection.hpp>
#include <pod_dispatcher_postgres/detail/sql_text.hpp>

#include <pod_dispatcher_sql/document_tables.hpp>
#include <pod_dispatcher_sql/json_text.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pod_dispatcher_postgres::detail {

using pod_dispatcher_sql::DocumentTable;

/// A column of a D's row holding the id, copied out of the document's member, of a
/// document in table.
template <class D>
struct Reference {
    std::string_view column;
    std::string D::*member;
    std::string_view table;
};

/// The references a D's row keeps: none but for tasks and pods.
template <class D>
struct References {
    static constexpr std::array<Reference<D>, 0> columns{};
};

template <>
struct References<pod_dispatcher::Task> {
    static constexpr std::array columns{Reference<pod_dispatcher::Task>{
        "project", &pod_dispatcher::Task::project, DocumentTable<pod_dispatcher::ProjectRef>::name}};
};

template <>
struct References<pod_dispatcher::Pod> {
    static constexpr std::array columns{
        Reference<pod_dispatcher::Pod>{"running_task_id", &pod_dispatcher::Pod::running_task_id,
                                       DocumentTable<pod_dispatcher::Task>::name},
        Reference<pod_dispatcher::Pod>{"last_task_id", &pod_dispatcher::Pod::last_task_id,
                                       DocumentTable<pod_dispatcher::Task>::name}};
};

/// The statements on the table of D. Parameters: the id, then the indexed columns, then
/// the references, then the document.
template <class D>
struct DocumentSql {
    using T = DocumentTable<D>;

    /// The columns written beside id: the indexed ones, the references, then the document.
    static std::vector<std::string> written_columns()
    {
        std::vector<std::string> columns(T::indexed_columns.begin(), T::indexed_columns.end());
        for (const Reference<D>& r : References<D>::columns) {
            columns.emplace_back(r.column);
        }
        columns.emplace_back("document");
        return columns;
    }

    /// The id, table and document of each document the row of id $1 references.
    static std::string referenced_text()
    {
        std::string sql;
        for (const Reference<D>& r : References<D>::columns) {
            sql += sql.empty() ? "" : " UNION ALL ";
            sql += "SELECT r.id, '" + std::string(r.table) + "', r.document FROM " + std::string(r.table) + " r JOIN " +
                   std::string(T::name) + " d ON " + same_id("r.id", "d." + std::string(r.column)) + " WHERE " +
                   same_id("d.id", "$1");
        }
        return sql;
    }

    static std::string insert_text()
    {
        std::string columns = "id";
        std::string values = "$1";
        int n = 1;
        for (const std::string& column : written_columns()) {
            columns += ", " + column;
            values += ", " + parameter(++n);
        }
        return "INSERT INTO " + std::string(T::name) + " (" + columns + ") VALUES (" + values + ")";
    }

    static std::string update_text()
    {
        std::string assignments;
        int n = 1;
        for (const std::string& column : written_columns()) {
            assignments += (assignments.empty() ? "" : ", ") + column + " = " + parameter(++n);
        }
        return "UPDATE " + std::string(T::name) + " SET " + assignments + " WHERE " + same_id("id", "$1");
    }

    /// update_text() made only if the row holds the document of the next parameter, and
    /// failing the transaction (wrote_one, schema.hpp) when it does not.
    static std::string update_if_unchanged_text()
    {
        const int document = static_cast<int>(written_columns().size()) + 2;
        return one_row_or_rerun(update_text() + " AND document = " + parameter(document) + " RETURNING 1");
    }

    static inline const std::string find =
        "SELECT document FROM " + std::string(T::name) + " WHERE " + same_id("id", "$1");
    static inline const std::string find_for_update = find + " FOR UPDATE";
    static inline const std::string insert = insert_text();
    static inline const std::string update = update_text();
    static inline const std::string update_if_unchanged = update_if_unchanged_text();
    static inline const std::string referenced = referenced_text();
    static inline const std::string all = "SELECT document FROM " + std::string(T::name);
};

/// Every row's first column decoded as a D.
template <class D>
Result<std::vector<D>> decode_rows(Connection& c, const Rows& rows, std::string_view what)
{
    std::vector<D> found;
    found.reserve(static_cast<std::size_t>(rows.size()));
    for (int row = 0; row < rows.size(); ++row) {
        auto doc = pod_dispatcher_sql::decode<D>(rows.bytes(row, 0));
        if (!doc) {
            return c.malformed(what);
        }
        found.push_back(std::move(doc).value());
    }
    return found;
}

/// Remembers the documents in rows of (id, table, document), such as DocumentSql<D>::referenced
/// returns, as the unit read them.
inline void remember_referenced(Connection& c, const Rows& rows)
{
    for (int row = 0; row < rows.size(); ++row) {
        c.reads().remember(rows.bytes(row, 1), rows.bytes(row, 0), rows.bytes(row, 2));
    }
}

/// Remembers the document with this id in the rows of a find (none or one), as the unit
/// read it.
template <class D>
void remember_found(Connection& c, std::string_view id, const Rows& rows)
{
    if (rows.size() == 1) {
        c.reads().remember(DocumentTable<D>::name, id, rows.bytes(0, 0));
    }
}

/// The document with this id in the rows of a find, remembered as the unit read it.
template <class D>
Result<std::optional<D>> found_document(Connection& c, std::string_view id, const Rows& rows)
{
    BOOST_OUTCOME_TRY(auto found, decode_rows<D>(c, rows, DocumentTable<D>::name));
    if (found.empty()) {
        return std::nullopt;
    }
    remember_found<D>(c, id, rows);
    return std::move(found.front());
}

/// The document with this id, read by sql (a find, locking or not), and remembered as
/// the unit read it.
template <class D>
Result<std::optional<D>> read_document(Connection& c, const std::string& sql, std::string_view id)
{
    BOOST_OUTCOME_TRY(const auto rows, c.run(sql, Params{}.bytes(id)));
    return found_document<D>(c, id, rows);
}

/// Store::find_task, find_pod, find_project_ref: a document the unit has read or written
/// is answered as it read or wrote it, without a round trip (a read at READ COMMITTED may
/// see any commit since the unit began, and a write made on what it returns is checked
/// against the row, as update_document says).
template <class D>
Result<std::optional<D>> find_document(Connection& c, std::string_view id)
{
    if (const std::string* read = c.reads().find(DocumentTable<D>::name, id)) {
        auto doc = pod_dispatcher_sql::decode<D>(*read);
        if (!doc) {
            return c.malformed(DocumentTable<D>::name);
        }
        return std::move(doc).value();
    }
    if (References<D>::columns.empty() || !c.reads().on()) {
        return read_document<D>(c, DocumentSql<D>::find, id);
    }
    const Params p = Params{}.bytes(id);
    BOOST_OUTCOME_TRY(const auto answers, c.run({{DocumentSql<D>::find, p}, {DocumentSql<D>::referenced, p}}));
    remember_referenced(c, answers[1]);
    return found_document<D>(c, id, answers[0]);
}

/// The statement's parameters for doc: its id, its indexed columns, its JSON text.
template <class D>
Params row_of(const D& doc, std::string_view text)
{
    Params p;
    p.bytes(doc.id);
    DocumentTable<D>::indexed_values(doc, [&](auto value) {
        if constexpr (std::is_same_v<decltype(value), std::string_view>) {
            p.text(value);
        } else {
            p.time(value);
        }
    });
    for (const Reference<D>& r : References<D>::columns) {
        p.bytes(doc.*r.member);
    }
    p.bytes(text);
    return p;
}

/// Errc::duplicate_key when doc.id is stored; Errc::invalid_argument when it is empty.
template <class D>
Result<void> insert_document(Connection& c, const D& doc)
{
    if (doc.id.empty()) {
        return Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(const auto text, pod_dispatcher_sql::encode(doc));
    BOOST_OUTCOME_TRY(c.run(DocumentSql<D>::insert, row_of(doc, text)));
    return boost::outcome_v2::success();
}

/// The changes of u applied to stored, written back with the next round trip by sql,
/// whose parameters after the row's are extra; remembered as the unit wrote it. extra is
/// copied before that, so it may be what the unit remembered of the row.
template <class D>
Result<std::optional<D>> write_back(Connection& c, D stored, const pod_dispatcher::FieldUpdate<D>& u,
                                    const std::string& sql, const std::string* extra = nullptr)
{
    pod_dispatcher::apply_changes(stored, u);
    BOOST_OUTCOME_TRY(auto text, pod_dispatcher_sql::encode(stored));
    Params row = row_of(stored, text);
    if (extra != nullptr) {
        row.bytes(*extra);
    }
    c.defer(sql, std::move(row));
    c.reads().remember(DocumentTable<D>::name, stored.id, text);
    return stored;
}

/// Store::update_task and update_pod: the document as stored after, or none when it is
/// missing or fails the guard. Inside the caller's transaction. A document the unit has
/// read, and whose guard held then, is written on condition that it is as read; any
/// other is read again under a lock first.
template <class D>
Result<std::optional<D>> update_document(Connection& c, const pod_dispatcher::FieldUpdate<D>& u)
{
    if (const std::string* read = c.reads().find(DocumentTable<D>::name, u.id)) {
        auto as_read = pod_dispatcher_sql::decode<D>(*read);
        if (as_read && pod_dispatcher::guard_holds(as_read.value(), u)) {
            return write_back(c, std::move(as_read).value(), u, DocumentSql<D>::update_if_unchanged, read);
        }
    }
    BOOST_OUTCOME_TRY(auto stored, read_document<D>(c, DocumentSql<D>::find_for_update, u.id));
    if (!stored || !pod_dispatcher::guard_holds(*stored, u)) {
        return std::nullopt;
    }
    // Under the lock the read took, the write cannot miss.
    return write_back(c, std::move(*stored), u, DocumentSql<D>::update);
}

/// Store::find_pods, through the index on (status, last_communicated).
inline Result<std::vector<pod_dispatcher::Pod>> find_pod_rows(Connection& c, const pod_dispatcher::PodQuery& q)
{
    static const std::string sql = "SELECT document FROM pods WHERE status = $1 AND last_communicated < $2";
    BOOST_OUTCOME_TRY(const auto rows,
                      c.run(sql, Params{}.text(pod_dispatcher::name_of(q.status)).time(q.communicated_before)));
    return decode_rows<pod_dispatcher::Pod>(c, rows, DocumentTable<pod_dispatcher::Pod>::name);
}

template <class D>
Result<std::vector<D>> all_documents(Connection& c)
{
    BOOST_OUTCOME_TRY(const auto rows, c.run(DocumentSql<D>::all, Params{}));
    return decode_rows<D>(c, rows, DocumentTable<D>::name);
}

// ---- Events: appended, and read back in that order.

/// Appends events in one statement, numbered in their order, sent with the next round
/// trip (it writes no row another may hold, nor a unique index).
inline Result<void> append_events(Connection& c, std::span<const pod_dispatcher::Event> events)
{
    static const std::string sql = "INSERT INTO events (resource_id, document)"
                                   " SELECT resource_id, document FROM unnest($1::bytea[], $2::bytea[])"
                                   " WITH ORDINALITY AS appended (resource_id, document, n) ORDER BY n";
    std::vector<std::string> resources;
    std::vector<std::string> documents;
    for (const pod_dispatcher::Event& event : events) {
        BOOST_OUTCOME_TRY(auto text, pod_dispatcher_sql::encode(event));
        resources.push_back(event.resource_id);
        documents.push_back(std::move(text));
    }
    Params p;
    p.byte_strings(resources).byte_strings(documents);
    c.defer(sql, std::move(p));
    return boost::outcome_v2::success();
}

inline Result<std::vector<pod_dispatcher::Event>> events_of(Connection& c, std::string_view resource_id)
{
    static const std::string sql =
        "SELECT document FROM events WHERE " + same_id("resource_id", "$1") + " ORDER BY sequence";
    BOOST_OUTCOME_TRY(const auto rows, c.run(sql, Params{}.bytes(resource_id)));
    return decode_rows<pod_dispatcher::Event>(c, rows, "events");
}

inline Result<std::vector<pod_dispatcher::Event>> all_events(Connection& c)
{
    static const std::string sql = "SELECT document FROM events ORDER BY sequence";
    BOOST_OUTCOME_TRY(const auto rows, c.run(sql, Params{}));
    return decode_rows<pod_dispatcher::Event>(c, rows, "events");
}

} // namespace pod_dispatcher_postgres::detail

#endif
