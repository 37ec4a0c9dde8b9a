#ifndef POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_ACTOR_HPP
#define POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_ACTOR_HPP

// One thread of a random interleaving: a seeded random walk through the operations, as
// pods (asking for work, finishing it, making themselves heard), the system around them
// (allocating, starting, terminating and rescuing pods) and callers holding stale copies
// would make it. It asserts nothing (assertions stay on the main thread); it logs what it
// was handed and anything it did not expect.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/detail/interleaving_world.hpp>
#include <pod_dispatcher/testing/samples.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing::detail {

/// What the threads share of the world as it changes: the pods that exist so far (seeded
/// ones, and those allocate has stored), the pods known to be terminated, and the tasks a
/// termination reset, for the scheduler to allocate again.
class PodRegistry {
public:
    explicit PodRegistry(const World& world)
    {
        for (const std::string& id : world.pod_ids) {
            add(id, !world.group_pods.contains(id));
        }
    }

    /// A task group's pods are not removable: the last pod to leave releases the group's
    /// queue, and tasks allocated again after that may rightly run on a second pod while
    /// the first still runs one, which a single-host group must never do. They may be
    /// terminated: a terminated pod runs nothing. (A group whose tasks were allocated
    /// again may rightly run them out of task_group_order; the audit holds only the others
    /// to it.)
    void add(const std::string& id, bool removable)
    {
        std::scoped_lock lock{mutex_};
        all_.push_back(id);
        (removable ? removable_ : group_).push_back(id);
    }

    /// Any pod; one of a task group's a third of the time, since groups have few pods
    /// and much to do with them.
    std::string pick(std::mt19937_64& rng)
    {
        std::scoped_lock lock{mutex_};
        return pick_from(rng() % 3 == 0 && !group_.empty() ? group_ : all_, rng);
    }

    /// Any pod, each as likely.
    std::string pick_any(std::mt19937_64& rng)
    {
        std::scoped_lock lock{mutex_};
        return pick_from(all_, rng);
    }

    std::string pick_removable(std::mt19937_64& rng)
    {
        std::scoped_lock lock{mutex_};
        return pick_from(removable_, rng);
    }

    void terminated(const std::string& id)
    {
        std::scoped_lock lock{mutex_};
        terminated_.insert(id);
    }

    /// Whether a termination of the pod has returned: from then on nothing it reports is taken.
    bool known_terminated(const std::string& id)
    {
        std::scoped_lock lock{mutex_};
        return terminated_.contains(id);
    }

    /// A task a termination reset to run again: it should be allocated.
    void reset(std::string task_id)
    {
        std::scoped_lock lock{mutex_};
        reset_.push_back(std::move(task_id));
    }

    /// A task reset to run again, taken off the list; none when there is none.
    std::optional<std::string> take_reset()
    {
        std::scoped_lock lock{mutex_};
        if (reset_.empty()) {
            return std::nullopt;
        }
        std::string id = std::move(reset_.back());
        reset_.pop_back();
        return id;
    }

private:
    static std::string pick_from(const std::vector<std::string>& ids, std::mt19937_64& rng)
    {
        return ids.empty() ? std::string{} : ids[std::uniform_int_distribution<std::size_t>{0, ids.size() - 1}(rng)];
    }

    std::mutex mutex_;
    std::vector<std::string> all_;
    std::vector<std::string> removable_;
    std::vector<std::string> group_;
    std::set<std::string> terminated_;
    std::vector<std::string> reset_;
};

/// A task handed to a pod by a call: which execution of it, and to which pod.
struct Handed {
    std::string task_id;
    int execution = 0;
    std::string pod_id;
};

/// What one thread saw: what it was handed, and anything it did not expect.
struct ThreadLog {
    std::vector<Handed> dispatched;
    std::map<std::string, int> allocations;      ///< successful allocations per task
    std::vector<std::string> pods_added;         ///< pods allocate stored
    std::map<std::string, std::int64_t> counts;  ///< highest modification_count seen per dispatcher
    std::vector<std::string> anomalies;
    std::map<std::string, int> outcomes; ///< "operation: outcome" -> how often
};

