#ifndef POD_DISPATCHER_SQLITE_DETAIL_CONNECTION_POOL_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_CONNECTION_POOL_HPP

// The connections of one store to its database file (pod_dispatcher_sql's pool), and the
// turns its writers take.

#include <pod_dispatcher_sqlite/detail/connection.hpp>
#include <pod_dispatcher_sqlite/options.hpp>

#include <pod_dispatcher_sql/connection_pool.hpp>

#include <mutex>

namespace pod_dispatcher_sqlite::detail {

class ConnectionPool : public pod_dispatcher_sql::ConnectionPool<Connection, SqliteStoreOptions> {
public:
    using pod_dispatcher_sql::ConnectionPool<Connection, SqliteStoreOptions>::ConnectionPool;

    /// Held by a write transaction of this store for its whole length: the store's own
    /// threads wait their turn here, woken as soon as it is theirs, rather than on SQLite's
    /// lock, which waits by polling with sleeps. Processes still meet at SQLite's lock.
    std::unique_lock<std::mutex> writer_turn() { return std::unique_lock{writer_}; }

private:
    std::mutex writer_;
};

} // namespace pod_dispatcher_sqlite::detail

#endif
