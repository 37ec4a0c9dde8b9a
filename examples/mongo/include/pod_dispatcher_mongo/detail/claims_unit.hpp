#ifndef POD_DISPATCHER_MONGO_DETAIL_CLAIMS_UNIT_HPP
#define POD_DISPATCHER_MONGO_DETAIL_CLAIMS_UNIT_HPP

// A unit of work without transactions (TransactionMode::claims): the dispatchers it read,
// the claims it holds on them (claims.hpp), the writes it made, to undo them if it fails,
// and its dispatcher writes, held back to the end.
//
// A unit claims a dispatcher as soon as it reads it. What it reads after that is as the
// units that held the dispatcher before it left it: they wrote everything before their
// claim ended. What it read before may not be (a termination reads its pod first, and a
// dispatch of that pod may have ended since), so where the store checks a guard against
// the unit's copy (Capabilities::atomic_updates false), it uses only a copy read after the
// unit's last claim, and reads the document again otherwise. A claim the unit loses is
// reported at its first write, not at the read: the unit reads what it checks first, as
// it would have (finish_task keeps to the task its first try found, say).
//
// A dispatcher write is the last write of its unit: the store holds it back and makes it
// when the unit's work has returned. Moving the dispatcher on is what ends the unit's
// claim for the others, so that the next unit to write the dispatcher's tasks and pods
// starts after this one has written all of its own. The store can say at once whether the
// held-back write will match: the unit read the dispatcher at the count it claims, and no
// other unit can move it from there.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>
#include <pod_dispatcher_mongo/detail/claims.hpp>
#include <pod_dispatcher_mongo/detail/connection.hpp>
#include <pod_dispatcher_mongo/detail/dispatcher_bson.hpp>
#include <pod_dispatcher_mongo/detail/field_update_bson.hpp>
#include <pod_dispatcher_mongo/detail/raii.hpp>
#include <pod_dispatcher_mongo/options.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/outcome/try.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace pod_dispatcher_mongo::detail {

/// A write of some fields of a task or pod, and how to take it back: the fields as they
/// were, written back if they still are as it left them.
template <pd::Document D>
struct FieldsWritten {
    std::string_view collection;
    std::string id;
    pd::FieldSet<D> fields;
    D before;
    D after;
};

/// An inserted document, and the filter that deletes it.
struct Inserted {
    std::string_view collection;
    BsonPtr filter;
};

class ClaimsUnit {
public:
    ClaimsUnit(Connection& connection, Claims& claims, const Capabilities& caps)
        : connection_(connection), claims_(claims), caps_(caps)
    {
    }

    ClaimsUnit(const ClaimsUnit&) = delete;
    ClaimsUnit& operator=(const ClaimsUnit&) = delete;

    /// However the unit ended (an exception included), other units of the store object
    /// need not wait for its claims any longer.
    ~ClaimsUnit()
    {
        for (const Copy& copy : copies_) {
            if (copy.claim) {
                claims_.ended(*copy.claim);
            }
        }
        for (const HeldClaim& lock : pod_locks_) {
            claims_.ended(lock);
        }
    }

    // ---- Reads.

    /// Remembers a dispatcher the unit read, with as much of it as p read, and claims it at
    /// the count read. A claim lost to another unit (one that holds it, or has moved the
    /// dispatcher on from there) is Errc::conflict at the unit's next write.
    Result<void> read(const pd::PodDispatcher& d, const pd::Projection& p)
    {
        Copy* copy = find_copy(d.id, d.modification_count);
        if (copy == nullptr) {
            copy = &copies_.emplace_back(Copy{d, p.pod_ids, p.max_task_ids, std::chrono::steady_clock::now()});
        } else {
            see_more_of(*copy, d, p);
        }
        if (lost_claim_) {
            return boost::outcome_v2::success(); // the unit will write nothing
        }
        auto claimed = claim(*copy);
        if (!claimed && claimed.error() == Errc::conflict) {
            lost_claim_ = true;
            return boost::outcome_v2::success();
        }
        return claimed;
    }

    /// Remembers that no dispatcher held pod_id when the unit looked.
    void saw_free_pod(std::string pod_id) { free_pods_.insert(std::move(pod_id)); }

    /// The pods the unit has not seen free: those a write that adds them must check.
    std::vector<std::string> not_seen_free(const std::vector<std::string>& pod_ids) const
    {
        std::vector<std::string> unknown;
        std::ranges::copy_if(pod_ids, std::back_inserter(unknown),
                             [&](const std::string& p) { return !free_pods_.contains(p); });
        return unknown;
    }

