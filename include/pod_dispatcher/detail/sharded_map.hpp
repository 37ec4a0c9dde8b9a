#ifndef POD_DISPATCHER_DETAIL_SHARDED_MAP_HPP
#define POD_DISPATCHER_DETAIL_SHARDED_MAP_HPP

// A string-keyed map split into shards, each behind its own lock, so that units of
// work on different keys seldom contend.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pod_dispatcher::detail {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// A shard's lock: shared by units that only read the shard, exclusive for one that
/// writes it. `releases` counts the exclusive holds let go (changed only under the
/// exclusive lock), so that a unit turning a shared hold into an exclusive one can tell
/// whether another unit held it exclusively in between.
struct ShardLock {
    std::shared_mutex mutex;
    std::uint64_t releases = 0;
};

template <class V>
class ShardedMap {
public:
    using Map = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

    // A cache line each, so that threads locking neighbouring shards do not slow each other.
    struct alignas(64) Shard {
        ShardLock lock;
        Map items; ///< Guarded by lock.
    };

    static constexpr std::size_t shard_count = 64;

    Shard& shard_for(std::string_view key) noexcept { return shards_[StringHash{}(key) % shard_count]; }
    std::array<Shard, shard_count>& shards() noexcept { return shards_; }

private:
    std::array<Shard, shard_count> shards_;
};

} // namespace pod_dispatcher::detail

#endif
