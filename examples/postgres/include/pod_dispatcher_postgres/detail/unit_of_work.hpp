#ifndef POD_DISPATCHER_POSTGRES_DETAIL_UNIT_OF_WORK_HPP
#define POD_DISPATCHER_POSTGRES_DETAIL_UNIT_OF_WORK_HPP

// Units of work as PostgreSQL transactions at READ COMMITTED, which is all store.hpp asks
// ("Isolation"): a transaction's writes are seen together when it commits and not before,
// and its row locks keep others from writing the same rows meanwhile. The store's writes
// are guarded in the statement or under a lock taken by the read that decided them
// (SELECT ... FOR UPDATE), so a unit whose reads went stale finds its write unmatched.
//
// A unit is one transaction on one connection; a thread that runs a unit of a store
// registers the connection (CurrentUnit), so that every member it calls on that store
// meanwhile runs on it and joins the transaction. A member that may refuse joins it
// inside a savepoint: PostgreSQL gives up a whole transaction at its first error, and the
// savepoint takes back the failed member's writes alone (a duplicate_key, say), so the
// unit goes on and each member stays atomic, inside a unit or not. A member that can fail
// only as the backend does (an update of a task or a pod, a dequeue, events) needs none:
// its failure fails the unit, which takes back everything.
//
// BEGIN, the savepoints and the writes decided under a lock are held back and go with the
// unit's next statement (connection.hpp): a unit costs a round trip for each statement it
// waits for the answer of, and one for COMMIT.
//
// A unit is rerun only when PostgreSQL aborted it for another transaction beside it
// (serialization_failure, deadlock_detected): that failure is the store's own. An error
// the work returns ends the unit. A rerun waits a random time first, as conflict_backoff
// says.

#include <pod_dispatcher_postgres/detail/connection.hpp>
#include <pod_dispatcher_postgres/detail/connection_pool.hpp>

#include <pod_dispatcher_sql/transactions.hpp>

#include <pod_dispatcher/current_unit.hpp>
#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/error.hpp>

#include <chrono>

namespace pod_dispatcher_postgres::detail {

/// How a member runs when no unit is under way on its thread.
enum class Access {
    /// One statement, which PostgreSQL runs as a transaction of its own that sees one
    /// snapshot: no BEGIN, no COMMIT, no round trips for them.
    statement,
    /// Several reads that must agree with each other (snapshot()): one read-only
    /// transaction on one snapshot (REPEATABLE READ, which a reader never fails at).
    snapshot,
    /// Writes: a READ COMMITTED transaction; inside a unit, in a savepoint (below).
    write,
    /// Writes that can fail only as the backend does (pod_dispatcher_sql::Refusal): as
    /// write, but joining a unit without a savepoint, since their failure fails the unit.
    unrefused_write,
};

/// The unit of work this thread runs on a store is its connection, registered under the
/// store's pool.
using CurrentConnection = pod_dispatcher::CurrentUnit<Connection>;

template <class Body>
using BodyResult = pod_dispatcher_sql::BodyResult<Body, Connection>;

/// The statement that begins a transaction for access.
inline const char* begin_for(Access access) noexcept
{
    return access == Access::snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                      : "BEGIN ISOLATION LEVEL READ COMMITTED";
}

/// Runs body(connection) all or nothing: as a transaction of its own (or, for one
/// statement, as that statement), or, on a thread already running a unit of this pool's
/// store, as part of that unit.
template <class Body>
BodyResult<Body> run_unit(ConnectionPool& pool, Access access, Body&& body)
{
    if (Connection* joined = CurrentConnection::of(&pool)) {
        if (access != Access::write) {
            return body(*joined);
        }
        auto result = pod_dispatcher_sql::in_savepoint(*joined, body);
        if (!result) {
            // What the unit remembers may be what the savepoint took back.
            joined->reads().forget();
        }
        return result;
    }
    using Clock = std::chrono::steady_clock;
    for (int attempt = 1;; ++attempt) {
        const Clock::time_point started = Clock::now();
        BOOST_OUTCOME_TRY(auto lease, pool.acquire());
        // A rerun takes its locks as it reads: a unit rerun because a document changed
        // between its read and its write (document_rows.hpp) does not lose that way again.
        lease->start_unit((access == Access::write || access == Access::unrefused_write) && attempt == 1);
        const auto begin = [&] { return lease->execute(begin_for(access)); };
        auto result = access == Access::statement ? body(*lease)
                                                  : pod_dispatcher_sql::in_transaction(&pool, *lease, begin, body);
        if (result || !lease->worth_a_rerun() || attempt >= pool.options().max_attempts) {
            return result;
        }
        // Rerun at once, a unit that deadlocked may take its first lock again before the
        // transaction PostgreSQL let through takes it, and deadlock again: it waits first,
        // as an operation waits before it retries a conflict.
        pod_dispatcher::detail::wait_before_retry(
            pool.options().conflict_backoff, attempt,
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
    }
}

} // namespace pod_dispatcher_postgres::detail

#endif
