#ifndef POD_DISPATCHER_SQLITE_SQLITE_STORE_HPP
#define POD_DISPATCHER_SQLITE_SQLITE_STORE_HPP

// SqliteStore: the pod_dispatcher::Store concept on one SQLite database file.

#include <pod_dispatcher_sqlite/detail/connection_pool.hpp>
#include <pod_dispatcher_sqlite/detail/dispatcher_rows.hpp>
#include <pod_dispatcher_sqlite/detail/document_rows.hpp>
#include <pod_dispatcher_sqlite/detail/schema.hpp>
#include <pod_dispatcher_sqlite/detail/unit_of_work.hpp>
#include <pod_dispatcher_sqlite/options.hpp>

#include <pod_dispatcher_sql/store_members.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/update.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher_sqlite {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

/// A pod_dispatcher::Store in one SQLite database file, durable across restarts.
///
/// Every member runs as a transaction of its own, or, when called inside atomically() on
/// the same thread, as part of that unit's transaction. Units of work are write
/// transactions (BEGIN IMMEDIATE) and roll back on failure; one is run again only when
/// the database stayed busy or locked (another process held it) past the busy timeout. The file is in WAL mode:
/// readers never wait, and any number of threads and processes may share it, each with
/// its own SqliteStore or threads sharing one. Backend failures are
/// Errc::store_unavailable; SQLite's message, which may quote stored data, is kept apart
/// in last_error_message(). A moved-from store may only be destroyed or assigned to.
class SqliteStore : public pod_dispatcher_sql::StoreMembers<SqliteStore> {
public:
    /// Opens the database file, creating it and its tables if need be.
    /// Errc::store_unavailable when the file cannot be opened; Errc::invalid_argument when
    /// it cannot be shared between connections: no file named, or ":memory:".
    static Result<SqliteStore> open(const std::filesystem::path& file, SqliteStoreOptions options = {})
    {
        // SQLite gives each connection a private database of its own for an empty name.
        if (file.empty()) {
            return Errc::invalid_argument;
        }
        auto pool = std::make_unique<detail::ConnectionPool>(file.string(), std::move(options));
        {
            BOOST_OUTCOME_TRY(auto first, pool->acquire());
            BOOST_OUTCOME_TRY(detail::use_write_ahead_log(*first));
            BOOST_OUTCOME_TRY(detail::create_schema(*first));
        }
        return SqliteStore{std::move(pool)};
    }

    /// Always true: a unit of work that fails leaves nothing written.
    static constexpr bool rolls_back() noexcept { return true; }

    /// The message of the last backend failure any thread met, for logs.
    std::string last_error_message() const { return pool_->log().last(); }

    // ---- The Store concept (store.hpp says what each member does): the reads of
    // dispatchers here, the other members in StoreMembers, on detail's row operations.

    Result<std::vector<pod_dispatcher::PodDispatcher>> find_dispatchers(const pod_dispatcher::Query& q)
    {
        return read(
            [&](detail::Connection& c) { return detail::find_dispatchers(c, q, pod_dispatcher::Projection{}); });
    }

    Result<std::optional<pod_dispatcher::PodDispatcher>> find_dispatcher(const pod_dispatcher::Query& q,
                                                                         const pod_dispatcher::Projection& p)
    {
        return read([&](detail::Connection& c) -> Result<std::optional<pod_dispatcher::PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, detail::matching_rows(c, q));
            if (found.empty()) {
                return std::nullopt;
            }
            BOOST_OUTCOME_TRY(detail::read_lists(c, found.front(), p));
            return std::move(found.front());
        });
    }

    /// Everything stored, read in one transaction, in StoreContents' order.
    Result<pod_dispatcher::StoreContents> snapshot()
    {
        return read([&](detail::Connection& c) -> Result<pod_dispatcher::StoreContents> {
            pod_dispatcher::StoreContents contents;
            BOOST_OUTCOME_TRY(contents.dispatchers,
                              detail::find_dispatchers(c, pod_dispatcher::Query{}, pod_dispatcher::Projection{}));
            BOOST_OUTCOME_TRY(contents.tasks, detail::all_documents<pod_dispatcher::Task>(c));
            BOOST_OUTCOME_TRY(contents.pods, detail::all_documents<pod_dispatcher::Pod>(c));
            BOOST_OUTCOME_TRY(contents.project_refs, detail::all_documents<pod_dispatcher::ProjectRef>(c));
            BOOST_OUTCOME_TRY(contents.events, detail::all_events(c));
            pod_dispatcher::sort_contents(contents);
            return contents;
        });
    }

private:
    friend class pod_dispatcher_sql::StoreMembers<SqliteStore>;

    explicit SqliteStore(std::unique_ptr<detail::ConnectionPool> pool) noexcept : pool_(std::move(pool)) {}

    template <class Body>
    detail::BodyResult<Body> read(Body&& body)
    {
        return detail::run_unit(*pool_, detail::Access::read, std::forward<Body>(body));
    }

    /// Every member that writes joins a unit in a savepoint, even one that cannot refuse:
    /// SQLite's savepoints cost no round trip.
    template <class Body>
    detail::BodyResult<Body> write(Body&& body, pod_dispatcher_sql::Refusal)
    {
        return detail::run_unit(*pool_, detail::Access::write, std::forward<Body>(body));
    }

    std::unique_ptr<detail::ConnectionPool> pool_;
};

static_assert(pod_dispatcher::Store<SqliteStore>);

} // namespace pod_dispatcher_sqlite

#endif
