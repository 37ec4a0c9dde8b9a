// What PostgresStore promises beyond the conformance kit: ids kept as bytes, of any length;
// units of work as transactions; a unit PostgreSQL aborts as a deadlock run again, and
// one whose document or queue changed between its read and its conditional write; its
// failures, a write held back for a later round trip included; a dispatch whose
// statements do not grow with the queue, and the round trips of a dispatch and of a
// finish_task; an allocate that writes one queue row; and stale pods found through an
// index.

#include "../sql/sql_store_checks.hpp"
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
    // A long id does not fit a B-tree entry (about 2.7 kB): the indexes hold its SHA-256.
    ScratchStore store;
    sql_test::check_ids_are_bytes(store);
}

TEST_CASE("PostgresStore runs a unit of work as one transaction", "[postgres]")
{
    ScratchStore store;
    sql_test::check_units_are_transactions(store, [&] { return open_store(store.schema()); });
}

TEST_CASE("PostgresStore runs a unit again when PostgreSQL aborts it as a deadlock", "[postgres]")
{
    ScratchStore store;
    seed(store, allocatable_task("t1"));
    seed(store, allocatable_task("t2"));
    // Two units that lock the same two tasks in opposite orders, each taking its first
    // before the other takes its second, on their first run: PostgreSQL aborts one of them
    // (deadlock_detected), which runs again, after a random wait, once the other has committed.
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
    // Three runs, unless the rerun's random wait was short enough to deadlock again.
    REQUIRE(runs >= 3);
    REQUIRE(store.last_error_message().find("deadlock") != std::string::npos);
}

TEST_CASE("PostgresStore runs a unit again when a document it read changed before its write", "[postgres]")
{
    // The unit's write of a task it read is made on condition that the task is as read;
    // another store changes it in between, on the first run only.
    ScratchStore store;
    PostgresStore other = open_store(store.schema());
    seed(store, allocatable_task("t"));
    const auto attempts = FieldSet<Task>::of(&Task::container_allocation_attempts);
    const auto one_more = [&](PostgresStore& s, const Task& read) {
        Task next;
        next.container_allocation_attempts = read.container_allocation_attempts + 1;
        return s.update_task(FieldUpdate<Task>{read.id, {}, Task{}, attempts, next});
    };
    int runs = 0;
    const Result<void> done = store.atomically([&]() -> Result<void> {
        ++runs;
        BOOST_OUTCOME_TRY(const auto read, store.find_task("t"));
        if (runs == 1) {
            REQUIRE(one_more(other, stored_task(other, "t")).value());
        }
        BOOST_OUTCOME_TRY(const auto written, one_more(store, read.value()));
        REQUIRE(written);
        return boost::outcome_v2::success();
    });
    REQUIRE(done);
    REQUIRE(runs == 2);
    // Both increments, neither lost.
    REQUIRE(stored_task(store, "t").container_allocation_attempts == 2);
}

TEST_CASE("PostgresStore runs a unit again when the pod it read with its dispatcher changed before its write",
          "[postgres]")
{
    // A unit that reads a pod's dispatcher reads the pod with it, and writes the pod on
    // condition that it is as read; another store changes the pod in between, on the first
    // run only.
    ScratchStore store;
    PostgresStore other = open_store(store.schema());
    seed(store, running_pod("p"));
    seeded_dispatcher(store, {"t"}, {"p"});
    Pod values;
    values.agent_version = "from the other store";
    values.last_task_id = "t";
    const auto set_on = [&](PostgresStore& s, FieldSet<Pod> field) {
        return s.update_pod(FieldUpdate<Pod>{"p", {}, Pod{}, field, values});
    };
    int runs = 0;
    const Result<void> done = store.atomically([&]() -> Result<void> {
        ++runs;
        BOOST_OUTCOME_TRY(const auto found, store.find_dispatcher(by_pod_id("p"), queue_head(1)));
        REQUIRE(found);
        if (runs == 1) {
            REQUIRE(set_on(other, FieldSet<Pod>::of(&Pod::agent_version)).value());
        }
        BOOST_OUTCOME_TRY(const auto written, set_on(store, FieldSet<Pod>::of(&Pod::last_task_id)));
        REQUIRE(written);
        return boost::outcome_v2::success();
    });
    REQUIRE(done);
    REQUIRE(runs == 2);
    // Both writes, neither lost.
    const Pod stored = stored_pod(store, "p");
    REQUIRE(stored.agent_version == "from the other store");
    REQUIRE(stored.last_task_id == "t");
}

