#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_STRIPES_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_STRIPES_HPP

// MemoryStore's data, split into stripes by the hash of each document's key. A stripe
// holds every kind of document whose key hashes to it under one lock, so that a unit of
// work touching a pod's record, its owner entry and its events takes one lock, not three.

#include <pod_dispatcher/detail/memory_store/pod_index.hpp>
#include <pod_dispatcher/detail/memory_store/stored_dispatcher.hpp>
#include <pod_dispatcher/detail/memory_store/stripe_lock.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/events.hpp>

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_node_map.hpp>

#include <array>
#include <algorithm>
#include <mutex>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher::detail {

/// A key with its hash, computed once: a store call hashes its key for the stripe and
/// again for the map, and the hash is most of the cost of a lookup.
class HashedKey {
public:
    explicit HashedKey(std::string_view key) noexcept : key_(key), hash_(boost::hash<std::string_view>{}(key)) {}

    std::string_view key() const noexcept { return key_; }
    std::size_t hash() const noexcept { return hash_; }

private:
    std::string_view key_;
    std::size_t hash_;
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return boost::hash<std::string_view>{}(s); }
    std::size_t operator()(const HashedKey& k) const noexcept { return k.hash(); }
};

struct StringEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    bool operator()(const HashedKey& a, std::string_view b) const noexcept { return a.key() == b; }
    bool operator()(std::string_view a, const HashedKey& b) const noexcept { return a == b.key(); }
};

/// Node-based, so that indexes may point into it.
template <class V>
using StringMap = boost::unordered_node_map<std::string, V, StringHash, StringEqual>;

/// An event in a log, and whether the unit that appended it took it back.
struct LoggedEvent {
    Event event;
    bool taken_back = false;
};

/// Events in the order they were appended, in chunks, so that an append never moves the
/// events already stored: a unit that rolls back marks what it appended as taken back.
class EventLog {
public:
    LoggedEvent& push_back(const Event& e)
    {
        if (chunks_.empty() || chunks_.back().size() == chunks_.back().capacity()) {
            // Small at first: a log holding a few events costs little room.
            const std::size_t room = chunks_.empty() ? first_chunk_size : std::min(2 * chunks_.back().capacity(), chunk_size);
            chunks_.emplace_back().reserve(room);
        }
        return chunks_.back().emplace_back(e);
    }

    /// f(e) for each event not taken back, oldest first.
    template <class F>
    void for_each(F&& f) const
    {
        for (const auto& chunk : chunks_) {
            for (const LoggedEvent& logged : chunk) {
                if (!logged.taken_back) {
                    f(logged.event);
                }
            }
        }
    }

    /// Moves every event not taken back out, oldest first, and empties the log.
    void drain_into(std::vector<Event>& out)
    {
        for (auto& chunk : chunks_) {
            for (LoggedEvent& logged : chunk) {
                if (!logged.taken_back) {
                    out.push_back(std::move(logged.event));
                }
            }
        }
        chunks_.clear();
        chunks_.shrink_to_fit();
    }

private:
    static constexpr std::size_t first_chunk_size = 16;
    static constexpr std::size_t chunk_size = 64;
    std::vector<std::vector<LoggedEvent>> chunks_;
};

/// The documents of every kind whose keys hash to one stripe, and their lock. A cache
/// line of its own, so that threads on neighbouring stripes do not slow each other.
struct alignas(64) Stripe {
    StripeLock lock;
    StringMap<StoredDispatcher> dispatchers; ///< By id.
    StringMap<StoredDispatcher*> groups;     ///< Group id -> its dispatcher.
    StringMap<StoredDispatcher*> pod_owners; ///< Pod id -> the dispatcher holding it.
    StringMap<Task> tasks;
    StringMap<Pod> pods;
    PodIndex pod_index; ///< The pods above by (status, last_communicated).
    StringMap<ProjectRef> project_refs;

    /// Hash tables never shrink on their own: without this, a long run's tables keep the
    /// room of the busiest moment each stripe ever had.
    void shrink_to_fit()
    {
        shrink(dispatchers);
        shrink(groups);
        shrink(pod_owners);
        shrink(tasks);
        shrink(pods);
        shrink(project_refs);
    }

private:
    /// Rebuilds a table less than a quarter full to the size its entries need; one of a
    /// single group of slots is left alone, so most tables are not rebuilt at all.
    template <class Map>
    static void shrink(Map& map)
    {
        constexpr std::size_t one_group = 16;
        if (map.bucket_count() > one_group && map.size() * 4 < map.bucket_count()) {
            map.rehash(0);
        }
    }
};

/// The event log of a few stripes. A unit appends a resource's events while it holds the
/// resource's stripe, so a resource's events keep their order, and no reader (who needs
/// the stripe too) sees them before the unit commits; the log's own lock only keeps apart
/// units of different stripes that share it. Fewer logs than stripes, so that a store's
/// events fill a few chunks rather than start one per stripe.
struct alignas(64) SharedEventLog {
    StripeLock lock;
    EventLog events;

    /// Appends events, and adds where each went to appended.
    template <class Appended>
    void append(std::span<const Event> appending, Appended& appended)
    {
        // Room first: once an event is in the log, nothing may fail before it is noted.
        appended.reserve(appended.size() + appending.size());
        const std::lock_guard held{lock};
        for (const Event& e : appending) {
            appended.push_back(&events.push_back(e));
        }
    }

    /// Marks the events at taken as taken back.
    void take_back(std::span<LoggedEvent* const> taken) noexcept
    {
        const std::lock_guard held{lock};
        for (LoggedEvent* logged : taken) {
            logged->taken_back = true;
        }
    }

    /// f(e) for each event, while units of the other stripes sharing the log may append.
    template <class F>
    void for_each(F&& f)
    {
        const std::lock_guard held{lock};
        events.for_each(std::forward<F>(f));
    }
};

class Stripes {
public:
    /// A dispatch locks five or six stripes; with this many, two units on different
    /// dispatchers rarely meet on one (with 64, one in seven did, and ran again).
    static constexpr std::size_t count = 1024;

    static constexpr std::size_t event_log_count = 64;

    static std::size_t index_of(const HashedKey& key) noexcept { return key.hash() % count; }

    Stripe& operator[](std::size_t index) noexcept { return stripes_[index]; }
    std::array<Stripe, count>& all() noexcept { return stripes_; }

    /// The log of the events of resources whose keys hash to the stripe at index.
    SharedEventLog& event_log_of(std::size_t index) noexcept { return event_logs_[index % event_log_count]; }
    std::array<SharedEventLog, event_log_count>& event_logs() noexcept { return event_logs_; }

    PodAges<count>& pod_ages() noexcept { return pod_ages_; }

private:
    std::array<Stripe, count> stripes_;
    PodAges<count> pod_ages_;
    std::array<SharedEventLog, event_log_count> event_logs_;
};

} // namespace pod_dispatcher::detail

#endif
