#ifndef POD_DISPATCHER_POSTGRES_OPTIONS_HPP
#define POD_DISPATCHER_POSTGRES_OPTIONS_HPP

// How a PostgresStore connects to its database.

#include <functional>
#include <string>
#include <string_view>

namespace pod_dispatcher_postgres {

struct PostgresStoreOptions {
    /// The schema that holds the store's tables, created if missing; empty: the first
    /// schema of the connection's search_path (usually `public`). Stores on one database
    /// under different schemas keep apart.
    std::string schema{};
    /// How many times a unit of work runs when PostgreSQL aborts its transaction for
    /// another one beside it (serialization_failure 40001, deadlock_detected 40P01); never
    /// rerun after an error the work itself returned.
    int max_attempts = 5;
    /// Called with each SQL statement's text just before it runs, on the running thread.
    /// For tests that crash the process at a chosen statement; must not call the store.
    std::function<void(std::string_view sql)> before_statement{};
};

} // namespace pod_dispatcher_postgres

#endif