template <class S>
class Actor {
public:
    Actor(S& store, const World& world, PodRegistry& pods, std::uint64_t run_seed, int index)
        : store_(store), world_(world), pods_(pods), rng_(run_seed * 1'000'003 + static_cast<std::uint64_t>(index)),
          name_("t" + std::to_string(index))
    {
    }

    void run(int operations)
    {
        for (int i = 0; i < operations; ++i) {
            switch (step_(rng_)) {
            case 0: dispatch(pods_.pick(rng_)); break;
            case 1: allocate_one(); break;
            case 2: remove_one(); break;
            case 3: assign(); break;
            case 4: deactivate(); break;
            case 5: finish_and_ask_again(); break;
            case 6: mark_running(); break;
            case 7: beat(); break;
            case 8: terminate(); break;
            case 9: rescue(); break;
            default: observe_group(); break;
            }
        }
    }

    ThreadLog& log() { return log_; }

private:
    /// Records how a call ended; an error not in declined is an anomaly. The errors
    /// declined are those of a caller that lost a race, or asked for what is not there.
    template <class T>
    void expect(const char* operation, const Result<T>& r, std::initializer_list<Errc> declined)
    {
        ++log_.outcomes[std::string(operation) + ": " + (r ? "ok" : r.error().message())];
        if (!r && std::ranges::none_of(declined, [&](Errc e) { return r.error() == e; })) {
            log_.anomalies.push_back(std::string(operation) + " failed unexpectedly: " + r.error().message());
        }
    }

    /// expect, for a report a pod makes for itself: once the pod is known terminated, the
    /// report must be refused.
    template <class T>
    void expect_report(const char* operation, const std::string& pod_id, bool was_terminated, const Result<T>& r,
                       std::initializer_list<Errc> declined)
    {
        expect(operation, r, declined);
        if (!was_terminated) {
            return;
        }
        if (r) {
            anomaly(std::string(operation) + " of " + pod_id + " was taken after the pod was terminated");
        } else {
            ++log_.outcomes["a terminated pod's late report: refused"];
        }
    }

    void anomaly(std::string what) { log_.anomalies.push_back(std::move(what)); }

    /// Checks what any copy of a dispatcher must show: a count that never goes back, and
    /// for a task group no more pods than it may have and a queue in task_group_order.
    void observe(const PodDispatcher& d)
    {
        auto [it, first] = log_.counts.try_emplace(d.id, d.modification_count);
        if (!first && d.modification_count < it->second) {
            anomaly("modification_count of " + d.id + " went from " + std::to_string(it->second) + " to " +
                    std::to_string(d.modification_count));
        }
        it->second = std::max(it->second, d.modification_count);
        if (const auto cap = world_.max_hosts.find(d.group_id); cap != world_.max_hosts.end()) {
            observe_task_group(d, cap->second);
        }
    }

    void observe_task_group(const PodDispatcher& d, int max_hosts)
    {
        if (max_hosts >= 1 && d.pod_ids.size() > static_cast<std::size_t>(max_hosts)) {
            anomaly("task group " + d.group_id + " holds " + std::to_string(d.pod_ids.size()) + " pods, over its " +
                    std::to_string(max_hosts));
        }
        std::optional<int> previous;
        for (const std::string& id : d.task_ids) {
            const auto order = world_.order.find(id);
            if (order == world_.order.end()) {
                anomaly("task group " + d.group_id + " queues " + id + ", which is in no task group");
                return;
            }
            if (previous && order->second < *previous) {
                anomaly("task group " + d.group_id + " queues " + id + " out of task_group_order");
            }
            previous = order->second;
        }
    }

    void handed_out(const std::optional<Task>& task, const std::string& pod_id)
    {
        if (!task) {
            return;
        }
        log_.dispatched.push_back(Handed{task->id, task->execution, pod_id});
        ++log_.outcomes[in_task_group(*task) ? "handed out: a task group's task" : "handed out: a task outside any group"];
        if (task->pod_id != pod_id || task->status != TaskStatus::dispatched) {
            anomaly("task " + task->id + " handed to " + pod_id + " comes back as not dispatched to it");
        }
    }

