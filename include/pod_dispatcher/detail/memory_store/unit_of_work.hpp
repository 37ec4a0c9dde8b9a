#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_UNIT_OF_WORK_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_UNIT_OF_WORK_HPP

// MemoryStore's transactions: strict two-phase locking over striped maps, with no
// waiting while locks are held. A unit that finds a lock taken rolls back, waits for
// that lock with nothing held, and runs again already holding it; so units never
// deadlock, racers take turns instead of retrying in a herd, and since every lock is
// held until the unit ends, every unit is linearizable. A unit that only reads a stripe
// may share its lock with other readers.

#include <pod_dispatcher/current_unit.hpp>
#include <pod_dispatcher/detail/memory_store/stripe_lock.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

namespace pod_dispatcher::detail {

/// Actions a unit runs when it ends: how to take back its writes, or what to do once it
/// commits. They live in the unit's arena, so that registering one costs no heap
/// allocation of its own.
class ActionLog {
public:
    explicit ActionLog(std::pmr::memory_resource& arena) : arena_(arena), entries_(&arena) { entries_.reserve(16); }
    ActionLog(const ActionLog&) = delete;
    ActionLog& operator=(const ActionLog&) = delete;
    ~ActionLog() { discard(); }

    /// Adds the action Action{args...}, built in place; returns it.
    template <class Action, class... Args>
    Action& emplace(Args&&... args)
    {
        void* at = arena_.allocate(sizeof(Action), alignof(Action));
        auto* action = ::new (at) Action(std::forward<Args>(args)...);
        entries_.push_back(Entry{action, &run<Action>, &destroy<Action>});
        return *action;
    }

    /// Runs every action, newest first, and forgets them: the order that undoes writes.
    void run_newest_first() noexcept
    {
        for (auto entry = entries_.rbegin(); entry != entries_.rend(); ++entry) {
            entry->run(entry->action);
        }
        discard();
    }

    /// Runs every action, oldest first, and forgets them.
    void run_oldest_first() noexcept
    {
        for (const Entry& entry : entries_) {
            entry.run(entry.action);
        }
        discard();
    }

    /// Forgets every action without running it.
    void discard() noexcept
    {
        for (const Entry& entry : entries_) {
            entry.destroy(entry.action);
        }
        entries_.clear();
    }

private:
    struct Entry {
        void* action;
        void (*run)(void*);
        void (*destroy)(void*) noexcept;
    };

    template <class Action>
    static void run(void* action)
    {
        (*static_cast<Action*>(action))();
    }

    template <class Action>
    static void destroy(void* action) noexcept
    {
        static_cast<Action*>(action)->~Action();
    }

    std::pmr::memory_resource& arena_;
    std::pmr::vector<Entry> entries_;
};

/// An undo action that puts back a value moved aside.
template <class V>
class Restore {
public:
    explicit Restore(V& value) : slot_(value), old_(std::move(value)) {}
    void operator()() { slot_ = std::move(old_); }

private:
    V& slot_;
    V old_;
};

/// How a unit holds a lock: shared with other readers, or alone, to write.
enum class LockMode { shared, exclusive };

/// A lock a unit waited for after losing a race, held for its next run.
struct Handoff {
    StripeLock* lock = nullptr;
    bool exclusive = false;
};

class UnitOfWork {
public:
    /// Becomes the calling thread's current unit for `owner` until destroyed, holding
    /// the lock handed off by a previous run, if any.
    explicit UnitOfWork(const void* owner, Handoff handoff = {}) : registration_(owner, *this)
    {
        holds_.reserve(16);
        if (handoff.lock != nullptr) {
            holds_.push_back(Hold{handoff.lock, handoff.exclusive, handoff.lock->releases()});
        }
    }
    UnitOfWork(const UnitOfWork&) = delete;
    UnitOfWork& operator=(const UnitOfWork&) = delete;
    ~UnitOfWork() { rollback(); }

    /// The unit this thread is running for `owner`, if any: nested calls join it.
    static UnitOfWork* current(const void* owner) noexcept { return CurrentUnit<UnitOfWork>::of(owner); }

    /// Takes l exclusively for the rest of the unit, to write what it guards. False when
    /// another unit holds it: this one has then lost the race and must be retried.
    [[nodiscard]] bool lock(StripeLock& l) { return take(l, LockMode::exclusive, holds_.size()); }

    /// Takes l for the rest of the unit, to read only; other readers may hold it too.
    /// False as for lock.
    [[nodiscard]] bool lock_shared(StripeLock& l) { return take(l, LockMode::shared, holds_.size()); }

    /// Takes each of locks, which are distinct, as lock or lock_shared would one by one,
    /// but looks for each only among the locks held before: taking every stripe's lock
    /// stays linear in their number. False as for lock.
    template <std::ranges::input_range Locks>
    [[nodiscard]] bool lock_each(Locks&& locks, LockMode mode)
    {
        const std::size_t held_before = holds_.size();
        for (StripeLock& l : locks) {
            if (!take(l, mode, held_before)) {
                return false;
            }
        }
        return true;
    }

    /// Registers how to take back a write if the unit does not commit.
    template <class Undo>
    void on_rollback(Undo&& undo)
    {
        undo_.emplace<std::decay_t<Undo>>(std::forward<Undo>(undo));
    }

    /// Moves value's content aside, to be moved back if the unit does not commit; the
    /// caller then gives value its new content. Cheaper than an undo holding a copy.
    template <class V>
    void save(V& value)
    {
        undo_.emplace<Restore<V>>(value);
    }