TEST_CASE("PostgresStore runs a unit again when the front of a queue it dequeues changed since it read it",
          "[postgres]")
{
    // A unit's dequeue of ids it read at the front of a queue is made on condition that the
    // dispatcher's count and the front are as read; another store changes the queue in
    // between, on the first run only. The rerun reads again and dequeues the front it finds.
    ScratchStore store;
    PostgresStore other = open_store(store.schema());
    const PodDispatcher seeded = seeded_dispatcher(store, {"t1", "t2"}, {"p"});
    const auto dequeue_front_read = [&](auto meanwhile) {
        int runs = 0;
        std::string dequeued;
        const Result<void> done = store.atomically([&]() -> Result<void> {
            ++runs;
            BOOST_OUTCOME_TRY(const auto read, store.find_dispatcher(by_id(seeded.id), queue_head(1)));
            REQUIRE(read);
            if (runs == 1) {
                meanwhile();
            }
            DispatcherUpdate u;
            u.dequeue = read->task_ids;
            u.last_modified = Timestamp{std::chrono::hours{1}};
            BOOST_OUTCOME_TRY(const bool written, store.update_dispatcher(version_of(*read), u));
            REQUIRE(written);
            dequeued = u.dequeue.front();
            return boost::outcome_v2::success();
        });
        REQUIRE(done);
        REQUIRE(runs == 2);
        return dequeued;
    };
    SECTION("another dequeues its front: the rerun takes the next id")
    {
        DispatcherUpdate taken;
        taken.dequeue = {"t1"};
        REQUIRE(dequeue_front_read([&] { REQUIRE(other.update_dispatcher(version_of(seeded), taken).value()); }) == "t2");
        REQUIRE(stored_dispatcher(store, seeded.id).task_ids.empty());
    }
    SECTION("another puts an id in at the front without moving the count on: the rerun takes that id")
    {
        // Written as it is, the dequeue of one id would delete the new front row, t0, and
        // leave t1, which the unit believes it took, in the queue.
        DispatcherUpdate put_in;
        put_in.enqueue = {"t0"};
        put_in.enqueue_at = 0;
        put_in.increment = 0;
        REQUIRE(dequeue_front_read([&] { REQUIRE(other.update_dispatcher(by_id(seeded.id), put_in).value()); }) == "t0");
        REQUIRE(stored_dispatcher(store, seeded.id).task_ids == std::vector<std::string>{"t1", "t2"});
    }
}

TEST_CASE("PostgresStore forgets what a unit read once a unit joined inside it fails", "[postgres]")
{
    // The inner unit's write is taken back with its savepoint; the outer unit goes on and
    // reads the task again, which must not be answered with the write taken back.
    ScratchStore store;
    seed(store, allocatable_task("t"));
    const auto attempts = FieldSet<Task>::of(&Task::container_allocation_attempts);
    Task next;
    next.container_allocation_attempts = 1;
    const Result<void> done = store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(const auto before, store.find_task("t"));
        REQUIRE(before.value().container_allocation_attempts == 0);
        const Result<void> inner = store.atomically([&]() -> Result<void> {
            BOOST_OUTCOME_TRY(const auto written, store.update_task(FieldUpdate<Task>{"t", {}, Task{}, attempts, next}));
            REQUIRE(written.value().container_allocation_attempts == 1);
            return Errc::conflict;
        });
        REQUIRE(inner.error() == Errc::conflict);
        BOOST_OUTCOME_TRY(const auto after, store.find_task("t"));
        REQUIRE(after.value().container_allocation_attempts == 0);
        return boost::outcome_v2::success();
    });
    REQUIRE(done);
    REQUIRE(stored_task(store, "t").container_allocation_attempts == 0);
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

TEST_CASE("PostgresStore adds to a schema laid out before it what that one lacks", "[postgres]")
{
    // A schema from before dispatchers kept queue_front, tasks and pods the ids their
    // documents name, and writes were checked against what a unit read: the columns and
    // the function dropped from one laid out now, with a dispatcher in it. The rows come
    // back with those ids unset, which costs round trips, not answers.
    const ScratchSchema schema;
    PodDispatcher d;
    {
        PostgresStore earlier = open_store(schema.schema());
        seed(earlier, enabled_project());
        for (const std::string id : {"0", "1"}) {
            seed(earlier, running_pod("p" + id));
            seed(earlier, dispatchable_task("t" + id));
        }
        d = seeded_dispatcher(earlier, {"t0", "t1"}, {"p0", "p1"});
    }
    execute_elsewhere(schema.schema(), "ALTER TABLE pod_dispatchers DROP COLUMN queue_front;"
                                       "ALTER TABLE tasks DROP COLUMN project;"
                                       "ALTER TABLE pods DROP COLUMN running_task_id, DROP COLUMN last_task_id;"
                                       "DROP FUNCTION pod_dispatcher_wrote_one(bigint)");
    PostgresStore store = open_store(schema.schema());
    REQUIRE(dispatch_next_task(store, "p0").value()->id == "t0");
    REQUIRE(dispatch_next_task(store, "p1").value()->id == "t1");
    REQUIRE(stored_dispatcher(store, d.id).task_ids.empty());
}

