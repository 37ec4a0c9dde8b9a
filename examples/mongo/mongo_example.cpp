// pod_dispatcher on a MongoDB-wire server: a few tasks allocated a container each, the
// pods starting and taking their tasks, and what the store did.
//
//   POD_DISPATCHER_MONGODB_URI=mongodb://127.0.0.1:27017/ ./mongo_example
//
// Uses (and first empties) the database pod_dispatcher_example.

#include "../example_support.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace pd = pod_dispatcher;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::TransactionMode;

namespace {

constexpr int task_count = 3;

} // namespace

int main()
{
    const char* uri = std::getenv("POD_DISPATCHER_MONGODB_URI");
    if (uri == nullptr) {
        std::fprintf(stderr, "set POD_DISPATCHER_MONGODB_URI, e.g. mongodb://127.0.0.1:27017/\n");
        return 2;
    }
    pod_dispatcher_mongo::MongoStoreOptions options;
    options.database = "pod_dispatcher_example";
    auto opened = MongoStore::open(uri, options);
    if (!opened) {
        std::fprintf(stderr, "bad URI: %s\n", opened.error().message().c_str());
        return 2;
    }
    MongoStore& store = opened.value();
    if (example::failed("emptying the database", store.drop_database(), store)) {
        return 1;
    }
    const auto mode = store.mode();
    if (example::failed("connecting", mode, store)) {
        return 1;
    }
    std::printf("connected; units of work run %s\n",
                mode.value() == TransactionMode::transactions ? "in transactions" : "under claims, without transactions");

    if (example::failed("storing the project", store.insert_project_ref(pd::ProjectRef{.id = "demo"}), store)) {
        return 1;
    }
    for (int i = 0; i < task_count; ++i) {
        pd::Task task = example::ready_task("task-" + std::to_string(i));
        pd::Pod pod{.id = "pod-" + std::to_string(i), .agent_version = "agent-1"};
        if (example::failed("storing a task", store.insert_task(task), store)) {
            return 1;
        }
        auto d = pd::allocate(store, task, pod);
        if (example::failed("allocate", d, store)) {
            return 1;
        }
        std::printf("allocated %s (attempt %d): dispatcher %s queues %zu task(s) for %zu pod(s)\n", task.id.c_str(),
                    task.container_allocation_attempts, d.value().id.c_str(), d.value().task_ids.size(),
                    d.value().pod_ids.size());

        // The container comes up: its pod is now running and asks for work.
        pd::Pod running;
        running.status = pd::PodStatus::running;
        const auto status = pd::FieldSet<pd::Pod>::of(&pd::Pod::status);
        if (example::failed("starting the pod", store.update_pod(pd::FieldUpdate<pd::Pod>{pod.id, status, pod, status, running}),
                   store)) {
            return 1;
        }
        auto next = pd::dispatch_next_task(store, pod.id);
        if (example::failed("dispatch_next_task", next, store)) {
            return 1;
        }
        if (next.value()) {
            std::printf("  %s took %s (status dispatched, agent %s)\n", pod.id.c_str(),
                        next.value()->id.c_str(), next.value()->agent_version.c_str());
        }
        auto again = pd::dispatch_next_task(store, pod.id);
        std::printf("  %s asks again: %s\n", pod.id.c_str(), again ? "nothing left" : again.error().message().c_str());
    }
    const auto events = store.events_for("task-0");
    if (example::failed("reading events", events, store)) {
        return 1;
    }
    for (const pd::Event& e : events.value()) {
        std::printf("event for task-0: %s\n", boost::json::serialize(boost::json::value_from(e)).c_str());
    }
    return 0;
}
