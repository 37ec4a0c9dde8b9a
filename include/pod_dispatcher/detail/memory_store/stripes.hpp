#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_STRIPES_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_STRIPES_HPP

// MemoryStore's data, split into stripes by the hash of each document's key. A stripe
// holds every kind of document whose key hashes to it under one lock, so that a unit of
// work touching a pod's record, its owner entry and its events takes one lock, not three.

#include <pod_dispatcher/detail/memory_store/stored_dispatcher.hpp>
#include <pod_dispatcher/detail/memory_store/stripe_lock.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>

#include <boost/unordered/unordered_node_map.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher::detail {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// Node-based, so that indexes may point into it.
template <class V>
using StringMap = boost::unordered_node_map<std::string, V, StringHash, std::equal_to<>>;

/// The documents of every kind whose keys hash to one stripe, and their lock. A cache
/// line of its own, so that threads on neighbouring stripes do not slow each other.
struct alignas(64) Stripe {
    StripeLock lock;
    StringMap<StoredDispatcher> dispatchers; ///< By id.
    StringMap<StoredDispatcher*> groups;     ///< Group id -> its dispatcher.
    StringMap<StoredDispatcher*> pod_owners; ///< Pod id -> the dispatcher holding it.
    StringMap<Task> tasks;
    StringMap<Pod> pods;
    StringMap<ProjectRef> project_refs;
    std::vector<Event> events; ///< Of the resources whose ids hash here, in the order appended.
};

class Stripes {
public:
    static constexpr std::size_t count = 64;

    static std::size_t index_of(std::string_view key) noexcept { return StringHash{}(key) % count; }

    Stripe& operator[](std::size_t index) noexcept { return stripes_[index]; }
    std::array<Stripe, count>& all() noexcept { return stripes_; }

private:
    std::array<Stripe, count> stripes_;
};

} // namespace pod_dispatcher::detail

#endif
