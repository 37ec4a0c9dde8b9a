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

#include <pod_dispatcher/current_unit.hpp>
#include <pod_dispatcher/error.hpp>

#include <mutex>
#include <type_traits>

namespace pod_dispatcher_sqlite::detail {

/// The unit of work this thread runs on a store is its connection, registered under the
/// store's pool.
using CurrentConnection = pod_dispatcher::CurrentUnit<Connection>;

template <class Body>
using BodyResult = std::invoke_result_t<Body&, Connection&>;

/// body(c) in a savepoint of the transaction c is in: undone alone if it fails.
template <class Body>
BodyResult<Body> in_savepoint(Connection& c, Body& body)
{
    BOOST_OUTCOME_TRY(c.execute("SAVEPOINT member"));
    auto result = body(c);
    if (!result) {
        (void)c.execute("ROLLBACK TO member");
    }
    auto released = c.execute("RELEASE member");
    if (result && !released) {
        return released.error();
    }
    return result;
}

/// body(c) as one transaction, committed if it succeeds, rolled back if not.
template <class Body>
BodyResult<Body> in_transaction(const ConnectionPool& pool, Connection& c, Access access, Body& body)
{
    BOOST_OUTCOME_TRY(c.begin(access));
    auto result = [&] {
        const CurrentConnection unit{&pool, c};
        return body(c);
    }();
    if (!result) {
        c.rollback();
        return result;
    }
    if (auto committed = c.commit(); !committed) {
        c.rollback();
        return committed.error();
    }
    return result;
}

/// Runs body(connection) all or nothing: as a transaction of its own, or, on a thread
/// already running a unit of this pool's store, as part of that unit.
template <class Body>
BodyResult<Body> run_unit(ConnectionPool& pool, Access access, Body&& body)
{
    if (Connection* joined = CurrentConnection::of(&pool)) {
        return access == Access::write ? in_savepoint(*joined, body) : body(*joined);
    }
    for (int attempt = 1;; ++attempt) {
        BOOST_OUTCOME_TRY(auto lease, pool.acquire());
        std::unique_lock<std::mutex> turn;
        if (access == Access::write) {
            turn = pool.writer_turn();
        }
        auto result = in_transaction(pool, *lease, access, body);
        if (result || !lease->was_busy() || attempt >= pool.options().max_attempts) {
            return result;
        }
    }
}

} // namespace pod_dispatcher_sqlite::detail

#endif
