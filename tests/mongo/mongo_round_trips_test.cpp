// How many commands (round trips) the operations cost on MongoStore, counted by the
// driver's command-started events, with the time each operation takes. The commands
// follow the store calls tests/core/store_calls_test.cpp pins, with what the server's
// mode adds: the commit of a transaction, or, without transactions, the claim before the
// first conditional write and the dispatcher's write held back to the end.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <iostream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pd = pod_dispatcher;
using namespace pod_dispatcher::testing;
using pod_dispatcher_mongo::Capabilities;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::MongoStoreOptions;
using pod_dispatcher_mongo::TransactionMode;

namespace {

using Names = std::vector<std::string>;

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

    Names take()
    {
        std::lock_guard lock{mutex_};
        return std::exchange(names_, {});
    }

private:
    std::mutex mutex_;
    Names names_;
};

/// The commands of one unit of work on this server, given its reads ("find"), inserts
/// and guarded writes ("update...") in the order it makes them. With transactions: those,
/// and the commit. Without: a claim ("insert") before the first guarded write of a unit
/// that read a dispatcher (not of one that read none: "update unclaimed"), and the
/// dispatcher's write ("update dispatcher") held back to the end; a claim on a dispatcher
/// the unit did not write is given back at the end ("delete"). A guarded write of a
/// task or pod is a findAndModify where updates are atomic, else an update by _id after a
/// read of a document the unit has not read ("update unread").
Names unit_of_work(const Capabilities& caps, std::initializer_list<std::string> steps)
{
    const bool transactions = caps.mode == TransactionMode::transactions;
    Names names;
    bool claimed = transactions;
    bool held_back = false;
    for (const std::string& step : steps) {
        const bool conditional = step.starts_with("update");
        if (conditional && !claimed && step != "update unclaimed") {
            names.emplace_back("insert");
            claimed = true;
        }
        if (step == "update dispatcher" && !transactions) {
            held_back = true;
        } else if (step == "update unread" && !caps.atomic_updates) {
            names.insert(names.end(), {"find", "update"});
        } else if (conditional && step != "update dispatcher") {
            names.emplace_back(caps.atomic_updates ? "findAndModify" : "update");
        } else {
            names.push_back(step == "update dispatcher" ? "update" : step);
        }
    }
    if (held_back) {
        names.emplace_back("update");
    } else if (claimed && !transactions) {
        names.emplace_back("delete");
    }
    if (transactions) {
        names.emplace_back("commitTransaction");
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
    std::cout << "mongo: " << name << ": " << round_trips << " round trips, median " << ms[ms.size() / 2] << " ms\n";
}

} // namespace

TEST_CASE("MongoStore's round trips per operation")
{
    CommandLog log;
    auto store_ptr = pod_dispatcher_mongo::test::fresh_store(log.options());
    MongoStore& store = *store_ptr;
    const auto found = store.capabilities();
    REQUIRE(found);
    const Capabilities caps = found.value();
    const bool transactions = caps.mode == TransactionMode::transactions;
    seed(store, enabled_project());
    (void)log.take();

    SECTION("allocate, a task's first: creating its group's dispatcher and storing the pod")
    {
        seed(store, allocatable_task("t1"));
        auto task = allocatable_task("t1");
        auto pod = intent_pod("p1");
        (void)log.take();
        REQUIRE(pd::allocate(store, task, pod));
        // Without rollback it reads the task, the group's dispatcher and the pod's holder
        // first. The new dispatcher is inserted, not claimed; the pod was seen free.
        const Names expected =
            transactions ? unit_of_work(caps, {"insert", "insert", "update", "insert"})
                         : unit_of_work(caps, {"find", "find", "find", "insert", "insert", "update unclaimed", "insert"});
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
            CHECK(log.take() ==
                  (transactions ? unit_of_work(caps, {"find", "update dispatcher", "update", "insert"})
                                : unit_of_work(caps, {"find", "find", "update dispatcher", "update", "insert"})));
        }
        SECTION("adding the pod and storing it")
        {
            seed(store, pd::PodDispatcher{.id = "d", .group_id = "t1"});
            (void)log.take();
            REQUIRE(pd::allocate(store, task, pod));
            // With transactions (on MongoDB, with its unique pod index) it takes the task on
            // trust; without, it reads it, and whether another dispatcher holds the pod.
            CHECK(log.take() ==
                  (transactions ? unit_of_work(caps, {"find", "insert", "update dispatcher", "update", "insert"})
                                : unit_of_work(caps, {"find", "find", "find", "insert", "update dispatcher", "update",
                                                      "insert"})));
        }
    }
    SECTION("dispatch_next_task, assign_next_task and finish_task, the head of the queue dispatchable")
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
        const Names dispatch =
            unit_of_work(caps, {"find", "find", "find", "update unread", "update", "update dispatcher", "insert"});
        CHECK(log.take() == dispatch);

        auto current = stored_dispatcher(store, d.id);
        auto pod = stored_pod(store, "p1");
        (void)log.take();
        REQUIRE(current.assign_next_task(store, pod).value().value().id == "t1");
        // Without rollback it checks the caller's copy against the stored queue first.
        const Names assign =
            transactions
                ? unit_of_work(caps, {"find", "find", "update unread", "update", "update dispatcher", "insert"})
                : unit_of_work(caps, {"find", "find", "find", "update unread", "update", "update dispatcher", "insert"});
        CHECK(log.take() == assign);

        REQUIRE(pd::finish_task(store, "p0", pd::TaskStatus::succeeded));
        // It reads the pod's dispatcher, so that its claim orders it with the dispatches
        // giving the pod its next task (see the README).
        const Names finish = unit_of_work(caps, {"find", "find", "find", "update", "update", "insert"});
        CHECK(log.take() == finish);

        int next = 2;
        report_latency("dispatch_next_task", dispatch.size(), [&](int) { return "p" + std::to_string(next++); },
                       [&](const std::string& p) { return pd::dispatch_next_task(store, p).has_value(); });
        report_latency("assign_next_task", assign.size(),
            [&](int) {
                return std::pair{stored_dispatcher(store, d.id), stored_pod(store, "p" + std::to_string(next++))};
            },
            [&](auto& s) { return s.first.assign_next_task(store, s.second).has_value(); });
        int finished = 2;
        report_latency("finish_task", finish.size(), [&](int) { return "p" + std::to_string(finished++); },
                       [&](const std::string& p) {
                           return pd::finish_task(store, p, pd::TaskStatus::succeeded).has_value();
                       });
    }
}
