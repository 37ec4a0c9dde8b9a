#ifndef POD_DISPATCHER_TESTS_SQL_SQL_STORE_CHECKS_HPP
#define POD_DISPATCHER_TESTS_SQL_SQL_STORE_CHECKS_HPP

// What a store kept in SQL rows promises beyond the conformance kit, checked the same way
// on every such store (each test file names the test cases and gives the store): ids are
// bytes; units of work are transactions; a pod's indexed columns follow its writes; a
// dispatch's statements do not grow with the queue; an allocate writes one queue row.
// Rows are counted by what the store's test gives: rows_written(table) returns a
// callable that says how many rows of table any connection has written so far.

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sql_test {

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

/// Documents under ids that differ only after a NUL or in invalid UTF-8, or that are
/// longer than any index entry, are stored and found as they are, and only by them.
template <class S>
void check_ids_are_bytes(S& store)
{
    using namespace std::string_literals;
    const std::string long_id(100'000, 'x');
    const std::vector<std::string> ids{"a\0b"s, "a\0c"s, "a"s, "\xff\xfe"s, "caf\xc3\xa9"s, "\0"s, long_id};

    SECTION("tasks, pods and events under ids that differ only after a NUL or in invalid UTF-8")
    {
        for (const std::string& id : ids) {
            seed(store, allocatable_task(id));
            seed(store, intent_pod(id));
            const Event event{id, EventType::container_allocated, {}, AllocationData{}};
            REQUIRE(store.insert_events(std::span<const Event>(&event, 1)));
        }
        for (const std::string& id : ids) {
            REQUIRE(stored_task(store, id).id == id);
            REQUIRE(stored_pod(store, id).id == id);
            const auto events = store.events_for(id).value();
            REQUIRE(events.size() == 1);
            REQUIRE(events.front().resource_id == id);
        }
        REQUIRE(store.find_task("a\0"s).value() == std::nullopt);
        REQUIRE(store.insert_task(allocatable_task(long_id)).error() == Errc::duplicate_key);
    }
    SECTION("dispatchers found by such a group or pod, and only by it")
    {
        const PodDispatcher d{"d\0\xff"s, "g\0"s, {"a\0b"s, long_id}, {"a\0c"s, "\xff\xfe"s, long_id}, 0, {}};
        seed(store, d);
        REQUIRE(stored_dispatcher(store, d.id) == d);
        REQUIRE(find_one_by_group_id(store, "g\0"s).value() == d);
        REQUIRE(find_one_by_group_id(store, "g"s).value() == std::nullopt);
        REQUIRE(find_one_by_pod_id(store, "a\0b"s).value() == d);
        REQUIRE(find_one_by_pod_id(store, long_id).value() == d);
        REQUIRE(find_one_by_pod_id(store, "a"s).value() == std::nullopt);
    }
}

/// Units of work are transactions; open_other() opens another store object on the same
/// data.
template <class S, class OpenOther>
void check_units_are_transactions(S& store, OpenOther open_other)
{
    int runs = 0;

    SECTION("a unit that fails stores none of its writes, and runs once")
    {
        const Unchanged unchanged{store};
        const auto done = store.atomically([&]() -> Result<void> {
            ++runs;
            BOOST_OUTCOME_TRY(store.insert_task(allocatable_task("t")));
            BOOST_OUTCOME_TRY(store.insert_pod(intent_pod("p")));
            return Errc::conflict;
        });
        REQUIRE(done.error() == Errc::conflict);
        REQUIRE(runs == 1);
        REQUIRE(unchanged());
    }
    SECTION("a unit inside another joins it: both stored or neither")
    {
        const Unchanged unchanged{store};
        const auto done = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_task(allocatable_task("outer")));
            BOOST_OUTCOME_TRY(store.atomically([&] { return store.insert_task(allocatable_task("inner")); }));
            return Errc::conflict;
        });
        REQUIRE(done.error() == Errc::conflict);
        REQUIRE(unchanged());
    }
    SECTION("a member that fails inside a unit takes back its own writes only, and the unit goes on")
    {
        seed(store, new_pod_dispatcher("other", {}, {"taken"}));
        const PodDispatcher colliding = new_pod_dispatcher("group", {"t"}, {"free", "taken"});
        const auto done = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_task(allocatable_task("t")));
            REQUIRE(store.insert_dispatcher(colliding).error() == Errc::duplicate_key);
            return store.insert_pod(intent_pod("after"));
        });
        REQUIRE(done);
        REQUIRE(stored_task(store, "t").id == "t");
        REQUIRE(stored_pod(store, "after").id == "after");
        REQUIRE(find_one_by_id(store, colliding.id).value() == std::nullopt);
        REQUIRE(find_one_by_pod_id(store, "free").value() == std::nullopt);
    }
    SECTION("another store object sees a unit's writes only once it commits")
    {
        auto other = open_other();
        REQUIRE(store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_task(allocatable_task("t")));
            REQUIRE(other.find_task("t").value() == std::nullopt);
            return boost::outcome_v2::success();
        }));
        REQUIRE(other.find_task("t").value());
    }
}

