// The process the crash tests kill: runs one operation of crash_world.hpp on a database
// file, and kills itself with SIGKILL just before the operation's k-th SQL statement, as
// a crash there would.
//
//   sqlite_crash_worker DATABASE OPERATION K
//
// K = 0 kills nothing. Exits 0 when the operation succeeded, 1 when it failed, 2 when
// called wrongly.

#include "crash_world.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s DATABASE OPERATION K\n", argv[0]);
        return 2;
    }
    const sqlite_test::Operation* operation = sqlite_test::operation_named(argv[2]);
    if (operation == nullptr) {
        std::fprintf(stderr, "no operation named %s\n", argv[2]);
        return 2;
    }
    const long kill_at = std::stol(argv[3]);
    bool started = false;
    long statements = 0;
    pod_dispatcher_sqlite::SqliteStoreOptions options;
    options.before_statement = [&](std::string_view) {
        if (started && ++statements == kill_at) {
            std::raise(SIGKILL);
        }
    };
    auto store = pod_dispatcher_sqlite::SqliteStore::open(argv[1], std::move(options));
    if (!store) {
        std::fprintf(stderr, "cannot open %s: %s\n", argv[1], store.error().message().c_str());
        return 1;
    }
    started = true;
    const auto done = operation->run(store.value());
    if (!done) {
        std::fprintf(stderr, "%s failed: %s (%s)\n", argv[2], done.error().message().c_str(),
                     store.value().last_error_message().c_str());
        return 1;
    }
    return 0;
}
