// Seeded random interleavings of allocate, dispatch_next_task, assign_next_task,
// remove_pod and task deactivation from several threads, followed by an audit of the
// final store against the invariants: no task handed out twice, none lost, no pod running
// two tasks, queues without duplicates, modification counts that only grow, and events
// that agree with the final state.
//
// POD_DISPATCHER_SEED=<n> replays the operation sequence of seed n (thread timing still
// varies); POD_DISPATCHER_SOAK_ITERATIONS=<n> runs n iterations instead of a short CI run.

#include "support/documents.hpp"
#include "support/store_factory.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

constexpr int thread_count = 4;
constexpr int allocatable_tasks = 100;
constexpr int operations_per_thread = 500;
constexpr int ci_iterations = 200;
constexpr std::chrono::seconds ci_budget{3}; ///< A slow (sanitized) CI build stops early.
constexpr const char* closed_project = "closed";

std::uint64_t env_number(const char* name, std::uint64_t fallback)
{
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

std::string group_task(int group, int i) { return "g" + std::to_string(group) + "-t" + std::to_string(i); }
std::string group_pod(int group, int i) { return "g" + std::to_string(group) + "-p" + std::to_string(i); }
std::string pool_task(int i) { return "a" + std::to_string(i); }

/// How the seeded queues are laid out. Many small groups spread the threads out; a few
/// large ones make every pod of a group race for the same queue.
struct Shape {
    int groups;
    int tasks_per_group;
    int pods_per_group;
};

constexpr std::array shapes{Shape{50, 6, 3}, Shape{5, 60, 60}, Shape{1, 300, 300}};

/// The seeded world: queued groups whose pods race for their tasks, and a pool of
/// allocatable tasks, each of which allocate puts in a dispatcher of its own.
struct World {
    std::vector<std::string> task_ids;         ///< every stored task
    std::map<std::string, int> seeded_attempts; ///< allocation attempts each task was seeded with
    std::vector<std::string> group_ids;
    std::vector<std::string> pod_ids;
};

/// A queued group's task, chosen by the seed: mostly dispatchable, some out of allocation
/// attempts, deactivated, of a disabled project, or missing from the store altogether.
std::optional<Task> seeded_queue_task(std::mt19937_64& rng, std::string id)
{
    Task task = dispatchable_task(std::move(id));
    task.container_allocation_attempts = std::uniform_int_distribution<int>{1, max_container_allocation_attempts}(rng);
    switch (std::uniform_int_distribution<int>{0, 9}(rng)) {
    case 0: return std::nullopt;
    case 1: task.activated = false; break;
    case 2: task.project = closed_project; break;
    default: break;
    }
    return task;
}

World seed_world(MemoryStore& store, std::uint64_t run_seed)
{
    std::mt19937_64 rng{run_seed};
    const Shape shape = shapes[run_seed % shapes.size()];
    World world;
    seed(store, enabled_project());
    ProjectRef closed = enabled_project(closed_project);
    closed.enabled = false;
    seed(store, closed);
    for (int g = 0; g < shape.groups; ++g) {
        PodDispatcher d = new_pod_dispatcher("g" + std::to_string(g), {}, {});
        for (int i = 0; i < shape.tasks_per_group; ++i) {
            d.task_ids.push_back(group_task(g, i));
            if (auto task = seeded_queue_task(rng, group_task(g, i))) {
                seed(store, *task);
                world.task_ids.push_back(task->id);
                world.seeded_attempts[task->id] = task->container_allocation_attempts;
            }
        }
        for (int i = 0; i < shape.pods_per_group; ++i) {
            d.pod_ids.push_back(group_pod(g, i));
            seed(store, running_pod(group_pod(g, i)));
            world.pod_ids.push_back(group_pod(g, i));
        }
        seed(store, d);
        world.group_ids.push_back(d.group_id);
    }
    for (int i = 0; i < allocatable_tasks; ++i) {
        seed(store, allocatable_task(pool_task(i)));
        world.task_ids.push_back(pool_task(i));
        world.seeded_attempts[pool_task(i)] = 0;
        world.group_ids.push_back(get_group_id(allocatable_task(pool_task(i))));
    }
    return world;
}

/// The pods that exist so far: seeded ones, and those allocate has stored.
class PodRegistry {
public:
    explicit PodRegistry(std::vector<std::string> ids) : ids_(std::move(ids)) {}

    void add(std::string id)
    {
        std::scoped_lock lock{mutex_};
        ids_.push_back(std::move(id));
    }

    std::string pick(std::mt19937_64& rng)
    {
        std::scoped_lock lock{mutex_};
        return ids_[std::uniform_int_distribution<std::size_t>{0, ids_.size() - 1}(rng)];
    }

private:
    std::mutex mutex_;
    std::vector<std::string> ids_;
};

/// What one thread saw: what it was handed, and anything it did not expect.
struct ThreadLog {
    std::vector<std::pair<std::string, std::string>> dispatched; ///< task id, pod id
    std::map<std::string, int> allocations;                      ///< successful allocations per task
    std::map<std::string, std::int64_t> counts;                  ///< last modification_count seen per dispatcher
    std::vector<std::string> anomalies;
    std::map<std::string, int> outcomes; ///< "operation: outcome" -> how often
};

/// One thread's random walk through the operations.
class Actor {
public:
    Actor(MemoryStore& store, const World& world, PodRegistry& pods, std::uint64_t run_seed, int index)
        : store_(store), world_(world), pods_(pods), rng_(run_seed * 1'000'003 + static_cast<std::uint64_t>(index)),
          name_("t" + std::to_string(index))
    {
    }

    void run(int operations)
    {
        for (int i = 0; i < operations; ++i) {
            switch (step_(rng_)) {
            case 0: dispatch(); break;
            case 1: allocate_one(); break;
            case 2: remove_one(); break;
            case 3: assign(); break;
            case 4: deactivate(); break;
            default: observe(); break;
            }
        }
    }

    ThreadLog& log() { return log_; }

private:
    /// Records how a call ended; an error not in declined is an anomaly. MemoryStore runs
    /// each call as one linearizable unit, so only a caller's stale copy loses a race.
    template <class T>
    void expect(const char* operation, const Result<T>& r, std::initializer_list<Errc> declined)
    {
        ++log_.outcomes[std::string(operation) + ": " + (r ? "ok" : r.error().message())];
        if (r) {
            return;
        }
        for (Errc e : declined) {
            if (r.error() == e) {
                return;
            }
        }
        log_.anomalies.push_back(std::string(operation) + " failed unexpectedly: " + r.error().message());
    }

    void observe(const PodDispatcher& d)
    {
        auto [it, first] = log_.counts.try_emplace(d.id, d.modification_count);
        if (!first && d.modification_count < it->second) {
            log_.anomalies.push_back("modification_count of " + d.id + " went from " + std::to_string(it->second) +
                                     " to " + std::to_string(d.modification_count));
        }
        it->second = std::max(it->second, d.modification_count);
    }

    void handed_out(const std::optional<Task>& task, const std::string& pod_id)
    {
        if (!task) {
            return;
        }
        log_.dispatched.emplace_back(task->id, pod_id);
        if (task->pod_id != pod_id || task->status != TaskStatus::dispatched) {
            log_.anomalies.push_back("task " + task->id + " handed to " + pod_id + " comes back as not dispatched to it");
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

    void dispatch()
    {
        const std::string pod_id = pods_.pick(rng_);
        auto r = dispatch_next_task(store_, pod_id);
        expect("dispatch_next_task", r, {Errc::pod_busy, Errc::pod_not_in_dispatcher});
        if (r) {
            handed_out(r.value(), pod_id);
        }
    }

    void allocate_one()
    {
        Task task = allocatable_task(pool_task(std::uniform_int_distribution<int>{0, allocatable_tasks - 1}(rng_)));
        Pod pod = running_pod(name_ + "-p" + std::to_string(next_pod_++));
        auto r = allocate(store_, task, pod);
        expect("allocate", r, {Errc::precondition_failed});
        if (!r) {
            return;
        }
        ++log_.allocations[task.id];
        observe(r.value());
        if (std::ranges::find(r.value().pod_ids, pod.id) != r.value().pod_ids.end()) {
            pods_.add(pod.id);
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
        const std::string pod_id = pods_.pick(rng_);
        auto d = holder_of(pod_id);
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
        auto task = store_.find_task(pick(world_.task_ids));
        if (!task || !task.value() || !task.value()->activated) {
            return;
        }
        Task after = *task.value();
        after.activated = false;
        maybe_yield();
        expect("replace_task", store_.replace_task(*task.value(), after), {Errc::conflict});
    }

    void observe()
    {
        auto d = find_one_by_group_id(store_, pick(world_.group_ids));
        expect("find_one_by_group_id", d, {});
        if (d && d.value()) {
            observe(*d.value());
        }
    }

    MemoryStore& store_;
    const World& world_;
    PodRegistry& pods_;
    std::mt19937_64 rng_;
    std::string name_;
    /// How often each step is taken: dispatch, allocate, remove, assign, deactivate, observe.
    std::discrete_distribution<int> step_{6, 4, 3, 2, 2, 3};
    int next_pod_ = 0;
    ThreadLog log_;
};

/// Checks the final store against what the threads saw; collects every violation.
class Audit {
public:
    Audit(const StoreContents& contents, const World& world, const std::vector<ThreadLog>& logs)
        : contents_(contents), world_(world), logs_(logs)
    {
        for (const Task& t : contents.tasks) {
            tasks_[t.id] = &t;
        }
        for (const Pod& p : contents.pods) {
            pods_[p.id] = &p;
        }
        for (const Event& e : contents.events) {
            events_[{e.resource_id, e.type}].push_back(&e);
        }
    }

    std::vector<std::string> run()
    {
        nothing_lost();
        queues_and_pods_are_unique();
        each_task_handed_out_once();
        allocated_tasks_are_queued();
        allocations_match_events();
        counts_only_grow();
        for (const ThreadLog& log : logs_) {
            violations_.insert(violations_.end(), log.anomalies.begin(), log.anomalies.end());
        }
        return violations_;
    }

private:
    void fail(std::string message) { violations_.push_back(std::move(message)); }

    std::size_t event_count(const std::string& resource, EventType type) const
    {
        const auto it = events_.find({resource, type});
        return it == events_.end() ? 0 : it->second.size();
    }

    void nothing_lost()
    {
        for (const std::string& id : world_.task_ids) {
            if (!tasks_.contains(id)) {
                fail("task " + id + " is gone");
            }
        }
        for (const std::string& id : world_.pod_ids) {
            if (!pods_.contains(id)) {
                fail("pod " + id + " is gone");
            }
        }
    }

    void queues_and_pods_are_unique()
    {
        std::map<std::string, std::string> pod_owner;
        for (const PodDispatcher& d : contents_.dispatchers) {
            for (const std::string& task_id : d.task_ids) {
                if (!queue_of_.try_emplace(task_id, d.id).second) {
                    fail("task " + task_id + " is queued twice (in " + d.id + " and " + queue_of_[task_id] + ")");
                }
            }
            for (const std::string& pod_id : d.pod_ids) {
                if (!pod_owner.try_emplace(pod_id, d.id).second) {
                    fail("pod " + pod_id + " is in two dispatchers");
                }
            }
        }
    }

    void each_task_handed_out_once()
    {
        std::map<std::string, std::string> handed_to;
        std::set<std::string> pods_handed;
        for (const ThreadLog& log : logs_) {
            for (const auto& [task_id, pod_id] : log.dispatched) {
                if (!handed_to.try_emplace(task_id, pod_id).second) {
                    fail("task " + task_id + " was handed out twice");
                }
                if (!pods_handed.insert(pod_id).second) {
                    fail("pod " + pod_id + " was handed two tasks");
                }
            }
        }
        std::size_t running = 0;
        for (const Pod& pod : contents_.pods) {
            if (!pod.running_task_id.empty()) {
                ++running;
                pod_runs_its_task(pod, handed_to);
            } else if (event_count(pod.id, EventType::pod_assigned_task) != 0) {
                fail("pod " + pod.id + " runs no task but has a pod_assigned_task event");
            }
        }
        for (const Task& task : contents_.tasks) {
            dispatched_task_names_its_pod(task);
        }
        if (running != handed_to.size()) {
            fail(std::to_string(handed_to.size()) + " tasks were handed out, but " + std::to_string(running) +
                 " pods run one");
        }
    }

    void pod_runs_its_task(const Pod& pod, const std::map<std::string, std::string>& handed_to)
    {
        const auto task = tasks_.find(pod.running_task_id);
        if (task == tasks_.end() || task->second->status != TaskStatus::dispatched ||
            task->second->pod_id != pod.id) {
            fail("pod " + pod.id + " runs " + pod.running_task_id + ", which is not dispatched to it");
        }
        const auto handed = handed_to.find(pod.running_task_id);
        if (handed == handed_to.end() || handed->second != pod.id) {
            fail("pod " + pod.id + " runs " + pod.running_task_id + ", but no call handed it that task");
        }
        if (event_count(pod.id, EventType::pod_assigned_task) != 1) {
            fail("pod " + pod.id + " does not have exactly one pod_assigned_task event");
        }
    }

    void dispatched_task_names_its_pod(const Task& task)
    {
        const auto it = events_.find({task.id, EventType::task_dispatched});
        const std::size_t count = it == events_.end() ? 0 : it->second.size();
        if (task.status != TaskStatus::dispatched) {
            if (count != 0) {
                fail("task " + task.id + " has a task_dispatched event but is " +
                     boost::json::value_from(task.status).as_string().c_str());
            }
            return;
        }
        if (count != 1 || it->second.front()->data.at("pod_id") != boost::json::value(task.pod_id)) {
            fail("dispatched task " + task.id + " does not have exactly one task_dispatched event naming " +
                 task.pod_id);
        }
        const auto pod = pods_.find(task.pod_id);
        if (pod == pods_.end() || pod->second->running_task_id != task.id) {
            fail("dispatched task " + task.id + " is not run by its pod " + task.pod_id);
        }
        if (queue_of_.contains(task.id)) {
            fail("dispatched task " + task.id + " is still queued");
        }
    }

    void allocated_tasks_are_queued()
    {
        for (const Task& task : contents_.tasks) {
            const bool waiting = task.container_allocated && task.status == TaskStatus::undispatched;
            if (waiting != queue_of_.contains(task.id)) {
                fail("task " + task.id + (waiting ? " is allocated and waiting but in no queue"
                                                  : " is queued but not allocated and waiting"));
            }
        }
    }

    void allocations_match_events()
    {
        std::map<std::string, int> allocations;
        for (const ThreadLog& log : logs_) {
            for (const auto& [task_id, n] : log.allocations) {
                allocations[task_id] += n;
            }
        }
        for (const Task& task : contents_.tasks) {
            const int seeded = world_.seeded_attempts.at(task.id);
            const auto allocated = static_cast<int>(event_count(task.id, EventType::container_allocated));
            const auto released = static_cast<int>(event_count(task.id, EventType::container_deallocated));
            if (allocated != allocations[task.id] || task.container_allocation_attempts != seeded + allocated) {
                fail("task " + task.id + ": " + std::to_string(allocations[task.id]) + " allocations, " +
                     std::to_string(allocated) + " container_allocated events, attempts " + std::to_string(seeded) +
                     " -> " + std::to_string(task.container_allocation_attempts));
            }
            if ((seeded > 0 ? 1 : 0) + allocated - released != (task.container_allocated ? 1 : 0)) {
                fail("task " + task.id + ": allocated and deallocated events do not add up to its state");
            }
            const bool system_failed = task.status == TaskStatus::failed && task.details_type == "system";
            if (event_count(task.id, EventType::task_system_failed) != (system_failed ? 1U : 0U) ||
                (system_failed && task.container_allocation_attempts < max_container_allocation_attempts)) {
                fail("task " + task.id + ": task_system_failed events do not agree with its state");
            }
        }
    }

    void counts_only_grow()
    {
        for (const PodDispatcher& d : contents_.dispatchers) {
            for (const ThreadLog& log : logs_) {
                const auto seen = log.counts.find(d.id);
                if (seen != log.counts.end() && seen->second > d.modification_count) {
                    fail("dispatcher " + d.id + " ends at count " + std::to_string(d.modification_count) +
                         " after " + std::to_string(seen->second) + " was seen");
                }
            }
        }
    }

    const StoreContents& contents_;
    const World& world_;
    const std::vector<ThreadLog>& logs_;
    std::map<std::string, const Task*> tasks_;
    std::map<std::string, const Pod*> pods_;
    std::map<std::pair<std::string, EventType>, std::vector<const Event*>> events_;
    std::map<std::string, std::string> queue_of_; ///< task id -> the dispatcher queuing it
    std::vector<std::string> violations_;
};

/// Runs one seeded interleaving and returns the invariants it broke; adds how each
/// call ended to outcomes.
std::vector<std::string> interleave(std::uint64_t run_seed, std::map<std::string, int>& outcomes)
{
    auto store = StoreFactory<MemoryStore>::make();
    const World world = seed_world(*store, run_seed);
    PodRegistry pods{world.pod_ids};
    std::vector<Actor> actors;
    actors.reserve(thread_count);
    for (int i = 0; i < thread_count; ++i) {
        actors.emplace_back(*store, world, pods, run_seed, i);
    }
    std::latch start{thread_count};
    std::vector<std::jthread> threads;
    for (Actor& actor : actors) {
        threads.emplace_back([&start, &actor] {
            start.arrive_and_wait();
            actor.run(operations_per_thread);
        });
    }
    threads.clear();
    std::vector<ThreadLog> logs;
    for (Actor& actor : actors) {
        for (const auto& [outcome, n] : actor.log().outcomes) {
            outcomes[outcome] += n;
        }
        logs.push_back(std::move(actor.log()));
    }
    return Audit{store->snapshot(), world, logs}.run();
}

} // namespace

TEST_CASE("random interleavings never hand a task out twice, lose one, or break an invariant",
          "[reliability][races]")
{
    const bool seed_given = std::getenv("POD_DISPATCHER_SEED") != nullptr;
    const bool soak = std::getenv("POD_DISPATCHER_SOAK_ITERATIONS") != nullptr;
    const std::uint64_t first_seed = env_number("POD_DISPATCHER_SEED", std::random_device{}());
    const std::uint64_t iterations = env_number("POD_DISPATCHER_SOAK_ITERATIONS", seed_given ? 1 : ci_iterations);
    const auto started = std::chrono::steady_clock::now();
    std::map<std::string, int> outcomes;
    std::uint64_t done = 0;
    while (done < iterations && (soak || done == 0 || std::chrono::steady_clock::now() - started < ci_budget)) {
        const std::uint64_t seed = first_seed + done++;
        INFO("replay with POD_DISPATCHER_SEED=" << seed);
        const std::vector<std::string> violations = interleave(seed, outcomes);
        std::ostringstream report;
        for (const std::string& v : violations) {
            report << "\n  " << v;
        }
        INFO("invariants broken:" << report.str());
        REQUIRE(violations.empty());
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "random interleavings: " << done << " iterations of " << thread_count << " threads x "
              << operations_per_thread << " operations, seeds " << first_seed << ".." << first_seed + done - 1
              << ", " << seconds << " s\n";
    for (const auto& [outcome, n] : outcomes) {
        std::cout << "  " << outcome << ": " << n << '\n';
    }
}
