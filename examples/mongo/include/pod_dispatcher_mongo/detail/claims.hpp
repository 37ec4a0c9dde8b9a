#ifndef POD_DISPATCHER_MONGO_DETAIL_CLAIMS_HPP
#define POD_DISPATCHER_MONGO_DETAIL_CLAIMS_HPP

// Claims: how units of work of different store objects and processes keep apart on a
// server without transactions, relying on nothing but an insert under a unique key being
// atomic (some servers check an update's filter and write the document in two steps, so
// that two conditional updates can both succeed).
//
// A unit inserts a claim for each dispatcher it reads, keyed by the dispatcher's id and
// the modification_count it read. Every write of a dispatcher moves its count on, and is
// made under a claim on the count it moves it from, so only one unit ever moves a
// dispatcher on from a given count: the one whose insert won. A unit that read a count
// another has moved on from meets that unit's claim and loses (Errc::conflict) before
// writing anything. The tasks and pods a unit writes are those of the dispatchers it
// claimed (the operations that write a pod read its dispatcher first), so one unit at a
// time writes them.
//
// A unit that holds no claim on a dispatcher (its pod is in none) locks, before its first
// conditional write, each pod it read: one unit at a time writes such a pod and its task.
//
// A claim stays when its unit succeeds, if the unit moved the dispatcher on (the claim
// keeps units that read the old count out); otherwise it is deleted when its unit ends,
// as is a pod's lock. A claim held by a client that died expires after a lease: the next
// unit that meets it checks that the dispatcher is still at that count, and claims the
// next generation of the same count (a pod's lock: the next generation). A holder never
// writes in the last quarter of its lease, nor claims on a read older than the lease, so a
// claim that expired is one whose holder has stopped. Claims that expired two leases ago
// are deleted now and then; no unit can still need them.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/fields.hpp>

#include <boost/outcome/try.hpp>

#include <bson/bson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>

namespace pod_dispatcher_mongo::detail {

/// The collection of claims, beside the store's documents.
inline constexpr std::string_view claims_collection = "pod_dispatcher_claims";

/// A stored claim: who may move a dispatcher on from a count.
struct ClaimDoc {
    std::string key{};         ///< "<count>/<generation>/<dispatcher id>"
    std::string owner{};       ///< The store object holding it, for people reading the collection.
    pd::Timestamp until{};     ///< After this, it is taken to be abandoned.
};

} // namespace pod_dispatcher_mongo::detail

template <>
struct pod_dispatcher::Fields<pod_dispatcher_mongo::detail::ClaimDoc> {
    using C = pod_dispatcher_mongo::detail::ClaimDoc;
    static constexpr std::tuple all{
        field("key", &C::key, FieldRole::id),
        field("owner", &C::owner),
        field("until", &C::until),
    };
};

namespace pod_dispatcher_mongo::detail {

using SteadyTime = std::chrono::steady_clock::time_point;

/// A claim a unit of work holds.
struct HeldClaim {
    std::string key;
    SteadyTime claimed_at;
    SteadyTime write_deadline; ///< The unit writes nothing after this.
};

inline std::string claim_key(std::string_view dispatcher_id, std::int64_t count, int generation)
{
    return std::to_string(count) + "/" + std::to_string(generation) + "/" + std::string(dispatcher_id);
}

/// "pod/<generation>/<pod id>": never a claim's key, whose first part is a count.
inline std::string pod_lock_key(std::string_view pod_id, int generation)
{
    return "pod/" + std::to_string(generation) + "/" + std::string(pod_id);
}

/// The claims of one store object.
class Claims {
public:
    Claims(Connection& connection, std::chrono::milliseconds lease)
        : connection_(connection), lease_(lease), owner_(random_owner()),
          next_collection_((std::chrono::steady_clock::now() + lease).time_since_epoch().count())
    {
    }

    std::chrono::milliseconds lease() const noexcept { return lease_; }