    /// Registers the undo action Action{args...}, built in place in the unit's arena.
    /// Returns it, for the caller to finish filling in.
    template <class Action, class... Args>
    Action& on_rollback_emplace(Args&&... args)
    {
        return undo_.emplace<Action>(std::forward<Args>(args)...);
    }

    /// Registers what to do when the unit commits, before it lets go of its locks; a unit
    /// that does not commit never does it.
    template <class Action>
    void on_commit(Action&& action)
    {
        on_commit_.emplace<std::decay_t<Action>>(std::forward<Action>(action));
    }

    /// How many locks the unit holds: a mark for release_since.
    std::size_t locks_held() const noexcept { return holds_.size(); }

    /// Lets go of the locks taken since locks_held() was mark, keeping the others: what a
    /// unit at READ COMMITTED does with the locks of a read once the read is done.
    void release_since(std::size_t mark) noexcept
    {
        for (std::size_t i = mark; i < holds_.size(); ++i) {
            unlock(holds_[i]);
        }
        holds_.resize(std::min(mark, holds_.size()));
    }

    /// Makes room for n more locks at once, for a unit about to take many.
    void reserve_locks(std::size_t n) { holds_.reserve(holds_.size() + n); }

    bool lost_race() const noexcept { return contended_ != nullptr; }

    void commit() noexcept
    {
        on_commit_.run_oldest_first();
        undo_.discard();
        release();
    }

    void rollback() noexcept
    {
        on_commit_.discard();
        undo_.run_newest_first();
        release();
    }

    /// After a lost race and a rollback, with nothing held: blocks until the winner lets
    /// go of the lock this unit lost on, and takes it for the next run.
    Handoff wait_for_winner()
    {
        const Handoff handoff{std::exchange(contended_, nullptr), contended_exclusive_};
        if (handoff.exclusive) {
            handoff.lock->lock();
        } else {
            handoff.lock->lock_shared();
        }
        return handoff;
    }

private:
    struct Hold {
        StripeLock* lock;
        bool exclusive;
        std::uint64_t releases_seen; ///< l.releases() when a shared hold was taken.
    };

    /// Takes l in mode unless one of the unit's first `among` holds has it already.
    bool take(StripeLock& l, LockMode mode, std::size_t among)
    {
        if (contended_ != nullptr) {
            return false;
        }
        const bool exclusive = mode == LockMode::exclusive;
        if (Hold* hold = find(l, among)) {
            return !exclusive || hold->exclusive || upgrade(*hold);
        }
        if (!(exclusive ? l.try_lock() : l.try_lock_shared())) {
            return lose(l, exclusive);
        }
        holds_.push_back(Hold{&l, exclusive, exclusive ? 0 : l.releases()});
        return true;
    }

    /// The hold of l among the unit's first `among` holds, if any.
    Hold* find(const StripeLock& l, std::size_t among) noexcept
    {
        const auto first = holds_.begin();
        const auto last = first + static_cast<std::ptrdiff_t>(std::min(among, holds_.size()));
        const auto it = std::ranges::find(first, last, &l, &Hold::lock);
        return it == last ? nullptr : &*it;
    }

    bool lose(StripeLock& l, bool exclusive) noexcept
    {
        contended_ = &l;
        contended_exclusive_ = exclusive;
        return false;
    }

    // A shared hold becomes exclusive only if no other unit held the lock exclusively
    // in between: what this unit read under it is then still current.
    bool upgrade(Hold& hold)
    {
        StripeLock& l = *hold.lock;
        l.unlock_shared();
        if (!l.try_lock()) {
            holds_.erase(holds_.begin() + (&hold - holds_.data()));
            return lose(l, true);
        }
        hold.exclusive = true;
        return l.releases() == hold.releases_seen || lose(l, true);
    }

    static void unlock(const Hold& hold) noexcept
    {
        if (hold.exclusive) {
            hold.lock->unlock();
        } else {
            hold.lock->unlock_shared();
        }
    }

    void release() noexcept
    {
        for (const Hold& hold : holds_) {
            unlock(hold);
        }
        holds_.clear();
    }

    CurrentUnit<UnitOfWork> registration_;
    // A dispatch's locks and undo actions fit here; only a large unit uses the heap.
    alignas(std::max_align_t) std::byte buffer_[3072];
    std::pmr::monotonic_buffer_resource arena_{buffer_, sizeof buffer_};
    std::pmr::vector<Hold> holds_{&arena_};
    ActionLog undo_{arena_};
    ActionLog on_commit_{arena_};
    StripeLock* contended_ = nullptr;
    bool contended_exclusive_ = false;
};

/// Runs body(unit) as one unit of work of owner, or as part of the thread's current
/// one; rolls back and reruns it while it loses races, and keeps its writes only if it
/// succeeds.
template <class Body>
auto run_unit(const void* owner, Body&& body)
{
    if (UnitOfWork* unit = UnitOfWork::current(owner)) {
        return body(*unit);
    }
    for (Handoff handoff;;) {
        UnitOfWork unit{owner, handoff};
        auto result = body(unit);
        if (!unit.lost_race()) {
            if (result) {
                unit.commit();
            }
            return result;
        }
        unit.rollback();
        handoff = unit.wait_for_winner();
    }
}

} // namespace pod_dispatcher::detail

#endif
