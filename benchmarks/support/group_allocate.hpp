#ifndef POD_DISPATCHER_BENCH_GROUP_ALLOCATE_HPP
#define POD_DISPATCHER_BENCH_GROUP_ALLOCATE_HPP

// allocate into a task group whose queue already holds some tasks, and what each call
// wrote. The group's next tasks arrive in task_group_order, so each goes in at the back of
// the queue; each offers a pod of its own, which joins (the group has no cap on its
// hosts). allocate reads the whole dispatcher, queue and pods, and returns it; what it
// writes is the one task id and the one pod id it adds.

#include "support/documents.hpp"
#include "support/fixtures.hpp"
#include "support/in_order.hpp"
#include "support/library_ops.hpp"
#include "support/seeding.hpp"
#include "support/written.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

/// Task `order` of task group `group`, allocatable; the group has no cap on its hosts.
inline Task group_member(const std::string& group, std::size_t order)
{
    return group_task(group + std::to_string(order), group, static_cast<int>(order), 0);
}

/// A store holding a task group's dispatcher with queue_length queued tasks and one
/// running pod, and the group's next `allocations` tasks; an operation allocates the next
/// of them.
///
/// Before any call is timed, an allocate into another group warms the store up (SQLite's
/// statements are prepared on first use), so that a store made for one call, as at queue
/// length 1, costs that call no more than a store that serves many.
template <class S>
class GroupAllocateFixture : public InOrderFixture<S> {
public:
    GroupAllocateFixture(const StoreFactory<S>& make, std::size_t queue_length, std::size_t allocations)
        : InOrderFixture<S>(make(), allocations)
    {
        S& store = *this->store_;
        expect(in_one_unit(store, [&]() -> Result<void> {
                   BOOST_OUTCOME_TRY(store.insert_project_ref(enabled_project()));
                   BOOST_OUTCOME_TRY(seed_group(store, 0, measured_group, queue_length, allocations));
                   return seed_group(store, 1, warm_up_group, 1, 1);
               }),
               "task groups");
        this->seeded(queue_length + allocations + 2);
        warm_up(store);
        for (std::size_t order = queue_length; order < queue_length + allocations; ++order) {
            arrivals_.push_back(arrival(measured_group, order));
        }
    }

    void run(std::size_t, char&, Tally& tally)
    {
        AllocateItem& next = arrivals_[this->next_call()];
        allocate_for(*this->store_, next.task, next.pod, tally);
    }

private:
    // Short names, so that ids stay within std::string's small buffer, as documents.hpp's do.
    static constexpr const char* measured_group = "m";
    static constexpr const char* warm_up_group = "w";

    static AllocateItem arrival(const std::string& group, std::size_t order)
    {
        return AllocateItem{group_member(group, order), intent_pod(group + "p" + std::to_string(order))};
    }

    /// The group's dispatcher (number `index`) with its queue and pod, and the tasks that
    /// arrive after.
    static Result<void> seed_group(S& store, std::size_t index, const std::string& group, std::size_t queue_length,
                                   std::size_t arrivals)
    {
        PodDispatcher d{dispatcher_id(index), get_group_id(group_member(group, 0)), {group + "p"}, {}, 0, {}};
        BOOST_OUTCOME_TRY(store.insert_pod(running_pod(d.pod_ids.front())));
        for (std::size_t order = 0; order < queue_length; ++order) {
            Task queued = group_member(group, order);
            queued.container_allocated = true;
            queued.container_allocation_attempts = 1;
            BOOST_OUTCOME_TRY(store.insert_task(queued));
            d.task_ids.push_back(queued.id);
        }
        BOOST_OUTCOME_TRY(store.insert_dispatcher(d));
        for (std::size_t order = queue_length; order < queue_length + arrivals; ++order) {
            BOOST_OUTCOME_TRY(store.insert_task(group_member(group, order)));
        }
        return boost::outcome_v2::success();
    }

    static void warm_up(S& store)
    {
        AllocateItem first = arrival(warm_up_group, 1);
        Tally tally;
        allocate_for(store, first.task, first.pod, tally);
        if (tally.ops != 1) {
            throw std::runtime_error("the warm-up allocate failed");
        }
    }

    std::vector<AllocateItem> arrivals_; ///< In task_group_order.
};

/// GroupAllocateFixture on a store that counts what it writes (CountsWrites): what the
/// calls wrote goes to the tally it is given, a batch at a time. Counting may cost more
/// than the calls (SQLite's triggers do): its calls are for counting, not for timing.
template <CountsWrites S>
class CountedGroupAllocateFixture : public GroupAllocateFixture<S> {
public:
    CountedGroupAllocateFixture(const StoreFactory<S>& make, std::size_t queue_length, std::size_t allocations,
                                WrittenTally& written)
        : GroupAllocateFixture<S>(make, queue_length, allocations), written_(written),
          counted_(this->store_->written())
    {
    }

    /// Adds what the batch wrote to the tally.
    void verify(const std::vector<Tally>& tallies, std::vector<std::string>&)
    {
        std::size_t calls = 0;
        for (const Tally& tally : tallies) {
            calls += tally.ops;
        }
        Written now = this->store_->written();
        written_.add(counted_, now, calls);
        counted_ = std::move(now);
    }

private:
    WrittenTally& written_;
    Written counted_;
};

} // namespace pod_dispatcher::bench

#endif
