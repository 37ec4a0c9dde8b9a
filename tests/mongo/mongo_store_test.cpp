// MongoStore's members, one by one, against a real server.

#include "mongo_test_store.hpp"

#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace pd = pod_dispatcher;
using pod_dispatcher::Errc;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::test::at;
using pod_dispatcher_mongo::test::fresh_store;

namespace {

pd::Task full_task(std::string id)
{
    pd::Task t;
    t.id = std::move(id);
    t.execution = 2;
    t.project = "proj";
    t.requester = "github_pull_request";
    t.status = pd::TaskStatus::started;
    t.activated = true;
    t.activated_time = at(1'800'000'000'123);
    t.priority = -1;
    t.execution_platform = pd::ExecutionPlatform::host;
    t.container_allocated = true;
    t.container_allocated_time = at(1'800'000'001'456);
    t.container_allocation_attempts = 3;
    t.depends_on = {{"dep1", true, false}, {"dep2", false, true}};
    t.override_dependencies = true;
    t.display_task_id = "display";
    t.display_only = true;
    t.execution_tasks = {"e1", "e2"};
    t.pod_id = "pod";
    t.agent_version = "v1";
    t.dispatch_time = at(1'800'000'002'000);
    t.last_heartbeat = at(1'800'000'003'000);
    t.details_type = "system";
    t.details_description = "why";
    return t;
}

pd::PodDispatcher dispatcher(std::string id, std::string group, std::vector<std::string> pods,
                             std::vector<std::string> tasks)
{
    return pd::PodDispatcher{.id = std::move(id),
                             .group_id = std::move(group),
                             .pod_ids = std::move(pods),
                             .task_ids = std::move(tasks),
                             .modification_count = 4,
                             .last_modified = at(1'800'000'000'000)};
}

} // namespace

TEST_CASE("MongoStore stores tasks, pods and project refs as they are")
{
    auto store = fresh_store();

    SECTION("a task with every field set reads back equal")
    {
        REQUIRE(store->insert_task(full_task("t1")));
        auto found = store->find_task("t1");
        REQUIRE(found);
        CHECK(found.value() == full_task("t1"));
    }
    SECTION("a default task reads back equal")
    {
        REQUIRE(store->insert_task(pd::Task{.id = "t0"}));
        CHECK(store->find_task("t0").value() == pd::Task{.id = "t0"});
    }
    SECTION("pods and project refs read back equal")
    {
        const pd::Pod pod{.id = "p", .status = pd::PodStatus::running, .agent_version = "a",
                          .running_task_id = "t", .running_task_execution = 7};
        const pd::ProjectRef ref{.id = "r", .enabled = false, .hidden = true, .dispatching_disabled = true};
        REQUIRE(store->insert_pod(pod));
        REQUIRE(store->insert_project_ref(ref));
        CHECK(store->find_pod("p").value() == pod);
        CHECK(store->find_project_ref("r").value() == ref);
    }
    SECTION("a missing document is an empty optional")
    {
        CHECK(store->find_task("none").value() == std::nullopt);
        CHECK(store->find_pod("none").value() == std::nullopt);
        CHECK(store->find_project_ref("none").value() == std::nullopt);
    }
    SECTION("an existing id is duplicate_key, an empty one invalid_argument")
    {
        REQUIRE(store->insert_task(pd::Task{.id = "t"}));
        CHECK(store->insert_task(pd::Task{.id = "t"}).error() == Errc::duplicate_key);
        CHECK(store->insert_task(pd::Task{}).error() == Errc::invalid_argument);
        REQUIRE(store->insert_pod(pd::Pod{.id = "p"}));
        CHECK(store->insert_pod(pd::Pod{.id = "p"}).error() == Errc::duplicate_key);
        CHECK(store->insert_project_ref(pd::ProjectRef{}).error() == Errc::invalid_argument);
    }
}

