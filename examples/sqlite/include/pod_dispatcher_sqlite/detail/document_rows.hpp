#ifndef POD_DISPATCHER_SQLITE_DETAIL_DOCUMENT_ROWS_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_DOCUMENT_ROWS_HPP

// Tasks, pods, project refs and events: one row each, keyed by id (events by their place
// in the log), holding the document's JSON, and for a pod the fields find_pods searches
// by in columns of their own. A guarded write reads the row, checks the guard and applies
// the changes in memory, and writes the row back, all inside the caller's transaction.

#include <pod_dispatcher_sqlite/detail/connection.hpp>

#include <pod_dispatcher_sql/document_tables.hpp>
#include <pod_dispatcher_sql/json_text.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pod_dispatcher_sqlite::detail {

using pod_dispatcher_sql::decode;
using pod_dispatcher_sql::encode;

using pod_dispatcher_sql::DocumentTable;

/// Binds the columns doc's row keeps beside its id and JSON (a pod's status as text, so
/// that other programs read it as words).
template <class D>
Statement& bind_indexed(Statement& s, const D& doc)
{
    DocumentTable<D>::indexed_values(doc, [&](auto value) {
        if constexpr (std::is_same_v<decltype(value), std::string_view>) {
            s.bind_text(value);
        } else {
            s.bind(value);
        }
    });
    return s;
}

/// The statements on the table of D.
template <class D>
struct DocumentSql {
    using T = DocumentTable<D>;
    /// The indexed columns, each followed by ", ".
    static std::string column_list()
    {
        std::string listed;
        for (const std::string_view column : T::indexed_columns) {
            listed.append(column).append(", ");
        }
        return listed;
    }
    static inline const std::string table{T::name};
    static inline const std::string columns = column_list();
    static inline const std::string parameters = [] {
        std::string listed;
        for (std::size_t i = 0; i < T::indexed_columns.size(); ++i) {
            listed += "?, ";
        }
        return listed;
    }();
    static inline const std::string find = "SELECT document FROM " + table + " WHERE id = ?";
    static inline const std::string insert =
        "INSERT INTO " + table + " (id, " + columns + "document) VALUES (?, " + parameters + "?)";
    static inline const std::string update =
        "UPDATE " + table + " SET (" + columns + "document) = (" + parameters + "?) WHERE id = ?";
    static inline const std::string all = "SELECT document FROM " + table;
};

/// Every row statement returns, its first column decoded as a D.
template <class D>
Result<std::vector<D>> decode_rows(Connection& c, Statement& statement, std::string_view what)
{
    std::vector<D> found;
    for (;;) {
        BOOST_OUTCOME_TRY(bool row, statement.step());
        if (!row) {
            return found;
        }
        auto doc = decode<D>(statement.bytes(0));
        if (!doc) {
            return c.malformed(what);
        }
        found.push_back(std::move(doc).value());
    }
}

template <class D>
Result<std::optional<D>> find_document(Connection& c, std::string_view id)
{
    BOOST_OUTCOME_TRY(auto find, c.prepare(DocumentSql<D>::find));
    BOOST_OUTCOME_TRY(auto found, decode_rows<D>(c, find.bind(id), DocumentTable<D>::name));
    if (found.empty()) {
        return std::nullopt;
    }
    return std::move(found.front());
}

/// Errc::duplicate_key when doc.id is stored; Errc::invalid_argument when it is empty.
template <class D>
Result<void> insert_document(Connection& c, const D& doc)
{
    if (doc.id.empty()) {
        return Errc::invalid_argument;
    }
    BOOST_OUTCOME_TRY(auto text, encode(doc));
    BOOST_OUTCOME_TRY(auto insert, c.prepare(DocumentSql<D>::insert));
    return bind_indexed(insert.bind(doc.id), doc).bind(text).run();
}

/// Store::update_task and update_pod: the document as stored after, or none when it is
/// missing or fails the guard.
template <class D>
Result<std::optional<D>> update_document(Connection& c, const pod_dispatcher::FieldUpdate<D>& u)
{
    BOOST_OUTCOME_TRY(auto stored, find_document<D>(c, u.id));
    if (!stored || !pod_dispatcher::guard_holds(*stored, u)) {
        return std::nullopt;
    }
    pod_dispatcher::apply_changes(*stored, u);
    BOOST_OUTCOME_TRY(auto text, encode(*stored));
    BOOST_OUTCOME_TRY(auto update, c.prepare(DocumentSql<D>::update));
    BOOST_OUTCOME_TRY(bind_indexed(update, *stored).bind(text).bind(u.id).run());
    return stored;
}

/// Store::find_pods, through the index on (status, last_communicated).
inline Result<std::vector<pod_dispatcher::Pod>> find_pod_rows(Connection& c, const pod_dispatcher::PodQuery& q)
{
    BOOST_OUTCOME_TRY(auto find, c.prepare("SELECT document FROM pods WHERE status = ? AND last_communicated < ?"));
    find.bind_text(pod_dispatcher::name_of(q.status)).bind(q.communicated_before);
    return decode_rows<pod_dispatcher::Pod>(c, find, DocumentTable<pod_dispatcher::Pod>::name);
}

template <class D>
Result<std::vector<D>> all_documents(Connection& c)
{
    BOOST_OUTCOME_TRY(auto all, c.prepare(DocumentSql<D>::all));
    return decode_rows<D>(c, all, DocumentTable<D>::name);
}

// ---- Events: appended, and read back in that order.

inline Result<void> append_events(Connection& c, std::span<const pod_dispatcher::Event> events)
{
    for (const pod_dispatcher::Event& event : events) {
        BOOST_OUTCOME_TRY(auto text, encode(event));
        BOOST_OUTCOME_TRY(auto insert, c.prepare("INSERT INTO events (resource_id, document) VALUES (?, ?)"));
        BOOST_OUTCOME_TRY(insert.bind(event.resource_id).bind(text).run());
    }
    return boost::outcome_v2::success();
}

inline Result<std::vector<pod_dispatcher::Event>> events_of(Connection& c, std::string_view resource_id)
{
    BOOST_OUTCOME_TRY(auto find, c.prepare("SELECT document FROM events WHERE resource_id = ? ORDER BY sequence"));
    return decode_rows<pod_dispatcher::Event>(c, find.bind(resource_id), "events");
}

inline Result<std::vector<pod_dispatcher::Event>> all_events(Connection& c)
{
    BOOST_OUTCOME_TRY(auto all, c.prepare("SELECT document FROM events ORDER BY sequence"));
    return decode_rows<pod_dispatcher::Event>(c, all, "events");
}

} // namespace pod_dispatcher_sqlite::detail

#endif
