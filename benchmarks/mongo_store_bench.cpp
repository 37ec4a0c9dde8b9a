// The benchmark suite for the MongoDB example store, against the server
// POD_DISPATCHER_MONGODB_URI names, next to the in-memory floor and port baselines.
// Every fixture gets a fresh database, dropped when the fixture is done. Sizes are
// smaller than MemoryStore's: each operation is a few round trips, and seeding a
// million documents over the wire would take most of an hour.

#include "support/main.hpp"

#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

namespace bench = pod_dispatcher::bench;
using pod_dispatcher_mongo::MongoStore;

bench::Scale mongo_scale(bool quick)
{
    bench::Scale scale;
    scale.queue_lengths = {1, 100, quick ? 1'000u : 10'000u};
    scale.dispatcher_counts = {1, quick ? 100u : 1'000u};
    scale.batch_ops = quick ? 20 : 100;
    scale.racing_tasks = quick ? 40 : 200;
    scale.dispatchers_per_thread = 1;
    scale.pods_per_dispatcher = quick ? 20 : 100;
    scale.memory_dispatchers = 0; // The server's memory, not this process's.
    scale.timing_targets = false;
    scale.repeats = quick ? bench::RepeatPolicy{2, 5, std::chrono::milliseconds{0}}
                          : bench::RepeatPolicy{5, 50, std::chrono::milliseconds{2000}};
    return scale;
}

std::unique_ptr<MongoStore> open_store(const std::string& uri)
{
    pod_dispatcher_mongo::MongoStoreOptions options;
    options.database = "pod_dispatcher_bench_" + std::to_string(::getpid());
    options.drop_database_on_destruction = true;
    auto store = MongoStore::open(uri, std::move(options));
    if (!store) {
        throw std::runtime_error("cannot open " + uri + ": " + store.error().message());
    }
    auto opened = std::make_unique<MongoStore>(std::move(store).value());
    if (auto dropped = opened->drop_database(); !dropped) {
        throw std::runtime_error("cannot reach the server: " + opened->last_error_message());
    }
    return opened;
}

} // namespace

int main(int argc, char** argv)
{
    const char* uri = std::getenv("POD_DISPATCHER_MONGODB_URI");
    if (uri == nullptr || *uri == '\0') {
        std::printf("skipped: set POD_DISPATCHER_MONGODB_URI to a MongoDB-wire server to benchmark MongoStore\n");
        return 0;
    }
    return bench::run_benchmarks<MongoStore>(
        argc, argv, "mongo_store", [uri = std::string(uri)] { return open_store(uri); }, mongo_scale);
}
