#ifndef POD_DISPATCHER_MONGO_MONGO_STORE_HPP
#define POD_DISPATCHER_MONGO_MONGO_STORE_HPP

// MongoStore: the pod_dispatcher::Store concept on a MongoDB-wire server, through the
// official C driver.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/claims.hpp>
#include <pod_dispatcher_mongo/detail/claims_unit.hpp>
#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/dispatcher_bson.hpp>
#include <pod_dispatcher_mongo/detail/field_update_bson.hpp>
#include <pod_dispatcher_mongo/detail/lone_write_gate.hpp>
#include <pod_dispatcher_mongo/detail/pod_query_bson.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>
#include <pod_dispatcher_mongo/detail/server_setup.hpp>
#include <pod_dispatcher_mongo/detail/transaction.hpp>
#include <pod_dispatcher_mongo/options.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
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
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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
inline constexpr std::string_view claims = detail::claims_collection;
} // namespace collections

/// uri with its database (the path after the hosts) replaced by database: where other
/// store objects, in this process or others, open the same data as a store opened with
/// MongoStoreOptions::database.
inline std::string uri_naming_database(std::string_view uri, std::string_view database)
{
    const std::size_t hosts = uri.find("://") == std::string_view::npos ? 0 : uri.find("://") + 3;
    const std::size_t options = std::min(uri.find('?', hosts), uri.size());
    const std::size_t path = std::min(uri.find('/', hosts), options);
    return std::string(uri.substr(0, path)) + "/" + std::string(database) + std::string(uri.substr(options));
}

/// A pod_dispatcher::Store on a MongoDB-wire server (MongoDB, FerretDB, ...), and a
/// pod_dispatcher::testing::TestableStore.
///
/// Safe to share between threads, and to open many times over one database, from one
/// process or many. The first call that needs the server creates the indexes and finds
/// out what the server supports (capabilities(), seven or eight round trips, once per
/// store); mode() says which guarantees hold. After that each member is one round trip,
/// except where its comment says otherwise. Backend failures are Errc::store_unavailable;
/// the driver's or server's message, which may quote stored data, is kept apart in
/// last_error_message(). A moved-from store may only be destroyed or assigned to.
class MongoStore {
public:
    /// Connects lazily: only a malformed URI fails here (Errc::invalid_argument).
    /// Server selection and connection time out after 2 s unless the URI says otherwise.
    static Result<MongoStore> open(std::string_view uri, MongoStoreOptions options = {})
    {
        const auto lease = options.claim_lease;
        BOOST_OUTCOME_TRY(auto connection, detail::Connection::open(uri, std::move(options)));
        return MongoStore{std::make_unique<State>(std::move(connection), lease)};
    }

    /// What the server supports, found out on first use.
    Result<Capabilities> capabilities()
    {
        std::lock_guard lock{state_->setup_mutex};
        if (!state_->capabilities) {
            BOOST_OUTCOME_TRY(state_->capabilities, detail::ServerSetup{*state_->connection}.run());
        }
        return *state_->capabilities;
    }