TEST_CASE("MongoStore's conditional writes are compare-and-set, even when racing")
{
    // FerretDB reads then writes an update without isolation: the store keeps its own
    // writes apart so that two callers never both win.
    auto store = fresh_store();
    const pd::Task before{.id = "t", .activated = true};
    REQUIRE(store->insert_task(before));
    std::atomic<int> won{0};
    std::atomic<int> lost{0};
    {
        std::vector<std::jthread> racers;
        for (int i = 0; i < 8; ++i) {
            racers.emplace_back([&, i] {
                auto after = before;
                after.status = pd::TaskStatus::dispatched;
                after.pod_id = "pod-" + std::to_string(i);
                const auto r = store->replace_task(before, after);
                ++(r ? won : lost);
            });
        }
    }
    CHECK(won == 1);
    CHECK(lost == 7);
}

TEST_CASE("MongoStore finds dispatchers")
{
    auto store = fresh_store();
    REQUIRE(store->insert_dispatcher(dispatcher("d1", "g1", {"p1"}, {"t1", "t2", "t3"})));
    REQUIRE(store->insert_dispatcher(dispatcher("d2", "g2", {"p2", "p3"}, {})));

    SECTION("an inserted dispatcher reads back as given")
    {
        CHECK(store->find_dispatcher(pd::by_id("d1"), 100).value() == dispatcher("d1", "g1", {"p1"}, {"t1", "t2", "t3"}));
    }
    SECTION("Query{} matches every dispatcher")
    {
        CHECK(store->find_dispatchers(pd::Query{}).value().size() == 2);
    }
    SECTION("by group and by pod")
    {
        CHECK(store->find_dispatcher(pd::by_group_id("g2"), 10).value()->id == "d2");
        CHECK(store->find_dispatcher(pd::by_pod_id("p3"), 10).value()->id == "d2");
        CHECK(store->find_dispatchers(pd::by_pod_id("p9")).value().empty());
    }
    SECTION("the queue is cut to max_task_ids")
    {
        CHECK(store->find_dispatcher(pd::by_id("d1"), 1).value()->task_ids == std::vector<std::string>{"t1"});
        CHECK(store->find_dispatcher(pd::by_id("d1"), 0).value()->task_ids.empty());
    }
    SECTION("a condition on the count")
    {
        CHECK(store->find_dispatcher(pd::Query{.id = "d1", .modification_count = 4}, 1).value().has_value());
        CHECK_FALSE(store->find_dispatcher(pd::Query{.id = "d1", .modification_count = 3}, 1).value().has_value());
    }
}

TEST_CASE("MongoStore keeps ids, groups and pods unique across dispatchers")
{
    auto store = fresh_store();
    REQUIRE(store->insert_dispatcher(dispatcher("d1", "g1", {"p1", "p2"}, {})));

    SECTION("an existing id or group is duplicate_key")
    {
        CHECK(store->insert_dispatcher(dispatcher("d1", "g9", {}, {})).error() == Errc::duplicate_key);
        CHECK(store->insert_dispatcher(dispatcher("d9", "g1", {}, {})).error() == Errc::duplicate_key);
    }
    SECTION("a pod another dispatcher holds is duplicate_key")
    {
        CHECK(store->insert_dispatcher(dispatcher("d2", "g2", {"p2"}, {})).error() == Errc::duplicate_key);
        REQUIRE(store->insert_dispatcher(dispatcher("d3", "g3", {"p3"}, {})));
        const pd::DispatcherUpdate u{.pod_ids = std::vector<std::string>{"p3", "p1"}};
        CHECK(store->update_dispatcher(pd::by_id("d3"), u).error() == Errc::duplicate_key);
        const pd::DispatcherUpdate insert{.id = "d4", .group_id = "g4", .pod_ids = std::vector<std::string>{"p1"}};
        CHECK(store->upsert_dispatcher(pd::by_group_id("g4"), insert).error() == Errc::duplicate_key);
    }
    SECTION("dispatchers without pods do not collide, nor a dispatcher with its own pods")
    {
        REQUIRE(store->insert_dispatcher(dispatcher("d2", "g2", {}, {})));
        REQUIRE(store->insert_dispatcher(dispatcher("d3", "g3", {}, {})));
        const pd::DispatcherUpdate u{.pod_ids = std::vector<std::string>{"p1", "p2", "p4"}};
        CHECK(store->update_dispatcher(pd::by_id("d1"), u).value().updated == 1);
    }
}

