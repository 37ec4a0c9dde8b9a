// How many commands (round trips) the operations cost on MongoStore, counted by the
// driver's command-started events, with the time each operation takes.

#include "mongo_test_store.hpp"
#include "support/documents.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace pd = pod_dispatcher;
using namespace pod_dispatcher::test;
using pod_dispatcher_mongo::Capabilities;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::MongoStoreOptions;
using pod_dispatcher_mongo::TransactionMode;

namespace {

/// The names of the commands a store sent since the last take().
class CommandLog {
public:
    MongoStoreOptions options()
    {
        MongoStoreOptions o;
        o.on_command_started = [this](std::string_view name) {
            std::lock_guard lock{mutex_};
            names_.emplace_back(name);
        };
        return o;
    }

    std::vector<std::string> take()
    {
        std::lock_guard lock{mutex_};
        return std::exchange(names_, {});
    }

private:
    std::mutex mutex_;
    std::vector<std::string> names_;
};

using Names = std::vector<std::string>;

/// What an operation costs on this server besides its own reads and writes.
struct Extras {
    bool sets_pods = false;    ///< A write that adds pods; without a unique pod index it checks them.
    bool checks_first = false; ///< Without rollback, it reads what it checks before writing.
};

Names with_server_extras(Names names, const Capabilities& caps, Extras extras)
{
    if (extras.sets_pods && !caps.unique_pod_index) {
        // The pods check reads before the dispatcher's write.
        const auto write = std::ranges::find(names, "update");
        names.insert(write, "find");
    }
    if (caps.mode == TransactionMode::transactions) {
        names.emplace_back("commitTransaction");
    } else if (extras.checks_first) {
        names.insert(names.begin(), "find");
    }
    return names;
}

/// Times op over a few runs on fresh setups; prints the median.
template <class Setup, class Op>
void report_latency(const char* name, std::size_t round_trips, Setup setup, Op op)
{
    std::vector<double> ms;
    for (int i = 0; i < 15; ++i) {
        auto state = setup(i);
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(op(state));
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::ranges::sort(ms);
    std::cout << "mongo: " << name << ": " << round_trips << " round trips, median " << ms[ms.size() / 2]
              << " ms\n";
}

} // namespace

TEST_CASE("MongoStore's round trips per operation")
{
    CommandLog log;
    auto store_ptr = pod_dispatcher_mongo::test::fresh_store(log.options());
    MongoStore& store = *store_ptr;
    const auto caps = store.capabilities();
    REQUIRE(caps);
    seed(store, enabled_project());
    (void)log.take();

    SECTION("allocate, a task's first: creating its group's dispatcher and storing the pod")
    {
        seed(store, allocatable_task("t1"));
        auto task = allocatable_task("t1");
        auto pod = intent_pod("p1");
        (void)log.take();
        REQUIRE(pd::allocate(store, task, pod));
        const Names expected = with_server_extras({"update", "insert", "update", "insert"}, caps.value(),
                                                  {.sets_pods = true, .checks_first = true});
        CHECK(log.take() == expected);

        report_latency("allocate (first, new dispatcher)", expected.size(),
            [&](int i) {
                const auto id = "lat-t" + std::to_string(i);
                seed(store, allocatable_task(id));
                return std::pair{allocatable_task(id), intent_pod("lat-p" + std::to_string(i))};
            },
            [&](auto& s) { return pd::allocate(store, s.first, s.second).has_value(); });
    }
    SECTION("allocate, again after an earlier attempt: reading the group's dispatcher")
    {
        auto task = allocatable_task("t1");
        task.container_allocation_attempts = 1;
        seed(store, task);
        auto pod = intent_pod("p1");
        SECTION("queueing the task without adding the pod")
        {
            seed(store, pd::PodDispatcher{.id = "d", .group_id = "t1", .pod_ids = {"p0", "p2"}});
            (void)log.take();
            REQUIRE(pd::allocate(store, task, pod));
            CHECK(log.take() == with_server_extras({"find", "update", "update", "insert"}, caps.value(),
                                                     {.checks_first = true}));
        }
        SECTION("adding the pod and storing it")
        {
            seed(store, pd::PodDispatcher{.id = "d", .group_id = "t1"});
            (void)log.take();
            REQUIRE(pd::allocate(store, task, pod));
            CHECK(log.take() ==
                  with_server_extras({"find", "update", "insert", "update", "insert"}, caps.value(),
                                                     {.sets_pods = true, .checks_first = true}));
        }
    }
    SECTION("allocate, a first allocation into a dispatcher stored by hand: the guess costs its upsert")
    {
        if (caps.value().mode == TransactionMode::transactions) {
            SKIP("pinned without transactions only: there the failed upsert also aborts one");
        }
        seed(store, pd::PodDispatcher{.id = "d", .group_id = "t1", .pod_ids = {"p0", "p2"}});
        seed(store, allocatable_task("t1"));
        auto task = allocatable_task("t1");
        auto pod = intent_pod("p1");
        (void)log.take();
        REQUIRE(pd::allocate(store, task, pod));
        Names expected = with_server_extras({"update"}, caps.value(), {.sets_pods = true, .checks_first = true});
        const Names reread =
            with_server_extras({"find", "update", "update", "insert"}, caps.value(), {.checks_first = true});
        expected.insert(expected.end(), reread.begin(), reread.end());
        CHECK(log.take() == expected);
    }
    SECTION("dispatch_next_task and assign_next_task, the head of the queue dispatchable")
    {
        std::vector<std::string> task_ids;
        std::vector<std::string> pod_ids;
        for (int i = 0; i < 40; ++i) {
            task_ids.push_back("t" + std::to_string(i));
            pod_ids.push_back("p" + std::to_string(i));
            seed(store, dispatchable_task(task_ids.back()));
            seed(store, running_pod(pod_ids.back()));
        }
        auto d = pd::new_pod_dispatcher("group", task_ids, pod_ids);
        seed(store, d);
        (void)log.take();

        REQUIRE(pd::dispatch_next_task(store, "p0").value().value().id == "t0");
        const Names dispatch = with_server_extras(
            {"find", "find", "find", "findAndModify", "update", "update", "insert"}, caps.value(),
            {.checks_first = true});
        CHECK(log.take() == dispatch);

        auto current = stored_dispatcher(store, d.id);
        auto pod = stored_pod(store, "p1");
        (void)log.take();
        REQUIRE(current.assign_next_task(store, pod).value().value().id == "t1");
        const Names assign = with_server_extras(
            {"find", "find", "findAndModify", "update", "update", "insert"}, caps.value(), {});
        CHECK(log.take() == assign);

        int next = 2;
        report_latency("dispatch_next_task", dispatch.size(), [&](int) { return "p" + std::to_string(next++); },
                       [&](const std::string& p) { return pd::dispatch_next_task(store, p).has_value(); });
        report_latency("assign_next_task", assign.size(),
            [&](int) {
                return std::pair{stored_dispatcher(store, d.id), stored_pod(store, "p" + std::to_string(next++))};
            },
            [&](auto& s) { return s.first.assign_next_task(store, s.second).has_value(); });
    }
}
