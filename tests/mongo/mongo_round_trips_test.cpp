// How many commands (round trips) the operations cost on MongoStore, counted by the
// driver's command-started events, with the time each operation takes. The commands
// follow the store calls tests/core/store_calls_test.cpp pins, with what the server's
// mode adds: the commit of a transaction; or, without transactions, the claim of each
// dispatcher read, the dispatcher's write held back to the end, and where the store
// checks guards itself, a second read of what the unit read before its claim.

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
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace pd = pod_dispatcher;
using namespace pod_dispatcher::testing;
using pod_dispatcher_mongo::Capabilities;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::MongoStoreOptions;
using pod_dispatcher_mongo::StartedCommand;
using pod_dispatcher_mongo::TransactionMode;

namespace {

using Names = std::vector<std::string>;

/// An update document's operators, each as the relaxed extended JSON of its argument,
/// e.g. {"$push": "{ \"pod_ids\" : { \"$each\" : [ \"p1\" ] } }"}.
using UpdateShape = std::map<std::string, std::string>;

/// The names of the commands a store sent since the last take(), and the shape of each
/// update of a dispatcher among them.
class CommandLog {
public:
    MongoStoreOptions options()
    {
        MongoStoreOptions o;
        o.on_command_started = [this](const StartedCommand& command) {
            std::lock_guard lock{mutex_};
            names_.emplace_back(command.name);
            if (command.name == "update" && collection_of(command.body) == pd::collection) {
                dispatcher_updates_.push_back(shape_of_first_update(command.body));
            }
        };
        return o;
    }

    Names take()
    {
        std::lock_guard lock{mutex_};
        dispatcher_updates_.clear();
        return std::exchange(names_, {});
    }

    /// The dispatcher updates since the last take().
    std::vector<UpdateShape> dispatcher_updates()
    {
        std::lock_guard lock{mutex_};
        return dispatcher_updates_;
    }

private:
    static std::string collection_of(const bson_t& body)
    {
        bson_iter_t it;
        return bson_iter_init_find(&it, &body, "update") && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, nullptr) : "";
    }

    static std::string json_of(const bson_iter_t* it)
    {
        std::uint32_t length = 0;
        const std::uint8_t* data = nullptr;
        bson_iter_document(it, &length, &data);
        bson_t doc;
        if (!bson_init_static(&doc, data, length)) {
            return "?";
        }
        char* json = bson_as_relaxed_extended_json(&doc, nullptr);
        std::string text = json != nullptr ? json : "?";
        bson_free(json);
        return text;
    }

    /// The operators of updates[0].u.
    static UpdateShape shape_of_first_update(const bson_t& body)
    {
        UpdateShape shape;
        bson_iter_t it;
        bson_iter_t u;
        if (bson_iter_init(&it, &body) && bson_iter_find_descendant(&it, "updates.0.u", &u) &&
            BSON_ITER_HOLDS_DOCUMENT(&u) && bson_iter_recurse(&u, &it)) {
            while (bson_iter_next(&it)) {
                shape[bson_iter_key(&it)] = BSON_ITER_HOLDS_DOCUMENT(&it) ? json_of(&it) : "?";
            }
        }
        return shape;
    }

    std::mutex mutex_;
    Names names_;
    std::vector<UpdateShape> dispatcher_updates_;
};

