#ifndef POD_DISPATCHER_MONGO_DETAIL_CONNECTION_HPP
#define POD_DISPATCHER_MONGO_DETAIL_CONNECTION_HPP

// A client pool, the unit of work each thread runs on it, and the single-command
// primitives the store is built from. Each primitive is one round trip.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>
#include <pod_dispatcher_mongo/options.hpp>

#include <pod_dispatcher/current_unit.hpp>
#include <pod_dispatcher/error.hpp>

#include <boost/outcome/try.hpp>

#include <mongoc/mongoc.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace pod_dispatcher_mongo::detail {

using pod_dispatcher::Errc;
using pod_dispatcher::Result;

/// Errc::invalid_argument when a document could not be built (a value libbson refuses,
/// such as a key holding a NUL).
inline Result<void> built(bool ok)
{
    if (!ok) {
        return Errc::invalid_argument;
    }
    return boost::outcome_v2::success();
}

class Connection;
class ClaimsUnit;

/// The unit of work a thread runs on one connection; the store's calls on that thread
/// belong to it until it ends.
struct ActiveUnit {
    mongoc_client_t* client = nullptr;          ///< With transactions: the client of its session...
    mongoc_client_session_t* session = nullptr; ///< ...and the session.
    ClaimsUnit* claims = nullptr;               ///< Without transactions: what it claimed and wrote.
    bool transient_error = false;               ///< A command failed with TransientTransactionError.
    bool unknown_outcome = false;               ///< A write's reply was lost: it may have been applied.
};

/// Makes a unit the thread's current one for its connection while in scope.
using UnitScope = pd::CurrentUnit<ActiveUnit>;

/// Which version of a document findAndModify returns.
enum class Returning { before, after };

class Connection {
public:
    /// Errc::invalid_argument for a malformed URI.
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
    const MongoStoreOptions& options() const noexcept { return options_; }

    std::string last_error_message() const
    {
        std::lock_guard lock{mutex_};
        return last_error_message_;
    }

    /// Keeps a message for last_error_message().
    void record(std::string message)
    {
        std::lock_guard lock{mutex_};
        last_error_message_ = std::move(message);
    }

    /// The unit of work this thread runs on this connection, if any.
    ActiveUnit* unit() const noexcept { return UnitScope::of(this); }

