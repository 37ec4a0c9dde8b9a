// MemoryStore through the conformance kit: every suite.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/conformance.hpp>

#include <memory>

namespace {

struct MakeMemoryStore {
    static std::unique_ptr<pod_dispatcher::MemoryStore> make() { return std::make_unique<pod_dispatcher::MemoryStore>(); }
};

} // namespace

POD_DISPATCHER_CONFORMANCE_TESTS("MemoryStore", MakeMemoryStore)
