// pod_dispatcher on a PostgreSQL database: a few tasks allocated a container each, the
// pods starting and taking their tasks, then the database opened again by a second store
// object, as another process would, to show what it kept.
//
//   POD_DISPATCHER_POSTGRES_URI=postgresql://user@localhost/dispatch ./postgres_example
//
// Keeps its tables in the schema pod_dispatcher_example, which it first drops.

#include "../example_support.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher_postgres/postgres_store.hpp>

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using pod_dispatcher_postgres::PostgresStore;
using pod_dispatcher_postgres::PostgresStoreOptions;

namespace {

constexpr const char* schema = "pod_dispatcher_example";

/// Drops the schema a run before left, with everything in it.
bool drop_schema(const char* conninfo)
{
    PGconn* conn = PQconnectdb(conninfo);
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr); // "does not exist, skipping"
    PGresult* result = PQexec(conn, (std::string("DROP SCHEMA IF EXISTS ") + schema + " CASCADE").c_str());
    const bool dropped = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!dropped) {
        std::fprintf(stderr, "cannot drop the schema %s: %s", schema, PQerrorMessage(conn));
    }
    PQclear(result);
    PQfinish(conn);
    return dropped;
}

} // namespace

int main()
{
    const char* uri = std::getenv("POD_DISPATCHER_POSTGRES_URI");
    if (uri == nullptr) {
        std::fprintf(stderr, "set POD_DISPATCHER_POSTGRES_URI, e.g. postgresql://user@localhost/dispatch\n");
        return 2;
    }
    if (!drop_schema(uri)) {
        return 1;
    }
    const PostgresStoreOptions options{.schema = schema};
    {
        auto opened = PostgresStore::open(uri, options);
        if (!opened) {
            std::fprintf(stderr, "cannot open the store: %s\n", opened.error().message().c_str());
            return 1;
        }
        if (!example::dispatch_all(opened.value())) {
            return 1;
        }
    }
    // A store object of another process finds everything the first one wrote.
    auto reopened = PostgresStore::open(uri, options);
    if (!reopened) {
        std::fprintf(stderr, "cannot reopen the store: %s\n", reopened.error().message().c_str());
        return 1;
    }
    const auto contents = reopened.value().snapshot();
    if (example::failed("reading the database back", contents, reopened.value())) {
        return 1;
    }
    std::printf("reopened: %zu dispatchers, %zu tasks, %zu pods, %zu events\n", contents.value().dispatchers.size(),
                contents.value().tasks.size(), contents.value().pods.size(), contents.value().events.size());
    return 0;
}
