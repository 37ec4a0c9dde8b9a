#ifndef POD_DISPATCHER_TESTING_DETAIL_HISTORIES_HPP
#define POD_DISPATCHER_TESTING_DETAIL_HISTORIES_HPP

// A task's and a pod's history since a baseline, replayed from their events: each event
// must be one the rules allow after those before it, and the last must leave the document
// as stored. The history invariants of invariants.hpp run these.

#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/testing/checked_contents.hpp>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pod_dispatcher::testing::detail {

/// How a message names one execution of a task.
inline std::string execution_of(std::string_view task_id, int execution)
{
    return std::string(task_id) + " (execution " + std::to_string(execution) + ")";
}

/// A task's state as its events since the baseline tell it, replayed from the task as it
/// was then.
class TaskReplay {
public:
    explicit TaskReplay(const Task& before) : state_(before) {}

    /// Applies e; why it cannot follow what came before, if it cannot.
    std::optional<std::string> apply(const Event& e)
    {
        switch (e.type) {
        case EventType::container_allocated: return step(e, &TaskReplay::allocate);
        case EventType::container_deallocated: return step(e, &TaskReplay::deallocate);
        case EventType::task_dispatched: return step(e, &TaskReplay::dispatch);
        case EventType::task_finished: return step(e, &TaskReplay::finish);
        case EventType::task_system_failed: return step(e, &TaskReplay::fail);
        case EventType::task_restarted: return step(e, &TaskReplay::restart);
        default: return "a pod's event, " + std::string(name_of(e.type)) + ", is recorded for it";
        }
    }

    /// Which fields the events decide differ between the stored task and the replay.
    std::optional<std::string> differs_from(const Task& stored) const
    {
        std::string fields;
        FieldSet<Task>::of(&Task::status, &Task::execution, &Task::container_allocated,
                           &Task::container_allocation_attempts, &Task::pod_id, &Task::details_type,
                           &Task::details_description)
            .for_each([&](const auto& f) {
                if (stored.*f.member != state_.*f.member) {
                    fields += (fields.empty() ? "" : ", ") + std::string(f.name);
                }
            });
        return fields.empty() ? std::nullopt
                              : std::optional<std::string>{"its events do not lead to its stored " + fields};
    }

private:
    /// Applies e's payload through apply_data.
    template <class Data>
    std::optional<std::string> step(const Event& e, std::optional<std::string> (TaskReplay::*apply_data)(const Data&))
    {
        const auto* data = std::get_if<Data>(&e.data);
        return data == nullptr ? std::optional<std::string>{std::string(name_of(e.type)) + " without its payload"}
                               : (this->*apply_data)(*data);
    }

    static std::optional<std::string> unless(bool allowed, const char* what)
    {
        return allowed ? std::nullopt : std::optional<std::string>{what};
    }

    bool waiting_in(int execution) const
    {
        return execution == state_.execution && state_.status == TaskStatus::undispatched;
    }

    std::optional<std::string> allocate(const AllocationData& a)
    {
        if (!waiting_in(a.execution) || state_.container_allocated) {
            return "container_allocated for a task not waiting for a container";
        }
        state_.container_allocated = true;
        ++state_.container_allocation_attempts;
        return std::nullopt;
    }

    std::optional<std::string> deallocate(const AllocationData& a)
    {
        // remove_pod fails a task out of attempts, then releases it.
        const bool given_up = state_.status == TaskStatus::failed &&
                              state_.details_description == pod_dispatcher::detail::unallocatable;
        const bool queued = waiting_in(a.execution) || (given_up && a.execution == state_.execution);
        if (!queued || !state_.container_allocated) {
            return "container_deallocated for a task not allocated and waiting";
        }
        state_.container_allocated = false;
        return std::nullopt;
    }

    std::optional<std::string> dispatch(const DispatchData& d)
    {
        if (!waiting_in(d.execution) || !state_.container_allocated) {
            return "task_dispatched for a task not allocated and waiting";
        }
        state_.status = TaskStatus::dispatched;
        state_.pod_id = d.pod_id;
        return std::nullopt;
    }

    std::optional<std::string> finish(const FinishData& f)
    {
        if (!is_running(state_) || f.pod_id != state_.pod_id || f.execution != state_.execution ||
            (f.status != TaskStatus::succeeded && f.status != TaskStatus::failed)) {
            return "task_finished for an execution not running on that pod";
        }
        state_.status = f.status;
        return std::nullopt;
    }

    std::optional<std::string> fail(const SystemFailureData& f)
    {
        if (f.execution != state_.execution || f.details_type != "system") {
            return "task_system_failed for another execution";
        }
        if (f.details_description == pod_dispatcher::detail::unallocatable) {
            if (!waiting_in(f.execution) || !allocation_exhausted(state_)) {
                return "task_system_failed as unallocatable for a task with attempts left";
            }
        } else if (f.details_description == pod_dispatcher::detail::stranded) {
            if (!is_running(state_)) {
                return "task_system_failed as stranded for a task not running";
            }
            state_.container_allocated = false;
        } else {
            return "task_system_failed for no reason the operations give";
        }
        state_.status = TaskStatus::failed;
        state_.details_type = f.details_type;
        state_.details_description = f.details_description;
        return std::nullopt;
    }

    std::optional<std::string> restart(const RestartData& r)
    {
        const bool stranded = state_.status == TaskStatus::failed &&
                              state_.details_description == pod_dispatcher::detail::stranded;
        if (!stranded || r.pod_id != state_.pod_id || r.execution != state_.execution + 1 ||
            !restarts_when_stranded(state_)) {
            return "task_restarted for a task not stranded, or out of restarts";
        }
        state_.execution = r.execution;
        state_.status = TaskStatus::undispatched;
        state_.pod_id.clear();
        state_.details_type.clear();
        state_.details_description.clear();
        state_.container_allocated = false;
        state_.container_allocation_attempts = 0;
        return std::nullopt;
    }

