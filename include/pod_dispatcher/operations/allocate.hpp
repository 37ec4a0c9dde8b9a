#ifndef POD_DISPATCHER_OPERATIONS_ALLOCATE_HPP
#define POD_DISPATCHER_OPERATIONS_ALLOCATE_HPP

// allocate: a task is given a container; its group's dispatcher queues it.

#include <pod_dispatcher/detail/operations/retry.hpp>
#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/operations/upsert.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <climits>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher {

namespace detail {

/// The stored task with this id, if it should be allocated a container.
template <Store S>
Result<Task> stored_allocatable(S& store, const std::string& id)
{
    BOOST_OUTCOME_TRY(auto stored, store.find_task(id));
    if (!stored) {
        return Errc::not_found;
    }
    if (!should_allocate_container(*stored)) {
        return Errc::precondition_failed;
    }
    return std::move(*stored);
}

/// What one try at allocate takes on trust instead of reading it.
struct Guesses {
    bool task = false;          ///< The caller's task is as stored.
    bool no_dispatcher = false; ///< The task's group has no dispatcher yet.

    bool any() const noexcept { return task || no_dispatcher; }
};

/// A queued task's task_group_order; a missing task sorts first, to be skipped anyway.
template <Store S>
Result<int> queued_order(S& store, const std::string& id)
{
    BOOST_OUTCOME_TRY(auto task, store.find_task(id));
    return task ? task->task_group_order : INT_MIN;
}

/// Where task joins queue: the end, or in a task group after every queued task of no
/// higher task_group_order. The queue is kept in that order, so the place is found by
/// binary search, after a look at the last task (tasks mostly arrive in order).
template <Store S>
Result<std::size_t> queue_position(S& store, const std::vector<std::string>& queue, const Task& task)
{
    if (!in_task_group(task) || queue.empty()) {
        return queue.size();
    }
    const int order = task.task_group_order;
    BOOST_OUTCOME_TRY(int last, queued_order(store, queue.back()));
    if (last <= order) {
        return queue.size();
    }
    std::size_t low = 0;
    std::size_t high = queue.size() - 1;
    while (low < high) {
        const std::size_t middle = low + (high - low) / 2;
        BOOST_OUTCOME_TRY(int at_middle, queued_order(store, queue[middle]));
        if (at_middle <= order) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/// Where allocate puts a task and its pod in a dispatcher.
struct Placement {
    std::optional<std::size_t> task_at{}; ///< The index the task goes in at; none when it is queued already.
    bool pod_joins = false;               ///< Whether the pod joins the dispatcher.
};

/// Where task goes in d's queue (where the group's order puts it), and whether pod_id
/// joins d: while the group takes another pod.
template <Store S>
Result<Placement> place(S& store, const PodDispatcher& d, const Task& task, const std::string& pod_id)
{
    Placement p;
    if (!contains(d.task_ids, task.id)) {
        BOOST_OUTCOME_TRY(p.task_at, queue_position(store, d.task_ids, task));
    }
    const std::size_t tasks = d.task_ids.size() + (p.task_at ? 1 : 0);
    p.pod_joins = !contains(d.pod_ids, pod_id) && takes_another_pod(d.pod_ids.size(), tasks, task);
    return p;
}

/// d as p leaves it.
inline PodDispatcher placed(PodDispatcher d, const Placement& p, const Task& task, const std::string& pod_id)
{
    if (p.task_at) {
        d.task_ids.insert(d.task_ids.begin() + static_cast<std::ptrdiff_t>(*p.task_at), task.id);
    }
    if (p.pod_joins) {
        d.pod_ids.push_back(pod_id);
    }
    return d;
}

/// The write of p: the one task id and the one pod it adds, not the whole queue.
inline DispatcherUpdate placing(const Placement& p, const Task& task, const std::string& pod_id, Timestamp at)
{
    DispatcherUpdate u;
    if (p.task_at) {
        u.enqueue.push_back(task.id);
        u.enqueue_at = p.task_at;
    }
    if (p.pod_joins) {
        u.add_pods.push_back(pod_id);
    }
    u.last_modified = at;
    return u;
}

/// Marks expected container-allocated, if the stored task still has every field the
/// allocation was decided on; after becomes the task as stored after.
template <Store S>
Result<void> mark_allocated(S& store, const Task& expected, Timestamp at, Task& after)
{
    BOOST_OUTCOME_TRY(auto stored, store.update_task(allocation(expected, at).under(expected, allocation_fields | group_fields)));
    if (!stored) {
        return Errc::conflict;
    }
    after = std::move(*stored);
    return boost::outcome_v2::success();
}

/// Stores the pod that a dispatcher takes, or held already. The pod comes first among
/// allocate's writes: inserting it is what keeps a pod id to one pod. A store that cannot
/// roll back first makes sure the dispatcher's write will not fail on a pod that joins it,
/// which would leave the pod behind.
template <Store S>
Result<void> insert_pod(S& store, const Pod& pod, bool joins)
{
    if (!store.rolls_back() && joins) {
        BOOST_OUTCOME_TRY(auto holder, store.find_dispatcher(by_pod_id(pod.id), Projection{false, 0}));
        if (holder) {
            return Errc::duplicate_key;
        }
    }
    return store.insert_pod(pod);
}

/// What allocate wrote: the dispatcher and the task as stored after, and the pod if it
/// stored it.
struct Allocation {
    PodDispatcher dispatcher;
    Task task;
    std::optional<Pod> pod;
};

/// The pod allocate stores: as the caller gave it, heard from now unless the caller said
/// when.
inline Pod stored_pod(Pod pod, Timestamp at)
{
    if (pod.last_communicated == Timestamp{}) {
        pod.last_communicated = at;
    }
    return pod;
}

/// Stores the first dispatcher of d's group. One of the group stored since this unit
/// looked (by an allocate racing it) means the race was lost: Errc::conflict, so that a
/// retry queues the task in it.
template <Store S>
Result<void> insert_first_dispatcher(S& store, const PodDispatcher& d)
{
    auto inserted = store.insert_dispatcher(d);
    if (inserted || inserted.error() != Errc::duplicate_key) {
        return inserted;
    }
    BOOST_OUTCOME_TRY(auto rival, store.find_dispatcher(by_group_id(d.group_id), Projection{false, 0}));
    return rival ? Result<void>{Errc::conflict} : inserted;
}

/// Writes u to the dispatcher as read, which version names.
template <Store S>
Result<void> write_placement(S& store, const Query& version, const DispatcherUpdate& u)
{
    BOOST_OUTCOME_TRY(bool written, store.update_dispatcher(version, u));
    if (!written) {
        return Errc::conflict;
    }
    return boost::outcome_v2::success();
}

/// One try at allocate; done holds what it wrote when it succeeds. Documents are written
/// straight into done: a Task is costly to move.
template <Store S>
Result<void> try_allocate(S& store, const Task& task, const Pod& pod, Guesses guesses, Timestamp at, Allocation& done)
{
    return store.atomically([&]() -> Result<void> {
        done.pod.reset(); // a store may run the unit again: nothing of a rolled-back run stays
        std::optional<Task> read; // the stored task, unless the caller's is taken on trust
        if (!guesses.task) {
            BOOST_OUTCOME_TRY(read, stored_allocatable(store, task.id));
        }
        const Task& expected = read ? *read : task;
        Query query = by_group_id(get_group_id(expected));
        std::optional<PodDispatcher> existing;
        if (!guesses.no_dispatcher) {
            BOOST_OUTCOME_TRY(existing, store.find_dispatcher(query, Projection{}));
        }
        const bool stored = existing.has_value();
        PodDispatcher before = stored ? std::move(*existing) : new_pod_dispatcher(std::move(*query.group_id), {}, {});
        BOOST_OUTCOME_TRY(const Placement placement, place(store, before, expected, pod.id));
        // The dispatcher as read becomes the result: a long queue is not copied again.
        done.dispatcher = placed(std::move(before), placement, expected, pod.id);
        if (contains(done.dispatcher.pod_ids, pod.id)) {
            done.pod = stored_pod(pod, at);
            BOOST_OUTCOME_TRY(insert_pod(store, *done.pod, placement.pod_joins));
        }
        if (stored) {
            // The query that found it, narrowed to the version read: placed kept the id and count.
            query.id = done.dispatcher.id;
            query.modification_count = done.dispatcher.modification_count;
            BOOST_OUTCOME_TRY(write_placement(store, query, placing(placement, expected, pod.id, at)));
            advance(done.dispatcher, at);
        } else {
            advance(done.dispatcher, at);
            BOOST_OUTCOME_TRY(insert_first_dispatcher(store, done.dispatcher));
        }
        BOOST_OUTCOME_TRY(mark_allocated(store, expected, at, done.task));
        const Event allocated = task_event(done.task, EventType::container_allocated, at);
        return store.insert_events(std::span<const Event>(&allocated, 1));
    });
}

/// A store that rolls back may take the caller's task on trust: the guard of the task's
/// write checks it, and the unit writes nothing if it was wrong. A task outside any group
/// is its own group, so its first allocation in its first execution need not look for a
/// dispatcher either (a restarted task's earlier execution left one).
template <Store S>
Guesses guesses_for(S& store, const Task& task)
{
    Guesses g;
    g.task = store.rolls_back() && should_allocate_container(task);
    g.no_dispatcher = g.task && !in_task_group(task) && task.container_allocation_attempts == 0 && task.execution == 0;
    return g;
}

} // namespace detail

/// Queues task in its group's dispatcher (creating it if need be), in task_group_order
/// within a task group; adds pod to it while the group takes another pod, storing pod if
/// it was added (heard from now, unless pod.last_communicated says when); marks task
/// container-allocated. Writes only the ids it adds, not the queue. All or nothing; on
/// success task, and pod if it was stored, are as stored after. A conflict (another
/// allocate, or a dispatch, wrote the group's dispatcher first) is retried as retry says;
/// a policy that allows no try is Errc::invalid_argument.
template <Store S>
Result<PodDispatcher> allocate(S& store, Task& task, Pod& pod, const RetryPolicy& retry = {})
{
    BOOST_OUTCOME_TRY(detail::check(!task.id.empty() && !pod.id.empty() && detail::valid_policy(retry)));
    const Timestamp at = now();
    detail::Guesses guesses = detail::guesses_for(store, task);
    detail::Allocation done;
    auto attempt = [&] {
        auto tried = detail::try_allocate(store, task, pod, guesses, at, done);
        const bool guessed_wrong = !tried && (tried.error() == Errc::conflict || tried.error() == Errc::duplicate_key);
        if (guessed_wrong && guesses.any()) {
            // A wrong guess is no lost race: the first try that reads everything follows.
            tried = detail::try_allocate(store, task, pod, detail::Guesses{}, at, done);
        }
        guesses = detail::Guesses{};
        return tried;
    };
    BOOST_OUTCOME_TRY(detail::retry_conflicts(store, retry, attempt));
    task = std::move(done.task);
    if (done.pod) {
        pod = std::move(*done.pod);
    }
    return std::move(done.dispatcher);
}

} // namespace pod_dispatcher

#endif