    /// How units of work are kept apart, and so which guarantees hold (see TransactionMode).
    Result<TransactionMode> mode()
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        return caps.mode;
    }

    /// Whether a failed unit of work is sure to leave nothing written: only with
    /// transactions. False, too, while the server cannot be reached.
    bool rolls_back()
    {
        const auto caps = capabilities();
        return caps && caps.value().mode == TransactionMode::transactions;
    }

    /// Whether units of work are kept apart only through the dispatchers they read
    /// (pod_dispatcher/store.hpp): without transactions, where claims do it. Then the
    /// operations that write a pod read its dispatcher first, so that their claims order
    /// them with the dispatches of that pod. True, too, while the server cannot be reached:
    /// the safe answer costs one read.
    bool keeps_units_apart_by_dispatcher()
    {
        const auto caps = capabilities();
        return !caps || caps.value().mode == TransactionMode::claims;
    }

    /// How long an operation waits, at random, before it retries a conflict
    /// (pod_dispatcher/store.hpp): MongoStoreOptions::conflict_backoff.
    pod_dispatcher::Backoff conflict_backoff() const noexcept { return state_->connection->options().conflict_backoff; }

    /// The message of the last backend failure any thread met, for logs. It comes from
    /// the driver or the server and may quote ids.
    std::string last_error_message() const { return state_->connection->last_error_message(); }

    const std::string& database() const noexcept { return state_->connection->database(); }

    /// Drops the store's database, with every collection in it; the next call that needs
    /// the server sets it up again.
    Result<void> drop_database()
    {
        {
            std::lock_guard lock{state_->setup_mutex};
            state_->capabilities.reset();
        }
        return state_->connection->drop_database();
    }

    // ---- Dispatchers (the Store concept; store.hpp says what each member does).

    Result<std::vector<pod_dispatcher::PodDispatcher>> find_dispatchers(const pod_dispatcher::Query& q)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(prepare(detail::put_query(filter.get(), q)));
        BOOST_OUTCOME_TRY(see_own_writes());
        return connection().find<pod_dispatcher::PodDispatcher>(collections::dispatchers, filter.get(),
                                                                 by_id_order().get());
    }

    /// Reads the queue's first ids only where the server can project a slice of an array;
    /// elsewhere (FerretDB) it reads the whole queue and cuts it here. Without transactions,
    /// inside a unit of work, claims what it read (one more round trip; see claims_unit.hpp).
    Result<std::optional<pod_dispatcher::PodDispatcher>> find_dispatcher(const pod_dispatcher::Query& q,
                                                                         const pod_dispatcher::Projection& p)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(auto caps, prepare(detail::put_query(filter.get(), q)));
        BOOST_OUTCOME_TRY(see_own_writes());
        const detail::BsonPtr opts = find_options(caps, p);
        BOOST_OUTCOME_TRY(auto found, connection().find<pod_dispatcher::PodDispatcher>(collections::dispatchers,
                                                                                       filter.get(), opts.get()));
        if (found.empty()) {
            if (auto* unit = claims_unit(); unit != nullptr && q.pod_id && q == pod_dispatcher::by_pod_id(*q.pod_id)) {
                unit->saw_free_pod(*q.pod_id);
            }
            return std::optional<pod_dispatcher::PodDispatcher>{};
        }
        pod_dispatcher::PodDispatcher& d = found.front();
        if (d.task_ids.size() > p.max_task_ids) {
            d.task_ids.resize(p.max_task_ids);
        }
        if (!p.pod_ids) {
            d.pod_ids.clear();
        }
        if (auto* unit = claims_unit()) {
            BOOST_OUTCOME_TRY(unit->read(d, p));
        }
        return std::optional<pod_dispatcher::PodDispatcher>{std::move(d)};
    }

    /// Errc::invalid_argument when d has no id or no group. Without a unique pod index,
    /// one more round trip first when d holds pods its unit of work has not seen free.
    Result<void> insert_dispatcher(const pod_dispatcher::PodDispatcher& d)
    {
        if (d.id.empty() || d.group_id.empty()) {
            return Errc::invalid_argument;
        }
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        auto* unit = claims_unit();
        const auto unknown_pods = unit != nullptr ? unit->not_seen_free(d.pod_ids) : d.pod_ids;
        if (!caps.unique_pod_index && !unknown_pods.empty()) {
            BOOST_OUTCOME_TRY(pods_free(unknown_pods, d.id));
        }
        BOOST_OUTCOME_TRY(insert_document(collections::dispatchers, d));
        if (unit != nullptr) {
            detail::BsonPtr undo{bson_new()};
            if (detail::put(undo.get(), pod_dispatcher::keys::id, d.id) &&
                detail::put(undo.get(), pod_dispatcher::keys::modification_count, d.modification_count)) {
                unit->inserted(collections::dispatchers, std::move(undo));
            }
        }
        return boost::outcome_v2::success();
    }

    /// A dequeue is {$pop} for one id and {$pullAll} for more, under a condition on the
    /// front; ids put in are one {$push} at their index ($position), pods added one {$push};
    /// so no write's cost grows with the queue (but see Capabilities::positional_push).
    /// Errc::invalid_argument for an update that is not pod_dispatcher::well_formed.
    /// Without transactions, inside a unit of work the write is held back to the unit's end
    /// (see claims_unit.hpp); outside one, it is a unit of its own (three round trips: read,
    /// claim, write).
    Result<bool> update_dispatcher(const pod_dispatcher::Query& q, const pod_dispatcher::DispatcherUpdate& u)
    {
        if (!pod_dispatcher::well_formed(u)) {
            return Errc::invalid_argument;
        }
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        if (caps.mode == TransactionMode::transactions) {
            return update_dispatcher_now(q, u, caps);
        }
        if (auto* unit = claims_unit()) {
            return unit->update_dispatcher(q, u);
        }
        bool written = false;
        BOOST_OUTCOME_TRY(atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(written, update_dispatcher(q, u));
            return boost::outcome_v2::success();
        }));
        return written;
    }

    // ---- Tasks, pods, project refs and events.

    Result<std::optional<pod_dispatcher::Task>> find_task(std::string_view id)
    {
        return find_by_id<pod_dispatcher::Task>(collections::tasks, id);
    }

    /// One findAndModify under the guard.
    Result<std::optional<pod_dispatcher::Task>> update_task(const pod_dispatcher::FieldUpdate<pod_dispatcher::Task>& u)
    {
        return update_fields(collections::tasks, u);
    }

    Result<std::optional<pod_dispatcher::Pod>> find_pod(std::string_view id)
    {
        return find_by_id<pod_dispatcher::Pod>(collections::pods, id);
    }

    /// One find, which the index on (status, last_communicated) answers on MongoDB
    /// (FerretDB 1.x reads every pod for it). A pod whose last_communicated is unset has
    /// none stored (or, stored by another client, a null): the filter asks for those too,
    /// since unset is earlier than any time.
    Result<std::vector<pod_dispatcher::Pod>> find_pods(const pod_dispatcher::PodQuery& q)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(prepare(detail::put_pod_query(filter.get(), q)));
        detail::Bson everything;
        return connection().find<pod_dispatcher::Pod>(collections::pods, filter.get(), everything.get());
    }

    /// Errc::duplicate_key for a stored id; Errc::invalid_argument for an empty one.
    Result<void> insert_pod(const pod_dispatcher::Pod& pod)
    {
        BOOST_OUTCOME_TRY(insert_document(collections::pods, pod));
        undo_by_id(collections::pods, pod.id);
        return boost::outcome_v2::success();
    }

    /// One findAndModify under the guard.
    Result<std::optional<pod_dispatcher::Pod>> update_pod(const pod_dispatcher::FieldUpdate<pod_dispatcher::Pod>& u)
    {
        return update_fields(collections::pods, u);
    }

    Result<std::optional<pod_dispatcher::ProjectRef>> find_project_ref(std::string_view id)
    {
        return find_by_id<pod_dispatcher::ProjectRef>(collections::project_refs, id);
    }

    /// One round trip for any number of events; none for none.
    Result<void> insert_events(std::span<const pod_dispatcher::Event> events)
    {
        if (events.empty()) {
            return boost::outcome_v2::success();
        }
        // The _ids are made here, growing in the order the events come, so that reading
        // them back by _id gives that order, and so that a failed unit can delete them.
        std::vector<detail::Bson> docs(events.size());
        std::vector<bson_oid_t> ids(events.size());
        detail::BsonPointers pointers;
        bool built = true;
        for (std::size_t i = 0; i < events.size(); ++i) {
            bson_oid_init(&ids[i], nullptr);
            built = built && bson_append_oid(docs[i].get(), "_id", 3, &ids[i]) && detail::encode(docs[i].get(), events[i]);
            pointers.push_back(docs[i].get());
        }
        BOOST_OUTCOME_TRY(prepare(built));
        BOOST_OUTCOME_TRY(connection().insert(collections::events, std::move(pointers)));
        if (auto* unit = claims_unit()) {
            detail::BsonPtr undo{bson_new()};
            const bool undo_built = detail::put_nested(undo.get(), "_id", false, [&](bson_t* in) {
                return detail::put_nested(in, "$in", true, [&](bson_t* list) {
                    return detail::for_each_index(ids.size(), [&](std::size_t i, std::string_view key) {
                        return bson_append_oid(list, key.data(), detail::length(key), &ids[i]);
                    });
                });
            });
            if (undo_built) {
                unit->inserted(collections::events, std::move(undo));
            }
        }
        return boost::outcome_v2::success();
    }

    // ---- Seeding and inspection (pod_dispatcher::testing::TestableStore).

    /// Errc::duplicate_key for a stored id; Errc::invalid_argument for an empty one.
    Result<void> insert_task(const pod_dispatcher::Task& task) { return insert_document(collections::tasks, task); }

    /// Errc::duplicate_key for a stored id; Errc::invalid_argument for an empty one.
    Result<void> insert_project_ref(const pod_dispatcher::ProjectRef& ref)
    {
        return insert_document(collections::project_refs, ref);
    }

    /// The events recorded for a task or pod, oldest first (for events one process
    /// appended; see the README).
    Result<std::vector<pod_dispatcher::Event>> events_for(std::string_view resource_id)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(prepare(detail::put(filter.get(), "resource_id", resource_id)));
        return connection().find<pod_dispatcher::Event>(collections::events, filter.get(), by_id_order().get());
    }

    /// Everything stored, ordered as pod_dispatcher::StoreContents says. A consistent
    /// copy with transactions; without, one to take while nobody writes.
    Result<pod_dispatcher::StoreContents> snapshot()
    {
        pod_dispatcher::StoreContents contents;
        BOOST_OUTCOME_TRY(atomically([&]() -> Result<void> {
            contents = {};
            BOOST_OUTCOME_TRY(read_all(collections::dispatchers, contents.dispatchers));
            BOOST_OUTCOME_TRY(read_all(collections::tasks, contents.tasks));
            BOOST_OUTCOME_TRY(read_all(collections::pods, contents.pods));
            BOOST_OUTCOME_TRY(read_all(collections::project_refs, contents.project_refs));
            return read_all(collections::events, contents.events);
        }));
        // Events were read by _id: in the order they were appended.
        pod_dispatcher::sort_contents(contents);
        return contents;
    }

    // ---- Units of work.

    /// With TransactionMode::transactions: runs work in a transaction on one session,
    /// which every call of this store on this thread joins until work returns; reruns it
    /// on a transient transaction error; keeps its writes only if it succeeds (one more
    /// round trip: the commit). With TransactionMode::claims: runs work once, claiming each
    /// dispatcher it reads (or, when it claims none, locking the pods it read before its
    /// first conditional write), holding its dispatcher writes back to the end, and taking
    /// back what it wrote if it fails (see the README).
    /// A call inside another unit of work on this store joins it; do not start one unit of
    /// work inside another on a different store.
    template <class Work>
    Result<void> atomically(Work&& work)
    {
        if (connection().unit() != nullptr) {
            return work();
        }
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        if (caps.mode == TransactionMode::transactions) {
            return detail::run_transaction(connection(), work);
        }
        return run_claimed(work, caps);
    }

