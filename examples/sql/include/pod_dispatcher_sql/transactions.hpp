#ifndef POD_DISPATCHER_SQL_TRANSACTIONS_HPP
#define POD_DISPATCHER_SQL_TRANSACTIONS_HPP

// A unit of work as a transaction on one connection, and a member inside a unit as a
// savepoint of it. The thread running a unit registers its connection (CurrentUnit) under
// the store's owner, so that every member it calls on that store meanwhile runs on it.
//
// Connection has `execute(sql)`, `commit()` and `rollback()`, each a Result<void> but
// rollback, which undoes the transaction if there is one. execute may hold sql back and
// send it with the connection's next statement, in order.

#include <pod_dispatcher/current_unit.hpp>
#include <pod_dispatcher/error.hpp>

#include <type_traits>

namespace pod_dispatcher_sql {

template <class Body, class Connection>
using BodyResult = std::invoke_result_t<Body&, Connection&>;

/// How a member that writes can fail inside a unit: by refusing, with an answer the unit
/// may go on after (a unique index's duplicate_key), so that it must take back its own
/// writes alone (in_savepoint); or only as the backend fails, which fails the unit too, so
/// that nothing of the member needs taking back alone.
enum class Refusal { possible, impossible };

/// body(c) in a savepoint of the transaction c is in: undone alone if it fails, so that a
/// member that fails inside a unit takes back its own writes and nothing else (and, where
/// a failed statement spoils the whole transaction, leaves the unit able to go on).
template <class Connection, class Body>
BodyResult<Body, Connection> in_savepoint(Connection& c, Body& body)
{
    BOOST_OUTCOME_TRY(c.execute("SAVEPOINT member"));
    auto result = body(c);
    if (!result) {
        (void)c.execute("ROLLBACK TO SAVEPOINT member");
    }
    auto released = c.execute("RELEASE SAVEPOINT member");
    if (result && !released) {
        return released.error();
    }
    return result;
}

/// body(c) as one transaction, begun by begin(), committed if body succeeds, rolled back
/// if not; c is this thread's unit of owner's store meanwhile.
template <class Connection, class Begin, class Body>
BodyResult<Body, Connection> in_transaction(const void* owner, Connection& c, Begin begin, Body& body)
{
    BOOST_OUTCOME_TRY(begin());
    auto result = [&] {
        const pod_dispatcher::CurrentUnit<Connection> unit{owner, c};
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

} // namespace pod_dispatcher_sql

#endif
