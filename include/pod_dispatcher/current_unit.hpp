#ifndef POD_DISPATCHER_CURRENT_UNIT_HPP
#define POD_DISPATCHER_CURRENT_UNIT_HPP

// How a store finds the unit of work that a member called inside atomically() joins: the
// units each thread is running, innermost first, each for one store object. For store
// authors; every store in this repo keeps its units so.

#include <utility>

namespace pod_dispatcher {

/// Makes unit the calling thread's current unit of work for the store object owner, for
/// as long as it lives; of(owner) finds it. Units nest: one started inside another, for
/// another store object or the same, is found first while it runs. One registry per Unit
/// type, so that each kind of store keeps its own.
template <class Unit>
class CurrentUnit {
public:
    CurrentUnit(const void* owner, Unit& unit) noexcept
        : owner_(owner), unit_(unit), enclosing_(std::exchange(innermost_, this))
    {
    }
    CurrentUnit(const CurrentUnit&) = delete;
    CurrentUnit& operator=(const CurrentUnit&) = delete;
    ~CurrentUnit() { innermost_ = enclosing_; }

    /// The unit this thread is running for owner, if any.
    static Unit* of(const void* owner) noexcept
    {
        for (const CurrentUnit* entry = innermost_; entry != nullptr; entry = entry->enclosing_) {
            if (entry->owner_ == owner) {
                return &entry->unit_;
            }
        }
        return nullptr;
    }

private:
    const void* owner_;
    Unit& unit_;
    const CurrentUnit* enclosing_;

    static inline thread_local const CurrentUnit* innermost_ = nullptr;
};

} // namespace pod_dispatcher

#endif
