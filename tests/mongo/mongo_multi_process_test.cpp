// MongoStore on one database shared by worker processes, and by several store objects in
// one process, all asking for work for the same pods at once: every task goes out at most
// once, to the pod that runs it, and nothing is lost (testing/multi_process.hpp).

#include "mongo_test_store.hpp"

#include <pod_dispatcher/testing/multi_process.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <memory>
#include <string>
#include <string_view>

using pod_dispatcher::testing::RacePlan;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::test::fresh_store;
using pod_dispatcher_mongo::test::location_of;

namespace {

/// A worker's own store object on the database a location names.
std::unique_ptr<MongoStore> open_at(std::string_view location)
{
    pod_dispatcher_mongo::test::quiet_driver_log();
    auto store = MongoStore::open(location);
    return store ? std::make_unique<MongoStore>(std::move(store).value()) : nullptr;
}

/// 300 tasks in 30 dispatchers, each pod asked for by three of four workers.
RacePlan plan_for_run(unsigned run)
{
    RacePlan plan;
    plan.workers = 4;
    plan.dispatchers = 30;
    plan.tasks_per_dispatcher = 10;
    plan.askers_per_pod = 3;
    plan.seed = run;
    return plan;
}

/// Three races on a plain build, where they test the odds; one under a sanitizer, where
/// they test the code (FerretDB makes each take twenty seconds).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr unsigned runs = 1;
#else
constexpr unsigned runs = 3;
#endif

} // namespace

int main(int argc, char* argv[])
{
    return pod_dispatcher::testing::main_with_race_workers(argc, argv, open_at);
}

TEST_CASE("MongoStore: worker processes race for the tasks of one database", "[multi_process]")
{
    for (unsigned run = 1; run <= runs; ++run) {
        INFO("run " << run);
        auto store = fresh_store();
        pod_dispatcher::testing::check_race_across_processes(*store, location_of(*store), plan_for_run(run));
    }
}

TEST_CASE("MongoStore: store objects of one process race for the tasks of one database", "[multi_process]")
{
    for (unsigned run = 1; run <= runs; ++run) {
        INFO("run " << run);
        auto store = fresh_store();
        pod_dispatcher::testing::check_race_across_store_objects(*store, open_at, location_of(*store),
                                                                 plan_for_run(run));
    }
}

TEST_CASE("MongoStore: four worker processes on one dispatcher give up on no conflict under the default retry policy",
          "[multi_process]")
{
    for (unsigned run = 1; run <= runs; ++run) {
        INFO("run " << run);
        auto store = fresh_store();
        pod_dispatcher::testing::check_race_across_processes(
            *store, location_of(*store), pod_dispatcher::testing::one_dispatcher_under_default_retries(run));
    }
}
