// What MongoStore says it guarantees, and, on a server without transactions, the claims
// that keep units of work of different store objects and processes apart: a unit claims
// each dispatcher it reads at the count it read, as soon as it reads it.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
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

/// Where HeldCall holds its call: before the first command for which it returns true,
/// given the command and how many the call sent before it.
using HoldPoint = std::function<bool(const pod_dispatcher_mongo::StartedCommand&, int sent)>;

/// Before the call's first command that is not a read: after its reads, at its first claim.
bool before_first_claim(const pod_dispatcher_mongo::StartedCommand& command, int) { return command.name != "find"; }

/// After the call's first read (for a termination: the pod's), before anything else.
bool after_first_read(const pod_dispatcher_mongo::StartedCommand&, int sent) { return sent == 1; }

/// The collection a command names, as {<command name>: <collection>}.
std::string_view collection_of(const pod_dispatcher_mongo::StartedCommand& command)
{
    bson_iter_t it;
    const std::string name{command.name};
    return bson_iter_init_find(&it, &command.body, name.c_str()) && BSON_ITER_HOLDS_UTF8(&it)
               ? std::string_view{bson_iter_utf8(&it, nullptr)}
               : std::string_view{};
}

/// Before the call's first write of a document: after its reads and its claims.
bool before_first_write(const pod_dispatcher_mongo::StartedCommand& command, int)
{
    return command.name != "find" && !(command.name == "insert" && collection_of(command) == claims);
}

/// Before the call reads a dispatcher a second time: a finish_task's second try.
HoldPoint before_second_try()
{
    return [reads = 0](const pod_dispatcher_mongo::StartedCommand& command, int) mutable {
        return command.name == "find" && collection_of(command) == pd::collection && ++reads == 2;
    };
}

/// Another store object on store's database, as another process would open, that runs a
/// call on a thread of its own and holds it at a point of its commands until the test lets
/// it go.
class HeldCall {
public:
    HeldCall(const MongoStore& store, HoldPoint hold_point) : hold_point_(std::move(hold_point))
    {
        pod_dispatcher_mongo::MongoStoreOptions options;
        options.on_command_started = [this](const pod_dispatcher_mongo::StartedCommand& command) {
            if (armed_ && hold_point_(command, sent_++) && armed_.exchange(false)) {
                reached_.count_down();
                go_on_.wait();
            }
        };
        auto opened = MongoStore::open(location_of(store), std::move(options));
        REQUIRE(opened);
        store_ = std::make_unique<MongoStore>(std::move(opened).value());
        REQUIRE(store_->capabilities()); // the server set up before any command is held
    }

    HeldCall(const HeldCall&) = delete;
    HeldCall& operator=(const HeldCall&) = delete;

    /// A failed check of the test must not leave the call waiting forever.
    ~HeldCall() { let_go(); }

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

    HoldPoint hold_point_;
    std::atomic<bool> armed_{false};
    int sent_ = 0; ///< Commands sent since the call started; read on the call's thread only.
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
    // Without transactions, claims keep units apart: the operations that write a pod read
    // its dispatcher first.
    CHECK(store->keeps_units_apart_by_dispatcher() == (caps.value().mode == TransactionMode::claims));
}

