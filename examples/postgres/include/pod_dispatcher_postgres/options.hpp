#ifndef POD_DISPATCHER_POSTGRES_OPTIONS_HPP
#define POD_DISPATCHER_POSTGRES_OPTIONS_HPP

// How a PostgresStore connects to its database.

#include <pod_dispatcher/retry.hpp>

#include <chrono>
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
    /// another one beside it (serialization_failure 40001, deadlock_detected 40P01),
    /// waiting before each rerun as conflict_backoff says; never rerun after an error the
    /// work itself returned.
    int max_attempts = 5;
    /// Called with each SQL statement's text just before it is sent, on the running
    /// thread; a statement held back for a later round trip is sent with it. For tests
    /// that crash the process at a chosen statement; must not call the store.
    std::function<void(std::string_view sql)> before_statement{};
    /// The random wait before an operation retries a conflict, unless its RetryPolicy
    /// says otherwise: up to as long as the try that lost took (half a millisecond at
    /// least), doubling each retry, up to a second. Units on one dispatcher queue on its
    /// row lock and then find it moved on; without the wait, those that lost collide again
    /// for as long as the winners keep it busy.
    pod_dispatcher::Backoff conflict_backoff{std::chrono::microseconds(500), std::chrono::seconds(1)};
};

} // namespace pod_dispatcher_postgres

#endif
