// The pure rules: new_pod_dispatcher, get_group_id and the task group rules.

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/samples.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::testing;

TEST_CASE("new_pod_dispatcher", "[rules]")
{
    SECTION("gives a fresh id of 24 lowercase hex characters and count 0")
    {
        const PodDispatcher d = new_pod_dispatcher("group", {"t1"}, {"p1"});
        REQUIRE(d.id.size() == 24);
        REQUIRE(std::ranges::all_of(d.id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
        REQUIRE(d.group_id == "group");
        REQUIRE(d.task_ids == std::vector<std::string>{"t1"});
        REQUIRE(d.pod_ids == std::vector<std::string>{"p1"});
        REQUIRE(d.modification_count == 0);
        REQUIRE(d.last_modified == Timestamp{});
    }
    SECTION("never repeats an id")
    {
        std::set<std::string> ids;
        for (int i = 0; i < 10'000; ++i) {
            ids.insert(new_pod_dispatcher("g", {}, {}).id);
        }
        REQUIRE(ids.size() == 10'000);
    }
}

TEST_CASE("get_group_id", "[rules]")
{
    SECTION("a task outside any group is its own group")
    {
        REQUIRE(get_group_id(allocatable_task("t1")) == "t1");
    }
    SECTION("a task group's id joins group, build variant, project and version")
    {
        Task task = group_task("t1", "compile", 1, 2);
        task.build_variant = "ubuntu";
        task.project = "evergreen";
        task.version = "abc123";
        REQUIRE(get_group_id(task) == "compile_ubuntu_evergreen_abc123");
    }
}

TEST_CASE("task group rules", "[rules]")
{
    SECTION("a dispatcher takes a pod while it has fewer pods than tasks")
    {
        const Task single = allocatable_task("t");
        REQUIRE(takes_another_pod(0, 1, single));
        REQUIRE_FALSE(takes_another_pod(1, 1, single));
        REQUIRE(takes_another_pod(4, 5, single));
    }
    SECTION("and, in a group with a positive max hosts, fewer than that")
    {
        REQUIRE(takes_another_pod(1, 5, group_task("t", "g", 1, 2)));
        REQUIRE_FALSE(takes_another_pod(2, 5, group_task("t", "g", 1, 2)));
        REQUIRE(takes_another_pod(4, 5, group_task("t", "g", 1, 0)));
        REQUIRE(takes_another_pod(4, 5, group_task("t", "g", 1, -3)));
    }
    SECTION("max hosts outside a group caps nothing")
    {
        Task task = allocatable_task("t");
        task.task_group_max_hosts = 1;
        REQUIRE(takes_another_pod(1, 2, task));
    }
    SECTION("a group's pod stays running after a dispatch; any other is decommissioned")
    {
        REQUIRE(status_after_dispatch(group_task("t", "g", 1, 2), PodStatus::running) == PodStatus::running);
        REQUIRE(status_after_dispatch(allocatable_task("t"), PodStatus::running) == PodStatus::decommissioned);
    }
    SECTION("only a failed task of the same single-host group stops it")
    {
        Task failed = group_task("a", "g", 1, 1);
        failed.status = TaskStatus::failed;
        const Task next = group_task("b", "g", 2, 1);
        REQUIRE(stops_group_of(failed, next));
        Task succeeded = failed;
        succeeded.status = TaskStatus::succeeded;
        REQUIRE_FALSE(stops_group_of(succeeded, next));
        REQUIRE_FALSE(stops_group_of(failed, group_task("b", "other", 2, 1)));
        REQUIRE_FALSE(stops_group_of(failed, group_task("b", "g", 2, 2)));
    }
}
