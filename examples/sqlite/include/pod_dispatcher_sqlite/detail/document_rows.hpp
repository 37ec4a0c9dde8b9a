#ifndef POD_DISPATCHER_SQLITE_DETAIL_DOCUMENT_ROWS_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_DOCUMENT_ROWS_HPP

// Tasks, pods, project refs and events: one row each, keyed by id (events by their place
// in the log), holding the document's JSON. A guarded write reads the row, checks the
// guard and applies the changes in memory, and writes the row back, all inside the
// caller's transaction.

#include <pod_dispatcher_sqlite/detail/connection.hpp>
#include <pod_dispatcher_sqlite/detail/json_codec.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/update.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher_sqlite::detail {

/// The table of a kind of document.
template <class D>
struct Table;

template <>
struct Table<pod_dispatcher::Task> {
    static constexpr std::string_view name = "tasks";
};

template <>
struct Table<pod_dispatcher::Pod> {
    static constexpr std::string_view name = "pods";
};

template <>
struct Table<pod_dispatcher::ProjectRef> {
    static constexpr std::string_view name = "project_ref";
};

/// The statements on the table of D.
template <class D>
struct DocumentSql {
    static inline const std::string table{Table<D>::name};
    static inline const std::string find = "SELECT document FROM " + table + " WHERE id = ?";
    static inline const std::string insert = "INSERT INTO " + table + " (id, document) VALUES (?, ?)";
    static inline const std::string update = "UPDATE " + table + " SET document = ? WHERE id = ?";
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
    return insert.bind(doc.id).bind(text).run();
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
    BOOST_OUTCOME_TRY(update.bind(text).bind(u.id).run());
    return stored;
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
