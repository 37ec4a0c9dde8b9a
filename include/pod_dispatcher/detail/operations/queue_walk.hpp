#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_QUEUE_WALK_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_QUEUE_WALK_HPP

// The heart of assign_next_task and dispatch_next_task: read a dispatcher's queue from
// the front, decide what cannot run and which task the pod takes, then write it all.
// Runs inside a unit of work.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace pod_dispatcher::detail {

/// pod_refusal of a pod read from a store, std::nullopt when it is absent.
inline std::optional<Errc> refusal(const std::optional<Pod>& pod, Errc busy_error) noexcept
{
    return pod_refusal(pod ? &*pod : nullptr, busy_error);
}

/// A caller's copy of the queue, read in place. The walk reads only its front, so a copy
/// is checked only as far as it is read: an empty or repeated id there is invalid input.
template <Store S>
class CopiedQueue {
public:
    /// The copy ids of the queue of the dispatcher version names.
    CopiedQueue(S& store, const Query& version, const std::vector<std::string>& ids)
        : store_(store), version_(version), ids_(ids)
    {
    }

    /// The i-th id (read in order from 0), or nullptr past the end.
    Result<const std::string*> at(std::size_t i)
    {
        if (i >= ids_.size()) {
            return nullptr;
        }
        const std::string& id = ids_[i];
        if (id.empty() || !first_sight(i)) {
            return Errc::invalid_argument;
        }
        return &id;
    }

    /// The first n ids.
    std::vector<std::string> front(std::size_t n) const
    {
        return {ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(n)};
    }

