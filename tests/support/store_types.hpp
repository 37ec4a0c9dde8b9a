#ifndef POD_DISPATCHER_TESTS_STORE_TYPES_HPP
#define POD_DISPATCHER_TESTS_STORE_TYPES_HPP

// Every store the behavioural suite runs against.

#include "support/store_factory.hpp"

#include <pod_dispatcher/memory_store.hpp>

#include <tuple>

#ifdef POD_DISPATCHER_TEST_MONGO
#include "mongo/mongo_store_factory.hpp"
#endif

namespace pod_dispatcher::test {

#ifdef POD_DISPATCHER_TEST_MONGO
using StoreTypes = std::tuple<MemoryStore, pod_dispatcher_mongo::MongoStore>;
#else
using StoreTypes = std::tuple<MemoryStore>;
#endif

} // namespace pod_dispatcher::test

#endif
