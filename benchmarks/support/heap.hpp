#ifndef POD_DISPATCHER_BENCH_HEAP_HPP
#define POD_DISPATCHER_BENCH_HEAP_HPP

// Memory per dispatcher, from glibc's mallinfo2(): the growth of the heap in use
// (uordblks, chunk headers and rounding included, plus hblkhd for blocks malloc mmaps,
// such as large hash tables) while one thread stores the dispatchers into an empty store.

#include "support/documents.hpp"
#include "support/fixtures.hpp"
#include "support/seeding.hpp"

#include <malloc.h>

#include <cstddef>

namespace pod_dispatcher::bench {

inline std::size_t heap_in_use()
{
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

/// Heap bytes per dispatcher of a store holding `count` one-task, one-pod dispatchers
/// (the dispatchers and their indexes; the tasks and pods are other collections).
template <class S>
double bytes_per_dispatcher(const StoreFactory<S>& make, std::size_t count)
{
    const std::size_t before = heap_in_use();
    const auto store = make();
    const Shape shape{count, 1, 1};
    for (std::size_t d = 0; d < count; ++d) {
        expect(store->insert_dispatcher(dispatcher_doc(d, shape)), "dispatcher");
    }
    const std::size_t after = heap_in_use();
    return static_cast<double>(after - before) / static_cast<double>(count);
}

} // namespace pod_dispatcher::bench

#endif
