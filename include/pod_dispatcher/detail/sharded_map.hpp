#ifndef POD_DISPATCHER_DETAIL_SHARDED_MAP_HPP
#define POD_DISPATCHER_DETAIL_SHARDED_MAP_HPP

// A string-keyed map split into shards, each behind its own mutex, so that units of
// work on different keys seldom contend.

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pod_dispatcher::detail {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <class V>
class ShardedMap {
public:
    using Map = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

    struct Shard {
        std::mutex mutex;
        Map items; ///< Guarded by mutex.
    };

    static constexpr std::size_t shard_count = 64;

    Shard& shard_for(std::string_view key) noexcept { return shards_[StringHash{}(key) % shard_count]; }
    std::array<Shard, shard_count>& shards() noexcept { return shards_; }

private:
    std::array<Shard, shard_count> shards_;
};

} // namespace pod_dispatcher::detail

#endif
