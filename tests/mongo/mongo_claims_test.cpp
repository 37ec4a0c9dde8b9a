// What MongoStore says it guarantees, and, on a server without transactions, the claims
// that keep units of work of different store objects and processes apart: a unit claims
// each dispatcher it read at the count it read, before its first conditional write.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pd = pod_dispatcher;
using namespace pod_dispatcher::testing;
using pod_dispatcher::Errc;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::TransactionMode;
using pod_dispatcher_mongo::collections::claims;
using pod_dispatcher_mongo::test::fresh_store;
using pod_dispatcher_mongo::test::insert_bare;
using pod_dispatcher_mongo::test::location_of;
using pod_dispatcher_mongo::test::stored_ids;

namespace {

/// Skips the calling test on a server with transactions, where no claims are taken.
void require_claims_mode(MongoStore& store)
{
    const auto mode = store.mode();
    REQUIRE(mode);
    if (mode.value() == TransactionMode::transactions) {
        SKIP("the server has transactions: units of work take no claims");
    }
}

/// A claim on dispatcher d at count, as another store object would store it, held until
/// `until` (an offset from now).
bson_t* claim_of_another(std::string key, std::chrono::milliseconds until)
{
    const auto ms = (pd::now() + until).time_since_epoch().count();
    return BCON_NEW("_id", BCON_UTF8(key.c_str()), "owner", BCON_UTF8("another"), "until", BCON_DATE_TIME(ms));
}

/// One dispatcher "d" with tasks t1, t2 queued and running pods p1, p2.
void seed_two(MongoStore& store)
{
    seed(store, enabled_project());
    for (const char* id : {"t1", "t2"}) {
        seed(store, dispatchable_task(id));
    }
    for (const char* id : {"p1", "p2"}) {
        seed(store, running_pod(id));
    }
    seed(store, pd::PodDispatcher{"d", "g", {"p1", "p2"}, {"t1", "t2"}, 0, {}});
}

/// One dispatcher "d" of a task group with tasks g1, g2 queued in order and running pod p1.
void seed_group(MongoStore& store)
{
    seed(store, enabled_project());
    pd::PodDispatcher d{"d", "", {"p1"}, {}, 0, {}};
    for (int order : {1, 2}) {
        pd::Task task = group_task("g" + std::to_string(order), "group", order, 1);
        task.container_allocated = true;
        task.container_allocation_attempts = 1;
        d.group_id = pd::get_group_id(task);
        d.task_ids.push_back(task.id);
        seed(store, task);
    }
    seed(store, running_pod("p1"));
    seed(store, d);
}

/// Another store object on store's database, as another process would open, that runs a
/// call on a thread of its own and holds the call's first command after its reads until
/// the test lets it go.
class HeldBeforeWriting {
public:
    explicit HeldBeforeWriting(const MongoStore& store)
    {
        pod_dispatcher_mongo::MongoStoreOptions options;
        options.on_command_started = [this](std::string_view command) {
            if (command != "find" && armed_.exchange(false)) {
                reached_.count_down();
                go_on_.wait();
            }
        };
        auto opened = MongoStore::open(location_of(store), std::move(options));
        REQUIRE(opened);
        store_ = std::make_unique<MongoStore>(std::move(opened).value());
        REQUIRE(store_->capabilities()); // the server set up before any command is held
    }

    HeldBeforeWriting(const HeldBeforeWriting&) = delete;
    HeldBeforeWriting& operator=(const HeldBeforeWriting&) = delete;

    /// A failed check of the test must not leave the call waiting forever.
    ~HeldBeforeWriting() { let_go(); }

    /// Starts call(store) and returns once it is held.
    template <class Call>
    void start(Call call)
    {
        armed_ = true;
        thread_ = std::jthread{[this, call] { call(*store_); }};
        reached_.wait();
    }

    /// Lets the call go on, and waits for it to end.
    void finish()
    {
        let_go();
        thread_.join();
    }

private:
    void let_go()
    {
        if (!released_.exchange(true)) {
            go_on_.count_down();
        }
    }

    std::atomic<bool> armed_{false};
    std::atomic<bool> released_{false};
    std::latch reached_{1};
    std::latch go_on_{1};
    std::unique_ptr<MongoStore> store_;
    std::jthread thread_; ///< Last: joined before the rest goes.
};

} // namespace

TEST_CASE("MongoStore says at open which guarantees hold", "[claims]")
{
    auto store = fresh_store();
    const auto caps = store->capabilities();
    REQUIRE(caps);
    CHECK(store->mode().value() == caps.value().mode);
    CHECK(store->rolls_back() == (caps.value().mode == TransactionMode::transactions));
}