    /// Remembers a task or pod as the unit last read or wrote it.
    template <pd::Document D>
    void saw(const D& doc)
    {
        documents<D>().insert_or_assign(doc.id, Seen<D>{doc, claims_taken_});
    }

    /// The task or pod with this id as the unit last read or wrote it, if it did so after
    /// it took its last claim: an older copy may miss what units that held the claim
    /// before wrote (see the top of this file).
    template <pd::Document D>
    const D* copy_of(std::string_view id)
    {
        const auto& seen = documents<D>();
        const auto it = seen.find(id);
        return it == seen.end() || it->second.claims_taken != claims_taken_ ? nullptr : &it->second.doc;
    }

    bool has_held_back_writes() const noexcept { return !held_back_.empty(); }

    // ---- Writes.

    /// Errc::conflict when the unit lost a claim, or its claims leave no time to write;
    /// called before each conditional write of a task or pod. Where the store checks guards
    /// itself (Capabilities::atomic_updates false), a unit that claimed no dispatcher locks
    /// the pods it read first, and so reads them again before it writes them (copy_of);
    /// elsewhere the server's check of each guard keeps such units apart.
    Result<void> before_conditional_write()
    {
        if (lost_claim_) {
            return Errc::conflict;
        }
        if (claims_taken_ == 0 && !caps_.atomic_updates && !pods_.empty()) {
            BOOST_OUTCOME_TRY(lock_pods_read());
        }
        return within_claims();
    }

    template <pd::Document D>
    void wrote(FieldsWritten<D> write)
    {
        undo_.emplace_back(std::move(write));
    }

    void inserted(std::string_view collection, BsonPtr filter)
    {
        undo_.emplace_back(Inserted{collection, std::move(filter)});
    }

    /// update_dispatcher within the unit, u well formed: answers at once whether the write
    /// matches, and holds it back to the end of the unit. A dispatcher the unit has not read
    /// (as far as u needs) is read first (one round trip).
    Result<bool> update_dispatcher(const pd::Query& q, const pd::DispatcherUpdate& u)
    {
        BOOST_OUTCOME_TRY(Copy * copy, copy_for(q, queue_ids_needed(u)));
        if (copy == nullptr || !pd::matches(q, copy->doc) || !starts_with(copy->doc.task_ids, u.dequeue)) {
            return false;
        }
        BOOST_OUTCOME_TRY(before_conditional_write());
        if (!pods_put_in(u).empty() && !caps_.unique_pod_index) {
            BOOST_OUTCOME_TRY(check_pods_free(*copy, pods_put_in(u)));
        }
        HeldBack& write = held_back_.emplace_back(HeldBack{copy->doc.id, copy->doc.group_id,
                                                           copy->doc.modification_count, u, EnqueueWrite{}});
        if (!caps_.positional_push) {
            write.enqueue = without_position(copy->doc.task_ids, write.update);
        }
        apply(copy->doc, u);
        copy->moved_on = true;
        return true;
    }

    /// Makes the held-back dispatcher writes now.
    Result<void> flush()
    {
        for (const HeldBack& write : held_back_) {
            BOOST_OUTCOME_TRY(within_claims());
            // The claim keeps every other unit off the dispatcher; the version in the filter
            // is a second guard, left out where a filter on more than the _id reads every
            // dispatcher (see Capabilities::atomic_updates).
            Bson filter;
            Bson update;
            const bool versioned = caps_.atomic_updates;
            BOOST_OUTCOME_TRY(built(put(filter.get(), pd::keys::id, write.id) &&
                                    (!versioned || (put(filter.get(), pd::keys::group_id, write.group_id) &&
                                                    put(filter.get(), pd::keys::modification_count, write.count))) &&
                                    put_dispatcher_update(update.get(), write.update, write.enqueue)));
            BOOST_OUTCOME_TRY(auto matched, connection_.update_one(pd::collection, filter.get(), update.get()));
            if (matched == 0) {
                return Errc::conflict; // the claim no longer held: a lease ran out
            }
            undo_.clear(); // the dispatcher moved on: what the unit wrote before stands
        }
        held_back_.clear();
        return boost::outcome_v2::success();
    }

    /// The unit's work succeeded: makes the held-back writes, and gives back the claims
    /// on dispatchers it did not move on.
    Result<void> commit()
    {
        BOOST_OUTCOME_TRY(flush());
        for (const Copy& copy : copies_) {
            if (copy.claim && !copy.moved_on) {
                claims_.release(*copy.claim);
            }
        }
        release_pod_locks();
        return boost::outcome_v2::success();
    }