private:
    /// Everything a store owns, in one place, so that the store moves as one pointer.
    struct State {
        State(std::unique_ptr<detail::Connection> c, std::chrono::milliseconds lease)
            : connection(std::move(c)), claims(*connection, lease)
        {
        }

        std::unique_ptr<detail::Connection> connection;
        detail::Claims claims;
        detail::LoneWriteGate gate;
        std::mutex setup_mutex; ///< Guards capabilities.
        std::optional<Capabilities> capabilities;
    };

    explicit MongoStore(std::unique_ptr<State> state) : state_(std::move(state)) {}

    detail::Connection& connection() const noexcept { return *state_->connection; }

    /// The unit of work without transactions this thread runs on this store, if any.
    detail::ClaimsUnit* claims_unit() const noexcept
    {
        auto* unit = connection().unit();
        return unit != nullptr ? unit->claims : nullptr;
    }

    template <class Work>
    Result<void> run_claimed(Work& work, const Capabilities& caps)
    {
        const auto entered = state_->gate.enter_unit();
        detail::ClaimsUnit claims{connection(), state_->claims, caps};
        detail::ActiveUnit unit{.claims = &claims};
        const detail::UnitScope scope{&connection(), unit};
        auto done = work();
        if (done) {
            done = claims.commit();
        }
        if (!done) {
            claims.abandon(unit.unknown_outcome);
        }
        state_->claims.collect_garbage();
        return done;
    }

    /// A unit that reads dispatchers after writing one reads its own write: the held-back
    /// write is made first.
    Result<void> see_own_writes()
    {
        auto* unit = claims_unit();
        return unit != nullptr && unit->has_held_back_writes() ? unit->flush()
                                                              : Result<void>{boost::outcome_v2::success()};
    }

    static detail::BsonPtr by_id_order() { return detail::BsonPtr{BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}")}; }

    /// limit 1, and a projection leaving out the pods, and keeping the first ids of the
    /// queue where the server can, when p asks for less than the whole.
    static detail::BsonPtr find_options(const Capabilities& caps, const pod_dispatcher::Projection& p)
    {
        const bool slice = caps.slice_projection && p.max_task_ids < std::numeric_limits<std::int32_t>::max();
        detail::BsonPtr opts{BCON_NEW("limit", BCON_INT64(1))};
        if (p.pod_ids && !slice) {
            return opts;
        }
        (void)detail::put_nested(opts.get(), "projection", false, [&](bson_t* projection) {
            return (p.pod_ids || detail::put(projection, pod_dispatcher::keys::pod_ids, 0)) &&
                   (!slice || detail::put_nested(projection, pod_dispatcher::keys::task_ids, false, [&](bson_t* s) {
                        return detail::put(s, "$slice", static_cast<int>(p.max_task_ids));
                    }));
        });
        return opts;
    }

    /// Sets the server up on first use; Errc::invalid_argument when a document could not
    /// be built (a value libbson refuses).
    Result<Capabilities> prepare(bool built)
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        BOOST_OUTCOME_TRY(detail::built(built));
        return caps;
    }

    /// Within a unit of work without transactions, the unit remembers a task or pod read.
    template <pod_dispatcher::Document T>
    Result<std::optional<T>> find_by_id(std::string_view collection, std::string_view id)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(prepare(detail::put(filter.get(), "_id", id)));
        BOOST_OUTCOME_TRY(auto found, connection().find_one<T>(collection, filter.get()));
        if constexpr (std::is_same_v<T, pod_dispatcher::Task> || std::is_same_v<T, pod_dispatcher::Pod>) {
            if (auto* unit = claims_unit(); unit != nullptr && found) {
                unit->saw(*found);
            }
        }
        return found;
    }

    /// Every document of a collection, in the order of their _ids.
    template <pod_dispatcher::Document T>
    Result<void> read_all(std::string_view collection, std::vector<T>& out)
    {
        detail::Bson everything;
        BOOST_OUTCOME_TRY(out, connection().find<T>(collection, everything.get(), by_id_order().get()));
        return boost::outcome_v2::success();
    }

    /// Errc::invalid_argument for an empty id; Errc::duplicate_key for a stored one.
    template <pod_dispatcher::Document T>
    Result<void> insert_document(std::string_view collection, const T& doc)
    {
        if (doc.id.empty()) {
            return Errc::invalid_argument;
        }
        detail::Bson encoded;
        BOOST_OUTCOME_TRY(prepare(detail::encode(encoded.get(), doc)));
        return connection().insert(collection, {encoded.get()});
    }

    /// Within a unit of work without transactions: deletes the document if the unit fails.
    void undo_by_id(std::string_view collection, std::string_view id)
    {
        if (auto* unit = claims_unit()) {
            detail::BsonPtr undo{bson_new()};
            if (detail::put(undo.get(), "_id", id)) {
                unit->inserted(collection, std::move(undo));
            }
        }
    }

    /// A guarded write of some fields. A write outside any unit of work passes the
    /// lone-write gate (see lone_write_gate.hpp) where no transaction keeps it apart.
    template <pod_dispatcher::Document D>
    Result<std::optional<D>> update_fields(std::string_view collection, const pod_dispatcher::FieldUpdate<D>& u)
    {
        BOOST_OUTCOME_TRY(auto caps, capabilities());
        auto* unit = claims_unit();
        std::unique_lock<std::shared_mutex> lone_write;
        if (unit != nullptr) {
            BOOST_OUTCOME_TRY(unit->before_conditional_write());
        } else if (caps.mode == TransactionMode::claims) {
            lone_write = state_->gate.enter_lone_write();
        }
        BOOST_OUTCOME_TRY(auto written, caps.atomic_updates ? write_if_guard_holds(collection, u)
                                                            : check_guard_then_write(collection, u));
        if (!written) {
            return std::optional<D>{};
        }
        std::optional<D> after{written->after};
        if (unit != nullptr) {
            unit->saw(*after);
            unit->wrote(std::move(*written));
        }
        return after;
    }

    /// One findAndModify under the guard, returning the document as it was, from which
    /// the store works out the document as written.
    template <pod_dispatcher::Document D>
    Result<std::optional<detail::FieldsWritten<D>>> write_if_guard_holds(std::string_view collection,
                                                                         const pod_dispatcher::FieldUpdate<D>& u)
    {
        detail::Bson filter;
        detail::Bson update;
        BOOST_OUTCOME_TRY(detail::built(detail::put_fields_filter(filter.get(), u.id, u.guard, u.expected) &&
                                        detail::put_fields_update(update.get(), u.changes, u.values)));
        std::optional<D> before;
        if (u.changes.empty()) {
            BOOST_OUTCOME_TRY(before, connection().find_one<D>(collection, filter.get()));
        } else {
            BOOST_OUTCOME_TRY(before, connection().find_one_and_update<D>(collection, filter.get(), update.get(),
                                                                         detail::Returning::before));
        }
        return as_written(collection, u, std::move(before));
    }

    /// The guard checked here, on the document as the unit of work last read it (read now
    /// when it has not), and one update by _id (see Capabilities::atomic_updates).
    template <pod_dispatcher::Document D>
    Result<std::optional<detail::FieldsWritten<D>>> check_guard_then_write(std::string_view collection,
                                                                           const pod_dispatcher::FieldUpdate<D>& u)
    {
        std::optional<D> current;
        if (auto* unit = claims_unit(); unit != nullptr && unit->copy_of<D>(u.id) != nullptr) {
            current = *unit->copy_of<D>(u.id);
        } else {
            BOOST_OUTCOME_TRY(current, find_by_id<D>(collection, u.id));
        }
        if (!current || !pod_dispatcher::guard_holds(*current, u)) {
            return std::optional<detail::FieldsWritten<D>>{};
        }
        if (!u.changes.empty()) {
            detail::Bson filter;
            detail::Bson update;
            BOOST_OUTCOME_TRY(detail::built(detail::put(filter.get(), "_id", u.id) &&
                                            detail::put_fields_update(update.get(), u.changes, u.values)));
            BOOST_OUTCOME_TRY(auto matched, connection().update_one(collection, filter.get(), update.get()));
            if (matched == 0) {
                return std::optional<detail::FieldsWritten<D>>{};
            }
        }
        return as_written(collection, u, std::move(current));
    }

    /// What a write did to before, the document as it was; nothing when there was none.
    template <pod_dispatcher::Document D>
    static std::optional<detail::FieldsWritten<D>> as_written(std::string_view collection,
                                                           const pod_dispatcher::FieldUpdate<D>& u,
                                                           std::optional<D> before)
    {
        if (!before) {
            return std::nullopt;
        }
        D after = *before;
        pod_dispatcher::apply_changes(after, u);
        return detail::FieldsWritten<D>{collection, std::string(u.id), u.changes, std::move(*before), std::move(after)};
    }

    /// Errc::duplicate_key when a dispatcher other than except holds one of pod_ids.
    Result<void> pods_free(const std::vector<std::string>& pod_ids, std::string_view except)
    {
        detail::Bson filter;
        BOOST_OUTCOME_TRY(detail::built(detail::put_holders_filter(filter.get(), pod_ids, except)));
        BOOST_OUTCOME_TRY(auto holder, connection().find_one<pod_dispatcher::PodDispatcher>(collections::dispatchers,
                                                                                           filter.get()));
        if (holder) {
            return Errc::duplicate_key;
        }
        return boost::outcome_v2::success();
    }

    /// update_dispatcher inside a transaction: one conditional update, which the
    /// transaction isolates; a read first where the server cannot check for itself that no
    /// other dispatcher holds a pod put in, or put ids in at an index.
    Result<bool> update_dispatcher_now(const pod_dispatcher::Query& q, const pod_dispatcher::DispatcherUpdate& u,
                                       const Capabilities& caps)
    {
        detail::Bson filter;
        detail::Bson update;
        BOOST_OUTCOME_TRY(detail::built(detail::put_query(filter.get(), q) && detail::put_front(filter.get(), u.dequeue)));
        const bool pods_to_check = !detail::pods_put_in(u).empty() && !caps.unique_pod_index;
        const bool queue_to_read = !u.enqueue.empty() && !caps.positional_push;
        pod_dispatcher::DispatcherUpdate written = u;
        detail::EnqueueWrite enqueue;
        if (pods_to_check || queue_to_read) {
            BOOST_OUTCOME_TRY(auto target, connection().find_one<pod_dispatcher::PodDispatcher>(collections::dispatchers,
                                                                                               filter.get()));
            if (!target) {
                return false;
            }
            if (pods_to_check) {
                BOOST_OUTCOME_TRY(pods_free(detail::pods_put_in(u), target->id));
            }
            if (queue_to_read) {
                enqueue = detail::without_position(target->task_ids, written);
            }
        }
        BOOST_OUTCOME_TRY(detail::built(detail::put_dispatcher_update(update.get(), written, enqueue)));
        BOOST_OUTCOME_TRY(auto matched, connection().update_one(collections::dispatchers, filter.get(), update.get()));
        return matched > 0;
    }

    std::unique_ptr<State> state_;
};

static_assert(pod_dispatcher::Store<MongoStore>);

} // namespace pod_dispatcher_mongo

#endif
