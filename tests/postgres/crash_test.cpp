// A process killed with SIGKILL at any statement of an operation leaves the database as
// the operation's units of work left it, each wholly there or wholly absent (PostgreSQL
// rolls back the transaction of a connection that drops), and a new process carries on
// from it (tests/sql/crash_checks.hpp says how it is checked). Each run on a schema of
// its own.

#include "../sql/crash_checks.hpp"
#include "scratch_schema.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace postgres_test;

/// Where each run's database is (a schema), and how to open it.
struct PostgresCrashes {
    using Store = pod_dispatcher_postgres::PostgresStore;
    using Options = pod_dispatcher_postgres::PostgresStoreOptions;
    static constexpr const char* worker = POSTGRES_CRASH_WORKER;

    static std::unique_ptr<ScratchSchema> fresh() { return std::make_unique<ScratchSchema>(); }
    static Store open(const ScratchSchema& place, Options options) { return open_store(place.schema(), std::move(options)); }
    static std::string location(const ScratchSchema& place) { return place.schema(); }
};

} // namespace

TEST_CASE("PostgresStore: a process killed part way through an operation leaves each of its units whole or absent",
          "[postgres][crash]")
{
    const std::string_view name =
        GENERATE(from_range(crash_test::operation_names<pod_dispatcher_postgres::PostgresStore>()));
    crash_test::check_kills_at_every_statement<PostgresCrashes>(name);
}
