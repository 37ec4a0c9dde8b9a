// find, find_one and the find_one_by_* queries; new_pod_dispatcher and get_group_id.

#include "support/documents.hpp"
#include "support/store_types.hpp"

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <set>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

TEST_CASE("new_pod_dispatcher", "[new_pod_dispatcher]")
{
    SECTION("gives a fresh id of 24 lowercase hex characters and count 0")
    {
        const PodDispatcher d = new_pod_dispatcher("group", {"t1"}, {"p1"});
        REQUIRE(d.id.size() == 24);
        REQUIRE(std::ranges::all_of(d.id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
        REQUIRE(d.group_id == "group");
        REQUIRE(d.task_ids == std::vector<std::string>{"t1"});
        REQUIRE(d.pod_ids == std::vector<std::string>{"p1"});
        REQUIRE(d.modification_count == 0);
        REQUIRE(d.last_modified == Timestamp{});
    }
    SECTION("never repeats an id")
    {
        std::set<std::string> ids;
        for (int i = 0; i < 10'000; ++i) {
            ids.insert(new_pod_dispatcher("g", {}, {}).id);
        }
        REQUIRE(ids.size() == 10'000);
    }
}

TEST_CASE("get_group_id", "[get_group_id]")
{
    REQUIRE(get_group_id(allocatable_task("t1")) == "t1");
}

TEMPLATE_LIST_TEST_CASE("find", "[find]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    const PodDispatcher a = new_pod_dispatcher("group-a", {"t1", "t2"}, {"p1"});
    const PodDispatcher b = new_pod_dispatcher("group-b", {"t3"}, {"p2", "p3"});
    seed(store, a);
    seed(store, b);

    SECTION("Query{} matches every dispatcher")
    {
        auto all = find(store, Query{});
        REQUIRE(all);
        std::ranges::sort(all.value(), {}, &PodDispatcher::group_id);
        REQUIRE(all.value() == std::vector<PodDispatcher>{a, b});
    }
    SECTION("by_id, by_group_id and by_pod_id match one dispatcher each")
    {
        REQUIRE(find(store, by_id(a.id)).value() == std::vector<PodDispatcher>{a});
        REQUIRE(find(store, by_group_id("group-b")).value() == std::vector<PodDispatcher>{b});
        REQUIRE(find(store, by_pod_id("p3")).value() == std::vector<PodDispatcher>{b});
    }
    SECTION("a query's conditions all have to hold")
    {
        Query q = by_id(a.id);
        q.modification_count = 1;
        REQUIRE(find(store, q).value().empty());
        q.modification_count = 0;
        q.pod_id = "p1";
        REQUIRE(find(store, q).value() == std::vector<PodDispatcher>{a});
    }
    SECTION("a query matching nothing finds nothing")
    {
        REQUIRE(find(store, by_group_id("no-such-group")).value().empty());
    }
    SECTION("an empty id in a query is invalid_argument")
    {
        REQUIRE(find(store, by_id("")).error() == Errc::invalid_argument);
        REQUIRE(find(store, by_pod_id("")).error() == Errc::invalid_argument);
    }
}

TEMPLATE_LIST_TEST_CASE("find_one", "[find_one]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    const PodDispatcher a = new_pod_dispatcher("group-a", {"t1", "t2"}, {"p1", "p2"});
    seed(store, a);

    SECTION("finds the dispatcher with its whole queue")
    {
        REQUIRE(find_one(store, by_group_id("group-a")).value() == a);
        REQUIRE(find_one_by_id(store, a.id).value() == a);
        REQUIRE(find_one_by_group_id(store, "group-a").value() == a);
        REQUIRE(find_one_by_pod_id(store, "p2").value() == a);
    }
    SECTION("gives an empty optional when none matches")
    {
        REQUIRE(find_one(store, by_id("0123456789abcdef01234567")).value() == std::nullopt);
        REQUIRE(find_one_by_group_id(store, "group-b").value() == std::nullopt);
        REQUIRE(find_one_by_pod_id(store, "p9").value() == std::nullopt);
    }
    SECTION("an empty id is invalid_argument")
    {
        REQUIRE(find_one_by_id(store, "").error() == Errc::invalid_argument);
        REQUIRE(find_one_by_group_id(store, "").error() == Errc::invalid_argument);
        REQUIRE(find_one_by_pod_id(store, "").error() == Errc::invalid_argument);
    }
}
