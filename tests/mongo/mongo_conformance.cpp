// MongoStore through the conformance kit, on a fresh database of the server
// POD_DISPATCHER_MONGODB_URI names; every test skips, saying so, without one.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/testing/conformance.hpp>
#include <pod_dispatcher/testing/interleaving_options.hpp>

#include <chrono>
#include <memory>

namespace {

struct MakeMongoStore {
    static std::unique_ptr<pod_dispatcher_mongo::MongoStore> make() { return pod_dispatcher_mongo::test::fresh_store(); }

    /// Every call is a few round trips: smaller worlds, and a longer budget.
    static pod_dispatcher::testing::InterleavingOptions interleaving_options()
    {
        pod_dispatcher::testing::InterleavingOptions options;
        options.operations_per_thread = 60;
        options.queued_tasks = 60;
        options.task_group_tasks = 24;
        options.pool_tasks = 20;
        options.min_iterations = 5;
        options.iterations = 8;
        options.budget = std::chrono::seconds{15};
        return options;
    }
};

} // namespace

POD_DISPATCHER_CONFORMANCE_TESTS("MongoStore", MakeMongoStore)
