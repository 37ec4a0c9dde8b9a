#ifndef POD_DISPATCHER_TESTING_INTERPOSING_STORE_HPP
#define POD_DISPATCHER_TESTING_INTERPOSING_STORE_HPP

// InterposingStore: a Store that lets another caller in just before each unit of work,
// to show what an operation does when what it read before the unit has changed by the
// time the unit runs (rescue_stale_pods reads the stale pods first, then terminates each
// in a unit of its own).

#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>

#include <functional>
#include <utility>

namespace pod_dispatcher::testing {

/// Forwards every Store member to an inner store, counting calls and injecting faults as
/// FaultyStore does. After before_each_unit(meanwhile), meanwhile() runs before each unit
/// of work starts, as another caller's calls would run between two of the operation's.
/// meanwhile may call this store: those calls are not interposed on again.
template <Store S>
class InterposingStore : public FaultyStore<S> {
public:
    using FaultyStore<S>::FaultyStore;

    void before_each_unit(std::function<void()> meanwhile) { meanwhile_ = std::move(meanwhile); }

    template <class F>
    Result<void> atomically(F&& work)
    {
        if (auto meanwhile = std::exchange(meanwhile_, nullptr)) {
            meanwhile();
            meanwhile_ = std::move(meanwhile);
        }
        return FaultyStore<S>::atomically(std::forward<F>(work));
    }

private:
    std::function<void()> meanwhile_;
};

} // namespace pod_dispatcher::testing

#endif
