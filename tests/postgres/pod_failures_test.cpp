// Pods dying in the middle of their tasks on one database: each pod's agent, and each of
// the rescuers, in a process of its own, some agents killed with SIGKILL
// (testing/pod_failures.hpp). Every task ends, none is lost or run on two live pods.

#include "scratch_schema.hpp"

#include <pod_dispatcher/testing/pod_failures.hpp>

#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher::testing;

int main(int argc, char* argv[])
{
    return main_with_pod_failure_agents(argc, argv, postgres_test::open_own_store);
}

TEST_CASE("PostgresStore: pods die in the middle of their tasks and rescuers in other processes find them",
          "[postgres][pod_failures]")
{
    postgres_test::ScratchStore store;
    check_pod_failures_across_processes(store, store.schema(), paced_for_this_build(PodFailurePlan{}));
}
