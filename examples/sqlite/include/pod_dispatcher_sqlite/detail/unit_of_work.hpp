#ifndef POD_DISPATCHER_SQLITE_DETAIL_UNIT_OF_WORK_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_UNIT_OF_WORK_HPP

// Units of work as SQLite transactions. A unit is one transaction on one connection; a
// thread that runs a unit of a store registers the connection (CurrentUnit), so that
// every member it calls on that store meanwhile runs on it and joins the transaction. A
// member that writes joins it inside a savepoint, so that when it fails it undoes its own
// writes and nothing else: each member stays atomic, inside a unit or not.
//
// A unit is rerun only when SQLite found the database busy or locked past the busy
// timeout (another process held it): that failure is the store's own. An error the work
// returns ends the unit.

#include <pod_dispatcher_sqlite/detail/connection.hpp>
#include <pod_dispatcher_sqlite/detail/connection_pool.hpp>

#include <pod_dispatcher_sql/transactions.hpp>

#include <pod_dispatcher/current_unit.hpp>
#include <pod_dispatcher/error.hpp>

#include <mutex>

namespace pod_dispatcher_sqlite::detail {

/// The unit of work this thread runs on a store is its connection, registered under the
/// store's pool.
using CurrentConnection = pod_dispatcher::CurrentUnit<Connection>;

template <class Body>
using BodyResult = pod_dispatcher_sql::BodyResult<Body, Connection>;

/// Runs body(connection) all or nothing: as a transaction of its own, or, on a thread
/// already running a unit of this pool's store, as part of that unit.
template <class Body>
BodyResult<Body> run_unit(ConnectionPool& pool, Access access, Body&& body)
{
    if (Connection* joined = CurrentConnection::of(&pool)) {
        return access == Access::write ? pod_dispatcher_sql::in_savepoint(*joined, body) : body(*joined);
    }
    for (int attempt = 1;; ++attempt) {
        BOOST_OUTCOME_TRY(auto lease, pool.acquire());
        std::unique_lock<std::mutex> turn;
        if (access == Access::write) {
            turn = pool.writer_turn();
        }
        auto result = pod_dispatcher_sql::in_transaction(&pool, *lease, [&] { return lease->begin(access); }, body);
        if (result || !lease->was_busy() || attempt >= pool.options().max_attempts) {
            return result;
        }
    }
}

} // namespace pod_dispatcher_sqlite::detail

#endif