    /// Sometimes lets other threads run between a read and the write based on it, so
    /// that stale copies and lost races happen often, not just by luck.
    void maybe_yield()
    {
        if (std::uniform_int_distribution<int>{0, 3}(rng_) == 0) {
            std::this_thread::yield();
        }
    }

    template <class T>
    const T& pick(const std::vector<T>& from)
    {
        return from[std::uniform_int_distribution<std::size_t>{0, from.size() - 1}(rng_)];
    }

    void dispatch(const std::string& pod_id)
    {
        DispatchOptions options;
        options.retry.max_attempts = 1'000; // a conflict here would mean a livelock, not bad luck
        const bool was_terminated = pods_.known_terminated(pod_id);
        auto r = dispatch_next_task(store_, pod_id, options);
        expect_report("dispatch_next_task", pod_id, was_terminated, r,
                      {Errc::pod_busy, Errc::pod_not_in_dispatcher, Errc::precondition_failed});
        if (r) {
            handed_out(r.value(), pod_id);
        }
    }

    /// Allocates a task with a pod of its own, as the scheduler does: half the time one a
    /// termination reset to run again, if any, else any task allocate may take.
    void allocate_one()
    {
        std::optional<std::string> reset = rng_() % 2 == 0 ? pods_.take_reset() : std::nullopt;
        const std::string task_id = reset.value_or(pick(world_.allocatable));
        const bool in_group = world_.order.contains(task_id);
        auto stored = store_.find_task(task_id);
        expect("find_task", stored, {});
        if (!stored || !stored.value()) {
            return;
        }
        Task task = *stored.value();
        // A task group's pods start after allocate; other pods come running.
        const std::string pod_id = name_ + "-p" + std::to_string(next_pod_++);
        Pod pod = in_group ? intent_pod(pod_id) : running_pod(pod_id);
        maybe_yield();
        auto r = allocate(store_, task, pod);
        expect(reset ? "allocate (a task reset to run again)" : "allocate", r,
               {Errc::precondition_failed, Errc::conflict, Errc::duplicate_key});
        if (!r) {
            return;
        }
        ++log_.allocations[task.id];
        observe(r.value());
        if (std::ranges::find(r.value().pod_ids, pod.id) != r.value().pod_ids.end()) {
            log_.pods_added.push_back(pod.id);
            pods_.add(pod.id, !in_group);
        }
    }

    /// The dispatcher holding a pod, as stored now.
    std::optional<PodDispatcher> holder_of(const std::string& pod_id)
    {
        auto d = find_one_by_pod_id(store_, pod_id);
        expect("find_one_by_pod_id", d, {});
        if (!d || !d.value()) {
            return std::nullopt;
        }
        observe(*d.value());
        return *d.value();
    }

    void remove_one()
    {
        const std::string pod_id = pods_.pick_removable(rng_);
        auto d = pod_id.empty() ? std::nullopt : holder_of(pod_id);
        if (!d) {
            return;
        }
        maybe_yield();
        auto r = d->remove_pod(store_, pod_id);
        expect("remove_pod", r, {Errc::conflict});
        if (r) {
            observe(*d);
        }
    }

    void assign()
    {
        const std::string pod_id = pods_.pick(rng_);
        auto d = holder_of(pod_id);
        auto pod = store_.find_pod(pod_id);
        expect("find_pod", pod, {});
        if (!d || !pod || !pod.value()) {
            return;
        }
        maybe_yield();
        auto r = d->assign_next_task(store_, *pod.value());
        expect("assign_next_task", r, {Errc::conflict, Errc::pod_busy, Errc::precondition_failed});
        if (r) {
            observe(*d);
            handed_out(r.value(), pod_id);
        }
    }

    void deactivate()
    {
        const std::string& task_id = pick(world_.task_ids);
        auto task = store_.find_task(task_id);
        expect("find_task", task, {});
        if (!task || !task.value() || !task.value()->activated) {
            return;
        }
        maybe_yield();
        Task inactive;
        inactive.activated = false;
        const auto activated = FieldSet<Task>::of(&Task::activated);
        expect("update_task", store_.update_task(FieldUpdate<Task>{task_id, activated, *task.value(), activated, inactive}), {});
    }