TEST_CASE("MongoStore without transactions claims a dispatcher before writing for it", "[claims]")
{
    auto store_ptr = fresh_store();
    MongoStore& store = *store_ptr;
    require_claims_mode(store);
    seed_two(store);
    pd::DispatchOptions options;
    options.retry.max_attempts = 3;

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
    // finish_task reads the pod's dispatcher first and claims it. Here another process's
    // finish_task holds the claim when it does: it loses it, reads the pod running g1 all
    // the same, fails before writing, and is held before its second try. The other
    // finish_task, and a dispatch that gives the pod g2, end; the late one's second try
    // then finds the pod running another task than the one it came to finish.
    auto store_ptr = fresh_store();
    MongoStore& store = *store_ptr;
    require_claims_mode(store);
    seed_group(store);
    REQUIRE(pd::dispatch_next_task(store, "p1").value().value().id == "g1");

    HeldCall first{store, before_first_write};
    pd::Result<void> first_finish = Errc::invalid_argument;
    first.start([&](MongoStore& s) { first_finish = pd::finish_task(s, "p1", pd::TaskStatus::succeeded); });
    HeldCall late{store, before_second_try()};
    pd::Result<void> late_finish = Errc::invalid_argument;
    late.start([&](MongoStore& s) { late_finish = pd::finish_task(s, "p1", pd::TaskStatus::failed); });
    first.finish();
    REQUIRE(first_finish);
    REQUIRE(pd::dispatch_next_task(store, "p1").value().value().id == "g2");
    late.finish();

    CHECK(stored_pod(store, "p1").running_task_id == "g2");
    CHECK(stored_task(store, "g1").status == pd::TaskStatus::succeeded);
    CHECK(stored_task(store, "g2").status == pd::TaskStatus::dispatched);
    CHECK(event_types(store, "g1") ==
          std::vector<pd::EventType>{pd::EventType::task_dispatched, pd::EventType::task_finished});
    REQUIRE_FALSE(late_finish);
    CHECK(late_finish.error() == Errc::conflict);
}

