#ifndef POD_DISPATCHER_DETAIL_UNIT_OF_WORK_HPP
#define POD_DISPATCHER_DETAIL_UNIT_OF_WORK_HPP

// MemoryStore's transactions: strict two-phase locking over sharded maps, with no
// waiting while locks are held. A unit that finds a lock taken rolls back, waits for
// that lock with nothing held, and runs again; so units never deadlock, and since
// every lock is held until the unit ends, every unit is linearizable.

#include <algorithm>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace pod_dispatcher::detail {

class UnitOfWork {
public:
    /// Becomes the calling thread's current unit for `owner` until destroyed.
    explicit UnitOfWork(const void* owner) : owner_(owner), enclosing_(std::exchange(current_, this)) {}
    UnitOfWork(const UnitOfWork&) = delete;
    UnitOfWork& operator=(const UnitOfWork&) = delete;
    ~UnitOfWork()
    {
        rollback();
        current_ = enclosing_;
    }

    /// The unit this thread is running for `owner`, if any: nested calls join it.
    static UnitOfWork* current(const void* owner) noexcept
    {
        for (UnitOfWork* unit = current_; unit != nullptr; unit = unit->enclosing_) {
            if (unit->owner_ == owner) {
                return unit;
            }
        }
        return nullptr;
    }

    /// Takes m for the rest of the unit. False when another unit holds it: this one
    /// has then lost the race and must be retried.
    [[nodiscard]] bool lock(std::mutex& m)
    {
        if (contended_ != nullptr) {
            return false;
        }
        if (std::ranges::find(held_, &m) != held_.end()) {
            return true;
        }
        if (!m.try_lock()) {
            contended_ = &m;
            return false;
        }
        held_.push_back(&m);
        return true;
    }

    /// Registers how to take back a write if the unit does not commit.
    void on_rollback(std::function<void()> undo) { undo_.push_back(std::move(undo)); }

    bool lost_race() const noexcept { return contended_ != nullptr; }

    void commit() noexcept
    {
        undo_.clear();
        release();
    }

    void rollback() noexcept
    {
        for (auto undo = undo_.rbegin(); undo != undo_.rend(); ++undo) {
            (*undo)();
        }
        undo_.clear();
        release();
    }

    /// After a lost race and a rollback: blocks until the winner lets go, then resets
    /// so the unit can run again.
    void wait_for_winner()
    {
        if (contended_ != nullptr) {
            std::scoped_lock wait{*contended_};
        }
        contended_ = nullptr;
    }

private:
    void release() noexcept
    {
        for (std::mutex* m : held_) {
            m->unlock();
        }
        held_.clear();
    }

    const void* owner_;
    UnitOfWork* enclosing_;
    std::vector<std::mutex*> held_;
    std::vector<std::function<void()>> undo_;
    std::mutex* contended_ = nullptr;

    static inline thread_local UnitOfWork* current_ = nullptr;
};

/// Runs body(unit) as one unit of work of owner, or as part of the thread's current
/// one; rolls back and reruns it while it loses races, and keeps its writes only if
/// it succeeds.
template <class Body>
auto run_unit(const void* owner, Body&& body)
{
    if (UnitOfWork* unit = UnitOfWork::current(owner)) {
        return body(*unit);
    }
    for (;;) {
        UnitOfWork unit{owner};
        auto result = body(unit);
        if (!unit.lost_race()) {
            if (result) {
                unit.commit();
            }
            return result;
        }
        unit.rollback();
        unit.wait_for_winner();
    }
}

} // namespace pod_dispatcher::detail

#endif
