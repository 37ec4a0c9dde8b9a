#ifndef POD_DISPATCHER_TESTING_SUITES_RACE_HPP
#define POD_DISPATCHER_TESTING_SUITES_RACE_HPP

// Many pods asking one dispatcher for work at once, from several threads, race after race
// on fresh stores: every task goes out exactly once, and the store keeps the invariants
// (invariants.hpp). InterleavingOptions (interleaving_options.hpp) sizes each race and says
// how many run.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/testing/detail/iterations.hpp>
#include <pod_dispatcher/testing/interleaving_options.hpp>
#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

struct RaceResult {
    std::vector<std::string> handed_out;
    std::vector<std::error_code> errors;
};

/// Runs ask(pod_id) for every pod, the pods split across threads; collects the tasks
/// handed out and any errors (assertions stay on the main thread).
template <class Ask>
RaceResult race(const std::vector<std::string>& pod_ids, int threads, Ask ask)
{
    std::mutex mutex;
    RaceResult result;
    std::vector<std::jthread> running;
    for (int t = 0; t < threads; ++t) {
        running.emplace_back([&, t] {
            for (std::size_t i = static_cast<std::size_t>(t); i < pod_ids.size(); i += static_cast<std::size_t>(threads)) {
                Result<std::optional<Task>> task = ask(pod_ids[i]);
                std::scoped_lock lock{mutex};
                if (!task) {
                    result.errors.push_back(task.error());
                } else if (task.value()) {
                    result.handed_out.push_back(task.value()->id);
                }
            }
        });
    }
    running.clear();
    return result;
}

/// One race on a fresh store: options.queued_tasks tasks and as many pods in one
/// dispatcher, each pod asked for once, by options.threads threads, through
/// ask(store, dispatcher as stored, pod id).
template <StoreMaker M, class Ask>
void race_once(const InterleavingOptions& options, const Ask& ask)
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());
    std::vector<std::string> task_ids;
    std::vector<std::string> pod_ids;
    for (int i = 0; i < options.queued_tasks; ++i) {
        task_ids.push_back("task-" + std::to_string(i));
        seed(store, dispatchable_task(task_ids.back()));
        pod_ids.push_back("pod-" + std::to_string(i));
        seed(store, running_pod(pod_ids.back()));
    }
    const PodDispatcher d = seeded_dispatcher(store, task_ids, pod_ids);
    const StoreContents seeded = contents_of(store);

    RaceResult outcome = race(pod_ids, options.threads, [&](const std::string& pod_id) { return ask(store, d, pod_id); });

    REQUIRE(outcome.errors.empty());
    std::ranges::sort(outcome.handed_out);
    std::ranges::sort(task_ids);
    REQUIRE(outcome.handed_out == task_ids);
    for (const std::string& pod_id : pod_ids) {
        REQUIRE(stored_pod(store, pod_id).status == PodStatus::decommissioned);
    }
    const PodDispatcher after = stored_dispatcher(store, d.id);
    REQUIRE(after.task_ids.empty());
    REQUIRE(after.modification_count == options.queued_tasks);
    const StoreContents now = contents_of(store);
    const Broken broken = invariants_broken(store, CheckedContents{now, seeded});
    for (const std::string& b : broken) {
        UNSCOPED_INFO(b);
    }
    REQUIRE(broken.empty());
}

/// One race on a fresh store: allocation_race_tasks tasks of one task group that has no
/// dispatcher yet, each allocated with a pod of its own at once, by options.threads
/// threads. They all land in one dispatcher, in task_group_order, each with its pod: an
/// allocate that lost the race to create the dispatcher retries into the winner's.
/// Fewer than a dispatch race queues: each allocate reads the whole queue.
inline constexpr int allocation_race_tasks = 16;

