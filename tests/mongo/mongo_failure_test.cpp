// What MongoStore does when the server is away or the URI is wrong, and what needs no
// server at all.

#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>

namespace pd = pod_dispatcher;
using pod_dispatcher::Errc;
using pod_dispatcher_mongo::MongoStore;

TEST_CASE("MongoStore reports an unreachable server as store_unavailable")
{
    // Nothing listens on port 1 of the loopback interface.
    auto opened = MongoStore::open("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200&connectTimeoutMS=200");
    REQUIRE(opened);
    auto& store = opened.value();
    const auto start = std::chrono::steady_clock::now();

    SECTION("every member fails, keeping the driver's message")
    {
        CHECK(store.find_task("t").error() == Errc::store_unavailable);
        CHECK_FALSE(store.last_error_message().empty());
        CHECK(store.insert_task(pd::Task{.id = "t"}).error() == Errc::store_unavailable);
        CHECK(store.find_dispatchers(pd::Query{}).error() == Errc::store_unavailable);
        CHECK(store.mode().error() == Errc::store_unavailable);
        CHECK(store.atomically([] { return pd::Result<void>{boost::outcome_v2::success()}; }).error()
              == Errc::store_unavailable);
        CHECK(store.events_for("t").error() == Errc::store_unavailable);
        CHECK(store.snapshot().error() == Errc::store_unavailable);
        CHECK(store.find_pods(pd::PodQuery{}).error() == Errc::store_unavailable);
        CHECK_FALSE(store.rolls_back());
        // Not knowing the server's mode, it takes the safe side: one more read.
        CHECK(store.keeps_units_apart_by_dispatcher());
    }
    SECTION("quickly")
    {
        CHECK(store.find_pod("p").error() == Errc::store_unavailable);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{5});
    }
}

TEST_CASE("MongoStore refuses a malformed URI")
{
    CHECK(MongoStore::open("not a uri").error() == Errc::invalid_argument);
    CHECK(MongoStore::open("mongodb://").error() == Errc::invalid_argument);
}

TEST_CASE("MongoStore's uri_naming_database names a database in a URI, keeping hosts and options")
{
    using pod_dispatcher_mongo::uri_naming_database;
    CHECK(uri_naming_database("mongodb://h:1/", "d") == "mongodb://h:1/d");
    CHECK(uri_naming_database("mongodb://h:1", "d") == "mongodb://h:1/d");
    CHECK(uri_naming_database("mongodb://h:1,g:2/old?replicaSet=r", "d") == "mongodb://h:1,g:2/d?replicaSet=r");
    CHECK(uri_naming_database("mongodb://h:1?w=1", "d") == "mongodb://h:1/d?w=1");
}
