#ifndef POD_DISPATCHER_TESTING_SUITES_FIND_HPP
#define POD_DISPATCHER_TESTING_SUITES_FIND_HPP

// find, find_one and the find_one_by_* queries.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace pod_dispatcher::testing {

template <StoreMaker M>
void find_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const PodDispatcher a = new_pod_dispatcher("group-a", {"t1", "t2"}, {"p1"});
    const PodDispatcher b = new_pod_dispatcher("group-b", {"t3"}, {"p2", "p3"});
    seed(store, a);
    seed(store, b);

    SECTION("Query{} matches every dispatcher, by id")
    {
        auto all = find(store, Query{});
        REQUIRE(all);
        auto expected = std::vector<PodDispatcher>{a, b};
        std::ranges::sort(expected, {}, &PodDispatcher::id);
        REQUIRE(all.value() == expected);
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
        q.pod_id = "p2";
        REQUIRE(find(store, q).value().empty());
    }
    SECTION("a query matching nothing finds nothing")
    {
        REQUIRE(find(store, by_group_id("no-such-group")).value().empty());
    }
    SECTION("an empty id or a negative count in a query is invalid_argument")
    {
        REQUIRE(find(store, by_id("")).error() == Errc::invalid_argument);
        REQUIRE(find(store, by_group_id("")).error() == Errc::invalid_argument);
        REQUIRE(find(store, by_pod_id("")).error() == Errc::invalid_argument);
        Query negative;
        negative.modification_count = -1;
        REQUIRE(find(store, negative).error() == Errc::invalid_argument);
    }
}

template <StoreMaker M>
void find_one_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    const PodDispatcher a = new_pod_dispatcher("group-a", {"t1", "t2"}, {"p1", "p2"});
    seed(store, a);

    SECTION("finds the dispatcher with its whole queue and all its pods")
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

} // namespace pod_dispatcher::testing

#endif
