#ifndef POD_DISPATCHER_MONGO_MONGO_STORE_HPP
#define POD_DISPATCHER_MONGO_MONGO_STORE_HPP

// MongoStore: the pod_dispatcher::Store concept on a MongoDB-wire server, through the
// official C driver.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/dispatcher_bson.hpp>
#include <pod_dispatcher_mongo/detail/pod_bson.hpp>
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
/// Safe to share between threads; without transactions, its writes run one at a time.
/// The first call that needs the server creates the indexes and detects what the server
/// supports (capabilities(); five or six round trips, once per store). After that each member is one round trip, except where its
/// comment says otherwise. Backend failures are Errc::store_unavailable; the driver's
/// or server's message, which may quote stored data, is kept apart in
/// last_error_message(). A moved-from store may only be destroyed or assigned to.
class MongoStore {
public:
    /// Connects lazily: only a malformed URI fails here (Errc::invalid_argument).
    /// Server selection and connection time out after 2 s unless the URI says otherwise.
    static Result<MongoStore> open(std::string_view uri, MongoStoreOptions options = {})
    {
        BOOST_OUTCOME_TRY(auto connection, detail::Connection::open(uri, std::move(options)));
        return MongoStore{std::move(connection)};
    }

    /// What the server supports, detected on first use.
    Result<Capabilities> capabilities() { return connection_->capabilities(); }

