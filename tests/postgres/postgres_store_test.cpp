// What PostgresStore promises beyond the conformance kit: ids kept as bytes, of any length;
// units of work as transactions; a unit PostgreSQL aborts as a deadlock run again; its
// failures; a dispatch whose statements do not grow with the queue; an allocate that
// writes one queue row; and stale pods found through an index.

#include "scratch_schema.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;
using namespace postgres_test;
using pod_dispatcher_postgres::PostgresStore;
using pod_dispatcher_postgres::PostgresStoreOptions;

namespace {

/// Counts the rows that any connection inserts, updates or deletes in a table of a
/// schema, through a trigger another program puts there.
class RowsWritten {
public:
    RowsWritten(std::string schema, std::string table) : schema_(std::move(schema)), table_(std::move(table))
    {
        execute_elsewhere(schema_,
                          "CREATE TABLE IF NOT EXISTS rows_written (name text PRIMARY KEY, n bigint NOT NULL);"
                          "INSERT INTO rows_written VALUES ('" + table_ + "', 0);"
                          "CREATE OR REPLACE FUNCTION count_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                          " UPDATE rows_written SET n = n + 1 WHERE name = TG_TABLE_NAME; RETURN NULL; END $$;"
                          "CREATE TRIGGER count_rows AFTER INSERT OR UPDATE OR DELETE ON " + table_ +
                              " FOR EACH ROW EXECUTE FUNCTION count_row()");
    }

    /// How many so far.
    std::int64_t operator()() const
    {
        return std::stoll(column_elsewhere(schema_, "SELECT n FROM rows_written WHERE name = '" + table_ + "'").at(0));
    }

private:
    std::string schema_;
    std::string table_;
};

/// A store on a fresh schema that records the statements it runs while recording.
struct RecordingStore {
    std::vector<std::string> statements{};
    bool recording = false;
    ScratchStore store{PostgresStoreOptions{.before_statement = [this](std::string_view sql) {
        if (recording) {
            statements.emplace_back(sql);
        }
    }}};
};

} // namespace

TEST_CASE("PostgresStore compares ids byte for byte, whatever their length", "[postgres]")
{
    ScratchStore store;
    using namespace std::string_literals;
    // A long id does not fit a B-tree entry (about 2.7 kB): the indexes hold its SHA-256.
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

TEST_CASE("PostgresStore runs a unit of work as one transaction", "[postgres]")
{
    ScratchStore store;
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
    SECTION("another store on the database sees a unit's writes only once it commits")
    {
        PostgresStore other = open_store(store.schema());
        REQUIRE(store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(store.insert_task(allocatable_task("t")));
            REQUIRE(other.find_task("t").value() == std::nullopt);
            return boost::outcome_v2::success();
        }));
        REQUIRE(other.find_task("t").value());
    }
}

TEST_CASE("PostgresStore runs a unit again when PostgreSQL aborts it as a deadlock", "[postgres]")
{
    ScratchStore store;
    seed(store, allocatable_task("t1"));
    seed(store, allocatable_task("t2"));
    // Two units that lock the same two tasks in opposite orders, each taking its first
    // before the other takes its second, on their first run: PostgreSQL aborts one of them
    // (deadlock_detected), which runs again once the other has committed.
    std::latch both_hold_one{2};
    std::atomic<int> runs = 0;
    const auto lock_in_order = [&](const std::string& first, const std::string& second) {
        return store.atomically([&]() -> Result<void> {
            const bool first_run = runs++ < 2;
            Task next_attempt;
            next_attempt.container_allocation_attempts = 1;
            const auto attempts = FieldSet<Task>::of(&Task::container_allocation_attempts);
            BOOST_OUTCOME_TRY(store.update_task(FieldUpdate<Task>{first, {}, Task{}, attempts, next_attempt}));
            if (first_run) {
                both_hold_one.arrive_and_wait();
            }
            BOOST_OUTCOME_TRY(store.update_task(FieldUpdate<Task>{second, {}, Task{}, attempts, next_attempt}));
            return boost::outcome_v2::success();
        });
    };
    Result<void> one = boost::outcome_v2::success();
    Result<void> other = boost::outcome_v2::success();
    {
        std::jthread a{[&] { one = lock_in_order("t1", "t2"); }};
        std::jthread b{[&] { other = lock_in_order("t2", "t1"); }};
    }
    REQUIRE(one);
    REQUIRE(other);
    REQUIRE(runs == 3);
    REQUIRE(store.last_error_message().find("deadlock") != std::string::npos);
}

