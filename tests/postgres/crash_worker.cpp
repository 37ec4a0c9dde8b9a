// The process the PostgreSQL crash test kills (tests/sql/crash_worker_main.hpp), on a
// schema of the server POD_DISPATCHER_POSTGRES_URI names:
//
//   postgres_crash_worker SCHEMA OPERATION K

#include "../sql/crash_worker_main.hpp"
#include "scratch_schema.hpp"

#include <pod_dispatcher_postgres/postgres_store.hpp>

#include <string>
#include <string_view>

int main(int argc, char** argv)
{
    using pod_dispatcher_postgres::PostgresStore;
    using pod_dispatcher_postgres::PostgresStoreOptions;
    return crash_test::crash_worker_main<PostgresStoreOptions>(
        argc, argv, [](std::string_view schema, PostgresStoreOptions options) -> pod_dispatcher::Result<PostgresStore> {
            const char* uri = postgres_test::server_or_null();
            if (uri == nullptr) {
                return pod_dispatcher::Errc::store_unavailable;
            }
            options.schema = schema;
            return PostgresStore::open(uri, std::move(options));
        });
}
