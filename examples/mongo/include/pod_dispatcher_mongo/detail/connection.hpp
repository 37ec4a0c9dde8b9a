#ifndef POD_DISPATCHER_MONGO_DETAIL_CONNECTION_HPP
#define POD_DISPATCHER_MONGO_DETAIL_CONNECTION_HPP

// A client pool plus what the store learnt about its server, and the single-command
// primitives the store is built from. Each primitive is one round trip.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>
#include <pod_dispatcher_mongo/options.hpp>

#include <pod_dispatcher/error.hpp>

#include <boost/outcome/try.hpp>

#include <mongoc/mongoc.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher_mongo::detail {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

/// What an update_one did.
struct UpdateOutcome {
    std::int64_t matched = 0;
    std::optional<std::string> upserted_id;
};

/// Fails with Errc::invalid_argument when a document could not be built (a value
/// libbson refuses, such as a key holding a NUL).
inline Result<void> built(bool ok)
{
    if (!ok) {
        return Errc::invalid_argument;
    }
    return boost::outcome_v2::success();
}

class Connection;

/// The unit of work in progress on this thread for one connection; store calls made
/// inside it run in its session.
struct ActiveTransaction {
    const Connection* owner;
    mongoc_client_t* client;
    mongoc_client_session_t* session;
    ActiveTransaction* outer;
    bool transient_error = false; ///< A command failed with the TransientTransactionError label.
};

inline thread_local ActiveTransaction* active_transactions = nullptr;

