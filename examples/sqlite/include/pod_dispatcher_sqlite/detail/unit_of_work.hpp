#ifndef POD_DISPATCHER_SQLITE_DETAIL_UNIT_OF_WORK_HPP
#define POD_DISPATCHER_SQLITE_DETAIL_UNIT_OF_WORK_HPP

// Units of work as SQLite transactions. A unit is one transaction on one connection; a
// thread that runs a unit of a store registers it, so that every member it calls on that
// store meanwhile runs on the same connection and joins the transaction. A member that
// writes joins it inside a savepoint, so that when it fails it undoes its own writes and
// nothing else: each member stays atomic, inside a unit or not.
//
// A unit is rerun only when SQLite found the database busy or locked past the busy
// timeout (another process held it): that failure is the store's own. An error the work
// returns ends the unit.

#include <pod_dispatcher_sqlite/detail/connection.hpp>
#include <pod_dispatcher_sqlite/detail/connection_pool.hpp>

#include <pod_dispatcher/error.hpp>

#include <mutex>
#include <type_traits>
#include <utility>

namespace pod_dispatcher_sqlite::detail {

/// The units of work running on this thread, innermost first, each with its store's pool.
class ActiveUnit {
public:
    ActiveUnit(const ConnectionPool& pool, Connection& connection) noexcept
        : pool_(&pool), connection_(connection), enclosing_(std::exchange(current_, this))
    {
    }
    ActiveUnit(const ActiveUnit&) = delete;
    ActiveUnit& operator=(const ActiveUnit&) = delete;
    ~ActiveUnit() { current_ = enclosing_; }

    /// The unit this thread runs on pool's store, if any.
    static ActiveUnit* of(const ConnectionPool& pool) noexcept
    {
        for (ActiveUnit* unit = current_; unit != nullptr; unit = unit->enclosing_) {
            if (unit->pool_ == &pool) {
                return unit;
            }
        }
        return nullptr;
    }

    Connection& connection() const noexcept { return connection_; }

private:
    const ConnectionPool* pool_;
    Connection& connection_;
    ActiveUnit* enclosing_;

    static inline thread_local ActiveUnit* current_ = nullptr;
};

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
        const ActiveUnit unit{pool, c};
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
    if (const ActiveUnit* unit = ActiveUnit::of(pool)) {
        return access == Access::write ? in_savepoint(unit->connection(), body) : body(unit->connection());
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
