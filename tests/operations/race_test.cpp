// Many pods asking one dispatcher for work at once: every task goes out exactly once.

#include "support/documents.hpp"
#include "support/store_types.hpp"

#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;

namespace {

constexpr int thread_count = 4;
constexpr int pod_count = 400;
constexpr int task_count = 400;

std::string pod_name(int i) { return "pod-" + std::to_string(i); }

struct RaceResult {
    std::vector<std::string> handed_out;
    std::vector<std::error_code> errors;
};

/// Runs ask(pod_id) for every pod, the pods split across threads; collects the tasks
/// handed out and any errors (assertions stay on the main thread).
template <class Ask>
RaceResult race(Ask ask)
{
    std::mutex mutex;
    RaceResult result;
    std::vector<std::jthread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            for (int i = t; i < pod_count; i += thread_count) {
                Result<std::optional<Task>> task = ask(pod_name(i));
                std::scoped_lock lock{mutex};
                if (!task) {
                    result.errors.push_back(task.error());
                } else if (task.value()) {
                    result.handed_out.push_back(task.value()->id);
                }
            }
        });
    }
    threads.clear();
    return result;
}

} // namespace

TEMPLATE_LIST_TEST_CASE("many pods race for one dispatcher's tasks", "[race]", StoreTypes)
{
    auto owned = StoreFactory<TestType>::make();
    TestType& store = *owned;
    seed(store, enabled_project());
    std::vector<std::string> task_ids;
    std::vector<std::string> pod_ids;
    for (int i = 0; i < task_count; ++i) {
        task_ids.push_back("task-" + std::to_string(i));
        seed(store, dispatchable_task(task_ids.back()));
    }
    for (int i = 0; i < pod_count; ++i) {
        pod_ids.push_back(pod_name(i));
        seed(store, running_pod(pod_ids.back()));
    }
    const PodDispatcher d = seeded_dispatcher(store, task_ids, pod_ids);

    RaceResult outcome;
    SECTION("through dispatch_next_task")
    {
        outcome = race([&](const std::string& pod_id) {
            DispatchOptions options;
            options.max_attempts = 1'000;
            return dispatch_next_task(store, pod_id, options);
        });
    }
    SECTION("through assign_next_task on copies that go stale, re-read on conflict")
    {
        outcome = race([&](const std::string& pod_id) -> Result<std::optional<Task>> {
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
    std::vector<std::string>& handed_out = outcome.handed_out;
    std::ranges::sort(handed_out);
    REQUIRE(handed_out == [&] { auto sorted = task_ids; std::ranges::sort(sorted); return sorted; }());
    std::set<std::string> running;
    for (const std::string& pod_id : pod_ids) {
        const Pod pod = stored_pod(store, pod_id);
        REQUIRE(pod.status == PodStatus::decommissioned);
        REQUIRE(running.insert(pod.running_task_id).second);
        REQUIRE(stored_task(store, pod.running_task_id).pod_id == pod_id);
    }
    const PodDispatcher after = stored_dispatcher(store, d.id);
    REQUIRE(after.task_ids.empty());
    REQUIRE(after.modification_count == task_count);
}
