#ifndef POD_DISPATCHER_TESTS_POSTGRES_SCRATCH_SCHEMA_HPP
#define POD_DISPATCHER_TESTS_POSTGRES_SCRATCH_SCHEMA_HPP

// Stores on a fresh schema of the server POD_DISPATCHER_POSTGRES_URI names
// (tests/postgres/with_postgres.sh starts one and sets it), one schema per store, dropped
// with it; and the server as another program sees it. A test is skipped, with the
// reason, when the variable is not set; a failure elsewhere throws, which fails a test.

#include <pod_dispatcher_postgres/postgres_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace postgres_test {

inline constexpr const char* uri_variable = "POD_DISPATCHER_POSTGRES_URI";

/// The server's connection string, or none; for worker processes, which have no Catch2.
inline const char* server_or_null()
{
    const char* uri = std::getenv(uri_variable);
    return uri == nullptr || *uri == '\0' ? nullptr : uri;
}

/// The server's connection string, or a SKIP of the calling test when there is none.
inline std::string server_uri()
{
    const char* uri = server_or_null();
    if (uri == nullptr) {
        SKIP("POD_DISPATCHER_POSTGRES_URI is not set; run through tests/postgres/with_postgres.sh");
    }
    return uri;
}

/// A connection to the server of its own, as another program's, its notices (what DROP
/// SCHEMA ... CASCADE dropped) kept quiet.
inline PGconn* connect_elsewhere(const std::string& uri)
{
    PGconn* conn = PQconnectdb(uri.c_str());
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    return conn;
}

/// One column of each row sql returns (one or more statements, the last one's rows), run
/// through a connection of its own with the schema first in its search_path, as another
/// program would.
inline std::vector<std::string> column_elsewhere(const std::string& schema, const std::string& sql, int column = 0)
{
    PGconn* conn = connect_elsewhere(server_uri());
    const std::string script = "SET search_path TO " + schema + "; " + sql;
    PGresult* result = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, script.c_str()) : nullptr;
    const ExecStatusType status = PQresultStatus(result);
    std::vector<std::string> values;
    for (int row = 0; status == PGRES_TUPLES_OK && row < PQntuples(result); ++row) {
        values.emplace_back(PQgetvalue(result, row, column));
    }
    std::string message = PQerrorMessage(conn);
    PQclear(result);
    PQfinish(conn);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        throw std::runtime_error(sql + ": " + message);
    }
    return values;
}

/// Runs sql on the schema as another program would.
inline void execute_elsewhere(const std::string& schema, const std::string& sql) { column_elsewhere(schema, sql); }

/// A schema name no other test uses: 64 random bits.
inline std::string fresh_schema_name()
{
    std::random_device random;
    const std::uint64_t bits = (std::uint64_t{random()} << 32) | random();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
    return std::string("pod_dispatcher_test_") + hex;
}

/// Opens a store on schema of the server, or fails the test.
inline pod_dispatcher_postgres::PostgresStore open_store(const std::string& schema,
                                                         pod_dispatcher_postgres::PostgresStoreOptions options = {})
{
    options.schema = schema;
    auto opened = pod_dispatcher_postgres::PostgresStore::open(server_uri(), std::move(options));
    if (!opened) {
        throw std::system_error(opened.error(), "opening a store on schema " + schema);
    }
    return std::move(opened).value();
}

/// A store object of its own on the schema a location names, for a worker process or
/// thread (testing/multi_process.hpp's StoreOpener); null when it cannot be opened. The
/// server is the one the environment names, which worker processes inherit.
inline std::unique_ptr<pod_dispatcher_postgres::PostgresStore> open_own_store(std::string_view schema)
{
    const char* uri = server_or_null();
    if (uri == nullptr) {
        return nullptr;
    }
    auto opened = pod_dispatcher_postgres::PostgresStore::open(uri, {.schema = std::string(schema)});
    return opened ? std::make_unique<pod_dispatcher_postgres::PostgresStore>(std::move(opened).value()) : nullptr;
}

/// A fresh schema name, its schema dropped with everything in it at the end.
class ScratchSchema {
public:
    ScratchSchema() : uri_(server_uri()), name_(fresh_schema_name()) {}
    ScratchSchema(const ScratchSchema&) = delete;
    ScratchSchema& operator=(const ScratchSchema&) = delete;
    ~ScratchSchema()
    {
        PGconn* conn = connect_elsewhere(uri_);
        PQclear(PQexec(conn, ("DROP SCHEMA IF EXISTS " + name_ + " CASCADE").c_str()));
        PQfinish(conn);
    }

    const std::string& schema() const noexcept { return name_; }

private:
    std::string uri_;
    std::string name_;
};

/// A PostgresStore on a new schema of its own, dropped with the store.
class ScratchStore : private ScratchSchema, public pod_dispatcher_postgres::PostgresStore {
public:
    explicit ScratchStore(pod_dispatcher_postgres::PostgresStoreOptions options = {})
        : ScratchSchema(), PostgresStore(open_store(schema(), std::move(options)))
    {
    }

    using ScratchSchema::schema;
};

} // namespace postgres_test

#endif
