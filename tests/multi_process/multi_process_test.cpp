// The multi-process race harness itself: workers racing on one MemoryStore leave nothing
// to find, each broken promise is found, and reports travel back from worker processes.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
#include <pod_dispatcher/testing/multi_process.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

namespace {

/// A worker process's store: a MemoryStore of its own, seeded with the default race.
/// Processes share nothing through it, so each hands out every task again.
std::unique_ptr<MemoryStore> private_copy(std::string_view)
{
    auto store = std::make_unique<MemoryStore>();
    return seed_race(*store, RacePlan{}) ? std::move(store) : nullptr;
}

bool mentions(const std::vector<std::string>& violations, std::string_view words)
{
    return std::ranges::any_of(violations, [&](const std::string& v) { return v.find(words) != std::string::npos; });
}

} // namespace

int main(int argc, char* argv[])
{
    return main_with_race_workers(argc, argv, private_copy);
}

TEST_CASE("each pod is asked for by as many workers as the plan says", "[multi_process]")
{
    RacePlan plan;
    plan.dispatchers = 3;
    plan.tasks_per_dispatcher = 5;
    plan.workers = 4;
    plan.askers_per_pod = 3;
    std::vector<std::string> asked;
    for (int w = 0; w < plan.workers; ++w) {
        const auto pods = pods_asked_by(plan, w);
        asked.insert(asked.end(), pods.begin(), pods.end());
    }
    for (int d = 0; d < plan.dispatchers; ++d) {
        for (int i = 0; i < plan.tasks_per_dispatcher; ++i) {
            CHECK(std::ranges::count(asked, race_pod_id(d, i)) == 3);
        }
    }
}

TEST_CASE("threads racing on one MemoryStore leave nothing to find, and every broken promise is found",
          "[multi_process]")
{
    RacePlan plan;
    plan.dispatchers = 4;
    plan.tasks_per_dispatcher = 6;
    plan.askers_per_pod = 3;
    MemoryStore memory;
    const auto through_shared_store = [&memory](std::string_view) {
        return std::make_unique<FaultyStore<MemoryStore>>(memory);
    };
    REQUIRE(seed_race(memory, plan));
    auto reports = race_in_threads(through_shared_store, "shared", plan);
    StoreContents contents = contents_of(memory);
    REQUIRE(race_violations(plan, contents, reports).empty());
    std::size_t handed_out = 0;
    for (const WorkerReport& r : reports) {
        handed_out += r.dispatched.size();
    }
    REQUIRE(handed_out == static_cast<std::size_t>(plan.tasks()));

    const auto task = [&](std::string_view id) -> Task& {
        return *std::ranges::find(contents.tasks, id, &Task::id);
    };
    const auto pod = [&](std::string_view id) -> Pod& { return *std::ranges::find(contents.pods, id, &Pod::id); };
    // Some worker was handed a task, though not necessarily the first: threads race.
    const auto handed = std::ranges::find_if(reports, [](const WorkerReport& r) { return !r.dispatched.empty(); });
    REQUIRE(handed != reports.end());
    const auto& [first_pod, first_task] = handed->dispatched.front();

    SECTION("a task handed out twice")
    {
        reports.back().dispatched.emplace_back("p9-9", first_task);
        CHECK(mentions(race_violations(plan, contents, reports), first_task + " was handed out twice"));
    }
    SECTION("a task lost: neither dispatched nor queued")
    {
        task(first_task).status = TaskStatus::undispatched;
        CHECK(mentions(race_violations(plan, contents, reports), first_task + " is allocated and waiting, but in no queue"));
    }
    SECTION("a dispatched task whose pod runs something else, and a pod claimed for it")
    {
        pod(first_pod).running_task_id = "t9-9";
        const auto violations = race_violations(plan, contents, reports);
        CHECK(mentions(violations, first_task + " (execution 0) is dispatched to " + first_pod + ", which does not run it"));
        CHECK(mentions(violations, first_pod + " is claimed for t9-9"));
    }
    SECTION("a dispatched task marked deallocated")
    {
        task(first_task).container_allocated = false;
        CHECK(mentions(race_violations(plan, contents, reports),
                       first_task + ": its events do not lead to its stored container_allocated"));
    }
    SECTION("a task dispatched without its event")
    {
        std::erase_if(contents.events, [&](const Event& e) { return e.resource_id == first_task; });
        CHECK(mentions(race_violations(plan, contents, reports),
                       first_pod + " was assigned " + first_task + " (execution 0), which has no task_dispatched"));
    }
    SECTION("a count that went back")
    {
        reports.front().counts_seen.emplace_back(race_dispatcher_id(0), 2);
        reports.front().counts_seen.emplace_back(race_dispatcher_id(0), 1);
        contents.dispatchers.front().modification_count -= 1;
        const auto violations = race_violations(plan, contents, reports);
        CHECK(mentions(violations, "count go back"));
        CHECK(mentions(violations, race_dispatcher_id(0) + " has count"));
    }
    SECTION("a failure a worker met")
    {
        reports.front().failures.emplace_back("p0-0: the store is unavailable");
        CHECK(mentions(race_violations(plan, contents, reports), "worker 0 failed: p0-0: the store is unavailable"));
    }
}

TEST_CASE("worker processes report back, and stores that share nothing are caught handing tasks out twice",
          "[multi_process]")
{
    const RacePlan plan;
    MemoryStore untouched;
    REQUIRE(seed_race(untouched, plan));
    const auto reports = race_in_processes("private copies", plan);
    REQUIRE(reports.size() == static_cast<std::size_t>(plan.workers));
    for (const WorkerReport& r : reports) {
        CHECK(r.failures.empty());
        CHECK(r.dispatched.size() == static_cast<std::size_t>(plan.tasks() * plan.askers_per_pod / plan.workers));
    }
    const auto violations = race_violations(plan, contents_of(untouched), reports);
    CHECK(mentions(violations, "was handed out twice"));
    CHECK(mentions(violations, "but does not run it"));
}
