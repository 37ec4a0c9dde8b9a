// The server stopped with `pg_ctl stop -m immediate` (a crash, to its clients) and started
// again while worker processes race for the tasks of one database: nothing is lost and
// nothing handed out twice. The server is one of the test's own (CMakeLists.txt runs the
// test through with_postgres.sh, which names the program that stops and starts it), set,
// as every test server here, to acknowledge commits before its log holds them: the
// store's own commits must wait for the log regardless.

#include "scratch_schema.hpp"

#include <pod_dispatcher/testing/multi_process.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

using namespace pod_dispatcher::testing;

namespace {

/// Runs the server's pg_ctl with args, or fails the test.
void server_ctl(const std::string& ctl, const std::string& args)
{
    const std::string command = ctl + ' ' + args + " >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
}

} // namespace

int main(int argc, char* argv[])
{
    return main_with_race_workers(argc, argv, postgres_test::open_own_store);
}

TEST_CASE("PostgresStore: a server stopped in the middle of a race and started again loses nothing and hands "
          "nothing out twice",
          "[postgres][multi_process][restart]")
{
    const char* ctl = std::getenv("POD_DISPATCHER_POSTGRES_CTL");
    if (ctl == nullptr) {
        SKIP("POD_DISPATCHER_POSTGRES_CTL is not set; run through tests/postgres/with_postgres.sh");
    }
    postgres_test::ScratchStore store;
    // Long enough that the stop comes in the middle: 2 400 dispatches take seconds.
    const RacePlan plan{.workers = 4,
                        .dispatchers = 120,
                        .tasks_per_dispatcher = 20,
                        .askers_per_pod = 2,
                        .watch_counts = false,
                        .outage_patience_ms = 60'000};
    check_race_across_an_outage(store, store.schema(), plan, [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        server_ctl(ctl, "stop -m immediate");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        server_ctl(ctl, "start");
    });
}