TEST_CASE("MongoStore updates a dispatcher only under its query")
{
    auto store = fresh_store();
    REQUIRE(store->insert_dispatcher(dispatcher("d", "g", {"p"}, {"t1", "t2"})));
    const pd::Query current{.id = "d", .group_id = "g", .modification_count = 4};

    SECTION("a matching update sets, increments and stamps")
    {
        const pd::DispatcherUpdate u{.pod_ids = std::vector<std::string>{"p", "q"},
                                     .task_ids = std::vector<std::string>{"t3"},
                                     .last_modified = at(1'900'000'000'000)};
        CHECK(store->update_dispatcher(current, u).value() == pd::ChangeInfo{.updated = 1});
        auto d = store->find_dispatcher(pd::by_id("d"), 10).value().value();
        CHECK(d.pod_ids == std::vector<std::string>{"p", "q"});
        CHECK(d.task_ids == std::vector<std::string>{"t3"});
        CHECK(d.modification_count == 5);
        CHECK(d.last_modified == at(1'900'000'000'000));
    }
    SECTION("a stale count matches nothing and changes nothing")
    {
        auto stale = current;
        stale.modification_count = 3;
        CHECK(store->update_dispatcher(stale, pd::DispatcherUpdate{}).value().updated == 0);
        CHECK(store->find_dispatcher(pd::by_id("d"), 10).value()->modification_count == 4);
    }
    SECTION("a dequeue removes the front only when it is the given id")
    {
        const pd::DispatcherUpdate wrong{.dequeue = "t2", .last_modified = at(1)};
        CHECK(store->update_dispatcher(current, wrong).value().updated == 0);
        const pd::DispatcherUpdate right{.dequeue = "t1", .last_modified = at(2)};
        CHECK(store->update_dispatcher(current, right).value().updated == 1);
        auto d = store->find_dispatcher(pd::by_id("d"), 10).value().value();
        CHECK(d.task_ids == std::vector<std::string>{"t2"});
        CHECK(d.modification_count == 5);
        CHECK(d.pod_ids == std::vector<std::string>{"p"});
    }
}

TEST_CASE("MongoStore upserts a dispatcher")
{
    auto store = fresh_store();
    const pd::DispatcherUpdate u{.id = "d",
                                 .group_id = "g",
                                 .pod_ids = std::vector<std::string>{"p"},
                                 .task_ids = std::vector<std::string>{"t"},
                                 .last_modified = at(1'800'000'000'000)};

    SECTION("inserting stores the query's count plus the increment")
    {
        const auto info = store->upsert_dispatcher(pd::Query{.id = "d", .group_id = "g", .modification_count = 0}, u);
        CHECK(info.value() == pd::ChangeInfo{.updated = 1, .upserted_id = "d"});
        CHECK(store->find_dispatcher(pd::by_id("d"), 10).value().value()
              == pd::PodDispatcher{.id = "d", .group_id = "g", .pod_ids = {"p"}, .task_ids = {"t"},
                                   .modification_count = 1, .last_modified = at(1'800'000'000'000)});
    }
    SECTION("an id and group only the update names are inserted")
    {
        CHECK(store->upsert_dispatcher(pd::Query{}, u).value().upserted_id == "d");
        CHECK(store->find_dispatcher(pd::by_group_id("g"), 10).value()->id == "d");
    }
    SECTION("a matching upsert updates")
    {
        REQUIRE(store->upsert_dispatcher(pd::Query{.id = "d", .group_id = "g", .modification_count = 0}, u));
        auto again = u;
        again.task_ids = std::vector<std::string>{"t", "t2"};
        CHECK(store->upsert_dispatcher(pd::Query{.id = "d", .group_id = "g", .modification_count = 1}, again).value()
              == pd::ChangeInfo{.updated = 1});
        CHECK(store->find_dispatcher(pd::by_id("d"), 10).value()->modification_count == 2);
    }
    SECTION("a stale upsert collides with the stored id")
    {
        REQUIRE(store->upsert_dispatcher(pd::Query{.id = "d", .group_id = "g", .modification_count = 0}, u));
        CHECK(store->upsert_dispatcher(pd::Query{.id = "d", .group_id = "g", .modification_count = 0}, u).error()
              == Errc::duplicate_key);
    }
    SECTION("an upsert cannot dequeue")
    {
        auto dequeue = u;
        dequeue.dequeue = "t";
        CHECK(store->upsert_dispatcher(pd::by_id("d"), dequeue).error() == Errc::invalid_argument);
    }
}

