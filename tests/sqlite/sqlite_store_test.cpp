// What SqliteStore promises beyond the conformance kit: a file that outlives the process
// and is laid out safely by processes opening it at once, ids kept as bytes, units of work
// as transactions, waiting for other processes, its failures, a dispatch whose statements
// do not grow with the queue, an allocate that writes one queue row, and stale pods found
// through an index.

#include "../sql/sql_store_checks.hpp"
#include "elsewhere.hpp"
#include "scratch_store.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <catch2/catch_test_macros.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;
using namespace sqlite_test;
using pod_dispatcher_sqlite::SqliteStore;
using pod_dispatcher_sqlite::SqliteStoreOptions;

namespace {

/// A dispatcher with one task and one running pod to take it.
PodDispatcher seed_one_dispatch(SqliteStore& store)
{
    seed(store, enabled_project());
    seed(store, dispatchable_task("t1"));
    seed(store, running_pod("p1"));
    return seeded_dispatcher(store, {"t1"}, {"p1"});
}

/// A raw connection that holds the database's write lock, as another process would.
class WriteLockHolder {
public:
    explicit WriteLockHolder(const std::filesystem::path& file)
    {
        REQUIRE(sqlite3_open(file.c_str(), &db_) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    WriteLockHolder(const WriteLockHolder&) = delete;
    WriteLockHolder& operator=(const WriteLockHolder&) = delete;
    ~WriteLockHolder() { sqlite3_close_v2(db_); }

    void release() { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

private:
    sqlite3* db_ = nullptr;
};

/// How SQLite plans each statement the store runs for call: the detail of every step.
template <class Call>
std::vector<std::string> query_plans_of(Call call)
{
    const ScratchDirectory dir;
    std::vector<std::string> statements;
    bool recording = false;
    SqliteStoreOptions options;
    options.before_statement = [&](std::string_view sql) {
        if (recording && sql.starts_with("SELECT")) {
            statements.emplace_back(sql);
        }
    };
    SqliteStore store = open_store(dir.database(), std::move(options));
    recording = true;
    call(store);
    std::vector<std::string> steps;
    for (const std::string& sql : statements) {
        // EXPLAIN QUERY PLAN's rows: id, parent, unused, and the step's detail.
        for (std::string& step : column_elsewhere(dir.database(), "EXPLAIN QUERY PLAN " + sql, 3)) {
            steps.push_back(std::move(step));
        }
    }
    return steps;
}

} // namespace

TEST_CASE("SqliteStore keeps everything in its file across a restart", "[sqlite]")
{
    const ScratchDirectory dir;
    StoreContents before_restart;
    {
        SqliteStore store = open_store(dir.database());
        seed_one_dispatch(store);
        Task task = allocatable_task("t2");
        Pod pod = intent_pod("p2");
        seed(store, task);
        REQUIRE(allocate(store, task, pod));
        REQUIRE(dispatch_next_task(store, "p1").value());
        before_restart = contents_of(store);
    }
    SqliteStore reopened = open_store(dir.database());
    REQUIRE(contents_of(reopened) == before_restart);
    REQUIRE(reopened.events_for("t1").value() == events_of(reopened, "t1"));
}

TEST_CASE("SqliteStore compares ids byte for byte", "[sqlite]")
{
    ScratchStore store;
    sql_test::check_ids_are_bytes(store);
}

TEST_CASE("SqliteStore runs a unit of work as one transaction", "[sqlite]")
{
    ScratchStore store;
    sql_test::check_units_are_transactions(store, [&] { return open_store(store.database()); });
}

TEST_CASE("SqliteStore waits for a database another process holds", "[sqlite]")
{
    const ScratchDirectory dir;
    SqliteStoreOptions options;
    options.busy_timeout = std::chrono::milliseconds{20};
    options.max_attempts = 3;
    SqliteStore store = open_store(dir.database(), options);
    WriteLockHolder other_process{dir.database()};
    std::atomic<int> runs = 0;
    const auto insert = [&] {
        return store.atomically([&] {
            ++runs;
            return store.insert_task(allocatable_task("t"));
        });
    };

    SECTION("a unit that cannot start within the busy timeout is tried again, and runs once the lock is free")
    {
        std::jthread releaser{[&] {
            std::this_thread::sleep_for(std::chrono::milliseconds{30});
            other_process.release();
        }};
        REQUIRE(insert());
        REQUIRE(runs == 1);
    }
    SECTION("one that never gets the lock fails with store_unavailable, having run nothing")
    {
        REQUIRE(insert().error() == Errc::store_unavailable);
        REQUIRE(runs == 0);
        REQUIRE(store.last_error_message().find("locked") != std::string::npos);
        other_process.release();
        REQUIRE(store.find_task("t").value() == std::nullopt);
    }
}

TEST_CASE("SqliteStore reports what it cannot do", "[sqlite]")
{
    const ScratchDirectory dir;

    SECTION("a file it cannot open: store_unavailable")
    {
        REQUIRE(SqliteStore::open(dir.path() / "missing" / "store.db").error() == Errc::store_unavailable);
    }
    SECTION("a database only one connection could see: invalid_argument")
    {
        REQUIRE(SqliteStore::open(":memory:").error() == Errc::invalid_argument);
        REQUIRE(SqliteStore::open("").error() == Errc::invalid_argument);
    }
    SECTION("a row another program wrote badly: store_unavailable, with what it was")
    {
        SqliteStore store = open_store(dir.database());
        execute_elsewhere(dir.database(), "INSERT INTO tasks (id, document) VALUES (x'74', 'not json')");
        REQUIRE(store.find_task("t").error() == Errc::store_unavailable);
        REQUIRE(store.last_error_message().find("tasks") != std::string::npos);
    }
    SECTION("a document JSON cannot hold: invalid_argument, nothing written")
    {
        SqliteStore store = open_store(dir.database());
        Task task = allocatable_task("t");
        task.activated_time = Timestamp{std::chrono::years{9000}};
        const Unchanged unchanged{store};
        REQUIRE(store.insert_task(task).error() == Errc::invalid_argument);
        REQUIRE(unchanged());
    }
}

TEST_CASE("SqliteStore dispatches with the same statements from a queue of 10 and of 10 000", "[sqlite]")
{
    const auto statements_of_a_dispatch = [](int queue_length) {
        const ScratchDirectory dir;
        std::vector<std::string> statements;
        bool recording = false;
        SqliteStoreOptions options;
        options.before_statement = [&](std::string_view sql) {
            if (recording) {
                statements.emplace_back(sql);
            }
        };
        SqliteStore store = open_store(dir.database(), std::move(options));
        sql_test::dispatch_from_a_queue_of(store, recording, queue_length);
        return statements;
    };
    const auto short_queue = statements_of_a_dispatch(10);
    REQUIRE_FALSE(short_queue.empty());
    REQUIRE(statements_of_a_dispatch(10'000) == short_queue);
}

TEST_CASE("SqliteStore opens a new file that several open at once, and lays it out whole", "[sqlite]")
{
    const ScratchDirectory dir;
    std::atomic<int> opened = 0;
    {
        std::vector<std::jthread> openers;
        for (int i = 0; i < 4; ++i) {
            openers.emplace_back([&] { opened += SqliteStore::open(dir.database()) ? 1 : 0; });
        }
    }
    REQUIRE(opened == 4);
    SqliteStore store = open_store(dir.database());
    seed(store, running_pod("p"));
    REQUIRE(stored_pod(store, "p") == running_pod("p"));
}

TEST_CASE("SqliteStore opens a file from before pods had status and last_communicated columns", "[sqlite]")
{
    const ScratchDirectory dir;
    const Pod pod = running_pod("p");
    execute_elsewhere(dir.database(),
                      "CREATE TABLE pods (id BLOB PRIMARY KEY, document BLOB NOT NULL) WITHOUT ROWID;"
                      "INSERT INTO pods VALUES (CAST('p' AS BLOB), CAST('" +
                          boost::json::serialize(boost::json::value_from(pod)) + "' AS BLOB))");
    SqliteStore store = open_store(dir.database());
    REQUIRE(stored_pod(store, "p") == pod);
    REQUIRE(store.find_pods(PodQuery{PodStatus::running, now()}).value() == std::vector{pod});
}

TEST_CASE("SqliteStore finds stale pods through an index on status and last_communicated", "[sqlite]")
{
    const PodQuery stale{PodStatus::running, Timestamp{std::chrono::hours{1}}};

    SECTION("its query searches the index, and scans no table")
    {
        const auto plan = query_plans_of([&](SqliteStore& store) { REQUIRE(store.find_pods(stale)); });
        CAPTURE(plan);
        REQUIRE(std::ranges::any_of(plan, [](const std::string& step) {
            return step.find("USING INDEX pods_by_liveness (status=? AND last_communicated<?)") != std::string::npos;
        }));
        REQUIRE(std::ranges::none_of(plan, [](const std::string& step) { return step.starts_with("SCAN"); }));
    }
    SECTION("the indexed columns follow every write of the pod")
    {
        ScratchStore store;
        sql_test::check_indexed_pod_columns_follow_writes(store);
    }
}

TEST_CASE("SqliteStore writes one queue row per allocate, whatever the length of the queue", "[sqlite]")
{
    ScratchStore store;
    sql_test::check_one_queue_row_per_allocate(
        store, [&](std::string table) { return RowsWritten{store.database(), std::move(table)}; });
}

TEST_CASE("SqliteStore puts an id into a queue without moving the other rows", "[sqlite]")
{
    ScratchStore store;
    sql_test::check_enqueue_writes_one_row(
        store, [&](std::string table) { return RowsWritten{store.database(), std::move(table)}; });
}