    /// The unit failed: takes its writes back, newest first, and gives back its claims;
    /// unless a write's outcome is unknown or the claims ran out, when whatever it wrote
    /// stays and its claims expire. Best effort: the server may be gone.
    void abandon(bool unknown_outcome)
    {
        if (unknown_outcome || !within_claims()) {
            return;
        }
        for (auto undo = undo_.rbegin(); undo != undo_.rend(); ++undo) {
            std::visit([&](const auto& write) { take_back(write); }, *undo);
        }
        for (const Copy& copy : copies_) {
            if (copy.claim) {
                claims_.release(*copy.claim);
            }
        }
        release_pod_locks();
    }

private:
    /// A dispatcher as the unit read it, and the unit's claim on it.
    struct Copy {
        pd::PodDispatcher doc;
        bool has_pods;                   ///< pod_ids was read
        std::size_t ids_read;            ///< The queue was read up to this many ids.
        SteadyTime read_at;
        std::optional<HeldClaim> claim{};
        bool moved_on = false;           ///< A held-back write moves it on.
    };

    struct HeldBack {
        std::string id;
        std::string group_id;
        std::int64_t count;
        pd::DispatcherUpdate update;
        EnqueueWrite enqueue;
    };

    /// A task or pod as the unit last read or wrote it, and how many claims the unit had
    /// taken by then.
    template <pd::Document D>
    struct Seen {
        D doc;
        int claims_taken;
    };

    using Undo = std::variant<FieldsWritten<pd::Task>, FieldsWritten<pd::Pod>, Inserted>;

    template <pd::Document D>
    std::map<std::string, Seen<D>, std::less<>>& documents()
    {
        if constexpr (std::is_same_v<D, pd::Task>) {
            return tasks_;
        } else {
            static_assert(std::is_same_v<D, pd::Pod>, "a unit remembers tasks and pods");
            return pods_;
        }
    }

    static bool starts_with(const std::vector<std::string>& queue, const std::vector<std::string>& front)
    {
        return front.size() <= queue.size() && std::equal(front.begin(), front.end(), queue.begin());
    }

    /// Adds to copy what p read of d, the same version, beyond what the unit had read.
    static void see_more_of(Copy& copy, const pd::PodDispatcher& d, const pd::Projection& p)
    {
        if (p.max_task_ids > copy.ids_read) {
            copy.doc.task_ids = d.task_ids;
            copy.ids_read = p.max_task_ids;
        }
        if (p.pod_ids && !copy.has_pods) {
            copy.doc.pod_ids = d.pod_ids;
            copy.has_pods = true;
        }
    }

    /// How much of the queue the unit must have read to write u: its front, for a dequeue;
    /// all of it, to put ids in (so that the unit's copy shows them where they go, and
    /// where the server ignores $position, the store knows the ids they move back).
    static std::size_t queue_ids_needed(const pd::DispatcherUpdate& u)
    {
        return u.enqueue.empty() ? u.dequeue.size() : std::numeric_limits<std::size_t>::max();
    }

    Copy* find_copy(std::string_view id, std::int64_t count)
    {
        const auto it = std::ranges::find_if(copies_, [&](const Copy& c) {
            return c.doc.id == id && c.doc.modification_count == count;
        });
        return it == copies_.end() ? nullptr : &*it;
    }

    /// The unit's copy of the dispatcher q names, read now when the unit has none with the
    /// pods q asks about and the first queue_ids ids; nullptr when no dispatcher matches q.
    Result<Copy*> copy_for(const pd::Query& q, std::size_t queue_ids)
    {
        Copy* copy = q.id && q.modification_count ? find_copy(*q.id, *q.modification_count) : nullptr;
        const bool enough = copy != nullptr && (!q.pod_id || copy->has_pods) &&
                            (copy->ids_read >= queue_ids || copy->doc.task_ids.size() < copy->ids_read);
        if (enough) {
            return copy;
        }
        Bson filter;
        BOOST_OUTCOME_TRY(built(put_query(filter.get(), q)));
        BOOST_OUTCOME_TRY(auto stored, connection_.find_one<pd::PodDispatcher>(pd::collection, filter.get()));
        if (!stored) {
            return nullptr;
        }
        BOOST_OUTCOME_TRY(read(*stored, pd::Projection{}));
        return find_copy(stored->id, stored->modification_count);
    }

