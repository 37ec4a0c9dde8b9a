// Worker processes (and store objects in threads) racing for the tasks of one database,
// through the kit's multi-process harness: every task handed out once, none lost. Each
// worker has connections of its own, so units of work meet only at PostgreSQL's row
// locks, at READ COMMITTED.

#include "scratch_schema.hpp"

#include <pod_dispatcher/testing/multi_process.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

using namespace pod_dispatcher::testing;

namespace {

/// Six workers, each pod asked for by four: PostgreSQL runs units of work side by side,
/// meeting only at row locks, so more of them press on the same dispatchers at once.
RacePlan plan_for_run(unsigned run)
{
    RacePlan plan;
    plan.workers = 6;
    plan.askers_per_pod = 4;
    plan.seed = run;
    return plan;
}

} // namespace

int main(int argc, char* argv[])
{
    return main_with_race_workers(argc, argv, postgres_test::open_own_store);
}

TEST_CASE("PostgresStore: six worker processes race for the tasks of one database", "[postgres][multi_process]")
{
    const unsigned run = GENERATE(1U, 2U, 3U);
    postgres_test::ScratchStore store;
    check_race_across_processes(store, store.schema(), plan_for_run(run));
}

TEST_CASE("PostgresStore: six store objects on one database race in threads", "[postgres][multi_process]")
{
    const unsigned run = GENERATE(1U, 2U, 3U);
    postgres_test::ScratchStore store;
    check_race_across_store_objects(store, postgres_test::open_own_store, store.schema(), plan_for_run(run));
}

TEST_CASE("PostgresStore: four worker processes on one dispatcher give up on no conflict under the default retry policy",
          "[postgres][multi_process]")
{
    const unsigned run = GENERATE(1U, 2U, 3U);
    postgres_test::ScratchStore store;
    check_race_across_processes(store, store.schema(), one_dispatcher_under_default_retries(run));
}