TEST_CASE("MongoStore without transactions claims a dispatcher before writing for it", "[claims]")
{
    auto store_ptr = fresh_store();
    MongoStore& store = *store_ptr;
    require_claims_mode(store);
    seed_two(store);
    pd::DispatchOptions options;
    options.max_attempts = 3;

    SECTION("a claim another unit holds on the count read keeps the dispatch out: conflict, nothing written")
    {
        insert_bare(store, claims, claim_of_another("0/0/d", std::chrono::minutes{1}));
        const Unchanged unchanged{store};
        const auto task = pd::dispatch_next_task(store, "p1", options);
        REQUIRE_FALSE(task);
        CHECK(task.error() == Errc::conflict);
        CHECK(unchanged());
    }
    SECTION("a claim whose holder stopped, leaving the dispatcher at its count, is taken over once it expires")
    {
        insert_bare(store, claims, claim_of_another("0/0/d", -std::chrono::seconds{1}));
        const auto task = pd::dispatch_next_task(store, "p1", options);
        REQUIRE(task);
        REQUIRE(task.value());
        CHECK(task.value()->id == "t1");
        CHECK(stored_ids(store, claims) == std::vector<std::string>{"0/0/d", "0/1/d"});
    }
    SECTION("a unit that succeeds leaves its claim: the count it moved the dispatcher on from stays claimed")
    {
        REQUIRE(pd::dispatch_next_task(store, "p1").value());
        CHECK(stored_ids(store, claims) == std::vector<std::string>{"0/0/d"});
        REQUIRE(pd::dispatch_next_task(store, "p2").value());
        CHECK(stored_ids(store, claims) == std::vector<std::string>{"0/0/d", "1/0/d"});
        CHECK(stored_dispatcher(store, "d").modification_count == 2);
    }
    SECTION("a unit that fails takes back what it wrote and gives its claim back")
    {
        const Unchanged unchanged{store};
        const auto failed = store.atomically([&]() -> pd::Result<void> {
            BOOST_OUTCOME_TRY(store.find_dispatcher(pd::by_id("d"), pd::Projection{}));
            BOOST_OUTCOME_TRY(store.insert_pod(intent_pod("p3")));
            pd::Task values;
            values.priority = 7;
            const auto priority = pd::FieldSet<pd::Task>::of(&pd::Task::priority);
            BOOST_OUTCOME_TRY(store.update_task(pd::FieldUpdate<pd::Task>{"t2", {}, values, priority, values}));
            const pd::Event event{"t2", pd::EventType::container_allocated, pd::now(), pd::AllocationData{0}};
            BOOST_OUTCOME_TRY(store.insert_events(std::span<const pd::Event>(&event, 1)));
            BOOST_OUTCOME_TRY(store.update_dispatcher(pd::version_of(stored_dispatcher(store, "d")),
                                                      pd::DispatcherUpdate{.dequeue = {"t1"}}));
            return Errc::precondition_failed;
        });
        CHECK(failed.error() == Errc::precondition_failed);
        CHECK(unchanged());
        CHECK(stored_ids(store, claims).empty());
    }
    SECTION("a dispatch for a pod already at work is pod_busy: nothing written, the claim given back")
    {
        REQUIRE(pd::dispatch_next_task(store, "p1").value());
        const Unchanged unchanged{store};
        const auto ids = stored_ids(store, claims);
        CHECK(pd::dispatch_next_task(store, "p1").error() == Errc::pod_busy);
        CHECK(unchanged());
        CHECK(stored_ids(store, claims) == ids);
    }
}

TEST_CASE("MongoStore without transactions deletes claims no unit can need any more", "[claims]")
{
    pod_dispatcher_mongo::MongoStoreOptions options;
    options.claim_lease = std::chrono::milliseconds{400};
    auto store_ptr = fresh_store(options);
    MongoStore& store = *store_ptr;
    require_claims_mode(store);
    seed_two(store);

    REQUIRE(pd::dispatch_next_task(store, "p1").value());
    REQUIRE(stored_ids(store, claims) == std::vector<std::string>{"0/0/d"});
    // Older than two leases by the next unit's end, when a lease has passed since the last
    // collection.
    std::this_thread::sleep_for(std::chrono::milliseconds{1'300});
    REQUIRE(pd::dispatch_next_task(store, "p2").value());
    CHECK(stored_ids(store, claims) == std::vector<std::string>{"1/0/d"});
}

TEST_CASE("MongoStore's writes outside a unit of work are compare-and-set among its threads, even racing",
          "[claims]")
{
    // On a server whose conditional update is two steps, the store keeps its own lone
    // writes apart (lone_write_gate.hpp); with transactions the server does.
    auto store = fresh_store();
    seed(*store, allocatable_task("t"));
    std::atomic<int> won{0};
    std::atomic<int> lost{0};
    {
        std::vector<std::jthread> racers;
        for (int i = 0; i < 8; ++i) {
            racers.emplace_back([&, i] {
                pd::Task values;
                values.status = pd::TaskStatus::dispatched;
                values.pod_id = "pod-" + std::to_string(i);
                const auto status = pd::FieldSet<pd::Task>::of(&pd::Task::status);
                const auto written = store->update_task(pd::FieldUpdate<pd::Task>{
                    "t", status, pd::Task{}, status | pd::FieldSet<pd::Task>::of(&pd::Task::pod_id), values});
                ++(written && written.value() ? won : lost);
            });
        }
    }
    CHECK(won == 1);
    CHECK(lost == 7);
}

TEST_CASE("MongoStore without transactions: a finish_task that read a pod before another process finished its "
          "task and gave it the next writes nothing",
          "[claims]")
{
    // finish_task reads the pod's dispatcher first and claims it: a dispatch since its
    // reads has moved the dispatcher on from the count it read, so it loses.
    auto store_ptr = fresh_store();
    MongoStore& store = *store_ptr;
    require_claims_mode(store);
    seed_group(store);
    REQUIRE(pd::dispatch_next_task(store, "p1").value().value().id == "g1");

    HeldBeforeWriting late{store};
    pd::Result<void> late_finish = Errc::invalid_argument;
    late.start([&](MongoStore& s) { late_finish = pd::finish_task(s, "p1", pd::TaskStatus::failed); });
    REQUIRE(pd::finish_task(store, "p1", pd::TaskStatus::succeeded));
    REQUIRE(pd::dispatch_next_task(store, "p1").value().value().id == "g2");
    late.finish();

    CHECK(stored_pod(store, "p1").running_task_id == "g2");
    CHECK(stored_task(store, "g1").status == pd::TaskStatus::succeeded);
    CHECK(event_types(store, "g1") ==
          std::vector<pd::EventType>{pd::EventType::task_dispatched, pd::EventType::task_finished});
    REQUIRE_FALSE(late_finish);
    CHECK(late_finish.error() == Errc::conflict);
}