TEST_CASE("PostgresStore dispatches with the same statements from a queue of 10 and of 2 000", "[postgres]")
{
    const auto statements_of_a_dispatch = [](int queue_length) {
        RecordingStore recorded;
        sql_test::dispatch_from_a_queue_of(recorded.store, recorded.recording, queue_length);
        return recorded.statements;
    };
    const auto short_queue = statements_of_a_dispatch(10);
    REQUIRE_FALSE(short_queue.empty());
    REQUIRE(statements_of_a_dispatch(2'000) == short_queue);
}

TEST_CASE("PostgresStore makes few round trips to the server", "[postgres]")
{
    ScratchStore store;
    const auto round_trips_of = [&](auto operation) {
        const std::uint64_t before = store.round_trips();
        operation();
        return store.round_trips() - before;
    };
    SECTION("a read outside any unit: one, its statement prepared on the way")
    {
        REQUIRE(round_trips_of([&] { REQUIRE(store.find_task("t")); }) == 1);
    }
    SECTION("dispatch_next_task: 2, finish_task: 2, whether or not the connection has prepared their statements")
    {
        seed(store, enabled_project());
        for (const std::string pod : {"p0", "p1"}) {
            seed(store, running_pod(pod));
        }
        for (const std::string task : {"t0", "t1"}) {
            seed(store, dispatchable_task(task));
        }
        seeded_dispatcher(store, {"t0", "t1"}, {"p0", "p1"});
        for (const std::string pod : {"p0", "p1"}) {
            INFO("pod " << pod);
            // BEGIN with the pod's dispatcher, the pod, the tasks it names and the task at
            // the front of the queue with its project; the writes (each on condition that
            // what it changes is as read), the events and COMMIT.
            REQUIRE(round_trips_of([&] { REQUIRE(dispatch_next_task(store, pod).value()); }) == 2);
            // BEGIN with the pod and the tasks it names; the writes of the pod and its task
            // on condition that they are as read, the event and COMMIT.
            REQUIRE(round_trips_of([&] { REQUIRE(finish_task(store, pod, TaskStatus::succeeded)); }) == 2);
        }
    }
    SECTION("a task group's pod: 2 for each task, the one it ran last read with the pod; finish_task 2")
    {
        seed(store, enabled_project());
        std::string pod;
        for (int i = 0; i < 3; ++i) {
            Task task = group_task("g-" + std::to_string(i), "g", i, 1);
            Pod offered = running_pod("g-pod" + std::to_string(i));
            REQUIRE(store.insert_task(task));
            pod = allocate(store, task, offered).value().pod_ids.front();
        }
        for (int i = 0; i < 3; ++i) {
            REQUIRE(round_trips_of([&] { REQUIRE(dispatch_next_task(store, pod).value()); }) == 2);
            REQUIRE(round_trips_of([&] { REQUIRE(finish_task(store, pod, TaskStatus::succeeded)); }) == 2);
        }
    }
}

TEST_CASE("PostgresStore fails a unit whose held-back write fails, even when its work goes on", "[postgres]")
{
    ScratchStore store;
    seed(store, allocatable_task("t"));
    // Another program's trigger refuses every update of a task; update_task holds its
    // write back for the unit's next round trip, which then fails.
    execute_elsewhere(store.schema(),
                      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                      " RAISE EXCEPTION 'refused'; END $$;"
                      "CREATE TRIGGER refuse_updates BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION refuse()");
    const Unchanged unchanged{store};
    const auto done = store.atomically([&]() -> Result<void> {
        Task next_attempt;
        next_attempt.container_allocation_attempts = 1;
        const auto attempts = FieldSet<Task>::of(&Task::container_allocation_attempts);
        REQUIRE(store.update_task(FieldUpdate<Task>{"t", {}, Task{}, attempts, next_attempt}).value());
        REQUIRE(store.insert_pod(running_pod("p")).error() == Errc::store_unavailable);
        return boost::outcome_v2::success();
    });
    REQUIRE(done.error() == Errc::store_unavailable);
    REQUIRE(unchanged());
}

TEST_CASE("PostgresStore finds stale pods through an index on status and last_communicated", "[postgres]")
{
    SECTION("its statement reads the index, and scans no table")
    {
        RecordingStore recorded;
        recorded.recording = true;
        REQUIRE(recorded.store.find_pods(PodQuery{PodStatus::running, Timestamp{std::chrono::hours{1}}}));
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
        sql_test::check_indexed_pod_columns_follow_writes(store);
    }
}

TEST_CASE("PostgresStore writes one queue row per allocate, whatever the length of the queue", "[postgres]")
{
    ScratchStore store;
    sql_test::check_one_queue_row_per_allocate(
        store, [&](std::string table) { return RowsWritten{store.schema(), std::move(table)}; });
}

TEST_CASE("PostgresStore puts an id into a queue without moving the other rows", "[postgres]")
{
    ScratchStore store;
    sql_test::check_enqueue_writes_one_row(
        store, [&](std::string table) { return RowsWritten{store.schema(), std::move(table)}; });
}
