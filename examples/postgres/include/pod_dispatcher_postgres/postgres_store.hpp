#ifndef POD_DISPATCHER_POSTGRES_POSTGRES_STORE_HPP
#define POD_DISPATCHER_POSTGRES_POSTGRES_STORE_HPP

// PostgresStore: the pod_dispatcher::Store concept on one PostgreSQL database.

#include <pod_dispatcher_postgres/detail/connection_pool.hpp>
#include <pod_dispatcher_postgres/detail/dispatcher_rows.hpp>
#include <pod_dispatcher_postgres/detail/document_rows.hpp>
#include <pod_dispatcher_postgres/detail/schema.hpp>
#include <pod_dispatcher_postgres/detail/unit_of_work.hpp>
#include <pod_dispatcher_postgres/options.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/update.hpp>

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
/// failure. Any number of threads and processes may share the database, each with its
/// own PostgresStore or threads sharing one. Backend failures are Errc::store_unavailable;
/// PostgreSQL's message, which may quote stored data, is kept apart in
/// last_error_message(). A moved-from store may only be destroyed or assigned to.
class PostgresStore {
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

    /// The message of the last backend failure any thread met, for logs.
    std::string last_error_message() const { return pool_->errors().last(); }

    // ---- The Store concept (store.hpp says what each member does).

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

    /// Runs work() in one READ COMMITTED transaction: all its writes through this store,
    /// or none. Reruns it only when PostgreSQL aborted the transaction for another one
    /// beside it (serialization_failure, deadlock_detected), never after an error work
    /// returned. A unit started inside another on the same thread joins it.
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
    explicit PostgresStore(std::unique_ptr<detail::ConnectionPool> pool) noexcept : pool_(std::move(pool)) {}

    /// A read of one statement.
    template <class Body>
    detail::BodyResult<Body> read(Body&& body)
    {
        return detail::run_unit(*pool_, detail::Access::statement, std::forward<Body>(body));
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

static_assert(pod_dispatcher::Store<PostgresStore>);

} // namespace pod_dispatcher_postgres

#endif