    Result<void> drop_database()
    {
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

    /// The documents of a collection filter matches, decoded as T.
    template <pd::Document T>
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

    /// The first document filter matches, if any.
    template <pd::Document T>
    Result<std::optional<T>> find_one(std::string_view collection, const bson_t* filter, const bson_t* projection = nullptr)
    {
        const BsonPtr opts{projection != nullptr ? BCON_NEW("limit", BCON_INT64(1), "projection", BCON_DOCUMENT(projection))
                                                 : BCON_NEW("limit", BCON_INT64(1))};
        BOOST_OUTCOME_TRY(auto found, find<T>(collection, filter, opts.get()));
        if (found.empty()) {
            return std::optional<T>{};
        }
        return std::optional<T>{std::move(found.front())};
    }

    /// Inserts docs in order, stopping at the first that fails.
    Result<void> insert(std::string_view collection, BsonPointers docs)
    {
        Bson opts;
        return with_collection(collection, opts.get(), [&](mongoc_collection_t* c) -> Result<void> {
            Bson reply;
            bson_error_t error;
            if (!mongoc_collection_insert_many(c, docs.data(), docs.size(), opts.get(), reply.out(), &error)) {
                return fail(error, reply.get(), true);
            }
            return boost::outcome_v2::success();
        });
    }

    /// Applies an update document to the first document filter matches; how many matched.
    Result<std::int64_t> update_one(std::string_view collection, const bson_t* filter, const bson_t* update)
    {
        Bson opts;
        return with_collection(collection, opts.get(), [&](mongoc_collection_t* c) -> Result<std::int64_t> {
            Bson reply;
            bson_error_t error;
            if (!mongoc_collection_update_one(c, filter, update, opts.get(), reply.out(), &error)) {
                return fail(error, reply.get(), true);
            }
            return count_in(reply.get(), "matchedCount");
        });
    }

    /// Applies an update document to the first document filter matches and returns that
    /// document as it was before or after, decoded as T; an empty optional when none matches.
    template <pd::Document T>
    Result<std::optional<T>> find_one_and_update(std::string_view collection, const bson_t* filter,
                                                 const bson_t* update, Returning returning)
    {
        Bson session_opts;
        return with_collection(collection, session_opts.get(), [&](mongoc_collection_t* c) -> Result<std::optional<T>> {
            const FindAndModifyOptsPtr opts{mongoc_find_and_modify_opts_new()};
            const auto flags =
                returning == Returning::after ? MONGOC_FIND_AND_MODIFY_RETURN_NEW : MONGOC_FIND_AND_MODIFY_NONE;
            if (!mongoc_find_and_modify_opts_set_update(opts.get(), update) ||
                !mongoc_find_and_modify_opts_set_flags(opts.get(), flags) ||
                !mongoc_find_and_modify_opts_append(opts.get(), session_opts.get())) {
                return Errc::invalid_argument;
            }
            Bson reply;
            bson_error_t error;
            if (!mongoc_collection_find_and_modify_with_opts(c, filter, opts.get(), reply.out(), &error)) {
                return fail(error, reply.get(), true);
            }
            return returned_document<T>(collection, reply.get());
        });
    }

    /// Deletes every document filter matches; how many it deleted.
    Result<std::int64_t> delete_many(std::string_view collection, const bson_t* filter)
    {
        Bson opts;
        return with_collection(collection, opts.get(), [&](mongoc_collection_t* c) -> Result<std::int64_t> {
            Bson reply;
            bson_error_t error;
            if (!mongoc_collection_delete_many(c, filter, opts.get(), reply.out(), &error)) {
                return fail(error, reply.get(), true);
            }
            return count_in(reply.get(), "deletedCount");
        });
    }

    /// Runs a command on database db; each(done, error, reply) says what it means.
    template <class Each>
    Result<void> command(const char* db, const bson_t* cmd, Each&& each)
    {
        return with_client([&](mongoc_client_t* client, mongoc_client_session_t*) -> Result<void> {
            Bson reply;
            bson_error_t error;
            const bool done = mongoc_client_command_simple(client, db, cmd, nullptr, reply.out(), &error);
            return each(done, error, reply.get());
        });
    }

    /// Calls f(client, session) with the unit's client and session inside a transaction,
    /// else with a pooled client and no session.
    template <class F>
    auto with_client(F&& f) -> decltype(f(nullptr, nullptr))
    {
        if (auto* u = unit(); u != nullptr && u->session != nullptr) {
            return f(u->client, u->session);
        }
        PooledClient client{pool_.get()};
        return f(client.get(), static_cast<mongoc_client_session_t*>(nullptr));
    }

    mongoc_client_pool_t* pool() const noexcept { return pool_.get(); }

    /// Keeps the driver's message, notes what the failure means for the unit of work in
    /// progress, and maps it to an Errc: a duplicate key is Errc::duplicate_key, anything
    /// else Errc::store_unavailable. A write whose connection broke may have been applied.
    std::error_code fail(const bson_error_t& error, const bson_t* reply, bool write = false)
    {
        record(error.message);
        if (auto* u = unit(); u != nullptr) {
            if (reply != nullptr && mongoc_error_has_label(reply, "TransientTransactionError")) {
                u->transient_error = true;
            }
            if (write && error.domain == MONGOC_ERROR_STREAM) {
                u->unknown_outcome = true;
            }
        }
        constexpr std::uint32_t duplicate_keys[] = {11000, 11001, 12582};
        for (const std::uint32_t code : duplicate_keys) {
            if (error.code == code) {
                return Errc::duplicate_key;
            }
        }
        return Errc::store_unavailable;
    }

private:
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
        self->options_.on_command_started(StartedCommand{mongoc_apm_command_started_get_command_name(event),
                                                         *mongoc_apm_command_started_get_command(event)});
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

    static std::int64_t count_in(const bson_t* reply, const char* field)
    {
        bson_iter_t it;
        return bson_iter_init_find(&it, reply, field) ? bson_iter_as_int64(&it) : 0;
    }

    /// A stored document this store cannot read: the server holds something else there.
    std::error_code undecodable(std::string_view collection)
    {
        record("a stored document of " + std::string{collection} + " has a field of the wrong type");
        return Errc::store_unavailable;
    }

    /// The "value" of a findAndModify reply: the document, or null when none matched.
    template <pd::Document T>
    Result<std::optional<T>> returned_document(std::string_view collection, const bson_t* reply)
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

    MongoStoreOptions options_;
    std::string database_;
    PoolPtr pool_;
    mutable std::mutex mutex_; ///< Guards last_error_message_.
    std::string last_error_message_;
};

} // namespace pod_dispatcher_mongo::detail

#endif
