// pod_dispatcher on a SQLite file: a few tasks allocated a container each, the pods
// starting and taking their tasks, then the file opened again to show what it kept.
//
//   ./sqlite_example dispatch.db
//
// Starts from an empty database: it first removes a file left at that path.

#include "../example_support.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher_sqlite/sqlite_store.hpp>

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace pd = pod_dispatcher;
using pod_dispatcher_sqlite::SqliteStore;

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DATABASE_FILE\n", argv[0]);
        return 2;
    }
    const std::filesystem::path file = argv[1];
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(file.string() + suffix, ignored);
    }
    {
        auto opened = SqliteStore::open(file);
        if (!opened) {
            std::fprintf(stderr, "cannot open %s: %s\n", file.c_str(), opened.error().message().c_str());
            return 1;
        }
        if (!example::dispatch_all(opened.value())) {
            return 1;
        }
    }
    // A later process opening the same file finds everything the first one wrote.
    auto reopened = SqliteStore::open(file);
    if (!reopened) {
        std::fprintf(stderr, "cannot reopen %s: %s\n", file.c_str(), reopened.error().message().c_str());
        return 1;
    }
    const auto contents = reopened.value().snapshot();
    if (example::failed("reading the file back", contents, reopened.value())) {
        return 1;
    }
    std::printf("reopened %s: %zu dispatchers, %zu tasks, %zu pods, %zu events\n", file.c_str(),
                contents.value().dispatchers.size(), contents.value().tasks.size(), contents.value().pods.size(),
                contents.value().events.size());
    return 0;
}
