// Pods dying in the middle of their tasks on one database file: each pod's agent, and
// each of the rescuers, in a process of its own, some agents killed with SIGKILL
// (testing/pod_failures.hpp). Every task ends, none is lost or run on two live pods.

#include "scratch_store.hpp"

#include <pod_dispatcher/testing/pod_failures.hpp>

#include <catch2/catch_test_macros.hpp>

using namespace pod_dispatcher::testing;
using pod_dispatcher_sqlite::SqliteStore;

int main(int argc, char* argv[])
{
    return main_with_pod_failure_agents(argc, argv, sqlite_test::open_own_store);
}

TEST_CASE("SqliteStore: pods die in the middle of their tasks and rescuers in other processes find them",
          "[sqlite][pod_failures]")
{
    const sqlite_test::ScratchDirectory dir{sqlite_test::scratch_parent()};
    SqliteStore store = sqlite_test::open_store(dir.database());
    check_pod_failures_across_processes(store, dir.database().string(), paced_for_this_build(PodFailurePlan{}));
}
