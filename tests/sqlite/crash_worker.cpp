// The process the SQLite crash test kills (tests/sql/crash_worker_main.hpp):
//
//   sqlite_crash_worker DATABASE OPERATION K

#include "../sql/crash_worker_main.hpp"

#include <pod_dispatcher_sqlite/sqlite_store.hpp>

#include <string>
#include <string_view>

int main(int argc, char** argv)
{
    using pod_dispatcher_sqlite::SqliteStore;
    using pod_dispatcher_sqlite::SqliteStoreOptions;
    return crash_test::crash_worker_main<SqliteStoreOptions>(
        argc, argv, [](std::string_view file, SqliteStoreOptions options) {
            return SqliteStore::open(std::string(file), std::move(options));
        });
}
