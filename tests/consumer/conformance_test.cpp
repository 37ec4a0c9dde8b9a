// The conformance kit run against a store of the user's own, in a few lines.

#include "toy_store.hpp"

#include <pod_dispatcher/testing/conformance.hpp>

#include <memory>

namespace {

struct MakeToyStore {
    static std::unique_ptr<toy::ToyStore> make() { return std::make_unique<toy::ToyStore>(); }
};

} // namespace

POD_DISPATCHER_CONFORMANCE_TESTS("ToyStore", MakeToyStore)
