#ifndef POD_DISPATCHER_SQLITE_DETAIL_DOCUMENT_ROWS_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_DOCUMENT_ROWS_HPP

// Tasks, pods, project refs and events: one row each, keyed by id (events by their place
// in the log), holding the document's JSON, and for a pod the fields find_pods searches
// by in columns of their own. A guarded write reads the row, checks the guard and applies
// the changes in memory, and writes the row back, all inside the caller's transaction.

#include <pod_dispatcher_sqlite/detail/connection.hpp>

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
#include <vector>

namespace pod_dispatcher_sqlite::detail {

using pod_dispatcher_sql::decode;
using pod_dispatcher_sql::encode;

/// The table of a kind of document, and the columns its rows keep beside the JSON.
template <class D>
struct Table;

/// A table of id and JSON only.
struct JsonOnly {
    static constexpr std::string_view columns = "";
    static constexpr std::string_view parameters = "";
    template <class D>
    static Statement& bind_columns(Statement& s, const D&)
    {
        return s;
    }
};

template <>
struct Table<pod_dispatcher::Task> : JsonOnly {
    static constexpr std::string_view name = "tasks";
};

/// A pod's status and last_communicated, copied out of the JSON by the statement that
/// writes it, so that find_pods reads an index on them (schema.hpp).
template <>
struct Table<pod_dispatcher::Pod> {
    static constexpr std::string_view name = "pods";
    static constexpr std::string_view columns = "status, last_communicated, ";
    static constexpr std::string_view parameters = "?, ?, ";
    static Statement& bind_columns(Statement& s, const pod_dispatcher::Pod& pod)
    {
        return s.bind_text(pod_dispatcher::name_of(pod.status)).bind(pod.last_communicated);
    }
};

template <>
struct Table<pod_dispatcher::ProjectRef> : JsonOnly {
    static constexpr std::string_view name = "project_ref";
};

/// The statements on the table of D.
template <class D>
struct DocumentSql {
    using T = Table<D>;
    static inline const std::string table{T::name};
    static inline const std::string find = "SELECT document FROM " + table + " WHERE id = ?";
    static inline const std::string insert = "INSERT INTO " + table + " (id, " + std::string(T::columns) +
                                             "document) VALUES (?, " + std::string(T::parameters) + "?)";
    static inline const std::string update = "UPDATE " + table + " SET (" + std::string(T::columns) + "document) = (" +
                                             std::string(T::parameters) + "?) WHERE id = ?";
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
    BOOST_OUTCOME_TRY(auto found, decode_rows<D>(c, find.bind(id), Table<D>::name));
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
    return Table<D>::bind_columns(insert.bind(doc.id), doc).bind(text).run();
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
    BOOST_OUTCOME_TRY(Table<D>::bind_columns(update, *stored).bind(text).bind(u.id).run());
    return stored;
}

/// Store::find_pods, through the index on (status, last_communicated).
inline Result<std::vector<pod_dispatcher::Pod>> find_pods(Connection& c, const pod_dispatcher::PodQuery& q)
{
    BOOST_OUTCOME_TRY(auto find, c.prepare("SELECT document FROM pods WHERE status = ? AND last_communicated < ?"));
    find.bind_text(pod_dispatcher::name_of(q.status)).bind(q.communicated_before);
    return decode_rows<pod_dispatcher::Pod>(c, find, Table<pod_dispatcher::Pod>::name);
}

template <class D>
Result<std::vector<D>> all_documents(Connection& c)
{
    BOOST_OUTCOME_TRY(auto all, c.prepare(DocumentSql<D>::all));
    return decode_rows<D>(c, all, Table<D>::name);
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