    /// Claims the dispatcher at count; Errc::conflict when another unit holds that claim or
    /// has moved the dispatcher on from count. A unit of this store object that holds it is
    /// waited for first, without a round trip: it will have moved the dispatcher on, or
    /// given the claim back, by the time the caller reads again.
    Result<HeldClaim> acquire(std::string_view dispatcher_id, std::int64_t count)
    {
        const auto key = [&](int generation) { return claim_key(dispatcher_id, count, generation); };
        // A holder that stopped part way left the dispatcher at count, or moved it on.
        const auto holder_stopped_at_count = [&]() -> Result<bool> {
            BOOST_OUTCOME_TRY(auto stored, stored_count(dispatcher_id));
            return stored == count;
        };
        return take(key, holder_stopped_at_count, [](int) -> Result<bool> { return true; });
    }

    /// Locks the pod for a unit that holds no claim on a dispatcher (the pod is in none),
    /// until the unit ends; Errc::conflict when another unit holds the lock. One more round
    /// trip than a claim: a lock has no count that moves on, so a generation deleted as
    /// garbage may be taken again while a later one is held, and the taker checks that no
    /// other generation is held before it keeps its own.
    Result<HeldClaim> lock_pod(std::string_view pod_id)
    {
        const auto key = [&](int generation) { return pod_lock_key(pod_id, generation); };
        const auto always = []() -> Result<bool> { return true; };
        return take(key, always, [&](int generation) { return held_alone(pod_id, generation); });
    }

    /// The unit holding claim has ended: units of this store object waiting for it go on.
    void ended(const HeldClaim& claim)
    {
        {
            std::lock_guard lock{held_mutex_};
            held_here_.erase(claim.key);
            const auto held_for = std::chrono::steady_clock::now() - claim.claimed_at;
            typical_hold_ = (typical_hold_ * 3 + std::chrono::duration_cast<std::chrono::microseconds>(held_for)) / 4;
        }
        unit_ended_.notify_all();
    }

    /// Deletes a claim whose unit moved nothing on, so that the next unit need not wait
    /// for it to expire. Best effort: one that stays expires.
    void release(const HeldClaim& claim)
    {
        Bson filter;
        if (put(filter.get(), "_id", claim.key)) {
            (void)connection_.delete_many(claims_collection, filter.get());
        }
    }

    /// Deletes the claims no unit can need any more, at most once a lease. Best effort.
    void collect_garbage()
    {
        const auto now = std::chrono::steady_clock::now();
        auto due = next_collection_.load();
        if (now.time_since_epoch().count() < due ||
            !next_collection_.compare_exchange_strong(due, (now + lease_).time_since_epoch().count())) {
            return; // not yet, or another thread is at it
        }
        Bson filter;
        const bool built = put_nested(filter.get(), "until", false, [&](bson_t* lt) {
            return put(lt, "$lt", pd::now() - 2 * lease_);
        });
        if (built) {
            (void)connection_.delete_many(claims_collection, filter.get());
        }
    }

private:
    static constexpr int most_generations = 8;

    /// Inserts the claim of the first generation, key(generation), that is free: one whose
    /// holder stopped (it expired, and may_take_over() says what it left can be taken over)
    /// makes way for the next. Errc::conflict when a live unit holds one, or
    /// alone_check(generation) finds the inserted one is not alone.
    template <class Key, class TakeOver, class Alone>
    Result<HeldClaim> take(const Key& key, const TakeOver& may_take_over, const Alone& alone_check)
    {
        if (wait_while_held_here(key(0))) {
            return Errc::conflict;
        }
        int generation = 0;
        for (int attempt = 0; attempt < 2 * most_generations && generation < most_generations; ++attempt) {
            const std::string claimed = key(generation);
            const SteadyTime claimed_at = std::chrono::steady_clock::now();
            const auto inserted = insert(claimed);
            if (inserted) {
                HeldClaim held{claimed, claimed_at, claimed_at + lease_ - lease_ / 4};
                BOOST_OUTCOME_TRY(bool alone, alone_check(generation));
                if (!alone) {
                    release(held);
                    return Errc::conflict;
                }
                std::lock_guard lock{held_mutex_};
                held_here_.insert(claimed);
                return held;
            }
            if (inserted.error() != Errc::duplicate_key) {
                return inserted.error();
            }
            BOOST_OUTCOME_TRY(auto holder, read(claimed));
            if (!holder) {
                continue; // released meanwhile: try the same key again
            }
            if (holder->until > pd::now()) {
                wait_for_holder(*holder);
                return Errc::conflict;
            }
            BOOST_OUTCOME_TRY(bool stopped, may_take_over());
            if (!stopped) {
                return Errc::conflict; // its holder moved on: what the caller read is stale
            }
            ++generation;
        }
        return Errc::conflict;
    }

