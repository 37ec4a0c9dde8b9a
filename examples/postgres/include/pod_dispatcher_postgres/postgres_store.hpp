#ifndef POD_DISPATCHER_POSTGRES_POSTGRES_STORE_HPP
#define POD_DISPATCHER_POSTGRES_POSTGRES_STORE_HPP

// PostgresStore: the pod_dispatcher::Store concept on one PostgreSQL database.

#include <pod_dispatcher_postgres/detail/connection_pool.hpp>
#include <pod_dispatcher_postgres/detail/dispatcher_rows.hpp>
#include <pod_dispatcher_postgres/detail/document_rows.hpp>
#include <pod_dispatcher_postgres/detail/schema.hpp>
#include <pod_dispatcher_postgres/detail/unit_of_work.hpp>
#include <pod_dispatcher_postgres/options.hpp>

#include <pod_dispatcher_sql/store_members.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/update.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher_postgres {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

/// A pod_dispatcher::Store in one PostgreSQL database (in one schema of it).
///
/// Every member runs as a transaction of its own (a read of one statement as that
/// statement), or, when called inside atomically() on the same thread, as part of that
/// unit's transaction. Units of work are READ COMMITTED transactions and roll back on
/// failure; one is run again only when PostgreSQL aborted it for another transaction
/// beside it (serialization_failure, deadlock_detected), up to max_attempts times. Any
/// number of threads and processes may share the database, each with its own
/// PostgresStore or threads sharing one. Backend failures are Errc::store_unavailable;
/// PostgreSQL's message, which may quote stored data, is kept apart in
/// last_error_message(). A moved-from store may only be destroyed or assigned to.
class PostgresStore : public pod_dispatcher_sql::StoreMembers<PostgresStore> {
public:
    /// Connects to the database conninfo names (a libpq connection string or URI, such as
    /// "postgresql://dispatch@db.example/dispatch"), creating the store's tables if need
    /// be. Errc::store_unavailable when it cannot connect or create them.
    static Result<PostgresStore> open(const std::string& conninfo, PostgresStoreOptions options = {})
    {
        const std::string schema = options.schema;
        auto pool = std::make_unique<detail::ConnectionPool>(conninfo, std::move(options));
        {
            BOOST_OUTCOME_TRY(auto first, pool->acquire());
            BOOST_OUTCOME_TRY(detail::create_schema(*first, schema));
        }
        return PostgresStore{std::move(pool)};
    }

    /// Always true: a unit of work that fails leaves nothing written.
    static constexpr bool rolls_back() noexcept { return true; }

    /// How long an operation waits, at random, before it retries a conflict
    /// (pod_dispatcher/store.hpp): PostgresStoreOptions::conflict_backoff.
    pod_dispatcher::Backoff conflict_backoff() const noexcept { return pool_->options().conflict_backoff; }

    /// The message of the last backend failure any thread met, for logs.
    std::string last_error_message() const { return pool_->log().last(); }

    /// How many round trips to the server the store's connections have made since it
    /// opened, on every thread (connecting aside): each time one sent statements and
    /// waited for their answers. Each costs the network's latency, so this is what an
    /// operation's time grows with when the server is far; README.md says what each
    /// operation takes.
    std::uint64_t round_trips() const noexcept { return pool_->log().round_trips(); }

    // ---- The Store concept (store.hpp says what each member does): the reads of
    // dispatchers here, the other members in StoreMembers, on detail's row operations.

    Result<std::vector<pod_dispatcher::PodDispatcher>> find_dispatchers(const pod_dispatcher::Query& q)
    {
        return read([&](detail::Connection& c) { return detail::find_dispatchers(c, q, pod_dispatcher::Projection{}); });
    }

    Result<std::optional<pod_dispatcher::PodDispatcher>> find_dispatcher(const pod_dispatcher::Query& q,
                                                                         const pod_dispatcher::Projection& p)
    {
        return read([&](detail::Connection& c) -> Result<std::optional<pod_dispatcher::PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, detail::find_dispatchers(c, q, p));
            if (found.empty()) {
                return std::nullopt;
            }
            return std::move(found.front());
        });
    }

    /// Everything stored, read on one snapshot, in StoreContents' order.
    Result<pod_dispatcher::StoreContents> snapshot()
    {
        return detail::run_unit(*pool_, detail::Access::snapshot,
                                [&](detail::Connection& c) -> Result<pod_dispatcher::StoreContents> {
                                    pod_dispatcher::StoreContents contents;
                                    BOOST_OUTCOME_TRY(contents.dispatchers,
                                                      detail::find_dispatchers(c, pod_dispatcher::Query{},
                                                                               pod_dispatcher::Projection{}));
                                    BOOST_OUTCOME_TRY(contents.tasks, detail::all_documents<pod_dispatcher::Task>(c));
                                    BOOST_OUTCOME_TRY(contents.pods, detail::all_documents<pod_dispatcher::Pod>(c));
                                    BOOST_OUTCOME_TRY(contents.project_refs,
                                                      detail::all_documents<pod_dispatcher::ProjectRef>(c));
                                    BOOST_OUTCOME_TRY(contents.events, detail::all_events(c));
                                    pod_dispatcher::sort_contents(contents);
                                    return contents;
                                });
    }

private:
    friend class pod_dispatcher_sql::StoreMembers<PostgresStore>;

    explicit PostgresStore(std::unique_ptr<detail::ConnectionPool> pool) noexcept : pool_(std::move(pool)) {}

    /// A read of one statement.
    template <class Body>
    detail::BodyResult<Body> read(Body&& body)
    {
        return detail::run_unit(*pool_, detail::Access::statement, std::forward<Body>(body));
    }

    /// A member that cannot refuse joins a unit without a savepoint: two statements and a
    /// subtransaction fewer.
    template <class Body>
    detail::BodyResult<Body> write(Body&& body, pod_dispatcher_sql::Refusal refusal)
    {
        const auto access =
            refusal == pod_dispatcher_sql::Refusal::possible ? detail::Access::write : detail::Access::unrefused_write;
        return detail::run_unit(*pool_, access, std::forward<Body>(body));
    }

    std::unique_ptr<detail::ConnectionPool> pool_;
};

static_assert(pod_dispatcher::Store<PostgresStore>);

} // namespace pod_dispatcher_postgres

#endif