/// A pod's status and last_communicated, kept in columns of their own for find_pods,
/// follow every write of the pod.
template <class S>
void check_indexed_pod_columns_follow_writes(S& store)
{
    const PodQuery stale{PodStatus::running, Timestamp{std::chrono::hours{1}}};
    Pod pod = running_pod("p");
    pod.last_communicated = Timestamp{std::chrono::minutes{30}};
    seed(store, pod);
    REQUIRE(store.find_pods(stale).value() == std::vector{pod});

    Pod heard_later;
    heard_later.status = PodStatus::decommissioned;
    heard_later.last_communicated = Timestamp{std::chrono::hours{2}};
    const auto after = store.update_pod(
        FieldUpdate<Pod>{"p", {}, Pod{}, FieldSet<Pod>::of(&Pod::status, &Pod::last_communicated), heard_later});
    REQUIRE(after.value());
    REQUIRE(store.find_pods(stale).value().empty());
    REQUIRE(store.find_pods(PodQuery{PodStatus::decommissioned, Timestamp{std::chrono::hours{3}}}).value() ==
            std::vector{*after.value()});
}

/// Seeds a dispatcher of queue_length dispatchable tasks and one running pod "p", then
/// dispatches to p with recording on: the store records the statements it runs while
/// recording is true.
template <class S>
void dispatch_from_a_queue_of(S& store, bool& recording, int queue_length)
{
    std::vector<std::string> queue;
    REQUIRE(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(store.insert_project_ref(enabled_project()));
        BOOST_OUTCOME_TRY(store.insert_pod(running_pod("p")));
        for (int i = 0; i < queue_length; ++i) {
            queue.push_back("t" + std::to_string(i));
            BOOST_OUTCOME_TRY(store.insert_task(dispatchable_task(queue.back())));
        }
        return new_pod_dispatcher("group", queue, {"p"}).insert(store);
    }));
    recording = true;
    REQUIRE(dispatch_next_task(store, "p").value()->id == "t0");
    recording = false;
}

/// An allocate into a task group of 1 000 queued tasks writes one queue row and one pod
/// row, at the back and in the middle.
template <class S, class RowsWritten>
void check_one_queue_row_per_allocate(S& store, RowsWritten rows_written)
{
    // A task group's queue of 1 000 tasks, of orders 0, 2, 4 and so on, and one pod of two.
    constexpr int queued = 1'000;
    const auto member = [](int order) { return group_task("g" + std::to_string(order), "group", order, 2); };
    std::vector<std::string> queue;
    REQUIRE(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(store.insert_project_ref(enabled_project()));
        for (int order = 0; order < 2 * queued; order += 2) {
            queue.push_back(member(order).id);
            BOOST_OUTCOME_TRY(store.insert_task(member(order)));
        }
        return PodDispatcher{"d", get_group_id(member(0)), {"p0"}, queue, 0, {}}.insert(store);
    }));
    const auto queue_rows = rows_written("dispatcher_queue");
    const auto pod_rows = rows_written("dispatcher_pods");
    const auto allocate_order = [&](int order) {
        Task task = member(order);
        Pod pod = intent_pod("p1");
        seed(store, task);
        REQUIRE(allocate(store, task, pod));
        return task.id;
    };

    SECTION("a task that goes at the back")
    {
        queue.push_back(allocate_order(2 * queued + 1));
    }
    SECTION("a task that goes in the middle")
    {
        queue.insert(queue.begin() + queued / 2 + 1, allocate_order(queued + 1));
    }
    REQUIRE(queue_rows() == 1);
    REQUIRE(pod_rows() == 1); // the pod joins
    REQUIRE(stored_dispatcher(store, "d").task_ids == queue);
}

/// An id put into a queue writes its own row and moves no other, until 32 inserts at one
/// spot have used its gap up.
template <class S, class RowsWritten>
void check_enqueue_writes_one_row(S& store, RowsWritten rows_written)
{
    seed(store, PodDispatcher{"d", "group", {}, {"a", "b", "c"}, 0, {}});
    const auto queue_rows = rows_written("dispatcher_queue");
    // The rows written to put id in before index at.
    const auto enqueue = [&](std::string id, std::optional<std::size_t> at) {
        const std::int64_t before = queue_rows();
        DispatcherUpdate u;
        u.enqueue = {std::move(id)};
        u.enqueue_at = at;
        REQUIRE(store.update_dispatcher(by_id("d"), u).value());
        return queue_rows() - before;
    };

    SECTION("at the front, in the middle, at the back and past it, one row each")
    {
        REQUIRE(enqueue("front", 0) == 1);
        REQUIRE(enqueue("middle", 2) == 1);
        REQUIRE(enqueue("back", std::nullopt) == 1);
        REQUIRE(enqueue("past", 99) == 1);
        REQUIRE(stored_dispatcher(store, "d").task_ids ==
                std::vector<std::string>{"front", "a", "middle", "b", "c", "back", "past"});
    }
    SECTION("of 40 ids put in at one spot, each halving the gap there, one numbers the queue afresh")
    {
        std::vector<std::string> expected{"a", "b", "c"};
        std::vector<std::int64_t> rows;
        for (int i = 0; i < 40; ++i) {
            const std::string id = "x" + std::to_string(i);
            rows.push_back(enqueue(id, 1));
            expected.insert(expected.begin() + 1, id);
        }
        REQUIRE(stored_dispatcher(store, "d").task_ids == expected);
        REQUIRE(std::ranges::count(rows, 1) == 39);
    }
}

} // namespace sql_test

#endif