    /// Whether no generation of the pod's lock but this one is held.
    Result<bool> held_alone(std::string_view pod_id, int generation)
    {
        Bson filter;
        const bool built_filter = put_nested(filter.get(), "_id", false, [&](bson_t* in) {
            return put_nested(in, "$in", true, [&](bson_t* keys) {
                return for_each_index(most_generations, [&](std::size_t g, std::string_view index) {
                    return put(keys, index, pod_lock_key(pod_id, static_cast<int>(g)));
                });
            });
        });
        BOOST_OUTCOME_TRY(built(built_filter));
        Bson opts;
        BOOST_OUTCOME_TRY(auto held, connection_.find<ClaimDoc>(claims_collection, filter.get(), opts.get()));
        const std::string mine = pod_lock_key(pod_id, generation);
        const pd::Timestamp now = pd::now();
        return std::ranges::none_of(held, [&](const ClaimDoc& c) { return c.key != mine && c.until > now; });
    }

    /// Waits, up to a lease, while a unit of this store object holds key; whether it did.
    bool wait_while_held_here(const std::string& key)
    {
        std::unique_lock lock{held_mutex_};
        if (!held_here_.contains(key)) {
            return false;
        }
        unit_ended_.wait_for(lock, lease_, [&] { return !held_here_.contains(key); });
        return true;
    }

    /// A unit that finds the dispatcher claimed by another lets the holder finish before
    /// the caller reads it again: a retry at once would only meet the same claim, and load
    /// the server that the holder waits on. It waits about as long as this store's own
    /// units hold their claims, less the time the holder has held its own; a random part
    /// keeps the waiters apart.
    void wait_for_holder(const ClaimDoc& held)
    {
        std::chrono::microseconds typical;
        {
            std::lock_guard lock{held_mutex_};
            typical = typical_hold_;
        }
        const auto age = std::chrono::duration_cast<std::chrono::microseconds>(pd::now() - (held.until - lease_));
        const auto left = std::clamp(typical - age, std::chrono::microseconds{1'000}, typical);
        thread_local std::minstd_rand random{std::random_device{}()};
        const auto jitter = std::uniform_int_distribution<std::int64_t>{0, left.count() / 2}(random);
        std::this_thread::sleep_for(left + std::chrono::microseconds{jitter});
    }

    static std::string random_owner()
    {
        static constexpr char hex[] = "0123456789abcdef";
        std::random_device random;
        std::string owner;
        for (int i = 0; i < 16; ++i) {
            owner += hex[random() % 16];
        }
        return owner;
    }

    Result<void> insert(const std::string& key)
    {
        Bson doc;
        BOOST_OUTCOME_TRY(built(encode(doc.get(), ClaimDoc{key, owner_, pd::now() + lease_})));
        return connection_.insert(claims_collection, {doc.get()});
    }

    Result<std::optional<ClaimDoc>> read(const std::string& key)
    {
        Bson filter;
        BOOST_OUTCOME_TRY(built(put(filter.get(), "_id", key)));
        return connection_.find_one<ClaimDoc>(claims_collection, filter.get());
    }

    /// The dispatcher's count as stored now; -1 when it is gone.
    Result<std::int64_t> stored_count(std::string_view dispatcher_id)
    {
        Bson filter;
        Bson count_only;
        BOOST_OUTCOME_TRY(built(put(filter.get(), pd::keys::id, dispatcher_id) &&
                                put(count_only.get(), pd::keys::modification_count, 1)));
        BOOST_OUTCOME_TRY(auto stored,
                          connection_.find_one<pd::PodDispatcher>(pd::collection, filter.get(), count_only.get()));
        return stored ? stored->modification_count : -1;
    }

    Connection& connection_;
    std::chrono::milliseconds lease_;
    std::string owner_;
    std::atomic<std::chrono::steady_clock::rep> next_collection_;
    std::mutex held_mutex_; ///< Guards held_here_ and typical_hold_.
    std::set<std::string> held_here_; ///< Claims units of this store object hold now.
    std::chrono::microseconds typical_hold_{10'000}; ///< How long its units hold a claim, about.
    std::condition_variable unit_ended_;
};

} // namespace pod_dispatcher_mongo::detail

#endif
