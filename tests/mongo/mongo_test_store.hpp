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

} // namespace pod_dispatcher_mongo::test

#endif
