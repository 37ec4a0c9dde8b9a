#ifndef POD_DISPATCHER_SQL_CONNECTION_POOL_HPP
#define POD_DISPATCHER_SQL_CONNECTION_POOL_HPP

// The connections of one store to its database, shared by the store's threads. A
// connection serves one thread at a time, so a thread takes one for a unit of work and
// gives it back after; idle ones are kept for the next unit.

#include <pod_dispatcher_sql/error_log.hpp>

#include <pod_dispatcher/error.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher_sql {

/// Connections to the database at location (a file, a connection string). Connection
/// has `static Result<std::unique_ptr<Connection>> open(const std::string& location,
/// const Options&, Log&)`, and `idle()`: whether it is between transactions and fit to
/// serve another unit, asked as it is given back and again as it is taken. Log is what
/// the connections report, shared by all of them: an ErrorLog, or a store's own type that
/// derives from it and keeps more.
template <class Connection, class Options, class Log = ErrorLog>
class ConnectionPool {
public:
    ConnectionPool(std::string location, Options options)
        : location_(std::move(location)), options_(std::move(options))
    {
    }
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    /// A connection taken from the pool, given back when the lease ends; one that is not
    /// idle then (left inside a transaction by a failed rollback, or broken) is closed.
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

    pod_dispatcher::Result<Lease> acquire()
    {
        {
            std::lock_guard lock{mutex_};
            // One that broke while it waited here (its server restarted) is closed.
            while (!idle_.empty()) {
                std::unique_ptr<Connection> connection = std::move(idle_.back());
                idle_.pop_back();
                if (connection->idle()) {
                    return Lease{*this, std::move(connection)};
                }
            }
        }
        BOOST_OUTCOME_TRY(auto connection, Connection::open(location_, options_, log_));
        return Lease{*this, std::move(connection)};
    }

    const Options& options() const noexcept { return options_; }
    Log& log() noexcept { return log_; }

private:
    void give_back(std::unique_ptr<Connection> connection)
    {
        std::lock_guard lock{mutex_};
        idle_.push_back(std::move(connection));
    }

    const std::string location_;
    const Options options_;
    Log log_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

} // namespace pod_dispatcher_sql

#endif
