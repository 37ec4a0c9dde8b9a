#ifndef POD_DISPATCHER_SQLITE_SQLITE_STORE_HPP
#define POD_DISPATCHER_SQLITE_SQLITE_STORE_HPP

// SqliteStore: the pod_dispatcher::Store concept on one SQLite database file.

#include <pod_dispatcher_sqlite/detail/connection_pool.hpp>
#include <pod_dispatcher_sqlite/detail/dispatcher_rows.hpp>
#include <pod_dispatcher_sqlite/detail/document_rows.hpp>
#include <pod_dispatcher_sqlite/detail/schema.hpp>
#include <pod_dispatcher_sqlite/detail/unit_of_work.hpp>
#include <pod_dispatcher_sqlite/options.hpp>

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
/// transactions (BEGIN IMMEDIATE) and roll back on failure. The file is in WAL mode:
/// readers never wait, and any number of threads and processes may share it, each with
/// its own SqliteStore or threads sharing one. Backend failures are
/// Errc::store_unavailable; SQLite's message, which may quote stored data, is kept apart
/// in last_error_message(). A moved-from store may only be destroyed or assigned to.
class SqliteStore {
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
    std::string last_error_message() const { return pool_->errors().last(); }

    // ---- The Store concept (store.hpp says what each member does).

    Result<std::vector<pod_dispatcher::PodDispatcher>> find_dispatchers(const pod_dispatcher::Query& q)
    {
        return read([&](detail::Connection& c) -> Result<std::vector<pod_dispatcher::PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, detail::matching_rows(c, q));
            for (pod_dispatcher::PodDispatcher& d : found) {
                BOOST_OUTCOME_TRY(detail::read_lists(c, d, pod_dispatcher::Projection{}));
            }
            return found;
        });
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

    Result<void> insert_dispatcher(const pod_dispatcher::PodDispatcher& d)
    {
        return write([&](detail::Connection& c) { return detail::insert_dispatcher(c, d); });
    }

    Result<bool> update_dispatcher(const pod_dispatcher::Query& q, const pod_dispatcher::DispatcherUpdate& u)
    {
        return write([&](detail::Connection& c) { return detail::update_dispatcher(c, q, u); });
    }

    Result<std::optional<pod_dispatcher::Task>> find_task(std::string_view id) { return find<pod_dispatcher::Task>(id); }

    Result<std::optional<pod_dispatcher::Task>> update_task(const pod_dispatcher::FieldUpdate<pod_dispatcher::Task>& u)
    {
        return update(u);
    }

    Result<std::optional<pod_dispatcher::Pod>> find_pod(std::string_view id) { return find<pod_dispatcher::Pod>(id); }

    /// Reads the index on the pods' status and last_communicated, not every pod.
    Result<std::vector<pod_dispatcher::Pod>> find_pods(const pod_dispatcher::PodQuery& q)
    {
        return read([&](detail::Connection& c) { return detail::find_pods(c, q); });
    }

    Result<void> insert_pod(const pod_dispatcher::Pod& pod) { return insert(pod); }

    Result<std::optional<pod_dispatcher::Pod>> update_pod(const pod_dispatcher::FieldUpdate<pod_dispatcher::Pod>& u)
    {
        return update(u);
    }

    Result<std::optional<pod_dispatcher::ProjectRef>> find_project_ref(std::string_view id)
    {
        return find<pod_dispatcher::ProjectRef>(id);
    }

    Result<void> insert_events(std::span<const pod_dispatcher::Event> events)
    {
        if (events.empty()) {
            return boost::outcome_v2::success();
        }
        return write([&](detail::Connection& c) { return detail::append_events(c, events); });
    }

    /// Runs work() in one write transaction: all its writes through this store, or none.
    /// Reruns it only when the database stayed busy or locked (another process held it)
    /// past the busy timeout, never after an error work returned. A unit started inside
    /// another on the same thread joins it.
    template <class F>
    Result<void> atomically(F&& work)
    {
        return write([&](detail::Connection&) -> Result<void> { return work(); });
    }

    // ---- Seeding and inspection (pod_dispatcher::testing::TestableStore), for the system
    // that owns tasks, pods and projects.

    /// Errc::duplicate_key for a stored id; Errc::invalid_argument for an empty one.
    Result<void> insert_task(const pod_dispatcher::Task& task) { return insert(task); }
    Result<void> insert_project_ref(const pod_dispatcher::ProjectRef& ref) { return insert(ref); }

    /// The events of one task or pod, oldest first.
    Result<std::vector<pod_dispatcher::Event>> events_for(std::string_view resource_id)
    {
        return read([&](detail::Connection& c) { return detail::events_of(c, resource_id); });
    }

    /// Everything stored, read in one transaction, in StoreContents' order.
    Result<pod_dispatcher::StoreContents> snapshot()
    {
        return read([&](detail::Connection& c) -> Result<pod_dispatcher::StoreContents> {
            pod_dispatcher::StoreContents contents;
            BOOST_OUTCOME_TRY(contents.dispatchers, detail::matching_rows(c, pod_dispatcher::Query{}));
            for (pod_dispatcher::PodDispatcher& d : contents.dispatchers) {
                BOOST_OUTCOME_TRY(detail::read_lists(c, d, pod_dispatcher::Projection{}));
            }
            BOOST_OUTCOME_TRY(contents.tasks, detail::all_documents<pod_dispatcher::Task>(c));
            BOOST_OUTCOME_TRY(contents.pods, detail::all_documents<pod_dispatcher::Pod>(c));
            BOOST_OUTCOME_TRY(contents.project_refs, detail::all_documents<pod_dispatcher::ProjectRef>(c));
            BOOST_OUTCOME_TRY(contents.events, detail::all_events(c));
            pod_dispatcher::sort_contents(contents);
            return contents;
        });
    }

private:
    explicit SqliteStore(std::unique_ptr<detail::ConnectionPool> pool) noexcept : pool_(std::move(pool)) {}

    template <class Body>
    detail::BodyResult<Body> read(Body&& body)
    {
        return detail::run_unit(*pool_, detail::Access::read, std::forward<Body>(body));
    }

    template <class Body>
    detail::BodyResult<Body> write(Body&& body)
    {
        return detail::run_unit(*pool_, detail::Access::write, std::forward<Body>(body));
    }

    template <class D>
    Result<std::optional<D>> find(std::string_view id)
    {
        return read([&](detail::Connection& c) { return detail::find_document<D>(c, id); });
    }

    template <class D>
    Result<void> insert(const D& doc)
    {
        return write([&](detail::Connection& c) { return detail::insert_document(c, doc); });
    }

    template <class D>
    Result<std::optional<D>> update(const pod_dispatcher::FieldUpdate<D>& u)
    {
        return write([&](detail::Connection& c) { return detail::update_document(c, u); });
    }

    std::unique_ptr<detail::ConnectionPool> pool_;
};

static_assert(pod_dispatcher::Store<SqliteStore>);

} // namespace pod_dispatcher_sqlite

#endif
