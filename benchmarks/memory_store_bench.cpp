// The benchmark suite for MemoryStore, next to the floor and port baselines.

#include "support/main.hpp"

#include <pod_dispatcher/memory_store.hpp>

#include <memory>

int main(int argc, char** argv)
{
    using pod_dispatcher::MemoryStore;
    namespace bench = pod_dispatcher::bench;
    return bench::run_benchmarks<MemoryStore>(
        argc, argv, "memory_store", [] { return std::make_unique<MemoryStore>(); }, bench::memory_store_scale);
}
