#ifndef POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_WORLD_HPP
#define POD_DISPATCHER_TESTING_DETAIL_INTERLEAVING_WORLD_HPP

// The world a random interleaving starts from, seeded from its seed number: dispatchers
// whose pods race for their queues, task groups whose pods take one task after another,
// a pool of tasks to allocate, and pods last heard from at times that let a rescue find
// some of them stale.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/interleaving_options.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace pod_dispatcher::testing::detail {

inline constexpr const char* closed_project = "closed";

/// How pods go stale. A seeded pod was last heard from up to heartbeat_timeout before
/// the world was seeded; a rescue counts back from up to an eighth of that after, so that
/// it finds a few seeded pods stale, never a pod heard from since, and a pod allocated
/// since but not started when it counts from far enough. The rescue's time is the
/// world's, not the clock's: a slow run finds as many seeded pods stale as a fast one.
struct Staleness {
    static constexpr std::chrono::milliseconds heartbeat_timeout{1'000};
    static constexpr std::chrono::milliseconds startup_timeout{50};
    static constexpr std::chrono::milliseconds latest_rescue{heartbeat_timeout / 8};
};

struct World {
    Timestamp seeded_at{};                     ///< when seeding began
    StoreContents seeded;                      ///< everything stored before the threads start
    std::vector<std::string> task_ids;         ///< every stored task, to pick from
    std::vector<std::string> allocatable;      ///< what threads try to allocate: pool and group tasks
    std::vector<std::string> group_ids;        ///< every dispatcher group, stored or to be
    std::vector<std::string> pod_ids;          ///< every pod stored while seeding
    std::set<std::string> group_pods;          ///< pods of task groups: no thread removes them
    std::map<std::string, int> max_hosts;      ///< a task group's dispatcher group -> its task_group_max_hosts
    std::map<std::string, int> order;          ///< a group task -> its task_group_order
};

/// How the seeded queues are laid out. Many small queues spread the threads out; a few
/// large ones make every pod of a dispatcher race for the same queue.
struct Shape {
    int dispatchers;
    int tasks_per_dispatcher;
    int pods_per_dispatcher;
};

inline Shape shape_for(std::uint64_t run_seed, int queued_tasks)
{
    const int n = std::max(queued_tasks, 6);
    const std::array shapes{Shape{n / 6, 6, 3}, Shape{5, n / 5, n / 5}, Shape{1, n, n}};
    return shapes[run_seed % shapes.size()];
}

/// A queued task, chosen by the seed: mostly dispatchable, some out of allocation
/// attempts, deactivated, of a disabled project, or missing from the store altogether.
inline std::optional<Task> queued_task(std::mt19937_64& rng, std::string id)
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

template <class S>
void seed_task(S& store, World& world, const Task& task)
{
    seed(store, task);
    world.task_ids.push_back(task.id);
}

template <class S>
void seed_pod(S& store, World& world, const Pod& pod)
{
    seed(store, pod);
    world.pod_ids.push_back(pod.id);
}

/// A display task whose execution tasks are queued: the first of them dispatched
/// dispatches it too.
template <class S>
void seed_display_task(S& store, World& world, std::string id, const std::vector<std::string>& execution_tasks)
{
    Task display;
    display.id = std::move(id);
    display.project = project_id;
    display.display_only = true;
    display.execution_tasks = execution_tasks;
    seed_task(store, world, display);
}

/// Dispatchers stored as they are, their queues and pods laid out by shape; the tasks of
/// some queues belong to a display task.
template <class S>
void seed_queues(S& store, std::mt19937_64& rng, Shape shape, World& world)
{
    for (int g = 0; g < shape.dispatchers; ++g) {
        const std::string prefix = "g" + std::to_string(g);
        const bool displayed = rng() % 3 == 0;
        PodDispatcher d = new_pod_dispatcher(prefix, {}, {});
        for (int i = 0; i < shape.tasks_per_dispatcher; ++i) {
            d.task_ids.push_back(prefix + "-t" + std::to_string(i));
            if (auto task = queued_task(rng, d.task_ids.back())) {
                task->display_task_id = displayed ? prefix + "-display" : "";
                seed_task(store, world, *task);
            }
        }
        if (displayed) {
            seed_display_task(store, world, prefix + "-display", d.task_ids);
        }
        std::uniform_int_distribution<std::int64_t> silence{0, Staleness::heartbeat_timeout.count()};
        for (int i = 0; i < shape.pods_per_dispatcher; ++i) {
            d.pod_ids.push_back(prefix + "-p" + std::to_string(i));
            Pod pod = running_pod(d.pod_ids.back());
            pod.last_communicated = world.seeded_at - std::chrono::milliseconds{silence(rng)};
            seed_pod(store, world, pod);
        }
        seed(store, d);
        world.group_ids.push_back(d.group_id);
    }
}

/// Task groups of six tasks, allocated through allocate in an order of the seed's
/// choosing, each with a pod of its own that the group takes while it takes pods. Some
/// of those pods are started here; the threads start the others.
template <class S>
void seed_task_groups(S& store, std::mt19937_64& rng, int tasks, World& world)
{
    static constexpr int tasks_per_group = 6;
    static constexpr std::array max_hosts_choices{1, 1, 2, 0};
    for (int g = 0; g < tasks / tasks_per_group; ++g) {
        const std::string name = "tg" + std::to_string(g);
        const int max_hosts = max_hosts_choices[rng() % max_hosts_choices.size()];
        std::vector<Task> group;
        for (int i = 0; i < tasks_per_group; ++i) {
            const int order = std::uniform_int_distribution<int>{0, 3}(rng); // equal orders too
            group.push_back(group_task(name + "-t" + std::to_string(i), name, order, max_hosts));
            world.order[group.back().id] = order;
            world.allocatable.push_back(group.back().id);
        }
        std::ranges::shuffle(group, rng);
        for (std::size_t i = 0; i < group.size(); ++i) {
            seed_task(store, world, group[i]);
            Pod pod = intent_pod(name + "-p" + std::to_string(i));
            auto d = allocate(store, group[i], pod);
            REQUIRE(d);
            if (std::ranges::find(d.value().pod_ids, pod.id) != d.value().pod_ids.end()) {
                world.pod_ids.push_back(pod.id);
                world.group_pods.insert(pod.id);
                if (rng() % 2 == 0) {
                    set_pod_status(store, pod.id, PodStatus::running);
                }
            }
        }
        const std::string group_id = get_group_id(group.front());
        world.group_ids.push_back(group_id);
        world.max_hosts[group_id] = max_hosts;
    }
}

/// Tasks for allocate to put each in a dispatcher of its own.
template <class S>
void seed_pool(S& store, int tasks, World& world)
{
    for (int i = 0; i < tasks; ++i) {
        const Task task = allocatable_task("a" + std::to_string(i));
        seed_task(store, world, task);
        world.allocatable.push_back(task.id);
        world.group_ids.push_back(get_group_id(task));
    }
}

template <class S>
World seed_world(S& store, std::uint64_t run_seed, const InterleavingOptions& options)
{
    std::mt19937_64 rng{run_seed};
    World world;
    world.seeded_at = now();
    seed(store, enabled_project());
    ProjectRef closed = enabled_project(closed_project);
    closed.enabled = false;
    seed(store, closed);
    seed_queues(store, rng, shape_for(run_seed, options.queued_tasks), world);
    seed_task_groups(store, rng, options.task_group_tasks, world);
    seed_pool(store, options.pool_tasks, world);
    world.seeded = contents_of(store);
    return world;
}

} // namespace pod_dispatcher::testing::detail

#endif
