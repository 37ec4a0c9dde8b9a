// Worker processes (and store objects in threads) racing for the tasks of one database
// file, through the kit's multi-process harness: every task handed out once, none lost.

#include "scratch_store.hpp"

#include <pod_dispatcher/testing/multi_process.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <string>

using namespace pod_dispatcher::testing;
using pod_dispatcher_sqlite::SqliteStore;

namespace {

RacePlan plan_for_run(unsigned run)
{
    RacePlan plan;
    plan.workers = 4;
    plan.askers_per_pod = 3;
    plan.seed = run;
    return plan;
}

} // namespace

int main(int argc, char* argv[])
{
    return main_with_race_workers(argc, argv, sqlite_test::open_own_store);
}

TEST_CASE("SqliteStore: four worker processes race for the tasks of one file", "[sqlite][multi_process]")
{
    const unsigned run = GENERATE(1U, 2U, 3U);
    const sqlite_test::ScratchDirectory dir;
    SqliteStore store = sqlite_test::open_store(dir.database());
    check_race_across_processes(store, dir.database().string(), plan_for_run(run));
}

TEST_CASE("SqliteStore: four store objects on one file race in threads", "[sqlite][multi_process]")
{
    const unsigned run = GENERATE(1U, 2U, 3U);
    const sqlite_test::ScratchDirectory dir;
    SqliteStore store = sqlite_test::open_store(dir.database());
    check_race_across_store_objects(store, sqlite_test::open_own_store, dir.database().string(), plan_for_run(run));
}
