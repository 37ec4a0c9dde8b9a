// The conformance kit against a store that says it cannot roll back a unit of work: the
// operations then read before they write, and the kit skips or narrows what such a
// store cannot promise, saying why. MemoryStore stands in for one here, so that those
// paths run without a server (it still rolls back, so this shows the paths work, not
// what a store without rollback leaves behind).

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/conformance.hpp>

#include <chrono>
#include <memory>

namespace {

struct MemoryStoreWithoutRollback : pod_dispatcher::MemoryStore {
    static constexpr bool rolls_back() noexcept { return false; }
};

struct MakeMemoryStoreWithoutRollback {
    static std::unique_ptr<MemoryStoreWithoutRollback> make() { return std::make_unique<MemoryStoreWithoutRollback>(); }

    // A second registration of the same store: a shorter race than MemoryStore's own.
    static pod_dispatcher::testing::InterleavingOptions interleaving_options()
    {
        return {.operations_per_thread = 300, .budget = std::chrono::seconds{1}};
    }
};

} // namespace

POD_DISPATCHER_CONFORMANCE_TESTS("MemoryStore without rollback", MakeMemoryStoreWithoutRollback)
