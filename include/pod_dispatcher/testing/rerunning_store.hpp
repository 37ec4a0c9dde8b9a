#ifndef POD_DISPATCHER_TESTING_RERUNNING_STORE_HPP
#define POD_DISPATCHER_TESTING_RERUNNING_STORE_HPP

// RerunningStore: a Store that runs a unit of work a second time, as the Store concept
// allows after a failure of the store's own, to show that an operation keeps nothing
// from a run that was rolled back.

#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>

#include <functional>
#include <utility>

namespace pod_dispatcher::testing {

/// Forwards every Store member to an inner store that rolls back. After
/// rerun_next_unit(between), the next unit of work runs once and is rolled back (as a
/// store that lost a lock rolls back), then between() runs, as another caller would
/// meanwhile, then the unit runs again, and that run is the one that counts.
template <Store S>
class RerunningStore : public FaultyStore<S> {
public:
    using FaultyStore<S>::FaultyStore;

    void rerun_next_unit(std::function<void()> between) { between_ = std::move(between); }

    template <class F>
    Result<void> atomically(F&& work)
    {
        if (auto between = std::exchange(between_, nullptr)) {
            (void)FaultyStore<S>::atomically([&]() -> Result<void> {
                BOOST_OUTCOME_TRY(work());
                return Errc::store_unavailable; // the store's own failure: the run is rolled back
            });
            between();
        }
        return FaultyStore<S>::atomically(std::forward<F>(work));
    }

private:
    std::function<void()> between_;
};

} // namespace pod_dispatcher::testing

#endif
