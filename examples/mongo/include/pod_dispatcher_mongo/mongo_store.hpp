#ifndef POD_DISPATCHER_MONGO_MONGO_STORE_HPP
#define POD_DISPATCHER_MONGO_MONGO_STORE_HPP

// MongoStore: the pod_dispatcher::Store concept on a MongoDB-wire server, through the
// official C driver.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/dispatcher_bson.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>
#include <pod_dispatcher_mongo/options.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/outcome/try.hpp>

#include <bson/bson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher_mongo {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

/// The collections a MongoStore uses.
namespace collections {
inline constexpr std::string_view dispatchers = pod_dispatcher::collection;
inline constexpr std::string_view tasks = "tasks";
inline constexpr std::string_view pods = "pods";
inline constexpr std::string_view project_refs = "project_ref";
inline constexpr std::string_view events = "events";
} // namespace collections

/// A pod_dispatcher::Store on a MongoDB-wire server (MongoDB, FerretDB, ...).
///
/// Safe to share between threads. The first call that needs the server creates the
/// indexes and detects what the server supports (mode(), a few round trips, once);
/// after that each member is one round trip, except as documented on it.
/// Backend failures are Errc::store_unavailable; the driver's or server's message,
/// which may quote stored data, is kept apart in last_error_message().
class MongoStore {
public:
    /// Connects lazily: only a malformed URI fails here (Errc::invalid_argument).
    /// Server selection and connection time out after 2 s unless the URI says otherwise.
    static Result<MongoStore> open(std::string_view uri, MongoStoreOptions options = {})
    {
        auto connection = detail::Connection::open(uri, std::move(options));
        if (!connection) {
            return connection.error();
        }
        return MongoStore{std::move(connection).value()};
    }

    /// What the server supports; detected on first use (see the class comment).
    Result<Capabilities> capabilities() { return connection_->capabilities(); }