    /// Errc::duplicate_key when another dispatcher holds one of the pods added to copy's.
    /// Pods the unit saw free need no second look.
    Result<void> check_pods_free(const Copy& copy, const std::vector<std::string>& pod_ids)
    {
        std::vector<std::string> added;
        for (const std::string& pod : not_seen_free(pod_ids)) {
            if (!copy.has_pods || std::ranges::find(copy.doc.pod_ids, pod) == copy.doc.pod_ids.end()) {
                added.push_back(pod);
            }
        }
        if (added.empty()) {
            return boost::outcome_v2::success();
        }
        Bson filter;
        BOOST_OUTCOME_TRY(built(put_holders_filter(filter.get(), added, copy.doc.id)));
        BOOST_OUTCOME_TRY(auto holder, connection_.find_one<pd::PodDispatcher>(pd::collection, filter.get()));
        if (holder) {
            return Errc::duplicate_key;
        }
        return boost::outcome_v2::success();
    }

    Result<void> claim(Copy& copy)
    {
        if (copy.claim) {
            return boost::outcome_v2::success();
        }
        if (std::chrono::steady_clock::now() - copy.read_at > claims_.lease()) {
            return Errc::conflict; // read too long ago to be trusted
        }
        BOOST_OUTCOME_TRY(copy.claim, claims_.acquire(copy.doc.id, copy.doc.modification_count));
        ++claims_taken_;
        return boost::outcome_v2::success();
    }

    /// Errc::conflict once a claim or lock the unit holds is near its end: another unit may
    /// take it over soon, so this one must write no more.
    Result<void> within_claims() const
    {
        const SteadyTime now = std::chrono::steady_clock::now();
        const auto ending = [&](const HeldClaim& held) { return now >= held.write_deadline; };
        const bool claim_ending =
            std::ranges::any_of(copies_, [&](const Copy& copy) { return copy.claim && ending(*copy.claim); });
        if (claim_ending || std::ranges::any_of(pod_locks_, ending)) {
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

    /// Locks each pod the unit read, in the order of their ids.
    Result<void> lock_pods_read()
    {
        for (const auto& read : pods_) {
            BOOST_OUTCOME_TRY(auto lock, claims_.lock_pod(read.first));
            pod_locks_.push_back(std::move(lock));
        }
        ++claims_taken_;
        return boost::outcome_v2::success();
    }

    void release_pod_locks()
    {
        for (const HeldClaim& lock : pod_locks_) {
            claims_.release(lock);
        }
    }

    /// What the held-back write u will do to d, so that the unit sees its own write.
    static void apply(pd::PodDispatcher& d, const pd::DispatcherUpdate& u)
    {
        if (u.pod_ids) {
            d.pod_ids = *u.pod_ids;
        }
        d.pod_ids.insert(d.pod_ids.end(), u.add_pods.begin(), u.add_pods.end());
        if (u.task_ids) {
            d.task_ids = *u.task_ids;
        }
        d.task_ids.erase(d.task_ids.begin(), d.task_ids.begin() + static_cast<std::ptrdiff_t>(u.dequeue.size()));
        const std::size_t at = std::min(u.enqueue_at.value_or(d.task_ids.size()), d.task_ids.size());
        d.task_ids.insert(d.task_ids.begin() + static_cast<std::ptrdiff_t>(at), u.enqueue.begin(), u.enqueue.end());
        d.modification_count += u.increment;
        d.last_modified = u.last_modified;
    }

    template <pd::Document D>
    void take_back(const FieldsWritten<D>& write)
    {
        Bson filter;
        Bson update;
        if (put_fields_filter(filter.get(), write.id, write.fields, write.after) &&
            put_fields_update(update.get(), write.fields, write.before)) {
            (void)connection_.update_one(write.collection, filter.get(), update.get());
        }
    }

    void take_back(const Inserted& insert) { (void)connection_.delete_many(insert.collection, insert.filter.get()); }

    Connection& connection_;
    Claims& claims_;
    Capabilities caps_;
    std::vector<Copy> copies_;
    std::map<std::string, Seen<pd::Task>, std::less<>> tasks_;
    std::map<std::string, Seen<pd::Pod>, std::less<>> pods_;
    std::vector<HeldClaim> pod_locks_;
    int claims_taken_ = 0; ///< Claims and pod locks taken: what copy_of compares a copy's count with.
    bool lost_claim_ = false;
    std::set<std::string> free_pods_;
    std::vector<HeldBack> held_back_;
    std::vector<Undo> undo_;
};

} // namespace pod_dispatcher_mongo::detail

#endif
