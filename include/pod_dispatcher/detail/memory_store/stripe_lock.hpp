#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_STRIPE_LOCK_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_STRIPE_LOCK_HPP

// The lock of one stripe of MemoryStore: a readers-writer lock in one atomic word. Units
// of work only ever try it (they never wait while holding a lock), so trying must be
// cheap: one compare-and-swap, no system call. Waiting, with nothing held, spins for
// about as long as a unit of work runs and then sleeps on the word.

#include <atomic>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace pod_dispatcher::detail {

class StripeLock {
public:
    [[nodiscard]] bool try_lock() noexcept
    {
        std::uint32_t s = state_.load(std::memory_order_relaxed);
        return (s & ~waiters) == 0 && state_.compare_exchange_strong(s, s | writer, std::memory_order_acquire);
    }

    [[nodiscard]] bool try_lock_shared() noexcept
    {
        std::uint32_t s = state_.load(std::memory_order_relaxed);
        while ((s & writer) == 0) {
            if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) {
                return true;
            }
        }
        return false;
    }

    void unlock() noexcept
    {
        ++releases_;
        if ((state_.exchange(0, std::memory_order_release) & waiters) != 0) {
            state_.notify_all();
        }
    }

    void unlock_shared() noexcept
    {
        const std::uint32_t before = state_.fetch_sub(1, std::memory_order_release);
        if ((before & readers) == 1 && (before & waiters) != 0) {
            state_.fetch_and(~waiters, std::memory_order_relaxed);
            state_.notify_all();
        }
    }

    void lock() noexcept { wait_for([this] { return try_lock(); }, writer | readers); }
    void lock_shared() noexcept { wait_for([this] { return try_lock_shared(); }, writer); }

    /// How often the lock was released by a writer; changed only while held exclusively,
    /// so a unit that read under a shared hold can tell whether anyone wrote since.
    std::uint64_t releases() const noexcept { return releases_; }

private:
    static constexpr std::uint32_t writer = 1U << 31;
    static constexpr std::uint32_t waiters = 1U << 30;
    static constexpr std::uint32_t readers = waiters - 1;

    static void pause() noexcept
    {
#if defined(__x86_64__) || defined(__i386__)
        _mm_pause();
#endif
    }

    /// Spins long enough to outlast a holder's whole unit of work (a dispatch holds its
    /// locks for a microsecond or two): sleeping and being woken costs more than that.
    static constexpr int spins = 1024;

    /// Takes the lock through try_take, sleeping while any of the `blocking` bits is set.
    template <class TryTake>
    void wait_for(TryTake try_take, std::uint32_t blocking) noexcept
    {
        for (int spin = 0; spin < spins; ++spin) {
            if (try_take()) {
                return;
            }
            pause();
        }
        for (;;) {
            if (try_take()) {
                return;
            }
            std::uint32_t s = state_.load(std::memory_order_relaxed);
            if ((s & blocking) == 0) {
                continue;
            }
            if ((s & waiters) == 0 && !state_.compare_exchange_weak(s, s | waiters, std::memory_order_relaxed)) {
                continue;
            }
            state_.wait(s | waiters, std::memory_order_relaxed);
        }
    }

    std::atomic<std::uint32_t> state_{0};
    std::uint64_t releases_ = 0;
};

} // namespace pod_dispatcher::detail

#endif