    /// Whether atomically uses transactions on this server.
    Result<TransactionMode> mode()
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        return caps.mode;
    }

    /// The message of the last backend failure any thread met, for logs. It comes from
    /// the driver or the server and may quote ids.
    std::string last_error_message() const { return connection_->last_error_message(); }

    const std::string& database() const noexcept { return connection_->database(); }

    /// Drops the store's database, with every collection in it.
    Result<void> drop_database() { return connection_->drop_database(); }

    // ---- Dispatchers.

    Result<std::vector<pod_dispatcher::PodDispatcher>> find_dispatchers(const pod_dispatcher::Query& q)
    {
        detail::Bson filter;
        const detail::BsonPtr opts{BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}")};
        if (auto ok = ready(detail::put_query(filter.get(), q)); !ok) {
            return ok.error();
        }
        return connection_->find<pod_dispatcher::PodDispatcher>(collections::dispatchers, filter.get(), opts.get());
    }

    /// Reads the queue's first max_task_ids ids only, where the server can project a
    /// slice of an array; elsewhere (FerretDB) it reads the whole queue and cuts it here.
    Result<std::optional<pod_dispatcher::PodDispatcher>> find_dispatcher(const pod_dispatcher::Query& q,
                                                                         std::size_t max_task_ids)
    {
        auto caps = connection_->capabilities();
        if (!caps) {
            return caps.error();
        }
        detail::Bson filter;
        const auto slice = static_cast<std::int32_t>(
            std::min<std::size_t>(max_task_ids, std::numeric_limits<std::int32_t>::max()));
        const detail::BsonPtr opts{caps.value().slice_projection
                                       ? BCON_NEW("limit", BCON_INT64(1), "projection", "{", "task_ids", "{",
                                                  "$slice", BCON_INT32(slice), "}", "}")
                                       : BCON_NEW("limit", BCON_INT64(1))};
        if (auto ok = ready(detail::put_query(filter.get(), q)); !ok) {
            return ok.error();
        }
        auto found = connection_->find<pod_dispatcher::PodDispatcher>(collections::dispatchers, filter.get(),
                                                                     opts.get());
        if (!found) {
            return found.error();
        }
        if (found.value().empty()) {
            return std::optional<pod_dispatcher::PodDispatcher>{};
        }
        auto& d = found.value().front();
        if (d.task_ids.size() > max_task_ids) {
            d.task_ids.resize(max_task_ids);
        }
        return std::optional{std::move(d)};
    }

    /// Errc::invalid_argument when d has no id or no group.
    Result<void> insert_dispatcher(const pod_dispatcher::PodDispatcher& d)
    {
        if (d.group_id.empty()) {
            return Errc::invalid_argument;
        }
        const auto is_self = [&](const pod_dispatcher::PodDispatcher&) { return false; };
        if (auto free = pods_free(d.pod_ids, is_self); !free) {
            return free.error();
        }
        return insert_document(collections::dispatchers, d);
    }

    Result<pod_dispatcher::ChangeInfo> update_dispatcher(const pod_dispatcher::Query& q,
                                                         const pod_dispatcher::DispatcherUpdate& u)
    {
        detail::Bson filter;
        detail::Bson changes;
        if (auto ok = ready(detail::put_update_filter(filter.get(), q, u) && detail::put_changes(changes.get(), u));
            !ok) {
            return ok.error();
        }
        return write_dispatcher(q, u, filter.get(), changes.get(), false);
    }

    /// Errc::invalid_argument when u dequeues, or when neither q nor u gives the id and
    /// the group to insert.
    Result<pod_dispatcher::ChangeInfo> upsert_dispatcher(const pod_dispatcher::Query& q,
                                                         const pod_dispatcher::DispatcherUpdate& u)
    {
        if (u.dequeue || (!q.id && u.id.empty()) || (!q.group_id && u.group_id.empty())) {
            return Errc::invalid_argument;
        }
        detail::Bson filter;
        detail::Bson changes;
        if (auto ok = ready(detail::put_query(filter.get(), q) && detail::put_upsert_changes(changes.get(), q, u));
            !ok) {
            return ok.error();
        }
        return write_dispatcher(q, u, filter.get(), changes.get(), true);
    }

    // ---- Tasks, pods, project refs and events.

    Result<std::optional<pod_dispatcher::Task>> find_task(std::string_view id)
    {
        return find_by_id<pod_dispatcher::Task>(collections::tasks, id);
    }

    Result<void> insert_task(pod_dispatcher::Task task) { return insert_document(collections::tasks, task); }

    /// Stores after if the stored task still has before's status, container_allocated,
    /// container_allocation_attempts and pod_id. A failed match costs a second round trip
    /// to tell Errc::conflict from Errc::not_found.
    Result<void> replace_task(const pod_dispatcher::Task& before, const pod_dispatcher::Task& after)
    {
        return replace_if_unchanged(collections::tasks, before, after,
                                    {"status", "container_allocated", "container_allocation_attempts", "pod_id"});
    }

    Result<std::optional<pod_dispatcher::Pod>> find_pod(std::string_view id)
    {
        return find_by_id<pod_dispatcher::Pod>(collections::pods, id);
    }

    Result<void> insert_pod(pod_dispatcher::Pod pod) { return insert_document(collections::pods, pod); }

    /// As replace_task, comparing status and running_task_id.
    Result<void> replace_pod(const pod_dispatcher::Pod& before, const pod_dispatcher::Pod& after)
    {
        return replace_if_unchanged(collections::pods, before, after, {"status", "running_task_id"});
    }

    Result<std::optional<pod_dispatcher::ProjectRef>> find_project_ref(std::string_view id)
    {
        return find_by_id<pod_dispatcher::ProjectRef>(collections::project_refs, id);
    }

    Result<void> insert_project_ref(pod_dispatcher::ProjectRef ref)
    {
        return insert_document(collections::project_refs, ref);
    }

    /// One round trip for any number of events; none for none.
    Result<void> insert_events(std::vector<pod_dispatcher::Event> events)
    {
        if (events.empty()) {
            return boost::outcome_v2::success();
        }
        std::vector<detail::Bson> docs(events.size());
        detail::BsonPointers pointers;
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (auto ok = ready(detail::encode(docs[i].get(), events[i])); !ok) {
                return ok.error();
            }
            pointers.push_back(docs[i].get());
        }
        return connection_->insert_many(collections::events, std::move(pointers));
    }

    /// The events recorded for a task or pod, oldest first; empty when the server fails.
    std::vector<pod_dispatcher::Event> events_for(std::string_view resource_id)
    {
        detail::Bson filter;
        const detail::BsonPtr opts{BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}")};
        if (!detail::put(filter.get(), "resource_id", resource_id)) {
            return {};
        }
        auto found = connection_->find<pod_dispatcher::Event>(collections::events, filter.get(), opts.get());
        return found ? std::move(found.value()) : std::vector<pod_dispatcher::Event>{};
    }

    /// Everything stored, as pod_dispatcher::StoreContents orders it; read in one unit of
    /// work. Empty when the server fails (last_error_message() says why).
    pod_dispatcher::StoreContents snapshot()
    {
        pod_dispatcher::StoreContents contents;
        auto read = atomically([&]() -> Result<void> {
            contents = {};
            BOOST_OUTCOME_TRY(read_all(collections::dispatchers, contents.dispatchers));
            BOOST_OUTCOME_TRY(read_all(collections::tasks, contents.tasks));
            BOOST_OUTCOME_TRY(read_all(collections::pods, contents.pods));
            BOOST_OUTCOME_TRY(read_all(collections::project_refs, contents.project_refs));
            return read_all(collections::events, contents.events);
        });
        if (!read) {
            return {};
        }
        std::ranges::sort(contents.dispatchers, {}, &pod_dispatcher::PodDispatcher::id);
        std::ranges::sort(contents.tasks, {}, &pod_dispatcher::Task::id);
        std::ranges::sort(contents.pods, {}, &pod_dispatcher::Pod::id);
        std::ranges::sort(contents.project_refs, {}, &pod_dispatcher::ProjectRef::id);
        std::ranges::stable_sort(contents.events, {}, &pod_dispatcher::Event::resource_id);
        return contents;
    }

    // ---- Units of work.

    /// With TransactionMode::transactions: runs work in a transaction on one session,
    /// which every call of this store on this thread joins until work returns; retries
    /// it on a transient transaction error; keeps its writes only if it succeeds.
    /// With TransactionMode::no_transactions: runs work once, directly; see the README.
    /// A call inside another unit of work on this store joins it.
    template <class Work>
    Result<void> atomically(Work&& work)
    {
        if (connection_->transaction() != nullptr) {
            return work();
        }
        auto caps = connection_->capabilities();
        if (!caps) {
            return caps.error();
        }
        if (caps.value().mode == TransactionMode::no_transactions) {
            return work();
        }
        return connection_->run_transaction(work);
    }

