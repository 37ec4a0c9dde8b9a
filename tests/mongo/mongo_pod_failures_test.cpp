// Pods dying in the middle of their tasks on one database: each pod's agent, and each of
// the rescuers, in a process of its own with a store object of its own, some agents
// killed with SIGKILL (testing/pod_failures.hpp). Every task ends, none is lost or run on
// two live pods, and a dead pod's late reports are refused.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/testing/pod_failures.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <memory>
#include <string_view>

using namespace pod_dispatcher::testing;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::MongoStoreOptions;

namespace {

/// An agent's or rescuer's own store object on the database a location names. An agent
/// killed in the middle of a heartbeat leaves its claim (in claims mode) until the
/// claim's lease runs out, and the dispatcher's other units wait for it: a short lease
/// keeps the run short.
std::unique_ptr<MongoStore> open_at(std::string_view location)
{
    pod_dispatcher_mongo::test::quiet_driver_log();
    MongoStoreOptions options;
    options.claim_lease = std::chrono::seconds{4} * build_slowdown;
    auto store = MongoStore::open(location, std::move(options));
    return store ? std::make_unique<MongoStore>(std::move(store).value()) : nullptr;
}

/// A round trip to FerretDB takes about 10 ms, and a heartbeat several: the pods work,
/// heartbeat and are given up on more slowly than on a store in this machine.
PodFailurePlan plan_for_a_server()
{
    PodFailurePlan plan;
    plan.work = std::chrono::milliseconds{300};
    plan.heartbeat_every = std::chrono::milliseconds{50};
    plan.heartbeat_timeout = std::chrono::milliseconds{1000};
    plan.startup_timeout = std::chrono::milliseconds{5000};
    plan.rescue_every = std::chrono::milliseconds{100};
    plan.deadline = std::chrono::milliseconds{50000};
    return paced_for_this_build(plan);
}

} // namespace

int main(int argc, char* argv[])
{
    return main_with_pod_failure_agents(argc, argv, open_at);
}

TEST_CASE("MongoStore: pods die in the middle of their tasks and rescuers in other processes find them",
          "[pod_failures]")
{
    auto store = pod_dispatcher_mongo::test::fresh_store();
    check_pod_failures_across_processes(*store, pod_dispatcher_mongo::test::location_of(*store), plan_for_a_server());
}
