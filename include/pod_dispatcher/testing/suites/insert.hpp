#ifndef POD_DISPATCHER_TESTING_SUITES_INSERT_HPP
#define POD_DISPATCHER_TESTING_SUITES_INSERT_HPP

// insert, upsert_atomically and upsert_one: the writes of a whole dispatcher.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

inline constexpr Timestamp sample_time{std::chrono::milliseconds{1'800'000'000'123}};

inline DispatcherUpdate setting(std::string id, std::string group_id, std::vector<std::string> pod_ids,
                                std::vector<std::string> task_ids)
{
    DispatcherUpdate u;
    u.id = std::move(id);
    u.group_id = std::move(group_id);
    u.pod_ids = std::move(pod_ids);
    u.task_ids = std::move(task_ids);
    u.last_modified = sample_time;
    return u;
}

} // namespace detail

template <StoreMaker M>
void insert_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    PodDispatcher d = new_pod_dispatcher("group", {"t1", "t2"}, {"p1"});
    d.modification_count = 7;
    d.last_modified = detail::sample_time;

    SECTION("stores the dispatcher exactly as given")
    {
        REQUIRE(d.insert(store));
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("an id or group already stored is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged unchanged{store};
        PodDispatcher same_id = new_pod_dispatcher("other-group", {}, {});
        same_id.id = d.id;
        REQUIRE(same_id.insert(store).error() == Errc::duplicate_key);
        REQUIRE(new_pod_dispatcher("group", {}, {}).insert(store).error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("a pod another dispatcher holds is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged unchanged{store};
        REQUIRE(new_pod_dispatcher("other-group", {}, {"p1"}).insert(store).error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("bad input is invalid_argument, and nothing is written")
    {
        const Unchanged unchanged{store};
        REQUIRE(new_pod_dispatcher("", {}, {}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {}, {"p1", "p1"}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {"t1", "t1"}, {}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {""}, {}).insert(store).error() == Errc::invalid_argument);
        REQUIRE(new_pod_dispatcher("g", {}, {""}).insert(store).error() == Errc::invalid_argument);
        PodDispatcher no_id = new_pod_dispatcher("g", {}, {});
        no_id.id.clear();
        REQUIRE(no_id.insert(store).error() == Errc::invalid_argument);
        PodDispatcher negative = new_pod_dispatcher("g", {}, {});
        negative.modification_count = -1;
        REQUIRE(negative.insert(store).error() == Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}

template <StoreMaker M>
void upsert_atomically_suite()
{
    auto owned = M::make();
    auto& store = *owned;
    PodDispatcher d = new_pod_dispatcher("group", {"t1"}, {"p1"});

    SECTION("inserts an absent dispatcher with count + 1")
    {
        const Timestamp before = now();
        auto info = d.upsert_atomically(store);
        REQUIRE(info);
        REQUIRE(info.value() == ChangeInfo{1, 0, d.id});
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
        REQUIRE(info.value() == ChangeInfo{1, 0, std::nullopt});
        REQUIRE(d.modification_count == 1);
        REQUIRE(stored_dispatcher(store, d.id) == d);
        REQUIRE(find_one_by_pod_id(store, "p2").value() == d);
    }
    SECTION("a stale copy is conflict, and neither the store nor the copy changes")
    {
        seed(store, d);
        PodDispatcher newer = d;
        REQUIRE(newer.upsert_atomically(store));
        const Unchanged unchanged{store};
        d.task_ids.push_back("t2");
        const PodDispatcher stale = d;
        REQUIRE(d.upsert_atomically(store).error() == Errc::conflict);
        REQUIRE(d == stale);
        REQUIRE(unchanged());
    }
    SECTION("a second dispatcher for a stored group is duplicate_key, and nothing is written")
    {
        seed(store, d);
        const Unchanged unchanged{store};
        PodDispatcher twin = new_pod_dispatcher("group", {"t9"}, {"p9"});
        const PodDispatcher copy = twin;
        REQUIRE(twin.upsert_atomically(store).error() == Errc::duplicate_key);
        REQUIRE(twin == copy);
        REQUIRE(unchanged());
    }
    SECTION("a pod held by another dispatcher is duplicate_key, and nothing is written")
    {
        seed(store, d);
        PodDispatcher other = new_pod_dispatcher("other", {"t9"}, {"p2"});
        seed(store, other);
        const Unchanged unchanged{store};
        SECTION("inserting") { other = new_pod_dispatcher("third", {"t8"}, {"p1"}); }
        SECTION("replacing") { other.pod_ids = {"p2", "p1"}; }
        const PodDispatcher copy = other;
        REQUIRE(other.upsert_atomically(store).error() == Errc::duplicate_key);
        REQUIRE(other == copy);
        REQUIRE(unchanged());
    }
    SECTION("a pod id given twice is invalid_argument, and nothing is written")
    {
        const Unchanged unchanged{store};
        d.pod_ids = {"p1", "p1"};
        REQUIRE(d.upsert_atomically(store).error() == Errc::invalid_argument);
        REQUIRE(d.modification_count == 0);
        REQUIRE(unchanged());
    }
}

template <StoreMaker M>
void upsert_one_suite()
{
    auto owned = M::make();
    auto& store = *owned;

    SECTION("an upsert that inserts stores the query's count + the increment")
    {
        Query q = by_group_id("group");
        q.modification_count = 41;
        auto info = upsert_one(store, q, detail::setting("0123456789abcdef01234567", "group", {"p1"}, {"t1"}));
        REQUIRE(info);
        REQUIRE(info.value() == ChangeInfo{1, 0, "0123456789abcdef01234567"});
        const PodDispatcher stored = stored_dispatcher(store, "0123456789abcdef01234567");
        REQUIRE(stored.modification_count == 42);
        REQUIRE(stored.group_id == "group");
        REQUIRE(stored.pod_ids == std::vector<std::string>{"p1"});
        REQUIRE(stored.task_ids == std::vector<std::string>{"t1"});
        REQUIRE(stored.last_modified == detail::sample_time);
    }
    SECTION("an upsert that matches updates the stored dispatcher")
    {
        const PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        auto info = upsert_one(store, by_group_id("group"), detail::setting(d.id, "group", {"p1", "p2"}, {}));
        REQUIRE(info);
        REQUIRE(info.value() == ChangeInfo{1, 0, std::nullopt});
        const PodDispatcher stored = stored_dispatcher(store, d.id);
        REQUIRE(stored.modification_count == 1);
        REQUIRE(stored.pod_ids == std::vector<std::string>{"p1", "p2"});
        REQUIRE(stored.task_ids.empty());
        REQUIRE(stored.last_modified == detail::sample_time);
    }
    SECTION("an update that leaves pods or tasks unset keeps them")
    {
        const PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        DispatcherUpdate u = detail::setting(d.id, "group", {}, {});
        u.pod_ids.reset();
        u.task_ids.reset();
        u.increment = 3;
        REQUIRE(upsert_one(store, by_id(d.id), u));
        const PodDispatcher stored = stored_dispatcher(store, d.id);
        REQUIRE(stored.task_ids == d.task_ids);
        REQUIRE(stored.pod_ids == d.pod_ids);
        REQUIRE(stored.modification_count == 3);
    }
    SECTION("an insert that would repeat a group is duplicate_key, and nothing is written")
    {
        seed(store, new_pod_dispatcher("group", {}, {}));
        const Unchanged unchanged{store};
        REQUIRE(upsert_one(store, by_id("0123456789abcdef01234567"),
                           detail::setting("0123456789abcdef01234567", "group", {}, {}))
                    .error() == Errc::duplicate_key);
        REQUIRE(unchanged());
    }
    SECTION("a stale query naming a stored dispatcher is conflict, and nothing is written")
    {
        const PodDispatcher d = seeded_dispatcher(store, {"t1"}, {"p1"});
        Query stale = version_of(d);
        stale.modification_count = 5;
        const Unchanged unchanged{store};
        REQUIRE(upsert_one(store, stale, detail::setting(d.id, "group", {}, {})).error() == Errc::conflict);
        REQUIRE(unchanged());
    }
    SECTION("bad input is invalid_argument, and nothing is written")
    {
        const Unchanged unchanged{store};
        REQUIRE(upsert_one(store, by_group_id("g"), detail::setting("", "g", {}, {})).error() ==
                Errc::invalid_argument);
        REQUIRE(upsert_one(store, by_group_id("g"), detail::setting("id", "", {}, {})).error() ==
                Errc::invalid_argument);
        REQUIRE(upsert_one(store, by_group_id("g"), detail::setting("id", "g", {"p", "p"}, {})).error() ==
                Errc::invalid_argument);
        REQUIRE(upsert_one(store, by_group_id("g"), detail::setting("id", "g", {}, {"t", "t"})).error() ==
                Errc::invalid_argument);
        REQUIRE(upsert_one(store, by_group_id(""), detail::setting("id", "g", {}, {})).error() ==
                Errc::invalid_argument);
        DispatcherUpdate dequeuing = detail::setting("id", "g", {}, {});
        dequeuing.task_ids.reset();
        dequeuing.dequeue = {"t1"};
        REQUIRE(upsert_one(store, by_group_id("g"), dequeuing).error() == Errc::invalid_argument);
        DispatcherUpdate negative = detail::setting("id", "g", {}, {});
        negative.increment = -1;
        REQUIRE(upsert_one(store, by_group_id("g"), negative).error() == Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}

} // namespace pod_dispatcher::testing

#endif
