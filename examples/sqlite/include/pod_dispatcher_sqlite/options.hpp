#ifndef POD_DISPATCHER_SQLITE_OPTIONS_HPP
#define POD_DISPATCHER_SQLITE_OPTIONS_HPP

// How a SqliteStore opens its database file.

#include <chrono>
#include <functional>
#include <string_view>

namespace pod_dispatcher_sqlite {

/// When a commit reaches the disk (SQLite's `PRAGMA synchronous`).
enum class Durability {
    /// Every commit is synced: it survives a crash of the process and of the machine.
    full,
    /// Commits survive a crash of the process; a power loss may take back the last few
    /// (never part of one). Much faster on most disks.
    process_crash,
};

struct SqliteStoreOptions {
    Durability durability = Durability::full;
    /// How long a connection waits for another one (in this or another process) to let go
    /// of the database before it reports it busy.
    std::chrono::milliseconds busy_timeout{5'000};
    /// How many times a unit of work runs when the database stays busy or locked past
    /// busy_timeout; never rerun after an error the work itself returned.
    int max_attempts = 5;
    /// Called with each SQL statement's text just before it first runs, on the running
    /// thread. For tests that crash the process at a chosen statement; must not call the
    /// store.
    std::function<void(std::string_view sql)> before_statement{};
};

} // namespace pod_dispatcher_sqlite

#endif
