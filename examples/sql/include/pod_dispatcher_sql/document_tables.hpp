#ifndef POD_DISPATCHER_SQL_DOCUMENT_TABLES_HPP
#define POD_DISPATCHER_SQL_DOCUMENT_TABLES_HPP

// The table of each kind of document a SQL store keeps one row per document of (id, the
// document's JSON), and the fields it also keeps in columns of their own, copied out of
// the document by the statement that writes it, so that a query reads an index on them.

#include <pod_dispatcher/documents.hpp>

#include <array>
#include <string_view>

namespace pod_dispatcher_sql {

template <class D>
struct DocumentTable;

/// A table of id and JSON only.
struct JsonOnly {
    static constexpr std::array<std::string_view, 0> indexed_columns{};
    template <class D, class F>
    static void indexed_values(const D&, F&&)
    {
    }
};

template <>
struct DocumentTable<pod_dispatcher::Task> : JsonOnly {
    static constexpr std::string_view name = "tasks";
};

/// A pod's status and last_communicated, which find_pods searches by.
template <>
struct DocumentTable<pod_dispatcher::Pod> {
    static constexpr std::string_view name = "pods";
    static constexpr std::array<std::string_view, 2> indexed_columns{"status", "last_communicated"};
    /// f(value) for each indexed column, in order: the status as its enumerator's name (a
    /// std::string_view, text), last_communicated as a Timestamp (unset: 0 ms, earlier
    /// than any time the library sets).
    template <class F>
    static void indexed_values(const pod_dispatcher::Pod& pod, F&& f)
    {
        f(std::string_view(pod_dispatcher::name_of(pod.status)));
        f(pod.last_communicated);
    }
};

template <>
struct DocumentTable<pod_dispatcher::ProjectRef> : JsonOnly {
    static constexpr std::string_view name = "project_ref";
};

} // namespace pod_dispatcher_sql

#endif
