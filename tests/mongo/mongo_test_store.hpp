#ifndef POD_DISPATCHER_TESTS_MONGO_TEST_STORE_HPP
#define POD_DISPATCHER_TESTS_MONGO_TEST_STORE_HPP

// A MongoStore on a fresh database of the server POD_DISPATCHER_MONGODB_URI names;
// the test is skipped, with the reason, when the variable is not set.

#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher_mongo::test {

/// Keeps the driver's warnings (e.g. a server without endSessions) out of test output;
/// errors still show.
inline void quiet_driver_log()
{
    static const bool installed = [] {
        mongoc_log_set_handler(
            [](mongoc_log_level_t level, const char* domain, const char* message, void* data) {
                if (level <= MONGOC_LOG_LEVEL_ERROR) {
                    mongoc_log_default_handler(level, domain, message, data);
                }
            },
            nullptr);
        return true;
    }();
    (void)installed;
}

/// The server URI, or a SKIP of the calling test when there is none.
inline std::string server_uri()
{
    quiet_driver_log();
    const char* uri = std::getenv("POD_DISPATCHER_MONGODB_URI");
    if (uri == nullptr || *uri == '\0') {
        SKIP("POD_DISPATCHER_MONGODB_URI is not set; run through tests/mongo/with_ferretdb.sh");
    }
    return uri;
}

/// A timestamp ms milliseconds after the epoch.
inline pod_dispatcher::Timestamp at(std::int64_t ms)
{
    return pod_dispatcher::Timestamp{std::chrono::milliseconds{ms}};
}

/// A database name no other test uses.
inline std::string fresh_database_name()
{
    static constexpr char hex[] = "0123456789abcdef";
    std::random_device random;
    std::string name = "pod_dispatcher_test_";
    for (int i = 0; i < 16; ++i) {
        name += hex[random() % 16];
    }
    return name;
}

/// A store on an empty database, dropped with the store.
inline std::unique_ptr<MongoStore> fresh_store(MongoStoreOptions options = {})
{
    options.database = fresh_database_name();
    options.drop_database_on_destruction = true;
    auto store = MongoStore::open(server_uri(), std::move(options));
    REQUIRE(store);
    return std::make_unique<MongoStore>(std::move(store).value());
}

/// The server's URI naming the store's database: where another store object, in this
/// process or another, opens the same data.
inline std::string location_of(const MongoStore& store)
{
    return uri_naming_database(server_uri(), store.database());
}

/// Calls f(collection) with a bare driver handle on one of the store's collections, as
/// another client would see it.
template <class F>
void with_bare_collection(const MongoStore& store, std::string_view collection, F&& f)
{
    detail::ensure_driver_initialised();
    mongoc_client_t* client = mongoc_client_new(server_uri().c_str());
    REQUIRE(client != nullptr);
    mongoc_collection_t* c =
        mongoc_client_get_collection(client, store.database().c_str(), std::string(collection).c_str());
    f(c);
    mongoc_collection_destroy(c);
    mongoc_client_destroy(client);
}

/// Inserts doc as another client would; takes ownership of it.
inline void insert_bare(const MongoStore& store, std::string_view collection, bson_t* doc)
{
    with_bare_collection(store, collection, [&](mongoc_collection_t* c) {
        bson_error_t error;
        CHECK(mongoc_collection_insert_one(c, doc, nullptr, nullptr, &error));
    });
    bson_destroy(doc);
}

/// The string _ids of a collection's documents, in order.
inline std::vector<std::string> stored_ids(const MongoStore& store, std::string_view collection)
{
    std::vector<std::string> ids;
    with_bare_collection(store, collection, [&](mongoc_collection_t* c) {
        bson_t everything = BSON_INITIALIZER;
        bson_t* sorted = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
        mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(c, &everything, sorted, nullptr);
        const bson_t* doc = nullptr;
        while (mongoc_cursor_next(cursor, &doc)) {
            bson_iter_t it;
            if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_UTF8(&it)) {
                ids.emplace_back(bson_iter_utf8(&it, nullptr));
            }
        }
        CHECK_FALSE(mongoc_cursor_error(cursor, nullptr));
        mongoc_cursor_destroy(cursor);
        bson_destroy(sorted);
    });
    return ids;
}

} // namespace pod_dispatcher_mongo::test

#endif