TEST_CASE("MongoStore without transactions: a pod's termination racing the pod's own calls", "[claims]")
{
    // Each section holds one call of another process part way, lets a call of this one
    // run, then lets the held call go on. A unit checks a guard against a document as it
    // read it after its last claim, never before (claims_unit.hpp).
    auto store_ptr = fresh_store();
    MongoStore& store = *store_ptr;
    require_claims_mode(store);
    seed(store, enabled_project());

    SECTION("a termination that read the pod idle before a dispatch gave it a task strands that task")
    {
        // The termination reads the pod before its dispatcher, so the pod it read is older
        // than the claim it takes.
        seed(store, dispatchable_task("t1"));
        seed(store, running_pod("p1"));
        seed(store, running_pod("p2"));
        seed(store, pd::PodDispatcher{"d", "g", {"p1", "p2"}, {"t1"}, 0, {}});
        HeldCall termination{store, after_first_read};
        pd::Result<std::optional<pd::Task>> stranded = Errc::invalid_argument;
        termination.start([&](MongoStore& s) { stranded = pd::terminate_pod(s, "p1", "gone"); });
        REQUIRE(pd::dispatch_next_task(store, "p1").value().value().id == "t1");
        termination.finish();

        REQUIRE(stranded);
        REQUIRE(stranded.value());
        CHECK(stranded.value()->id == "t1");
        CHECK(stranded.value()->execution == 1);
        CHECK(stored_task(store, "t1") == *stranded.value());
        CHECK(stored_task(store, "t1").status == pd::TaskStatus::undispatched);
        CHECK(stored_pod(store, "p1").status == pd::PodStatus::terminated);
        CHECK(stored_pod(store, "p1").running_task_id.empty());
        CHECK(stored_dispatcher(store, "d").pod_ids == std::vector<std::string>{"p2"});
    }
    SECTION("a termination that read the pod running a task before the pod finished it leaves the task alone")
    {
        pd::Task task = dispatchable_task("t1");
        seed(store, task);
        seed(store, running_pod("p1"));
        seed(store, running_pod("p2"));
        seed(store, pd::PodDispatcher{"d", "g", {"p1", "p2"}, {"t1"}, 0, {}});
        REQUIRE(pd::dispatch_next_task(store, "p1").value());
        HeldCall termination{store, before_first_claim};
        pd::Result<std::optional<pd::Task>> stranded = Errc::invalid_argument;
        termination.start([&](MongoStore& s) { stranded = pd::terminate_pod(s, "p1", "gone"); });
        REQUIRE(pd::finish_task(store, "p1", pd::TaskStatus::succeeded));
        termination.finish();

        REQUIRE(stranded);
        CHECK_FALSE(stranded.value());
        CHECK(stored_task(store, "t1").status == pd::TaskStatus::succeeded);
        CHECK(stored_task(store, "t1").execution == 0);
        CHECK(event_types(store, "t1") ==
              std::vector<pd::EventType>{pd::EventType::task_dispatched, pd::EventType::task_finished});
        CHECK(stored_pod(store, "p1").status == pd::PodStatus::terminated);
    }
    SECTION("a rescue that read a pod as stale before its heartbeat leaves it alone")
    {
        seed(store, dispatchable_task("t1"));
        seed(store, pod_heard_at("p1", pd::PodStatus::running, pod_dispatcher_mongo::test::at(1'000)));
        seed(store, pod_heard_at("p2", pd::PodStatus::running, pd::now()));
        seed(store, pd::PodDispatcher{"d", "g", {"p1", "p2"}, {"t1"}, 0, {}});
        REQUIRE(pd::dispatch_next_task(store, "p1").value());
        pd::Pod long_ago;
        long_ago.last_communicated = pod_dispatcher_mongo::test::at(1'000);
        const auto heard = pd::FieldSet<pd::Pod>::of(&pd::Pod::last_communicated);
        REQUIRE(store.update_pod(pd::FieldUpdate<pd::Pod>{"p1", {}, pd::Pod{}, heard, long_ago}).value());

        HeldCall rescue{store, before_first_claim};
        pd::Result<pd::RescueReport> report = Errc::invalid_argument;
        rescue.start([&](MongoStore& s) { report = pd::rescue_stale_pods(s, pd::RescueOptions{}); });
        REQUIRE(pd::heartbeat(store, "p1"));
        const Unchanged unchanged{store};
        rescue.finish();

        REQUIRE(report);
        CHECK(report.value().terminated_pods.empty());
        CHECK(unchanged());
        CHECK(stored_pod(store, "p1").status == pd::PodStatus::decommissioned);
    }
    SECTION("two terminations of a pod in no dispatcher: one terminates it, once")
    {
        // No dispatcher to claim: each locks the pod before its first write.
        seed_running(store, running_pod("p1"), dispatchable_task("t1"));
        HeldCall other{store, before_first_claim};
        pd::Result<std::optional<pd::Task>> other_stranded = Errc::invalid_argument;
        other.start([&](MongoStore& s) { other_stranded = pd::terminate_pod(s, "p1", "gone"); });
        const auto stranded = pd::terminate_pod(store, "p1", "gone");
        other.finish();

        REQUIRE(stranded);
        REQUIRE(stranded.value());
        REQUIRE(other_stranded);
        CHECK_FALSE(other_stranded.value());
        CHECK(stored_task(store, "t1").execution == 1);
        CHECK(event_types(store, "p1") ==
              std::vector<pd::EventType>{pd::EventType::pod_cleared_task, pd::EventType::pod_status_changed});
        CHECK(event_types(store, "t1") ==
              std::vector<pd::EventType>{pd::EventType::task_system_failed, pd::EventType::task_restarted});
    }
    SECTION("a finish_task of a pod in no dispatcher that read it before its termination writes nothing")
    {
        seed_running(store, running_pod("p1"), dispatchable_task("t1"));
        HeldCall late{store, before_first_claim};
        pd::Result<void> late_finish = Errc::invalid_argument;
        late.start([&](MongoStore& s) { late_finish = pd::finish_task(s, "p1", pd::TaskStatus::succeeded); });
        REQUIRE(pd::terminate_pod(store, "p1", "gone").value());
        const Unchanged unchanged{store};
        late.finish();

        REQUIRE_FALSE(late_finish);
        CHECK(late_finish.error() == Errc::precondition_failed);
        CHECK(unchanged());
        CHECK(stored_task(store, "t1").status == pd::TaskStatus::undispatched);
    }
}
