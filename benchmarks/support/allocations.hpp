#ifndef POD_DISPATCHER_BENCH_ALLOCATIONS_HPP
#define POD_DISPATCHER_BENCH_ALLOCATIONS_HPP

// Heap allocations, counted per thread: the program's operator new is replaced by one that
// counts. Replacement functions must be defined once per program, so only a benchmark
// program's single source file includes this header (through main.hpp).

#include <cstddef>
#include <cstdlib>
#include <new>

namespace pod_dispatcher::bench {

namespace counting {
inline thread_local std::size_t allocations_here = 0;

inline void* counted_allocation(std::size_t size, std::size_t alignment = 0)
{
    ++allocations_here;
    size = size == 0 ? 1 : size;
    void* p = alignment == 0 ? std::malloc(size) : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}
} // namespace counting

/// Heap allocations the calling thread has made so far.
inline std::size_t allocations_on_this_thread() noexcept { return counting::allocations_here; }

} // namespace pod_dispatcher::bench

void* operator new(std::size_t size) { return pod_dispatcher::bench::counting::counted_allocation(size); }
void* operator new[](std::size_t size) { return pod_dispatcher::bench::counting::counted_allocation(size); }
void* operator new(std::size_t size, std::align_val_t alignment)
{
    return pod_dispatcher::bench::counting::counted_allocation(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment)
{
    return pod_dispatcher::bench::counting::counted_allocation(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#endif