    /// Errc::conflict unless the stored queue starts with the n ids read: a copy that is
    /// stale, or wrong where it was read. Only needed where a late conflict cannot be
    /// rolled back; elsewhere the dequeue's own condition finds it.
    Result<void> verify(std::size_t n)
    {
        BOOST_OUTCOME_TRY(auto stored, store_.find_dispatcher(version_, queue_head(n)));
        if (!stored || !std::equal(stored->task_ids.begin(), stored->task_ids.end(), ids_.begin(),
                                   ids_.begin() + static_cast<std::ptrdiff_t>(n))) {
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

private:
    // A short walk compares ids directly; a long one (a queue of tasks to skip) hashes them.
    bool first_sight(std::size_t i)
    {
        static constexpr std::size_t scan_limit = 16;
        if (i < scan_limit) {
            for (std::size_t j = 0; j < i; ++j) {
                if (ids_[j] == ids_[i]) {
                    return false;
                }
            }
            return true;
        }
        if (seen_.empty()) {
            seen_.insert(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(i));
        }
        return seen_.insert(ids_[i]).second;
    }

    S& store_;
    const Query& version_;
    const std::vector<std::string>& ids_;
    std::unordered_set<std::string_view> seen_;
};

/// The stored queue of a dispatcher whose head was read: more of it is read, under the
/// same version, when the walk gets past what was read.
template <Store S>
class StoredQueue {
public:
    /// The queue of the dispatcher version names, whose first ids were read as head, in a
    /// read of at most head_read ids; more are read window ids at a time.
    StoredQueue(S& store, const Query& version, std::vector<std::string> head, std::size_t head_read,
                std::size_t window)
        : store_(store), version_(version), ids_(std::move(head)), window_(window), exhausted_(ids_.size() < head_read)
    {
    }

    Result<const std::string*> at(std::size_t i)
    {
        if (i >= ids_.size() && !exhausted_) {
            BOOST_OUTCOME_TRY(read_more());
        }
        return i < ids_.size() ? &ids_[i] : nullptr;
    }

    /// The first n ids, which the walk has read.
    std::vector<std::string> front(std::size_t n)
    {
        ids_.resize(n);
        return std::move(ids_);
    }

    /// Nothing to check: the ids were read from the store, under the version written.
    static Result<void> verify(std::size_t) { return boost::outcome_v2::success(); }

private:
    Result<void> read_more()
    {
        const std::size_t wanted = ids_.size() + window_;
        BOOST_OUTCOME_TRY(auto more, store_.find_dispatcher(version_, queue_head(wanted)));
        if (!more) {
            return Errc::conflict; // the dispatcher moved on since its head was read
        }
        ids_ = std::move(more->task_ids);
        exhausted_ = ids_.size() < wanted;
        return boost::outcome_v2::success();
    }

    S& store_;
    const Query& version_;
    std::vector<std::string> ids_;
    std::size_t window_;
    bool exhausted_;
};

/// How a walk treats its pod, which dispatch_next_task found in the dispatcher and
/// assign_next_task was given by the caller.
struct PodChecks {
    Errc busy_error;      ///< For a stored pod that runs a task.
    bool must_be_idle;    ///< Refuse a pod that cannot take a task even when no task is for it.
};

template <Store S>
class QueueWalk {
public:
    /// A walk of the queue of the dispatcher version names (its ids come from the queue
    /// passed to run) for the pod pod_id.
    QueueWalk(S& store, const Query& version, std::string_view pod_id, PodChecks checks, Timestamp at)
        : store_(store), version_(version), pod_id_(pod_id), checks_(checks), at_(at)
    {
    }

    /// Reads queue from the front until a task the pod may run turns up, then writes what
    /// it decided; puts the task dispatched, as stored after, in dispatched. Returns how
    /// many ids it took off the queue.
    template <class Queue>
    Result<std::size_t> run(Queue& queue, std::optional<Task>& dispatched)
    {
        // A store may run the unit again (store.hpp): nothing of a run rolled back stays.
        dispatched.reset();
        pod_.reset();
        last_task_read_.reset();
        bool first = true;
        for (std::size_t i = 0;; ++i) {
            BOOST_OUTCOME_TRY(const std::string* id, queue.at(i));
            if (id == nullptr) {
                return write(queue, nullptr, dispatched);
            }
            examined_ = i + 1;
            // The task is used where it was read: a Task is costly to move.
            auto found = store_.find_task(*id);
            if (!found) {
                return found.error();
            }
            std::optional<Task>& task = found.value();
            if (!task) {
                continue; // a task id with no stored task is dequeued and skipped
            }
            if (std::exchange(first, false) && in_single_host_group(*task)) {
                BOOST_OUTCOME_TRY(stopping_, group_stopped(*task));
            }
            if (stopping_) {
                release_if_allocated(std::move(*task), release_fields);
                continue;
            }
            BOOST_OUTCOME_TRY(bool runnable, may_run(*task));
            if (runnable) {
                return write(queue, &*task, dispatched);
            }
            release_if_allocated(std::move(*task), dispatch_fields);
        }
    }

    /// The pod as stored after run wrote it (it started a task, or was heard from), if it
    /// did. Kept here so that a caller that does not need it pays no copy.
    std::optional<Pod>& pod_after() noexcept { return pod_; }

private:
    struct Release {
        Task task;
        FieldSet<Task> guard; ///< The fields the decision to release it read.
    };

    // ---- Deciding: reads only.

    Result<bool> may_run(const Task& task)
    {
        if (!is_container_dispatchable(task)) {
            return false;
        }
        BOOST_OUTCOME_TRY(auto project, store_.find_project_ref(task.project));
        return project && project_allows_dispatch(*project, task.requester);
    }

    /// Whether the pod's last task was of task's single-host group and failed: the group
    /// then runs no further task. The pod's write is then guarded on the last task read;
    /// that task's status needs no guard of its own, since finish_task sets it in the unit
    /// that names it the pod's last, and nothing sets it again.
    Result<bool> group_stopped(const Task& task)
    {
        BOOST_OUTCOME_TRY(auto pod, store_.find_pod(pod_id_));
        if (!pod) {
            return false;
        }
        last_task_read_ = pod->last_task_id;
        if (pod->last_task_id.empty()) {
            return false;
        }
        BOOST_OUTCOME_TRY(auto last, store_.find_task(pod->last_task_id));
        return last && stops_group_of(*last, task);
    }

    void release_if_allocated(Task task, FieldSet<Task> guard)
    {
        if (task.container_allocated) {
            releases_.push_back(Release{std::move(task), guard});
        }
    }

    // ---- Writing what was decided: candidate to the pod (if any), the releases, the dequeue.

    template <class Queue>
    Result<std::size_t> write(Queue& queue, const Task* candidate, std::optional<Task>& dispatched)
    {
        if (examined_ > 0 && !store_.rolls_back()) {
            BOOST_OUTCOME_TRY(queue.verify(examined_));
        }
        if (candidate != nullptr) {
            BOOST_OUTCOME_TRY(write_pod(start(*candidate, status_after_dispatch(*candidate, PodStatus::running), at_)));
        } else if (checks_.must_be_idle) {
            BOOST_OUTCOME_TRY(write_pod(contact(at_)));
        } else {
            BOOST_OUTCOME_TRY(touch_pod_if_alive());
        }
        // The pod is claimed before anything else is written: a store that cannot roll back
        // is left with a pod refused and nothing written, or, past this point, a pod that
        // runs a task it may not get (never a task dispatched to a pod that does not run it).
        for (const Release& r : releases_) {
            BOOST_OUTCOME_TRY(write_release(r));
        }
        if (candidate != nullptr) {
            BOOST_OUTCOME_TRY(dispatch(*candidate, *pod_, dispatched));
        }
        if (examined_ > 0) {
            BOOST_OUTCOME_TRY(dequeue(queue.front(examined_)));
        }
        if (candidate != nullptr) {
            BOOST_OUTCOME_TRY(roll_up_display_task(candidate->display_task_id));
        }
        BOOST_OUTCOME_TRY(store_.insert_events(std::span<const Event>(events_.data(), events_.size())));
        return examined_;
    }

    /// Writes change to the pod if it can still take a task, and still has what the walk
    /// read of it; pod_ becomes the pod as stored after.
    Result<void> write_pod(const Change<Pod>& change)
    {
        Pod idle = idle_pod(std::string(pod_id_));
        const FieldSet<Pod> guard = guarding_last_task(idle, idle_pod_fields);
        BOOST_OUTCOME_TRY(pod_, store_.update_pod(change.under(idle, guard)));
        if (!pod_) {
            BOOST_OUTCOME_TRY(check_pod());
            return Errc::conflict; // it could take a task after all: it changed meanwhile
        }
        return boost::outcome_v2::success();
    }

    Result<void> check_pod()
    {
        BOOST_OUTCOME_TRY(auto pod, store_.find_pod(pod_id_));
        if (const auto why = refusal(pod, checks_.busy_error)) {
            return *why;
        }
        return boost::outcome_v2::success();
    }

    /// With no task for it, a pod the caller holds is not checked; it is only refused once
    /// terminated, and otherwise heard from.
    Result<void> touch_pod_if_alive()
    {
        BOOST_OUTCOME_TRY(auto pod, store_.find_pod(pod_id_));
        if (!pod) {
            return boost::outcome_v2::success();
        }
        if (pod->status == PodStatus::terminated) {
            return Errc::precondition_failed;
        }
        const FieldSet<Pod> guard = guarding_last_task(*pod, FieldSet<Pod>::of(&Pod::status));
        BOOST_OUTCOME_TRY(pod_, store_.update_pod(contact(at_).under(*pod, guard)));
        if (!pod_) {
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

    /// guard, and the pod's last task when the walk read it (group_stopped), as expected
    /// holds it.
    FieldSet<Pod> guarding_last_task(Pod& expected, FieldSet<Pod> guard) const
    {
        if (!last_task_read_) {
            return guard;
        }
        expected.last_task_id = *last_task_read_;
        return guard | FieldSet<Pod>::of(&Pod::last_task_id);
    }

    Result<void> write_release(const Release& r)
    {
        BOOST_OUTCOME_TRY(auto after, store_.update_task(release().under(r.task, r.guard)));
        if (!after) {
            return Errc::conflict;
        }
        events_.push_back(task_event(*after, EventType::container_deallocated, at_));
        return boost::outcome_v2::success();
    }

    Result<void> dispatch(const Task& task, const Pod& pod, std::optional<Task>& dispatched)
    {
        BOOST_OUTCOME_TRY(dispatched, store_.update_task(dispatch_to(pod, at_).under(task, dispatch_fields)));
        if (!dispatched) {
            return Errc::conflict;
        }
        record_dispatch(events_, *dispatched, pod, PodStatus::running, at_);
        return boost::outcome_v2::success();
    }

    Result<void> dequeue(std::vector<std::string> ids)
    {
        BOOST_OUTCOME_TRY(bool written, store_.update_dispatcher(version_, dequeuing(std::move(ids), at_)));
        if (!written) {
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

    Result<void> roll_up_display_task(const std::string& display_id)
    {
        if (display_id.empty()) {
            return boost::outcome_v2::success();
        }
        BOOST_OUTCOME_TRY(auto display, store_.find_task(display_id));
        if (!display || display->status != TaskStatus::undispatched) {
            return boost::outcome_v2::success();
        }
        const auto status = FieldSet<Task>::of(&Task::status);
        BOOST_OUTCOME_TRY(auto after, store_.update_task(display_dispatch(at_).under(*display, status)));
        if (!after) {
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

    S& store_;
    const Query& version_;
    std::string_view pod_id_;
    PodChecks checks_;
    Timestamp at_;
    std::size_t examined_ = 0;
    bool stopping_ = false;
    std::optional<std::string> last_task_read_; ///< The pod's last_task_id, if the walk read it.
    std::optional<Pod> pod_;
    std::vector<Release> releases_;
    // A dispatch records three events; room for them without the heap.
    boost::container::small_vector<Event, 3> events_;
};

} // namespace pod_dispatcher::detail

#endif