/// The commands of one unit of work on this server, given its store calls in order:
/// "find" (a read of a task, pod or project, or of a dispatcher that finds none), "find
/// dispatcher" (a read that finds one), "insert", "update" (a guarded write of a task or
/// pod the unit read since its last claim), "update unread" (one it did not), and "update
/// dispatcher". With transactions: one command each, and the commit. Without: a claim
/// ("insert") after each "find dispatcher"; the dispatcher's write held back to the end, or
/// the claims given back there ("delete") when the unit moved no dispatcher on. A guarded
/// write is a findAndModify where updates are atomic; elsewhere an update by _id, after a
/// read when the unit's copy is not fresh ("update unread").
Names unit_of_work(const Capabilities& caps, std::initializer_list<std::string> steps)
{
    const bool transactions = caps.mode == TransactionMode::transactions;
    Names names;
    bool claimed = false;
    bool held_back = false;
    for (const std::string& step : steps) {
        if (step == "find dispatcher") {
            names.emplace_back("find");
            if (!transactions) {
                names.emplace_back("insert");
                claimed = true;
            }
        } else if (step == "update dispatcher") {
            if (transactions) {
                names.emplace_back("update");
            } else {
                held_back = true;
            }
        } else if (step.starts_with("update")) {
            if (!caps.atomic_updates && step == "update unread") {
                names.emplace_back("find");
            }
            names.emplace_back(caps.atomic_updates ? "findAndModify" : "update");
        } else {
            names.push_back(step);
        }
    }
    if (held_back) {
        names.emplace_back("update");
    } else if (claimed) {
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
                         : unit_of_work(caps, {"find", "find", "find", "insert", "insert", "update", "insert"});
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
        // With transactions (on MongoDB, with its unique pod index) it takes the task on
        // trust; without, it reads it before the dispatcher, and so again before writing it.
        SECTION("queueing the task without adding the pod")
        {
            seed(store, pd::PodDispatcher{.id = "d", .group_id = "t1", .pod_ids = {"p0", "p2"}});
            (void)log.take();
            REQUIRE(pd::allocate(store, task, pod));
            CHECK(log.take() ==
                  (transactions ? unit_of_work(caps, {"find dispatcher", "update dispatcher", "update", "insert"})
                                : unit_of_work(caps, {"find", "find dispatcher", "update dispatcher", "update unread",
                                                      "insert"})));
        }
        SECTION("adding the pod and storing it, after a look at whether another dispatcher holds it")
        {
            seed(store, pd::PodDispatcher{.id = "d", .group_id = "t1"});
            (void)log.take();
            REQUIRE(pd::allocate(store, task, pod));
            CHECK(log.take() == (transactions ? unit_of_work(caps, {"find dispatcher", "insert", "update dispatcher",
                                                                    "update", "insert"})
                                              : unit_of_work(caps, {"find", "find dispatcher", "find", "insert",
                                                                    "update dispatcher", "update unread", "insert"})));
        }
    }
    SECTION("allocate into a task group writes one id into the queue, whatever its length: one positional push")
    {
        // Queued: orders 0 and 2, each allocated with a pod; the new task's order puts it
        // between them, or at the back.
        const pd::Task first = group_task("g0", "group", 0, 0);
        const pd::Task third = group_task("g2", "group", 2, 0);
        seed(store, first);
        seed(store, third);
        seed(store, pd::PodDispatcher{.id = "d", .group_id = pd::get_group_id(first), .pod_ids = {"p0", "p2"},
                                      .task_ids = {"g0", "g2"}});
        auto pod = intent_pod("p1");
        const auto allocate_at_order = [&](int order) {
            auto task = group_task("new", "group", order, 0);
            seed(store, task);
            (void)log.take();
            REQUIRE(pd::allocate(store, task, pod));
        };
        const auto pushed_pod = R"({ "pod_ids" : { "$each" : [ "p1" ] } })";

        SECTION("between the queued tasks")
        {
            allocate_at_order(1);
            const auto updates = log.dispatcher_updates();
            CHECK(log.take() ==
                  (transactions ? unit_of_work(caps, {"find dispatcher", "find", "find", "insert", "update dispatcher",
                                                      "update", "insert"})
                                : unit_of_work(caps, {"find", "find dispatcher", "find", "find", "find", "insert",
                                                      "update dispatcher", "update unread", "insert"})));
            CHECK(stored_dispatcher(store, "d").task_ids == std::vector<std::string>{"g0", "new", "g2"});
            REQUIRE(updates.size() == 1);
            if (caps.positional_push) {
                CHECK(updates.front().at("$push") ==
                      R"({ "task_ids" : { "$each" : [ "new" ], "$position" : 1 }, "pod_ids" : { "$each" : [ "p1" ] } })");
                CHECK(updates.front().at("$set").starts_with(R"({ "last_modified" : )"));
            } else {
                // The server ignores $position: the ids from the index on are written again.
                CHECK(updates.front().at("$push") == pushed_pod);
                CHECK(updates.front().at("$set").starts_with(
                    R"({ "task_ids.1" : "new", "task_ids.2" : "g2", "last_modified" : )"));
            }
        }
        SECTION("at the back")
        {
            allocate_at_order(3);
            CHECK(stored_dispatcher(store, "d").task_ids == std::vector<std::string>{"g0", "g2", "new"});
            const auto updates = log.dispatcher_updates();
            (void)log.take();
            REQUIRE(updates.size() == 1);
            CHECK(updates.front().at("$push") ==
                  (caps.positional_push
                       ? R"({ "task_ids" : { "$each" : [ "new" ], "$position" : 2 }, "pod_ids" : { "$each" : [ "p1" ] } })"
                       : R"({ "task_ids" : { "$each" : [ "new" ] }, "pod_ids" : { "$each" : [ "p1" ] } })"));
            CHECK(updates.front().at("$set").starts_with(R"({ "last_modified" : )"));
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
        const Names dispatch = unit_of_work(
            caps, {"find dispatcher", "find", "find", "update unread", "update", "update dispatcher", "insert"});
        CHECK(log.take() == dispatch);

        auto current = stored_dispatcher(store, d.id);
        auto pod = stored_pod(store, "p1");
        (void)log.take();
        REQUIRE(current.assign_next_task(store, pod).value().value().id == "t1");
        // Without rollback it checks the caller's copy against the stored queue head, after
        // reading the task: so it reads the task again before writing it.
        const Names assign =
            transactions
                ? unit_of_work(caps, {"find", "find", "update unread", "update", "update dispatcher", "insert"})
                : unit_of_work(caps, {"find", "find", "find dispatcher", "update unread", "update unread",
                                      "update dispatcher", "insert"});
        CHECK(log.take() == assign);

        REQUIRE(pd::finish_task(store, "p0", pd::TaskStatus::succeeded));
        // Without transactions it reads the pod's dispatcher first, so that its claim orders
        // it with the dispatches giving the pod its next task (see the README).
        const Names finish = transactions ? unit_of_work(caps, {"find", "find", "update", "update", "insert"})
                                          : unit_of_work(caps, {"find dispatcher", "find", "find", "update",
                                                                "update", "insert"});
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
    SECTION("mark_pod_running and heartbeat: like finish_task, the pod's dispatcher first without transactions")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, running_pod("p1"));
        seed(store, intent_pod("p2"));
        seed(store, pd::new_pod_dispatcher("group", {"t1"}, {"p1", "p2"}));
        REQUIRE(pd::dispatch_next_task(store, "p1").value());
        (void)log.take();

        REQUIRE(pd::mark_pod_running(store, "p2"));
        const Names mark = transactions
                               ? unit_of_work(caps, {"find", "update", "insert"})
                               : unit_of_work(caps, {"find dispatcher", "find", "update", "insert"});
        CHECK(log.take() == mark);

        REQUIRE(pd::heartbeat(store, "p1"));
        const Names beat = transactions ? unit_of_work(caps, {"find", "find", "update", "update"})
                                        : unit_of_work(caps, {"find dispatcher", "find", "find", "update", "update"});
        CHECK(log.take() == beat);

        report_latency("heartbeat", beat.size(), [](int) { return 0; },
                       [&](int) { return pd::heartbeat(store, "p1").has_value(); });
    }
    SECTION("terminate_pod and rescue_stale_pods")
    {
        // Each stale pod runs a task of one dispatcher, which keeps a live pod.
        std::vector<std::string> stale;
        std::vector<std::string> pods{"live"};
        for (int i = 0; i < 3; ++i) {
            stale.push_back("stale-" + std::to_string(i));
            pods.push_back(stale.back());
            seed(store, dispatchable_task("t" + std::to_string(i)));
            seed(store, running_pod(stale.back()));
        }
        seed(store, pod_heard_at("live", pd::PodStatus::running, pd::now()));
        seed(store, pd::new_pod_dispatcher("group", {"t0", "t1", "t2"}, pods));
        for (const std::string& p : stale) {
            REQUIRE(pd::dispatch_next_task(store, p).value());
        }
        // Without transactions it reads the pod and its task before the dispatcher, and so
        // reads them again before writing them.
        const Names termination = transactions
                                      ? unit_of_work(caps, {"find", "find", "find dispatcher", "update", "update",
                                                            "update dispatcher", "insert"})
                                      : unit_of_work(caps, {"find", "find", "find dispatcher", "update unread",
                                                            "update unread", "update dispatcher", "insert"});
        SECTION("terminate_pod of a pod running a task")
        {
            (void)log.take();
            REQUIRE(pd::terminate_pod(store, "stale-0", "gone").value());
            CHECK(log.take() == termination);
        }
        SECTION("rescue_stale_pods: one read per status, then a unit per stale pod")
        {
            pd::Pod long_ago;
            long_ago.last_communicated = pod_dispatcher_mongo::test::at(1'000);
            const auto heard = pd::FieldSet<pd::Pod>::of(&pd::Pod::last_communicated);
            for (const std::string& p : stale) {
                REQUIRE(store.update_pod(pd::FieldUpdate<pd::Pod>{p, {}, pd::Pod{}, heard, long_ago}).value());
            }
            (void)log.take();
            const auto report = pd::rescue_stale_pods(store, pd::RescueOptions{});
            REQUIRE(report);
            CHECK(report.value().terminated_pods == stale);
            Names expected{"find", "find", "find", "find"};
            for (std::size_t i = 0; i < stale.size(); ++i) {
                expected.insert(expected.end(), termination.begin(), termination.end());
            }
            CHECK(log.take() == expected);
            std::cout << "mongo: rescue_stale_pods: " << 4 << " reads, then " << termination.size()
                      << " round trips per pod running a task\n";
        }
    }
}
