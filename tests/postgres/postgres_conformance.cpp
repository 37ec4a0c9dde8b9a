// PostgresStore through the conformance kit: every suite, each store on a new schema of
// the server POD_DISPATCHER_POSTGRES_URI names; every test skips, saying so, without one.

#include "scratch_schema.hpp"

#include <pod_dispatcher/testing/conformance.hpp>
#include <pod_dispatcher/testing/interleaving_options.hpp>

#include <chrono>
#include <memory>

namespace {

struct MakeScratchStore {
    static std::unique_ptr<postgres_test::ScratchStore> make() { return std::make_unique<postgres_test::ScratchStore>(); }

    /// The races are where READ COMMITTED is tried: threads on connections of their own,
    /// whose units meet only at row locks. Each iteration takes about two seconds here (a
    /// round trip per call), so at least ten of them, more while fifteen seconds last.
    static pod_dispatcher::testing::InterleavingOptions interleaving_options()
    {
        pod_dispatcher::testing::InterleavingOptions options;
        options.min_iterations = 10;
        options.budget = std::chrono::seconds{15};
        return options;
    }
};

} // namespace

POD_DISPATCHER_CONFORMANCE_TESTS("PostgresStore", MakeScratchStore)
