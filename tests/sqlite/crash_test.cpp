// A process killed with SIGKILL at any statement of an operation leaves the database file
// as the operation's units of work left it, each wholly there or wholly absent, and a new
// process carries on from it (tests/sql/crash_checks.hpp says how it is checked). The
// files are in memory where the system has a file system there (scratch_store.hpp).

#include "../sql/crash_checks.hpp"
#include "scratch_store.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace sqlite_test;

/// Where each run's database file is, and how to open it.
struct SqliteCrashes {
    using Store = pod_dispatcher_sqlite::SqliteStore;
    using Options = pod_dispatcher_sqlite::SqliteStoreOptions;
    static constexpr const char* worker = SQLITE_CRASH_WORKER;

    static std::unique_ptr<ScratchDirectory> fresh() { return std::make_unique<ScratchDirectory>(scratch_parent()); }
    static Store open(const ScratchDirectory& dir, Options options) { return open_store(dir.database(), std::move(options)); }
    static std::string location(const ScratchDirectory& dir) { return dir.database().string(); }
};

} // namespace

TEST_CASE("SqliteStore: a process killed part way through an operation leaves each of its units whole or absent",
          "[sqlite][crash]")
{
    const std::string_view name =
        GENERATE(from_range(crash_test::operation_names<pod_dispatcher_sqlite::SqliteStore>()));
    crash_test::check_kills_at_every_statement<SqliteCrashes>(name);
}
