#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_ID_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_ID_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace pod_dispatcher::detail {

/// 24 lowercase hex characters laid out like a MongoDB ObjectId: seconds since the
/// epoch, a random per-process value, and a counter; unique across threads and,
/// with overwhelming probability, across processes.
inline std::string generate_id()
{
    static const std::uint64_t process_random = [] {
        std::random_device device;
        return (std::uint64_t{device()} << 32 | device()) & 0xFF'FFFF'FFFF;
    }();
    static std::atomic<std::uint32_t> counter{std::random_device{}()};

    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const auto time = static_cast<std::uint32_t>(seconds.count());
    const std::uint32_t count = counter.fetch_add(1, std::memory_order_relaxed) & 0xFF'FFFF;

    std::string id(24, '0');
    auto put = [&id](std::size_t at, std::uint64_t value, std::size_t digits) {
        for (std::size_t i = 0; i < digits; ++i) {
            id[at + digits - 1 - i] = "0123456789abcdef"[(value >> (4 * i)) & 0xF];
        }
    };
    put(0, time, 8);
    put(8, process_random, 10);
    put(18, count, 6);
    return id;
}

} // namespace pod_dispatcher::detail

#endif
