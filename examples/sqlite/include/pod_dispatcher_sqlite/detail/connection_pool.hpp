#ifndef POD_DISPATCHER_SQLITE_DETAIL_CONNECTION_POOL_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_CONNECTION_POOL_HPP

// The connections of one store to its database file, shared by the store's threads. A
// SQLite connection serves one thread at a time, so a thread takes one for a unit of work
// and gives it back after; idle ones are kept for the next unit.

#include <pod_dispatcher_sqlite/detail/connection.hpp>
#include <pod_dispatcher_sqlite/options.hpp>

#include <pod_dispatcher/error.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher_sqlite::detail {

class ConnectionPool {
public:
    ConnectionPool(std::string path, SqliteStoreOptions options) : path_(std::move(path)), options_(std::move(options)) {}
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    /// A connection taken from the pool, given back when the lease ends; one left inside a
    /// transaction (after a failed rollback) is closed instead.
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept
            : pool_(&pool), connection_(std::move(connection))
        {
        }
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease()
        {
            if (connection_ && connection_->idle()) {
                pool_->give_back(std::move(connection_));
            }
        }

        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    Result<Lease> acquire()
    {
        {
            std::lock_guard lock{mutex_};
            if (!idle_.empty()) {
                Lease lease{*this, std::move(idle_.back())};
                idle_.pop_back();
                return lease;
            }
        }
        BOOST_OUTCOME_TRY(auto connection, Connection::open(path_, options_, errors_));
        return Lease{*this, std::move(connection)};
    }

    /// Held by a write transaction of this store for its whole length: the store's own
    /// threads wait their turn here, woken as soon as it is theirs, rather than on SQLite's
    /// lock, which waits by polling with sleeps. Processes still meet at SQLite's lock.
    std::unique_lock<std::mutex> writer_turn() { return std::unique_lock{writer_}; }

    const SqliteStoreOptions& options() const noexcept { return options_; }
    ErrorLog& errors() noexcept { return errors_; }

private:
    void give_back(std::unique_ptr<Connection> connection)
    {
        std::lock_guard lock{mutex_};
        idle_.push_back(std::move(connection));
    }

    const std::string path_;
    const SqliteStoreOptions options_;
    ErrorLog errors_;
    std::mutex writer_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

} // namespace pod_dispatcher_sqlite::detail

#endif
