#ifndef POD_DISPATCHER_TESTS_STORE_FACTORY_HPP
#define POD_DISPATCHER_TESTS_STORE_FACTORY_HPP

// How the behavioural suite gets a fresh, empty store of each type it runs against.
// A store that cannot be had here (no server configured) SKIPs with the reason, and
// rolls_back(store) tells whether a failed unit of work leaves nothing written.

#include <pod_dispatcher/memory_store.hpp>

#include <memory>

namespace pod_dispatcher::test {

template <class S>
struct StoreFactory;

template <>
struct StoreFactory<MemoryStore> {
    static std::unique_ptr<MemoryStore> make() { return std::make_unique<MemoryStore>(); }
    static bool rolls_back(MemoryStore&) { return true; }
};

} // namespace pod_dispatcher::test

#endif