private:
    explicit MongoStore(std::unique_ptr<detail::Connection> connection) : connection_(std::move(connection)) {}

    /// Makes sure the server is set up, and that a document was built.
    Result<void> ready(bool built)
    {
        if (auto caps = connection_->capabilities(); !caps) {
            return caps.error();
        }
        return detail::built(built);
    }

    /// Every document of a collection, in insertion order for events (their generated
    /// _ids grow), else in the server's order of ids.
    template <detail::Document T>
    Result<void> read_all(std::string_view collection, std::vector<T>& out)
    {
        detail::Bson everything;
        const detail::BsonPtr opts{BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}")};
        BOOST_OUTCOME_TRY(ready(true));
        BOOST_OUTCOME_TRY(out, connection_->find<T>(collection, everything.get(), opts.get()));
        return boost::outcome_v2::success();
    }

    template <detail::Document T>
    Result<std::optional<T>> find_by_id(std::string_view collection, std::string_view id,
                                        const bson_t* opts = nullptr)
    {
        detail::Bson filter;
        detail::Bson limit;
        if (auto ok = ready(detail::put(filter.get(), "_id", id)); !ok) {
            return ok.error();
        }
        if (opts != nullptr) {
            bson_copy_to_excluding_noinit(opts, limit.get(), "limit", nullptr);
        }
        BSON_APPEND_INT64(limit.get(), "limit", 1);
        auto found = connection_->find<T>(collection, filter.get(), limit.get());
        if (!found) {
            return found.error();
        }
        if (found.value().empty()) {
            return std::optional<T>{};
        }
        return std::optional<T>{std::move(found.value().front())};
    }

    /// Errc::invalid_argument for an empty id; Errc::duplicate_key for a taken one.
    template <detail::Document T>
    Result<void> insert_document(std::string_view collection, const T& doc)
    {
        if constexpr (requires { doc.id; }) {
            if (doc.id.empty()) {
                return Errc::invalid_argument;
            }
        }
        detail::Bson encoded;
        if (auto ok = ready(detail::encode(encoded.get(), doc)); !ok) {
            return ok.error();
        }
        return connection_->insert_many(collection, {encoded.get()});
    }

    template <detail::Document T>
    Result<void> replace_if_unchanged(std::string_view collection, const T& before, const T& after,
                                      std::initializer_list<std::string_view> compared)
    {
        if (before.id.empty() || before.id != after.id) {
            return Errc::invalid_argument;
        }
        detail::Bson filter;
        detail::Bson replacement;
        if (auto ok = ready(detail::put(filter.get(), "_id", before.id)
                            && detail::encode_only(filter.get(), before, compared)
                            && detail::encode(replacement.get(), after));
            !ok) {
            return ok.error();
        }
        auto replaced = connection_->replace_one(collection, filter.get(), replacement.get());
        if (!replaced) {
            return replaced.error();
        }
        if (replaced.value().matched > 0) {
            return boost::outcome_v2::success();
        }
        const detail::BsonPtr only_id{BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}")};
        auto stored = find_by_id<T>(collection, before.id, only_id.get());
        if (!stored) {
            return stored.error();
        }
        return stored.value() ? Errc::conflict : Errc::not_found;
    }

    /// Where no unique index keeps a pod in one dispatcher (FerretDB), a write that sets
    /// pods first looks for another dispatcher holding one of them: one more round trip,
    /// and without transactions a concurrent write may slip in between.
    template <class IsSelf>
    Result<void> pods_free(const std::vector<std::string>& pod_ids, const IsSelf& is_self)
    {
        auto caps = connection_->capabilities();
        if (!caps) {
            return caps.error();
        }
        if (caps.value().unique_pod_index || pod_ids.empty()) {
            return boost::outcome_v2::success();
        }
        detail::Bson filter;
        const detail::BsonPtr opts{BCON_NEW("limit", BCON_INT64(2), "projection", "{", "_id", BCON_INT32(1),
                                            "group_id", BCON_INT32(1), "}")};
        if (!detail::put_holders_filter(filter.get(), pod_ids)) {
            return Errc::invalid_argument;
        }
        auto holders = connection_->find<pod_dispatcher::PodDispatcher>(collections::dispatchers, filter.get(),
                                                                       opts.get());
        if (!holders) {
            return holders.error();
        }
        if (std::ranges::any_of(holders.value(), [&](const auto& h) { return !is_self(h); })) {
            return Errc::duplicate_key;
        }
        return boost::outcome_v2::success();
    }

    Result<pod_dispatcher::ChangeInfo> write_dispatcher(const pod_dispatcher::Query& q,
                                                        const pod_dispatcher::DispatcherUpdate& u,
                                                        const bson_t* filter, const bson_t* changes, bool upsert)
    {
        if (u.pod_ids) {
            // The dispatcher this write targets is identified by q's id, else its group.
            const auto is_self = [&](const pod_dispatcher::PodDispatcher& h) {
                return q.id ? h.id == *q.id
                            : (q.group_id ? h.group_id == *q.group_id : (upsert && h.id == u.id));
            };
            if (auto free = pods_free(*u.pod_ids, is_self); !free) {
                return free.error();
            }
        }
        auto written = connection_->update_one(collections::dispatchers, filter, changes, upsert);
        if (!written) {
            return written.error();
        }
        pod_dispatcher::ChangeInfo info;
        info.updated = written.value().matched > 0 || written.value().upserted_id ? 1 : 0;
        info.upserted_id = std::move(written.value().upserted_id);
        return info;
    }

    std::unique_ptr<detail::Connection> connection_;
};

static_assert(pod_dispatcher::Store<MongoStore>);

} // namespace pod_dispatcher_mongo

#endif