TEST_CASE("MongoStore appends events in order")
{
    auto store = fresh_store();
    const auto data = boost::json::parse(R"({"pod":"p","n":3,"ok":true,"x":null,"f":1.5,"list":[1,"a",{"b":[]}]})")
                          .as_object();
    const std::vector<pd::Event> events{
        {"t", pd::EventType::container_allocated, at(1'800'000'000'000), {}},
        {"p", pd::EventType::pod_status_changed, at(1'800'000'000'001), data},
        {"t", pd::EventType::task_dispatched, at(1'800'000'000'002), data},
    };
    REQUIRE(store->insert_events(events));
    REQUIRE(store->insert_events({}));
    CHECK(store->events_for("t") == std::vector<pd::Event>{events[0], events[2]});
    CHECK(store->events_for("p") == std::vector<pd::Event>{events[1]});
    CHECK(store->events_for("none").empty());
}

TEST_CASE("MongoStore runs a unit of work")
{
    auto store = fresh_store();
    const auto mode = store->mode();
    REQUIRE(mode);

    SECTION("its result is the work's")
    {
        int runs = 0;
        CHECK(store->atomically([&]() -> pd::Result<void> {
            ++runs;
            return store->insert_task(pd::Task{.id = "t"});
        }));
        CHECK(runs == 1);
        CHECK(store->find_task("t").value().has_value());
        CHECK(store->atomically([&]() -> pd::Result<void> { return Errc::conflict; }).error() == Errc::conflict);
    }
    SECTION("with transactions, a failed unit of work writes nothing")
    {
        if (mode.value() != pod_dispatcher_mongo::TransactionMode::transactions) {
            SKIP("the server has no transactions");
        }
        const auto failed = store->atomically([&]() -> pd::Result<void> {
            if (auto r = store->insert_task(pd::Task{.id = "t"}); !r) {
                return r;
            }
            CHECK(store->find_task("t").value().has_value()); // the transaction sees its own write
            return Errc::precondition_failed;
        });
        CHECK(failed.error() == Errc::precondition_failed);
        CHECK_FALSE(store->find_task("t").value().has_value());
    }
    SECTION("without transactions, the writes before a failure stay")
    {
        if (mode.value() != pod_dispatcher_mongo::TransactionMode::no_transactions) {
            SKIP("the server has transactions");
        }
        const auto failed = store->atomically([&]() -> pd::Result<void> {
            if (auto r = store->insert_task(pd::Task{.id = "t"}); !r) {
                return r;
            }
            return Errc::precondition_failed;
        });
        CHECK(failed.error() == Errc::precondition_failed);
        CHECK(store->find_task("t").value().has_value());
    }
}