    /// A pod reports its task done, mostly succeeded, and asks for the next.
    void finish_and_ask_again()
    {
        const std::string pod_id = pods_.pick(rng_);
        const TaskStatus outcome =
            std::uniform_int_distribution<int>{0, 3}(rng_) == 0 ? TaskStatus::failed : TaskStatus::succeeded;
        const bool was_terminated = pods_.known_terminated(pod_id);
        auto r = finish_task(store_, pod_id, outcome);
        expect_report("finish_task", pod_id, was_terminated, r, {Errc::precondition_failed, Errc::conflict});
        if (r) {
            dispatch(pod_id);
        }
    }

    /// A pod's agent makes first contact, as one allocate stored would once started.
    void mark_running()
    {
        const std::string pod_id = pods_.pick(rng_);
        const bool was_terminated = pods_.known_terminated(pod_id);
        expect_report("mark_pod_running", pod_id, was_terminated, mark_pod_running(store_, pod_id),
                      {Errc::precondition_failed, Errc::conflict});
    }

    void beat()
    {
        const std::string pod_id = pods_.pick(rng_);
        const bool was_terminated = pods_.known_terminated(pod_id);
        expect_report("heartbeat", pod_id, was_terminated, heartbeat(store_, pod_id),
                      {Errc::precondition_failed, Errc::conflict});
    }

    /// A stranded task that was reset goes to the scheduler, to be allocated again.
    void stranded(const Task& task)
    {
        ++log_.outcomes[task.status == TaskStatus::undispatched ? "stranded: restarted" : "stranded: failed"];
        if (task.status == TaskStatus::undispatched) {
            pods_.reset(task.id);
        }
    }

    /// The container runtime reports a pod gone.
    void terminate()
    {
        const std::string pod_id = pods_.pick_any(rng_);
        auto r = terminate_pod(store_, pod_id, "stopped in an interleaving");
        expect("terminate_pod", r, {Errc::conflict});
        if (!r) {
            return;
        }
        pods_.terminated(pod_id);
        if (r.value()) {
            stranded(*r.value());
        }
    }

    /// A periodic rescue, counting back from a time after seeding that finds some pods
    /// stale (Staleness).
    void rescue()
    {
        RescueOptions options;
        options.startup_timeout = Staleness::startup_timeout;
        options.heartbeat_timeout = Staleness::heartbeat_timeout;
        options.now = world_.seeded_at +
                      std::chrono::milliseconds{std::uniform_int_distribution<std::int64_t>{
                          0, Staleness::latest_rescue.count()}(rng_)};
        auto r = rescue_stale_pods(store_, options);
        expect("rescue_stale_pods", r, {Errc::conflict});
        if (!r) {
            return;
        }
        log_.outcomes["rescue_stale_pods: pods terminated"] += static_cast<int>(r.value().terminated_pods.size());
        for (const std::string& pod_id : r.value().terminated_pods) {
            pods_.terminated(pod_id);
        }
        std::ranges::for_each(r.value().stranded_tasks, [&](const Task& task) { stranded(task); });
    }

    void observe_group()
    {
        auto d = find_one_by_group_id(store_, pick(world_.group_ids));
        expect("find_one_by_group_id", d, {});
        if (d && d.value()) {
            observe(*d.value());
        }
    }

    S& store_;
    const World& world_;
    PodRegistry& pods_;
    std::mt19937_64 rng_;
    std::string name_;
    /// How often each step is taken: dispatch, allocate, remove, assign, deactivate,
    /// finish and ask again, mark a pod running, heartbeat, terminate a pod, rescue stale
    /// pods, observe.
    std::discrete_distribution<int> step_{6, 4, 2, 2, 2, 4, 2, 2, 0.5, 0.015, 3};
    int next_pod_ = 0;
    ThreadLog log_;
};

} // namespace pod_dispatcher::testing::detail

#endif
