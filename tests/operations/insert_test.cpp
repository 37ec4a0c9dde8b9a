// insert, upsert_atomically and upsert_one: the writes of a whole dispatcher.

#include "support/documents.hpp"
#include "support/store_types.hpp"
#include "support/unchanged.hpp"

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

DispatcherUpdate setting(std::string id, std::string group_id, std::vector<std::string> pod_ids,
                         std::vector<std::string> task_ids)
{
    DispatcherUpdate u;
    u.id = std::move(id);
    u.group_id = std::move(group_id);
    u.pod_ids = std::move(pod_ids);
    u.task_ids = std::move(task_ids);
    u.last_modified = Timestamp{std::chrono::milliseconds{1'800'000'000'123}};
    return u;
}

} // namespace

TEMPLATE_LIST_TEST_CASE("insert", "[insert]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    PodDispatcher d = new_pod_dispatcher("group", {"t1", "t2"}, {"p1"});
    d.modification_count = 7;
    d.last_modified = Timestamp{std::chrono::milliseconds{1'800'000'000'123}};

    SECTION("stores the dispatcher exactly as given")
    {
        REQUIRE(d.insert(store));
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("an id or group already stored is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged<TestType> unchanged{store};
        PodDispatcher same_id = new_pod_dispatcher("other-group", {}, {});
        same_id.id = d.id;
        REQUIRE(same_id.insert(store).error() == Errc::duplicate_key);
        REQUIRE(new_pod_dispatcher("group", {}, {}).insert(store).error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("a pod another dispatcher holds is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged<TestType> unchanged{store};
        REQUIRE(new_pod_dispatcher("other-group", {}, {"p1"}).insert(store).error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("bad input is invalid_argument, and nothing is written")
    {
        const Unchanged<TestType> unchanged{store};
        REQUIRE(new_pod_dispatcher("", {}, {}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {}, {"p1", "p1"}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {"t1", "t1"}, {}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {""}, {}).insert(store).error() == Errc::invalid_argument);
        PodDispatcher no_id = new_pod_dispatcher("g", {}, {});
        no_id.id.clear();
        REQUIRE(no_id.insert(store).error() == Errc::invalid_argument);
        PodDispatcher negative = new_pod_dispatcher("g", {}, {});
        negative.modification_count = -1;
        REQUIRE(negative.insert(store).error() == Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}

TEMPLATE_LIST_TEST_CASE("upsert_atomically", "[upsert_atomically]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    PodDispatcher d = new_pod_dispatcher("group", {"t1"}, {"p1"});

    SECTION("inserts an absent dispatcher with count + 1")
    {
        const Timestamp before = now();
        auto info = d.upsert_atomically(store);
        REQUIRE(info);
        REQUIRE(info.value().updated == 1);
        REQUIRE(info.value().upserted_id == d.id);
        REQUIRE(d.modification_count == 1);
        REQUIRE(d.last_modified >= before);
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("replaces the pods, tasks and last_modified of a stored one and bumps the count")
    {
        seed(store, d);
        d.task_ids = {"t1", "t2"};
        d.pod_ids = {"p1", "p2"};
        auto info = d.upsert_atomically(store);
        REQUIRE(info);
        REQUIRE(info.value().updated == 1);
        REQUIRE_FALSE(info.value().upserted_id);
        REQUIRE(d.modification_count == 1);
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("a stale copy is an error, and neither the store nor the copy changes")
    {
        seed(store, d);
        PodDispatcher newer = d;
        REQUIRE(newer.upsert_atomically(store));
        const Unchanged<TestType> unchanged{store};
        d.task_ids.push_back("t2");
        const PodDispatcher stale = d;
        const auto result = d.upsert_atomically(store);
        REQUIRE_FALSE(result);
        REQUIRE((result.error() == Errc::conflict || result.error() == Errc::duplicate_key));
        REQUIRE(d == stale);
        REQUIRE(unchanged());
    }
    SECTION("a second dispatcher for a stored group is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged<TestType> unchanged{store};
        PodDispatcher twin = new_pod_dispatcher("group", {"t9"}, {"p9"});
        const PodDispatcher copy = twin;
        REQUIRE(twin.upsert_atomically(store).error() == Errc::duplicate_key);
        REQUIRE(twin == copy);
        REQUIRE(unchanged());
    }
    SECTION("a pod held by another dispatcher is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged<TestType> unchanged{store};
        PodDispatcher other = new_pod_dispatcher("other", {"t9"}, {"p1"});
        REQUIRE(other.upsert_atomically(store).error() == Errc::duplicate_key);
        REQUIRE(other.modification_count == 0);
        REQUIRE(unchanged());
    }
    SECTION("a pod id given twice is invalid_argument, and nothing is written")
    {
        const Unchanged<TestType> unchanged{store};
        d.pod_ids = {"p1", "p1"};
        REQUIRE(d.upsert_atomically(store).error() == Errc::invalid_argument);
        REQUIRE(d.modification_count == 0);
        REQUIRE(unchanged());
    }
}

TEMPLATE_LIST_TEST_CASE("upsert_one", "[upsert_one]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;

    SECTION("an upsert that inserts stores the query's count + 1")
    {
        Query q = by_group_id("group");
        q.modification_count = 41;
        auto info = upsert_one(store, q, setting("0123456789abcdef01234567", "group", {"p1"}, {"t1"}));
        REQUIRE(info);
        REQUIRE(info.value() == ChangeInfo{1, 0, "0123456789abcdef01234567"});
        const PodDispatcher stored = stored_dispatcher(store, "0123456789abcdef01234567");
        REQUIRE(stored.modification_count == 42);
        REQUIRE(stored.group_id == "group");
        REQUIRE(stored.pod_ids == std::vector<std::string>{"p1"});
        REQUIRE(stored.task_ids == std::vector<std::string>{"t1"});
        REQUIRE(stored.last_modified == Timestamp{std::chrono::milliseconds{1'800'000'000'123}});
    }
    SECTION("an upsert that matches updates the stored dispatcher")
    {
        const PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        auto info = upsert_one(store, by_group_id("group"), setting(d.id, "group", {"p1", "p2"}, {}));
        REQUIRE(info);
        REQUIRE(info.value() == ChangeInfo{1, 0, std::nullopt});
        const PodDispatcher stored = stored_dispatcher(store, d.id);
        REQUIRE(stored.modification_count == 1);
        REQUIRE(stored.pod_ids == std::vector<std::string>{"p1", "p2"});
        REQUIRE(stored.task_ids.empty());
    }
    SECTION("an insert that would repeat a group is duplicate_key, and nothing is written")
    {
        seed(store, new_pod_dispatcher("group", {}, {}));
        const Unchanged<TestType> unchanged{store};
        REQUIRE(upsert_one(store, by_id("0123456789abcdef01234567"),
                           setting("0123456789abcdef01234567", "group", {}, {}))
                    .error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("bad input is invalid_argument, and nothing is written")
    {
        const Unchanged<TestType> unchanged{store};
        REQUIRE(upsert_one(store, by_group_id("g"), setting("", "g", {}, {})).error() == Errc::invalid_argument);
        REQUIRE(upsert_one(store, by_group_id("g"), setting("id", "g", {"p", "p"}, {})).error() ==
                Errc::invalid_argument);
        REQUIRE(upsert_one(store, by_group_id(""), setting("id", "g", {}, {})).error() == Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}