    Task state_;
};

/// A pod's life as its events since the baseline tell it, replayed from the pod as it was
/// then (or, for a pod stored since, as its first status change says it was stored).
class PodReplay {
public:
    PodReplay(const CheckedContents& c, const Pod& stored) : c_(c), id_(stored.id)
    {
        if (const Pod* before = c.pod_before(stored.id)) {
            status_ = before->status;
            if (!before->running_task_id.empty()) {
                running_ = Run{before->running_task_id, before->running_task_execution};
            }
            return;
        }
        status_ = stored.status;
        for (const Event& e : c.events_of(stored.id)) {
            if (const auto* change = std::get_if<StatusChangeData>(&e.data)) {
                status_ = change->old_status;
                break;
            }
        }
    }

    /// Applies e; why it cannot follow what came before, if it cannot.
    std::optional<std::string> apply(const Event& e)
    {
        const auto* assignment = std::get_if<AssignmentData>(&e.data);
        const auto* change = std::get_if<StatusChangeData>(&e.data);
        // The dispatch of a task outside any group records the pod's decommissioning next.
        if (std::exchange(decommission_due_, false) &&
            (change == nullptr || change->new_status != PodStatus::decommissioned)) {
            return "took a task outside any group and was not decommissioned with it";
        }
        note_finish();
        if (e.type == EventType::pod_assigned_task && assignment != nullptr) {
            return take(*assignment);
        }
        if (e.type == EventType::pod_cleared_task && assignment != nullptr) {
            return clear(*assignment);
        }
        if (e.type == EventType::pod_status_changed && change != nullptr) {
            return change_status(*change);
        }
        return std::string(name_of(e.type)) + ", not a pod's event or without its payload, is recorded for it";
    }

    /// What differs between the stored pod and the replay.
    std::optional<std::string> differs_from(const Pod& stored)
    {
        note_finish();
        if (decommission_due_) {
            return "took a task outside any group and was not decommissioned with it";
        }
        const Run stored_run{stored.running_task_id, stored.running_task_id.empty() ? 0 : stored.running_task_execution};
        if (stored.status != status_ || stored_run != running_.value_or(Run{})) {
            return "is stored " + std::string(name_of(stored.status)) + " running '" + stored.running_task_id +
                   "', but its events leave it " + std::string(name_of(status_)) + " running '" +
                   running_.value_or(Run{}).task_id + "'";
        }
        if (last_finished_ && stored.last_task_id != *last_finished_) {
            return "last finished " + *last_finished_ + ", but its last_task_id is '" + stored.last_task_id + "'";
        }
        return std::nullopt;
    }

private:
    struct Run {
        std::string task_id;
        int execution = 0;

        bool operator==(const Run&) const = default;
    };

    /// finish_task frees the pod without an event of the pod's own: the task's
    /// task_finished naming the pod tells that its run ended, and how.
    void note_finish()
    {
        if (!running_) {
            return;
        }
        const auto outcome = c_.finish_on(running_->task_id, running_->execution, id_);
        if (!outcome) {
            return;
        }
        const Task* t = c_.task(running_->task_id);
        if (t != nullptr && in_single_host_group(*t) && *outcome == TaskStatus::failed) {
            stopped_groups_.insert(get_group_id(*t));
        }
        last_finished_ = running_->task_id;
        running_.reset();
    }

    std::optional<std::string> take(const AssignmentData& a)
    {
        const std::string what = "took " + execution_of(a.task_id, a.task_execution);
        if (running_) {
            return what + " before finishing " + execution_of(running_->task_id, running_->execution);
        }
        if (status_ != PodStatus::running) {
            return what + " while " + std::string(name_of(status_));
        }
        running_ = Run{a.task_id, a.task_execution};
        const Task* t = c_.task(a.task_id);
        if (t == nullptr) {
            return std::nullopt;
        }
        if (stopped_groups_.contains(get_group_id(*t))) {
            return what + " after a failed task of its single-host group";
        }
        decommission_due_ = !in_task_group(*t);
        return std::nullopt;
    }

    std::optional<std::string> clear(const AssignmentData& a)
    {
        if (running_ != Run{a.task_id, a.task_execution}) {
            return "pod_cleared_task for " + execution_of(a.task_id, a.task_execution) + ", which it did not run";
        }
        running_.reset();
        return std::nullopt;
    }

    std::optional<std::string> change_status(const StatusChangeData& change)
    {
        if (change.old_status != status_) {
            return "pod_status_changed from " + std::string(name_of(change.old_status)) + " while " +
                   std::string(name_of(status_));
        }
        const bool terminated = change.new_status == PodStatus::terminated;
        status_ = change.new_status;
        if (terminated && running_) {
            return "was terminated still running " + running_->task_id;
        }
        if (terminated == change.reason.empty()) {
            return "pod_status_changed with a reason only a termination gives, or a termination without one";
        }
        return std::nullopt;
    }

    const CheckedContents& c_;
    std::string id_;
    PodStatus status_ = PodStatus::initializing;
    std::optional<Run> running_;
    std::optional<std::string> last_finished_;
    std::set<std::string> stopped_groups_;
    bool decommission_due_ = false;
};

/// What a replay finds wrong: the first of events it cannot apply, or else where stored
/// differs from where they lead.
template <class Replay, class Document>
std::optional<std::string> first_wrong(Replay& replay, std::span<const Event> events, const Document& stored)
{
    for (const Event& e : events) {
        if (auto wrong = replay.apply(e)) {
            return wrong;
        }
    }
    return replay.differs_from(stored);
}

} // namespace pod_dispatcher::testing::detail

#endif
