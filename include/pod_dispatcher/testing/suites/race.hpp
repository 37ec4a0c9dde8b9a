#ifndef POD_DISPATCHER_TESTING_SUITES_RACE_HPP
#define POD_DISPATCHER_TESTING_SUITES_RACE_HPP

// Many pods asking one dispatcher for work at once, from several threads: every task
// goes out exactly once.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
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

} // namespace detail

/// tasks tasks and as many pods in one dispatcher, asked for by threads threads.
template <StoreMaker M>
void race_suite(int tasks = 400, int threads = 4)
{
    auto owned = M::make();
    auto& store = *owned;
    seed(store, enabled_project());
    std::vector<std::string> task_ids;
    std::vector<std::string> pod_ids;
    for (int i = 0; i < tasks; ++i) {
        task_ids.push_back("task-" + std::to_string(i));
        seed(store, dispatchable_task(task_ids.back()));
        pod_ids.push_back("pod-" + std::to_string(i));
        seed(store, running_pod(pod_ids.back()));
    }
    const PodDispatcher d = seeded_dispatcher(store, task_ids, pod_ids);

    detail::RaceResult outcome;
    SECTION("through dispatch_next_task")
    {
        outcome = detail::race(pod_ids, threads, [&](const std::string& pod_id) {
            DispatchOptions options;
            options.max_attempts = 1'000;
            return dispatch_next_task(store, pod_id, options);
        });
    }
    SECTION("through assign_next_task on copies that go stale, re-read on conflict")
    {
        outcome = detail::race(pod_ids, threads, [&](const std::string& pod_id) -> Result<std::optional<Task>> {
            BOOST_OUTCOME_TRY(auto pod, store.find_pod(pod_id));
            for (;;) {
                BOOST_OUTCOME_TRY(auto copy, find_one_by_id(store, d.id));
                auto task = copy.value().assign_next_task(store, pod.value());
                if (task || task.error() != Errc::conflict) {
                    return task;
                }
            }
        });
    }

    REQUIRE(outcome.errors.empty());
    std::ranges::sort(outcome.handed_out);
    std::ranges::sort(task_ids);
    REQUIRE(outcome.handed_out == task_ids);
    std::set<std::string> running;
    for (const std::string& pod_id : pod_ids) {
        const Pod pod = stored_pod(store, pod_id);
        REQUIRE(pod.status == PodStatus::decommissioned);
        REQUIRE(running.insert(pod.running_task_id).second);
        REQUIRE(stored_task(store, pod.running_task_id).pod_id == pod_id);
    }
    const PodDispatcher after = stored_dispatcher(store, d.id);
    REQUIRE(after.task_ids.empty());
    REQUIRE(after.modification_count == tasks);
}

} // namespace pod_dispatcher::testing

#endif
