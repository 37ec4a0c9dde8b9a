#ifndef POD_DISPATCHER_TESTS_MONGO_STORE_FACTORY_HPP
#define POD_DISPATCHER_TESTS_MONGO_STORE_FACTORY_HPP

// The behavioural suite's MongoStore: a fresh database on the server
// POD_DISPATCHER_MONGODB_URI names, dropped afterwards; skipped without one.

#include "mongo_test_store.hpp"
#include "support/store_factory.hpp"

#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <memory>

namespace pod_dispatcher::test {

template <>
struct StoreFactory<pod_dispatcher_mongo::MongoStore> {
    static std::unique_ptr<pod_dispatcher_mongo::MongoStore> make() { return pod_dispatcher_mongo::test::fresh_store(); }

    /// Whether a failed operation leaves nothing written: only with transactions.
    static bool rolls_back(pod_dispatcher_mongo::MongoStore& store)
    {
        const auto mode = store.mode();
        return mode && mode.value() == pod_dispatcher_mongo::TransactionMode::transactions;
    }
};

} // namespace pod_dispatcher::test

#endif