class Connection {
public:
    static Result<std::unique_ptr<Connection>> open(std::string_view uri_string, MongoStoreOptions options)
    {
        ensure_driver_initialised();
        auto connection = std::unique_ptr<Connection>(new Connection(std::move(options)));
        bson_error_t error;
        const std::string uri_copy{uri_string};
        UriPtr uri{mongoc_uri_new_with_error(uri_copy.c_str(), &error)};
        if (!uri) {
            connection->record(error.message);
            return Errc::invalid_argument;
        }
        apply_default_timeouts(uri.get());
        if (connection->database_.empty()) {
            const char* named = mongoc_uri_get_database(uri.get());
            connection->database_ = named != nullptr ? named : "pod_dispatcher";
        }
        connection->pool_.reset(mongoc_client_pool_new_with_error(uri.get(), &error));
        if (!connection->pool_) {
            connection->record(error.message);
            return Errc::invalid_argument;
        }
        mongoc_client_pool_set_error_api(connection->pool_.get(), MONGOC_ERROR_API_VERSION_2);
        connection->observe_commands();
        return connection;
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection()
    {
        if (options_.drop_database_on_destruction) {
            (void)drop_database();
        }
    }

    const std::string& database() const noexcept { return database_; }

    /// Held by every write and unit of work in TransactionMode::no_transactions: one at a
    /// time per connection (see MongoStore::atomically). Recursive, so a unit's writes
    /// take it again.
    std::unique_lock<std::recursive_mutex> exclusive(const Capabilities& caps)
    {
        if (caps.mode == TransactionMode::transactions) {
            return {};
        }
        return std::unique_lock{serial_};
    }

    std::string last_error_message() const
    {
        std::lock_guard lock{mutex_};
        return last_error_message_;
    }

    /// Detects the server's capabilities and creates the indexes, once per connection.
    Result<Capabilities> capabilities()
    {
        std::lock_guard lock{setup_mutex_};
        if (!capabilities_) {
            BOOST_OUTCOME_TRY(capabilities_, detect());
        }
        return capabilities_.value();
    }

    /// Drops the database; the next call that needs the server sets it up again.
    Result<void> drop_database()
    {
        {
            std::lock_guard lock{setup_mutex_};
            capabilities_.reset();
        }
        return with_client([&](mongoc_client_t* client, mongoc_client_session_t*) -> Result<void> {
            DatabasePtr db{mongoc_client_get_database(client, database_.c_str())};
            bson_error_t error;
            if (!mongoc_database_drop_with_opts(db.get(), nullptr, &error)) {
                return fail(error, nullptr);
            }
            return boost::outcome_v2::success();
        });
    }

    // ---- Single-command primitives. Inside a transaction they use its session.

    /// Documents of a collection that filter matches, decoded as T.
    template <Document T>
    Result<std::vector<T>> find(std::string_view collection, const bson_t* filter, bson_t* opts)
    {
        return with_collection(collection, opts, [&](mongoc_collection_t* c) -> Result<std::vector<T>> {
            CursorPtr cursor{mongoc_collection_find_with_opts(c, filter, opts, nullptr)};
            std::vector<T> found;
            const bson_t* doc = nullptr;
            while (mongoc_cursor_next(cursor.get(), &doc)) {
                if (!decode(doc, found.emplace_back())) {
                    return undecodable(collection);
                }
            }
            bson_error_t error;
            const bson_t* reply = nullptr;
            if (mongoc_cursor_error_document(cursor.get(), &error, &reply)) {
                return fail(error, reply);
            }
            return found;
        });
    }

    Result<void> insert_many(std::string_view collection, BsonPointers docs)
    {
        Bson opts;
        return with_collection(collection, opts.get(), [&](mongoc_collection_t* c) -> Result<void> {
            Bson reply;
            bson_error_t error;
            if (!mongoc_collection_insert_many(c, docs.data(), docs.size(), opts.get(), reply.out(), &error)) {
                return fail(error, reply.get());
            }
            return boost::outcome_v2::success();
        });
    }

    /// Applies an update document (with operators) to the first document filter matches;
    /// with upsert, inserts one when none matches.
    Result<UpdateOutcome> update_one(std::string_view collection, const bson_t* filter, const bson_t* update,
                                     bool upsert)
    {
        const BsonPtr opts{BCON_NEW("upsert", BCON_BOOL(upsert))};
        return write_one(mongoc_collection_update_one, collection, filter, update, opts.get());
    }

    /// Replaces the first document filter matches.
    Result<UpdateOutcome> replace_one(std::string_view collection, const bson_t* filter, const bson_t* replacement)
    {
        Bson opts;
        return write_one(mongoc_collection_replace_one, collection, filter, replacement, opts.get());
    }

    /// Applies an update document to the first document filter matches and returns that
    /// document as updated, decoded as T; an empty optional when none matches.
    template <Document T>
    Result<std::optional<T>> find_one_and_update(std::string_view collection, const bson_t* filter,
                                                 const bson_t* update)
    {
        Bson session_opts;
        return with_collection(collection, session_opts.get(), [&](mongoc_collection_t* c) -> Result<std::optional<T>> {
            const FindAndModifyOptsPtr opts{mongoc_find_and_modify_opts_new()};
            if (!mongoc_find_and_modify_opts_set_update(opts.get(), update)
                || !mongoc_find_and_modify_opts_set_flags(opts.get(), MONGOC_FIND_AND_MODIFY_RETURN_NEW)
                || !mongoc_find_and_modify_opts_append(opts.get(), session_opts.get())) {
                return Errc::invalid_argument;
            }
            Bson reply;
            bson_error_t error;
            if (!mongoc_collection_find_and_modify_with_opts(c, filter, opts.get(), reply.out(), &error)) {
                return fail(error, reply.get());
            }
            return updated_document<T>(collection, reply.get());
        });
    }

    // ---- Units of work.

    /// The transaction this thread runs on this connection, if any.
    ActiveTransaction* transaction() const noexcept
    {
        for (auto* t = active_transactions; t != nullptr; t = t->outer) {
            if (t->owner == this) {
                return t;
            }
        }
        return nullptr;
    }

    /// Runs work in a transaction on one session, retrying the whole of it on a
    /// TransientTransactionError and the commit on an UnknownTransactionCommitResult,
    /// as the drivers' transaction specification asks.
    template <class Work>
    Result<void> run_transaction(Work& work)
    {
        PooledClient client{pool_.get()};
        bson_error_t error;
        SessionPtr session{mongoc_client_start_session(client.get(), nullptr, &error)};
        if (!session) {
            return fail(error, nullptr);
        }
        ActiveTransaction transaction{this, client.get(), session.get(), active_transactions};
        const TransactionScope scope{transaction};
        const auto deadline = std::chrono::steady_clock::now() + transaction_retry_time;
        const auto may_retry = [&] { return std::chrono::steady_clock::now() < deadline; };
        for (;;) {
            transaction.transient_error = false;
            if (!mongoc_client_session_start_transaction(session.get(), nullptr, &error)) {
                return fail(error, nullptr);
            }
            auto done = work();
            if (!done) {
                (void)mongoc_client_session_abort_transaction(session.get(), &error);
                if (transaction.transient_error && may_retry()) {
                    continue;
                }
                return done;
            }
            const auto committed = commit(session.get(), may_retry);
            if (committed == CommitResult::committed) {
                return boost::outcome_v2::success();
            }
            if (committed == CommitResult::failed || !may_retry()) {
                return Errc::store_unavailable;
            }
        }
    }

private:
    static constexpr auto transaction_retry_time = std::chrono::seconds{60};

    explicit Connection(MongoStoreOptions options) : options_(std::move(options)), database_(options_.database) {}

    static void apply_default_timeouts(mongoc_uri_t* uri)
    {
        // Fail fast when the server is away; the URI may ask for other values.
        for (const char* option : {MONGOC_URI_SERVERSELECTIONTIMEOUTMS, MONGOC_URI_CONNECTTIMEOUTMS}) {
            if (!mongoc_uri_has_option(uri, option)) {
                (void)mongoc_uri_set_option_as_int32(uri, option, 2000);
            }
        }
    }

    static void command_started(const mongoc_apm_command_started_t* event)
    {
        const auto* self = static_cast<const Connection*>(mongoc_apm_command_started_get_context(event));
        self->options_.on_command_started(mongoc_apm_command_started_get_command_name(event));
    }

    void observe_commands()
    {
        if (!options_.on_command_started) {
            return;
        }
        ApmCallbacksPtr callbacks{mongoc_apm_callbacks_new()};
        mongoc_apm_set_command_started_cb(callbacks.get(), &Connection::command_started);
        mongoc_client_pool_set_apm_callbacks(pool_.get(), callbacks.get(), this);
    }

    void record(std::string message)
    {
        std::lock_guard lock{mutex_};
        last_error_message_ = std::move(message);
    }

    static bool is_duplicate_key(std::uint32_t code) noexcept
    {
        return code == 11000 || code == 11001 || code == 12582;
    }

    /// Keeps the driver's message, notes a transient transaction error, and maps the
    /// failure to an Errc.
    std::error_code fail(const bson_error_t& error, const bson_t* reply)
    {
        record(error.message);
        if (auto* t = transaction(); t != nullptr && reply != nullptr
            && mongoc_error_has_label(reply, "TransientTransactionError")) {
            t->transient_error = true;
        }
        return is_duplicate_key(error.code) ? Errc::duplicate_key : Errc::store_unavailable;
    }

    Result<UpdateOutcome> outcome_of(bool ok, const bson_error_t& error, const bson_t* reply)
    {
        if (!ok) {
            return fail(error, reply);
        }
        UpdateOutcome outcome;
        bson_iter_t it;
        if (bson_iter_init_find(&it, reply, "matchedCount")) {
            outcome.matched = bson_iter_as_int64(&it);
        }
        if (bson_iter_init_find(&it, reply, "upsertedId")) {
            if (!get(&it, outcome.upserted_id.emplace())) {
                outcome.upserted_id.reset();
            }
        }
        return outcome;
    }

    /// A stored document this store cannot read: the server holds something else there.
    std::error_code undecodable(std::string_view collection)
    {
        record("a stored document of " + std::string{collection} + " has a field of the wrong type");
        return Errc::store_unavailable;
    }

    /// The "value" of a findAndModify reply: the document, or null when none matched.
    template <Document T>
    Result<std::optional<T>> updated_document(std::string_view collection, const bson_t* reply)
    {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, reply, "value") || BSON_ITER_HOLDS_NULL(&it)) {
            return std::optional<T>{};
        }
        std::optional<T> doc{T{}};
        if (!get(&it, *doc)) {
            return undecodable(collection);
        }
        return doc;
    }

    /// mongoc_collection_update_one or mongoc_collection_replace_one.
    using WriteOne = bool (*)(mongoc_collection_t*, const bson_t*, const bson_t*, const bson_t*, bson_t*,
                              bson_error_t*);

    Result<UpdateOutcome> write_one(WriteOne write, std::string_view collection, const bson_t* filter,
                                    const bson_t* doc, bson_t* opts)
    {
        return with_collection(collection, opts, [&](mongoc_collection_t* c) {
            Bson reply;
            bson_error_t error;
            const bool ok = write(c, filter, doc, opts, reply.out(), &error);
            return outcome_of(ok, error, reply.get());
        });
    }

    /// Calls f(client, session) with the transaction's client, else a pooled one.
    template <class F>
    auto with_client(F&& f) -> decltype(f(nullptr, nullptr))
    {
        if (auto* t = transaction()) {
            return f(t->client, t->session);
        }
        PooledClient client{pool_.get()};
        return f(client.get(), static_cast<mongoc_client_session_t*>(nullptr));
    }

    /// Calls f(collection) after adding the session, if any, to opts.
    template <class F>
    auto with_collection(std::string_view name, bson_t* opts, F&& f) -> decltype(f(nullptr))
    {
        return with_client([&](mongoc_client_t* client, mongoc_client_session_t* session) -> decltype(f(nullptr)) {
            bson_error_t error;
            if (session != nullptr && !mongoc_client_session_append(session, opts, &error)) {
                return fail(error, nullptr);
            }
            const std::string collection{name};
            CollectionPtr c{mongoc_client_get_collection(client, database_.c_str(), collection.c_str())};
            return f(c.get());
        });
    }

    /// Runs a command on the admin or store database; the reply is passed to each.
    template <class Each>
    Result<void> command(const char* db, const bson_t* cmd, Each&& each)
    {
        return with_client([&](mongoc_client_t* client, mongoc_client_session_t*) -> Result<void> {
            Bson reply;
            bson_error_t error;
            if (!mongoc_client_command_simple(client, db, cmd, nullptr, reply.out(), &error)) {
                return each(false, error, reply.get());
            }
            return each(true, error, reply.get());
        });
    }

    static BsonPtr create_indexes_command(const char* collection, const BsonPtr& index)
    {
        return BsonPtr{BCON_NEW("createIndexes", BCON_UTF8(collection), "indexes", "[", BCON_DOCUMENT(index.get()), "]")};
    }

    /// Creates an index the store needs; the server refusing it is an error.
    Result<void> create_index(const char* collection, const BsonPtr& index)
    {
        return command(database_.c_str(), create_indexes_command(collection, index).get(),
                       [&](bool done, const bson_error_t& error, const bson_t* reply) -> Result<void> {
                           if (!done) {
                               return fail(error, reply);
                           }
                           return boost::outcome_v2::success();
                       });
    }

    /// Creates an index the server may not support; reports whether it did.
    Result<bool> try_create_index(const char* collection, const BsonPtr& index)
    {
        bool created = false;
        BOOST_OUTCOME_TRY(command(database_.c_str(), create_indexes_command(collection, index).get(),
                                  [&](bool done, const bson_error_t& error, const bson_t*) -> Result<void> {
                                      BOOST_OUTCOME_TRY(created, accepted(done, error));
                                      return boost::outcome_v2::success();
                                  }));
        return created;
    }

    /// Whether the server accepted a command: refusing it (a server error) is false;
    /// failing to reach the server is an error.
    Result<bool> accepted(bool done, const bson_error_t& error)
    {
        if (!done && error.domain != MONGOC_ERROR_SERVER) {
            return fail(error, nullptr);
        }
        return done;
    }

    Result<bool> understands_slice_projection()
    {
        const BsonPtr filter{BCON_NEW("_id", BCON_UTF8(""))};
        const BsonPtr opts{BCON_NEW("limit", BCON_INT64(1), "projection", "{", "task_ids", "{", "$slice",
                                    BCON_INT32(1), "}", "}")};
        return with_collection("pod_dispatchers", opts.get(), [&](mongoc_collection_t* c) -> Result<bool> {
            CursorPtr cursor{mongoc_collection_find_with_opts(c, filter.get(), opts.get(), nullptr)};
            const bson_t* doc = nullptr;
            while (mongoc_cursor_next(cursor.get(), &doc)) {
            }
            bson_error_t error;
            return accepted(!mongoc_cursor_error(cursor.get(), &error), error);
        });
    }

    /// Transactions need a replica set or a sharded cluster (hello's setName, or msg
    /// "isdbgrid"), and a server that implements them: some servers that speak the
    /// protocol report a set name yet ignore transactions, so the store also checks that
    /// the server knows commitTransaction.
    Result<TransactionMode> detect_mode()
    {
        bool replicated = false;
        const BsonPtr hello{BCON_NEW("hello", BCON_INT32(1))};
        BOOST_OUTCOME_TRY(command("admin", hello.get(), [&](bool done, const bson_error_t& error, const bson_t* reply) {
            if (!done) {
                return Result<void>{fail(error, reply)};
            }
            bson_iter_t it;
            std::string msg;
            replicated = bson_iter_init_find(&it, reply, "setName")
                || (bson_iter_init_find(&it, reply, "msg") && get(&it, msg) && msg == "isdbgrid");
            return Result<void>{boost::outcome_v2::success()};
        }));
        if (!replicated) {
            return TransactionMode::no_transactions;
        }
        bool known = true;
        const BsonPtr commit{BCON_NEW("commitTransaction", BCON_INT32(1))};
        BOOST_OUTCOME_TRY(command("admin", commit.get(), [&](bool done, const bson_error_t& error, const bson_t*) {
            constexpr std::uint32_t command_not_found = 59;
            known = done || error.domain != MONGOC_ERROR_SERVER || error.code != command_not_found;
            return Result<void>{boost::outcome_v2::success()};
        }));
        return known ? TransactionMode::transactions : TransactionMode::no_transactions;
    }

    /// Creates the indexes and finds out what the server supports.
    Result<Capabilities> detect()
    {
        BOOST_OUTCOME_TRY(create_index("pod_dispatchers", BsonPtr{BCON_NEW(
            "key", "{", "group_id", BCON_INT32(1), "}", "name", BCON_UTF8("group_id_1"), "unique", BCON_BOOL(true))}));
        // An empty pod_ids must not count as a value, or two dispatchers without pods
        // would collide: the index holds only documents that hold a pod.
        BOOST_OUTCOME_TRY(auto pods_unique, try_create_index("pod_dispatchers", BsonPtr{BCON_NEW(
            "key", "{", "pod_ids", BCON_INT32(1), "}", "name", BCON_UTF8("pod_ids_1"), "unique", BCON_BOOL(true),
            "partialFilterExpression", "{", "pod_ids", "{", "$type", BCON_UTF8("string"), "}", "}")}));
        BOOST_OUTCOME_TRY(create_index("events", BsonPtr{BCON_NEW(
            "key", "{", "resource_id", BCON_INT32(1), "}", "name", BCON_UTF8("resource_id_1"))}));
        BOOST_OUTCOME_TRY(auto slice, understands_slice_projection());
        BOOST_OUTCOME_TRY(auto mode, detect_mode());
        return Capabilities{.mode = mode, .unique_pod_index = pods_unique, .slice_projection = slice};
    }

    enum class CommitResult { committed, transient_error, failed };

    template <class MayRetry>
    CommitResult commit(mongoc_client_session_t* session, const MayRetry& may_retry)
    {
        for (;;) {
            Bson reply;
            bson_error_t error;
            if (mongoc_client_session_commit_transaction(session, reply.out(), &error)) {
                return CommitResult::committed;
            }
            record(error.message);
            if (mongoc_error_has_label(reply.get(), "UnknownTransactionCommitResult") && may_retry()) {
                continue;
            }
            return mongoc_error_has_label(reply.get(), "TransientTransactionError") ? CommitResult::transient_error
                                                                                    : CommitResult::failed;
        }
    }

    /// Makes a transaction the thread's current one for this connection while in scope.
    class TransactionScope {
    public:
        explicit TransactionScope(ActiveTransaction& t) noexcept : t_(t) { active_transactions = &t; }
        ~TransactionScope() { active_transactions = t_.outer; }
        TransactionScope(const TransactionScope&) = delete;
        TransactionScope& operator=(const TransactionScope&) = delete;

    private:
        ActiveTransaction& t_;
    };

    MongoStoreOptions options_;
    std::string database_;
    PoolPtr pool_;
    mutable std::mutex mutex_; ///< Guards last_error_message_.
    std::string last_error_message_;
    std::mutex setup_mutex_; ///< Guards capabilities_.
    std::recursive_mutex serial_;
    std::optional<Capabilities> capabilities_;
};

} // namespace pod_dispatcher_mongo::detail

#endif