TEST_CASE("PostgresStore reports what it cannot do", "[postgres]")
{
    SECTION("a server it cannot reach: store_unavailable, with libpq's words")
    {
        const auto opened = PostgresStore::open("host=127.0.0.1 port=1 connect_timeout=5");
        REQUIRE(opened.error() == Errc::store_unavailable);
    }
    SECTION("a row another program wrote badly: store_unavailable, with what it was")
    {
        ScratchStore store;
        execute_elsewhere(store.schema(), "INSERT INTO tasks (id, document) VALUES ('\\x74', 'not json')");
        REQUIRE(store.find_task("t").error() == Errc::store_unavailable);
        REQUIRE(store.last_error_message().find("tasks") != std::string::npos);
    }
    SECTION("a document JSON cannot hold: invalid_argument, nothing written")
    {
        ScratchStore store;
        Task task = allocatable_task("t");
        task.activated_time = Timestamp{std::chrono::years{9000}};
        const Unchanged unchanged{store};
        REQUIRE(store.insert_task(task).error() == Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}

TEST_CASE("PostgresStore opens a new schema that several open at once, and lays it out whole", "[postgres]")
{
    const ScratchSchema schema;
    std::atomic<int> opened = 0;
    {
        std::vector<std::jthread> openers;
        for (int i = 0; i < 4; ++i) {
            openers.emplace_back([&] { opened += open_own_store(schema.schema()) ? 1 : 0; });
        }
    }
    REQUIRE(opened == 4);
    PostgresStore store = open_store(schema.schema());
    seed(store, running_pod("p"));
    REQUIRE(stored_pod(store, "p") == running_pod("p"));
}

TEST_CASE("PostgresStore dispatches with the same statements from a queue of 10 and of 2 000", "[postgres]")
{
    const auto statements_of_a_dispatch = [](int queue_length) {
        RecordingStore recorded;
        PostgresStore& store = recorded.store;
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
        recorded.recording = true;
        REQUIRE(dispatch_next_task(store, "p").value()->id == "t0");
        return recorded.statements;
    };
    const auto short_queue = statements_of_a_dispatch(10);
    REQUIRE_FALSE(short_queue.empty());
    REQUIRE(statements_of_a_dispatch(2'000) == short_queue);
}

TEST_CASE("PostgresStore finds stale pods through an index on status and last_communicated", "[postgres]")
{
    const PodQuery stale{PodStatus::running, Timestamp{std::chrono::hours{1}}};

    SECTION("its statement reads the index, and scans no table")
    {
        RecordingStore recorded;
        recorded.recording = true;
        REQUIRE(recorded.store.find_pods(stale));
        REQUIRE(recorded.statements.size() == 1);
        // On a table this small a scan costs less than the index, and PostgreSQL would pick
        // it: with scans made dear, a statement the index can answer reads the index.
        const auto plan = column_elsewhere(recorded.store.schema(),
                                           "SET enable_seqscan = off; PREPARE find_pods AS " +
                                               recorded.statements.front() +
                                               "; EXPLAIN EXECUTE find_pods('running', 3600000)");
        CAPTURE(plan);
        REQUIRE(std::ranges::any_of(plan, [](const std::string& step) {
            return step.find("pods_by_liveness") != std::string::npos;
        }));
        REQUIRE(std::ranges::none_of(plan, [](const std::string& step) {
            return step.find("Seq Scan") != std::string::npos;
        }));
    }
    SECTION("the indexed columns follow every write of the pod")
    {
        ScratchStore store;
        Pod pod = running_pod("p");
        pod.last_communicated = Timestamp{std::chrono::minutes{30}};
        seed(store, pod);
        REQUIRE(store.find_pods(stale).value() == std::vector{pod});

        Pod heard_later;
        heard_later.status = PodStatus::decommissioned;
        heard_later.last_communicated = Timestamp{std::chrono::hours{2}};
        const auto after = store.update_pod(FieldUpdate<Pod>{
            "p", {}, Pod{}, FieldSet<Pod>::of(&Pod::status, &Pod::last_communicated), heard_later});
        REQUIRE(after.value());
        REQUIRE(store.find_pods(stale).value().empty());
        REQUIRE(store.find_pods(PodQuery{PodStatus::decommissioned, Timestamp{std::chrono::hours{3}}}).value() ==
                std::vector{*after.value()});
    }
}

TEST_CASE("PostgresStore writes one queue row per allocate, whatever the length of the queue", "[postgres]")
{
    ScratchStore store;
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
    const RowsWritten queue_rows{store.schema(), "dispatcher_queue"};
    const RowsWritten pod_rows{store.schema(), "dispatcher_pods"};
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

TEST_CASE("PostgresStore puts an id into a queue without moving the other rows", "[postgres]")
{
    ScratchStore store;
    seed(store, PodDispatcher{"d", "group", {}, {"a", "b", "c"}, 0, {}});
    const RowsWritten queue_rows{store.schema(), "dispatcher_queue"};
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