    /// Whether atomically uses transactions on this server.
    Result<TransactionMode> mode()
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        return caps.mode;
    }

    /// Whether atomically undoes a failed unit (Store's optional member): only with
    /// transactions. False, too, while the server cannot be reached.
    bool rolls_back()
    {
        const auto caps = capabilities();
        return caps && caps.value().mode == TransactionMode::transactions;
    }

    /// The message of the last backend failure any thread met, for logs. It comes from
    /// the driver or the server and may quote ids.
    std::string last_error_message() const { return connection_->last_error_message(); }

    const std::string& database() const noexcept { return connection_->database(); }

    /// Drops the store's database, with every collection in it.
    Result<void> drop_database() { return connection_->drop_database(); }

    // ---- Dispatchers (the Store concept; store.hpp says what each member does).

    Result<std::vector<pod_dispatcher::PodDispatcher>> find_dispatchers(const pod_dispatcher::Query& q)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(prepare(detail::put_query(filter.get(), q)));
        return connection_->find<pod_dispatcher::PodDispatcher>(collections::dispatchers, filter.get(),
                                                               by_id_order().get());
    }

    /// Reads the queue's first max_task_ids ids only where the server can project a slice
    /// of an array; elsewhere (FerretDB) it reads the whole queue and cuts it here.
    Result<std::optional<pod_dispatcher::PodDispatcher>> find_dispatcher(const pod_dispatcher::Query& q,
                                                                         std::size_t max_task_ids)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(auto caps, prepare(detail::put_query(filter.get(), q)));
        const auto slice = static_cast<std::int32_t>(
            std::min<std::size_t>(max_task_ids, std::numeric_limits<std::int32_t>::max()));
        const detail::BsonPtr opts{caps.slice_projection
                                       ? BCON_NEW("limit", BCON_INT64(1), "projection", "{", "task_ids", "{",
                                                  "$slice", BCON_INT32(slice), "}", "}")
                                       : BCON_NEW("limit", BCON_INT64(1))};
        BOOST_OUTCOME_TRY(auto found, first_of<pod_dispatcher::PodDispatcher>(collections::dispatchers,
                                                                            filter.get(), opts.get()));
        if (found && found->task_ids.size() > max_task_ids) {
            found->task_ids.resize(max_task_ids);
        }
        return found;
    }

    /// Errc::invalid_argument when d has no id or no group.
    Result<void> insert_dispatcher(const pod_dispatcher::PodDispatcher& d)
    {
        if (d.group_id.empty()) {
            return Errc::invalid_argument;
        }
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        const auto lock = connection_->exclusive(caps);
        BOOST_OUTCOME_TRY(pods_free(d.pod_ids, [](const pod_dispatcher::PodDispatcher&) { return false; }));
        return insert_document(collections::dispatchers, d);
    }

    /// A dequeue is {$pop: {task_ids: -1}} under a filter on the front, so its cost does
    /// not grow with the queue.
    Result<pod_dispatcher::ChangeInfo> update_dispatcher(const pod_dispatcher::Query& q,
                                                         const pod_dispatcher::DispatcherUpdate& u)
    {
        detail::Bson filter;
        detail::Bson changes;
        BOOST_OUTCOME_TRY(
            prepare(detail::put_update_filter(filter.get(), q, u) && detail::put_changes(changes.get(), u)));
        return write_dispatcher(q, u, filter.get(), changes.get(), false);
    }

    /// Errc::invalid_argument when u dequeues, or when neither q nor u gives the id and
    /// the group to insert. A stale q makes the insert collide: Errc::duplicate_key.
    Result<pod_dispatcher::ChangeInfo> upsert_dispatcher(const pod_dispatcher::Query& q,
                                                         const pod_dispatcher::DispatcherUpdate& u)
    {
        if (u.dequeue || (!q.id && u.id.empty()) || (!q.group_id && u.group_id.empty())) {
            return Errc::invalid_argument;
        }
        detail::Bson filter;
        detail::Bson changes;
        BOOST_OUTCOME_TRY(
            prepare(detail::put_query(filter.get(), q) && detail::put_upsert_changes(changes.get(), q, u)));
        return write_dispatcher(q, u, filter.get(), changes.get(), true);
    }

    // ---- Tasks, pods, project refs and events.

    Result<std::optional<pod_dispatcher::Task>> find_task(std::string_view id)
    {
        return find_by_id<pod_dispatcher::Task>(collections::tasks, id);
    }

    /// Errc::duplicate_key for a stored id; Errc::invalid_argument for an empty one.
    Result<void> insert_task(pod_dispatcher::Task task) { return insert_document(collections::tasks, task); }

    /// A failed match costs a second round trip, to tell Errc::conflict from Errc::not_found.
    Result<void> replace_task(const pod_dispatcher::Task& before, const pod_dispatcher::Task& after)
    {
        return replace_if_unchanged(collections::tasks, before, after);
    }

    Result<std::optional<pod_dispatcher::Pod>> find_pod(std::string_view id)
    {
        return find_by_id<pod_dispatcher::Pod>(collections::pods, id);
    }

    Result<void> insert_pod(pod_dispatcher::Pod pod) { return insert_document(collections::pods, pod); }

    /// One findAndModify, filtered on the pod being running with no running task.
    Result<std::optional<pod_dispatcher::Pod>> claim_pod(std::string_view id, const pod_dispatcher::Task& task)
    {
        detail::Bson filter;
        detail::Bson update;
        BOOST_OUTCOME_TRY(auto caps, prepare(detail::put_claimable_pod_filter(filter.get(), id)
                                             && detail::put_claim(update.get(), task)));
        const auto lock = connection_->exclusive(caps);
        return connection_->find_one_and_update<pod_dispatcher::Pod>(collections::pods, filter.get(), update.get());
    }

    /// Not part of the Store concept: for callers that move pods through their states.
    /// Stores after only if the stored pod still equals before; as replace_task.
    Result<void> replace_pod(const pod_dispatcher::Pod& before, const pod_dispatcher::Pod& after)
    {
        return replace_if_unchanged(collections::pods, before, after);
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
        bool built = true;
        for (std::size_t i = 0; i < events.size(); ++i) {
            built = built && detail::encode(docs[i].get(), events[i]);
            pointers.push_back(docs[i].get());
        }
        BOOST_OUTCOME_TRY(auto caps, prepare(built));
        const auto lock = connection_->exclusive(caps);
        return connection_->insert_many(collections::events, std::move(pointers));
    }

    /// The events recorded for a task or pod, oldest first; empty when the server fails.
    std::vector<pod_dispatcher::Event> events_for(std::string_view resource_id)
    {
        detail::Bson filter;
        if (!prepare(detail::put(filter.get(), "resource_id", resource_id))) {
            return {};
        }
        auto found = connection_->find<pod_dispatcher::Event>(collections::events, filter.get(), by_id_order().get());
        return found ? std::move(found).value() : std::vector<pod_dispatcher::Event>{};
    }

    /// Everything stored, ordered as pod_dispatcher::StoreContents says, read in one unit
    /// of work. Empty when the server fails (last_error_message() says why).
    pod_dispatcher::StoreContents snapshot()
    {
        pod_dispatcher::StoreContents contents;
        const auto read = atomically([&]() -> Result<void> {
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
        // Events were read in the order they were appended: their generated _ids grow.
        std::ranges::stable_sort(contents.events, {}, &pod_dispatcher::Event::resource_id);
        return contents;
    }

    // ---- Units of work.

    /// With TransactionMode::transactions: runs work in a transaction on one session,
    /// which every call of this store on this thread joins until work returns; retries it
    /// on a transient transaction error; keeps its writes only if it succeeds (one more
    /// round trip: the commit). With TransactionMode::no_transactions: runs work once,
    /// directly, while no other unit of work or write of this store runs; a failed unit's
    /// writes stay (see the README). A call inside another unit of work on this store
    /// joins it; do not start one unit of work inside another on a different store.
    template <class Work>
    Result<void> atomically(Work&& work)
    {
        if (connection_->transaction() != nullptr) {
            return work();
        }
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        if (caps.mode == TransactionMode::no_transactions) {
            const auto lock = connection_->exclusive(caps);
            return work();
        }
        return connection_->run_transaction(work);
    }

private:
    explicit MongoStore(std::unique_ptr<detail::Connection> connection) : connection_(std::move(connection)) {}

    static detail::BsonPtr by_id_order() { return detail::BsonPtr{BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}")}; }

    /// Sets the server up on first use; Errc::invalid_argument when a document could not
    /// be built (a value libbson refuses).
    Result<Capabilities> prepare(bool built)
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        BOOST_OUTCOME_TRY(detail::built(built));
        return caps;
    }

    template <detail::Document T>
    Result<std::optional<T>> first_of(std::string_view collection, const bson_t* filter, bson_t* opts)
    {
        BOOST_OUTCOME_TRY(auto found, connection_->find<T>(collection, filter, opts));
        if (found.empty()) {
            return std::optional<T>{};
        }
        return std::optional<T>{std::move(found.front())};
    }

    template <detail::Document T>
    Result<std::optional<T>> find_by_id(std::string_view collection, std::string_view id)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(prepare(detail::put(filter.get(), "_id", id)));
        return first_of<T>(collection, filter.get(), detail::BsonPtr{BCON_NEW("limit", BCON_INT64(1))}.get());
    }

    /// Every document of a collection, in the order of their _ids.
    template <detail::Document T>
    Result<void> read_all(std::string_view collection, std::vector<T>& out)
    {
        detail::Bson everything;
        BOOST_OUTCOME_TRY(prepare(true));
        BOOST_OUTCOME_TRY(out, connection_->find<T>(collection, everything.get(), by_id_order().get()));
        return boost::outcome_v2::success();
    }

    /// Errc::invalid_argument for an empty id; Errc::duplicate_key for a stored one.
    template <detail::Document T>
    Result<void> insert_document(std::string_view collection, const T& doc)
    {
        if (doc.id.empty()) {
            return Errc::invalid_argument;
        }
        detail::Bson encoded;
        BOOST_OUTCOME_TRY(auto caps, prepare(detail::encode(encoded.get(), doc)));
        const auto lock = connection_->exclusive(caps);
        return connection_->insert_many(collection, {encoded.get()});
    }

    /// Replaces the stored document if it still equals before, field by field.
    template <detail::Document T>
    Result<void> replace_if_unchanged(std::string_view collection, const T& before, const T& after)
    {
        if (before.id.empty() || before.id != after.id) {
            return Errc::invalid_argument;
        }
        detail::Bson filter;
        detail::Bson replacement;
        BOOST_OUTCOME_TRY(auto caps, prepare(detail::encode_filter(filter.get(), before)
                                             && detail::encode(replacement.get(), after)));
        const auto lock = connection_->exclusive(caps);
        BOOST_OUTCOME_TRY(auto replaced, connection_->replace_one(collection, filter.get(), replacement.get()));
        if (replaced.matched > 0) {
            return boost::outcome_v2::success();
        }
        BOOST_OUTCOME_TRY(auto stored, find_by_id<T>(collection, before.id));
        return stored ? Errc::conflict : Errc::not_found;
    }

    /// Where no unique index keeps a pod in one dispatcher (FerretDB), a write that sets
    /// pods first looks for another dispatcher holding one of them: one more round trip,
    /// and without transactions a concurrent write may slip in between.
    template <class IsSelf>
    Result<void> pods_free(const std::vector<std::string>& pod_ids, const IsSelf& is_self)
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        if (caps.unique_pod_index || pod_ids.empty()) {
            return boost::outcome_v2::success();
        }
        detail::Bson filter;
        const detail::BsonPtr opts{
            BCON_NEW("limit", BCON_INT64(2), "projection", "{", "_id", BCON_INT32(1), "group_id", BCON_INT32(1), "}")};
        BOOST_OUTCOME_TRY(detail::built(detail::put_holders_filter(filter.get(), pod_ids)));
        BOOST_OUTCOME_TRY(auto holders, connection_->find<pod_dispatcher::PodDispatcher>(collections::dispatchers,
                                                                                        filter.get(), opts.get()));
        if (std::ranges::any_of(holders, [&](const auto& holder) { return !is_self(holder); })) {
            return Errc::duplicate_key;
        }
        return boost::outcome_v2::success();
    }

    /// pods_free for the pods u sets, if any. The dispatcher written is the one with q's
    /// id, else q's group, else (inserting) u's id.
    Result<void> pods_check(const pod_dispatcher::Query& q, const pod_dispatcher::DispatcherUpdate& u, bool upsert)
    {
        if (!u.pod_ids) {
            return boost::outcome_v2::success();
        }
        return pods_free(*u.pod_ids, [&](const pod_dispatcher::PodDispatcher& holder) {
            return q.id ? holder.id == *q.id : (q.group_id ? holder.group_id == *q.group_id : upsert && holder.id == u.id);
        });
    }

    Result<pod_dispatcher::ChangeInfo> write_dispatcher(const pod_dispatcher::Query& q,
                                                        const pod_dispatcher::DispatcherUpdate& u,
                                                        const bson_t* filter, const bson_t* changes, bool upsert)
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        const auto lock = connection_->exclusive(caps);
        BOOST_OUTCOME_TRY(pods_check(q, u, upsert));
        BOOST_OUTCOME_TRY(auto written, connection_->update_one(collections::dispatchers, filter, changes, upsert));
        pod_dispatcher::ChangeInfo info;
        info.updated = written.matched > 0 || written.upserted_id ? 1 : 0;
        info.upserted_id = std::move(written.upserted_id);
        return info;
    }

    std::unique_ptr<detail::Connection> connection_;
};

static_assert(pod_dispatcher::Store<MongoStore>);

} // namespace pod_dispatcher_mongo

#endif
