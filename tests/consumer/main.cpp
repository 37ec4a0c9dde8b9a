// Allocates one task and dispatches it on a MemoryStore and, where the project links
// pod_dispatcher's stores (CONSUMER_<STORE>), on a SQLite file too; PostgreSQL and MongoDB,
// with no server here, go only as far as they can without one. Exits 0 only if each
// store did as it should.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#ifdef CONSUMER_SQLITE
#include <pod_dispatcher_sqlite/sqlite_store.hpp>

#include <filesystem>
#endif
#ifdef CONSUMER_POSTGRES
#include <pod_dispatcher_postgres/postgres_store.hpp>
#endif
#ifdef CONSUMER_MONGO
#include <pod_dispatcher_mongo/mongo_store.hpp>
#endif

namespace {

using namespace pod_dispatcher;

// True only if the pod got the task.
template <Store S>
bool dispatch_one(S& store)
{
    Task task;
    task.id = "task";
    task.project = "project";
    task.activated = true;
    Pod pod;
    pod.id = "pod";
    ProjectRef project;
    project.id = "project";
    if (!store.insert_task(task) || !store.insert_project_ref(project) || !allocate(store, task, pod)) {
        return false;
    }
    // The pod starts: the system that runs pods says so through the store.
    Pod running;
    running.status = PodStatus::running;
    const auto started =
        store.update_pod(FieldUpdate<Pod>{"pod", {}, pod, FieldSet<Pod>::of(&Pod::status), running});
    if (!started || !started.value()) {
        return false;
    }
    auto dispatched = dispatch_next_task(store, "pod");
    return dispatched && dispatched.value() && dispatched.value()->id == "task";
}

} // namespace

int main()
{
    MemoryStore memory;
    if (!dispatch_one(memory)) {
        return 1;
    }
#ifdef CONSUMER_SQLITE
    // A fresh file in the working directory: a task left by an earlier run would clash.
    const std::filesystem::path file = "consumer.db";
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(file.string() + suffix);
    }
    auto sqlite = pod_dispatcher_sqlite::SqliteStore::open(file);
    if (!sqlite || !dispatch_one(sqlite.value())) {
        return 1;
    }
#endif
#ifdef CONSUMER_POSTGRES
    // libpq refuses a connection string it cannot parse, and the store says so.
    static_assert(Store<pod_dispatcher_postgres::PostgresStore>);
    auto postgres = pod_dispatcher_postgres::PostgresStore::open("not a connection string");
    if (postgres || postgres.error() != Errc::store_unavailable) {
        return 1;
    }
#endif
#ifdef CONSUMER_MONGO
    // Opening only parses the URI: a well-formed one opens with no server, a malformed one fails.
    static_assert(Store<pod_dispatcher_mongo::MongoStore>);
    auto mongo = pod_dispatcher_mongo::MongoStore::open("mongodb://127.0.0.1:1/consumer");
    auto malformed = pod_dispatcher_mongo::MongoStore::open("not a uri");
    if (!mongo || malformed || malformed.error() != Errc::invalid_argument) {
        return 1;
    }
#endif
    return 0;
}