template <StoreMaker M>
void allocation_race_once(const InterleavingOptions& options)
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());
    std::vector<std::string> task_ids;
    std::vector<std::string> pod_ids;
    std::map<std::string, Task> task_of_pod;
    for (int i = 0; i < allocation_race_tasks; ++i) {
        task_ids.push_back("task-" + std::to_string(i));
        pod_ids.push_back("pod-" + std::to_string(i));
        const Task& task = task_of_pod[pod_ids.back()] = group_task(task_ids.back(), "g", i, allocation_race_tasks);
        seed(store, task);
    }
    const StoreContents seeded = contents_of(store);
    RetryPolicy retry;
    retry.max_attempts = 1'000;

    RaceResult outcome = race(pod_ids, options.threads, [&](const std::string& pod_id) -> Result<std::optional<Task>> {
        Task task = std::as_const(task_of_pod).at(pod_id);
        Pod pod = intent_pod(pod_id);
        BOOST_OUTCOME_TRY(allocate(store, task, pod, retry));
        return std::optional<Task>{};
    });

    REQUIRE(outcome.errors.empty());
    const auto dispatchers = find(store, Query{});
    REQUIRE(dispatchers);
    REQUIRE(dispatchers.value().size() == 1);
    REQUIRE(dispatchers.value()[0].task_ids == task_ids);
    std::vector<std::string> pods = dispatchers.value()[0].pod_ids;
    std::ranges::sort(pods);
    std::ranges::sort(pod_ids);
    REQUIRE(pods == pod_ids);
    const Broken broken = invariants_broken(store, CheckedContents{contents_of(store), seeded});
    for (const std::string& b : broken) {
        UNSCOPED_INFO(b);
    }
    REQUIRE(broken.empty());
}

/// Runs race_once() as many times as options say, in a third of the budget: the suite
/// races three ways. Says how many ran, of how many pods (each race_once's own).
template <class Race>
void race_repeatedly(const char* through, const InterleavingOptions& options, int pods, const Race& race_once)
{
    IterationPlan plan = IterationPlan::from_environment(options);
    plan.budget /= 3;
    const auto run = run_iterations(plan, [&](std::uint64_t) { race_once(); });
    std::cout << "race through " << through << ": " << run.count << " iterations of " << options.threads
              << " threads x " << pods << " pods, " << run.seconds << " s\n";
}

} // namespace detail

/// Every pod of one dispatcher asks for its task at once; the tasks of a new group are
/// allocated at once.
template <StoreMaker M>
void race_suite()
{
    const InterleavingOptions options = interleaving_options_of<M>();
    const auto racing = [&](const auto& ask) { return [&options, ask] { detail::race_once<M>(options, ask); }; };
    SECTION("through dispatch_next_task")
    {
        detail::race_repeatedly("dispatch_next_task", options, options.queued_tasks, racing([](auto& store, const PodDispatcher&,
                                                                          const std::string& pod_id) {
            DispatchOptions dispatch;
            dispatch.retry.max_attempts = 1'000;
            return dispatch_next_task(store, pod_id, dispatch);
        }));
    }
    SECTION("through allocate, of the tasks of a group that has no dispatcher yet")
    {
        // A quarter of the races the others run: each allocate of a race retries against
        // every other, and a store that lets other units in mid-unit makes that slow.
        InterleavingOptions fewer = options;
        fewer.min_iterations = std::max<std::uint64_t>(1, options.min_iterations / 4);
        detail::race_repeatedly("allocate", fewer, detail::allocation_race_tasks,
                                [&options] { detail::allocation_race_once<M>(options); });
    }
    SECTION("through assign_next_task on copies that go stale, re-read on conflict")
    {
        detail::race_repeatedly(
            "assign_next_task", options, options.queued_tasks,
            racing([](auto& store, const PodDispatcher& d, const std::string& pod_id) -> Result<std::optional<Task>> {
                BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
                for (;;) {
                    BOOST_OUTCOME_TRY(auto copy, find_one_by_id(store, d.id));
                    auto task = copy.value().assign_next_task(store, pod.value());
                    if (task || task.error() != Errc::conflict) {
                        return task;
                    }
                }
            }));
    }
}

} // namespace pod_dispatcher::testing

#endif
