#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using namespace pod_dispatcher;
using namespace std::chrono_literals;
namespace json = boost::json;
using boost::system::error_code;

namespace {

// 2026-11-27T17:30:00.123Z
constexpr Timestamp example_time =
    std::chrono::sys_days{2026y / 11 / 27} + 17h + 30min + 123ms;

template <class T>
T with_id(std::string id)
{
    T doc;
    doc.id = std::move(id);
    return doc;
}

template <class T>
T through_value(const T& doc)
{
    return json::value_to<T>(json::value_from(doc));
}

template <class T>
T through_text(const T& doc)
{
    return json::value_to<T>(json::parse(json::serialize(json::value_from(doc))));
}

template <class T>
void check_round_trips(const T& doc)
{
    CHECK(through_value(doc) == doc);
    CHECK(through_text(doc) == doc);
}

struct Malformed {
    std::string_view why;
    std::string_view json;
    error_code expected;
};

// Each input, parsed, is refused by try_value_to<T> with the expected error, without throwing.
template <class T>
void check_rejects(std::initializer_list<Malformed> inputs)
{
    for (const Malformed& input : inputs) {
        DYNAMIC_SECTION(input.why)
        {
            const json::value jv = json::parse(input.json);
            std::optional<boost::system::result<T>> result;
            REQUIRE_NOTHROW(result.emplace(json::try_value_to<T>(jv)));
            REQUIRE(result->has_error());
            CHECK(result->error() == input.expected);
        }
    }
}

const error_code not_object = json::error::not_object;
const error_code not_string = json::error::not_string;
const error_code not_bool = json::error::not_bool;
const error_code not_array = json::error::not_array;
const error_code not_number = json::error::not_number;
const error_code not_exact = json::error::not_exact;
const error_code missing = json::error::not_found;
const error_code unknown_name = json::error::unknown_name;
const error_code invalid = std::error_code(Errc::invalid_argument);

PodDispatcher full_dispatcher()
{
    return {
        .id = "0123456789abcdef01234567",
        .group_id = "group",
        .pod_ids = {"p1", "p2"},
        .task_ids = {"t1", "t2", "t3"},
        .modification_count = 42,
        .last_modified = example_time,
    };
}

Task full_task()
{
    Task t;
    t.id = "t1";
    t.execution = 2;
    t.project = "proj";
    t.requester = "github_pull_request";
    t.status = TaskStatus::dispatched;
    t.activated = true;
    t.activated_time = example_time;
    t.priority = -1;
    t.execution_platform = ExecutionPlatform::host;
    t.container_allocated = true;
    t.container_allocated_time = example_time + 1ms;
    t.container_allocation_attempts = 3;
    t.depends_on = {{"d1", true, false}, {"d2", false, true}};
    t.override_dependencies = true;
    t.display_task_id = "display";
    t.display_only = true;
    t.execution_tasks = {"e1", "e2"};
    t.pod_id = "p1";
    t.agent_version = "v1";
    t.dispatch_time = example_time + 2ms;
    t.last_heartbeat = example_time + 3ms;
    t.details_type = "system";
    t.details_description = "container task cannot be allocated";
    t.task_group = "compile";
    t.build_variant = "linux";
    t.version = "v7";
    t.task_group_max_hosts = 2;
    t.task_group_order = 3;
    return t;
}

Event full_event()
{
    return {
        .resource_id = "t1",
        .type = EventType::pod_status_changed,
        .timestamp = example_time,
        .data = StatusChangeData{PodStatus::running, PodStatus::decommissioned},
    };
}

} // namespace

TEST_CASE("PodDispatcher JSON")
{
    SECTION("a full dispatcher has exactly the member names as keys")
    {
        CHECK(json::value_from(full_dispatcher()) == json::parse(R"({
            "id": "0123456789abcdef01234567", "group_id": "group",
            "pod_ids": ["p1", "p2"], "task_ids": ["t1", "t2", "t3"],
            "modification_count": 42, "last_modified": "2026-11-27T17:30:00.123Z"})"));
    }
    SECTION("the id is written as \"id\", not as the stored field name")
    {
        CHECK(json::value_from(full_dispatcher()).as_object().contains("id"));
        CHECK_FALSE(json::value_from(full_dispatcher()).as_object().contains(keys::id));
    }
    SECTION("an unset last_modified is omitted")
    {
        CHECK(json::value_from(with_id<PodDispatcher>("d")) == json::parse(R"({
            "id": "d", "group_id": "", "pod_ids": [], "task_ids": [], "modification_count": 0})"));
    }
    SECTION("full and default dispatchers round-trip")
    {
        check_round_trips(full_dispatcher());
        check_round_trips(PodDispatcher{});
    }
    SECTION("only the id is required; absent and null members take their defaults")
    {
        CHECK(json::value_to<PodDispatcher>(json::parse(R"({"id": "d"})")) == with_id<PodDispatcher>("d"));
        CHECK(json::value_to<PodDispatcher>(json::parse(R"({"id": "d", "pod_ids": null, "last_modified": null})"))
              == with_id<PodDispatcher>("d"));
    }
    SECTION("unknown members are ignored")
    {
        CHECK(json::value_to<PodDispatcher>(json::parse(R"({"id": "d", "_id": 5, "future": [1, 2]})"))
              == with_id<PodDispatcher>("d"));
    }
    SECTION("an integral number written as a double is accepted")
    {
        CHECK(json::value_to<PodDispatcher>(json::parse(R"({"id": "d", "modification_count": 7.0})"))
                  .modification_count
              == 7);
    }
    SECTION("malformed input is refused")
    {
        check_rejects<PodDispatcher>({
            {"an array", "[]", not_object},
            {"a string", R"("d")", not_object},
            {"null", "null", not_object},
            {"no id", R"({"group_id": "g"})", missing},
            {"a null id", R"({"id": null})", missing},
            {"a numeric id", R"({"id": 1})", not_string},
            {"a negative modification_count", R"({"id": "d", "modification_count": -1})", invalid},
            {"a fractional modification_count", R"({"id": "d", "modification_count": 1.5})", not_exact},
            {"a modification_count beyond int64", R"({"id": "d", "modification_count": 9223372036854775808})",
             not_exact},
            {"a huge double modification_count", R"({"id": "d", "modification_count": 1e300})", not_exact},
            {"a string modification_count", R"({"id": "d", "modification_count": "1"})", not_number},
            {"pod_ids not an array", R"({"id": "d", "pod_ids": "p1"})", not_array},
            {"a non-string pod id", R"({"id": "d", "pod_ids": ["p1", 2]})", not_string},
            {"a null task id", R"({"id": "d", "task_ids": [null]})", not_string},
            {"a numeric last_modified", R"({"id": "d", "last_modified": 1764264600123})", not_string},
            {"a malformed last_modified", R"({"id": "d", "last_modified": "yesterday"})", invalid},
        });
    }
    SECTION("value_to throws what try_value_to returns")
    {
        REQUIRE_THROWS_AS(json::value_to<PodDispatcher>(json::parse(R"({"group_id": "g"})")),
                          boost::system::system_error);
    }
}

TEST_CASE("Task JSON")
{
    SECTION("a full task has exactly the member names as keys")
    {
        CHECK(json::value_from(full_task()) == json::parse(R"({
            "id": "t1", "execution": 2, "project": "proj", "requester": "github_pull_request",
            "status": "dispatched", "activated": true, "activated_time": "2026-11-27T17:30:00.123Z",
            "priority": -1, "execution_platform": "host", "container_allocated": true,
            "container_allocated_time": "2026-11-27T17:30:00.124Z", "container_allocation_attempts": 3,
            "depends_on": [{"task_id": "d1", "finished": true, "unattainable": false},
                           {"task_id": "d2", "finished": false, "unattainable": true}],
            "override_dependencies": true, "display_task_id": "display", "display_only": true,
            "execution_tasks": ["e1", "e2"], "pod_id": "p1", "agent_version": "v1",
            "dispatch_time": "2026-11-27T17:30:00.125Z", "last_heartbeat": "2026-11-27T17:30:00.126Z",
            "details_type": "system", "details_description": "container task cannot be allocated",
            "task_group": "compile", "build_variant": "linux", "version": "v7", "task_group_max_hosts": 2,
            "task_group_order": 3})"));
    }
    SECTION("a default task writes its defaults and omits its unset timestamps")
    {
        CHECK(json::value_from(with_id<Task>("t")) == json::parse(R"({
            "id": "t", "execution": 0, "project": "", "requester": "", "status": "undispatched",
            "activated": false, "priority": 0, "execution_platform": "container",
            "container_allocated": false, "container_allocation_attempts": 0, "depends_on": [],
            "override_dependencies": false, "display_task_id": "", "display_only": false,
            "execution_tasks": [], "pod_id": "", "agent_version": "", "details_type": "",
            "details_description": "", "task_group": "", "build_variant": "", "version": "",
            "task_group_max_hosts": 0, "task_group_order": 0})"));
    }
    SECTION("full and default tasks round-trip")
    {
        check_round_trips(full_task());
        check_round_trips(Task{});
    }
    SECTION("only the id is required")
    {
        CHECK(json::value_to<Task>(json::parse(R"({"id": "t"})")) == with_id<Task>("t"));
    }
    SECTION("malformed input is refused")
    {
        check_rejects<Task>({
            {"an array", "[]", not_object},
            {"no id", R"({"execution": 1})", missing},
            {"an execution beyond int", R"({"id": "t", "execution": 2147483648})", not_exact},
            {"attempts below int", R"({"id": "t", "container_allocation_attempts": -2147483649})", not_exact},
            {"a string execution", R"({"id": "t", "execution": "1"})", not_number},
            {"a boolean priority", R"({"id": "t", "priority": true})", not_number},
            {"a status in capitals", R"({"id": "t", "status": "Undispatched"})", unknown_name},
            {"a numeric status", R"({"id": "t", "status": 0})", not_string},
            {"an unknown platform", R"({"id": "t", "execution_platform": "docker"})", unknown_name},
            {"activated as a string", R"({"id": "t", "activated": "true"})", not_bool},
            {"activated as a number", R"({"id": "t", "activated": 1})", not_bool},
            {"depends_on not an array", R"({"id": "t", "depends_on": {}})", not_array},
            {"a dependency not an object", R"({"id": "t", "depends_on": ["d1"]})", not_object},
            {"a dependency without task_id", R"({"id": "t", "depends_on": [{"finished": true}]})", missing},
            {"a non-string execution task", R"({"id": "t", "execution_tasks": [1]})", not_string},
            {"an impossible activated_time", R"({"id": "t", "activated_time": "2026-02-30T00:00:00Z"})",
             invalid},
        });
    }
}

TEST_CASE("Pod JSON")
{
    const Pod full{.id = "p1",
                   .status = PodStatus::running,
                   .agent_version = "v2",
                   .running_task_id = "t1",
                   .running_task_execution = 4,
                   .last_task_id = "t0",
                   .last_communicated = example_time};

    SECTION("a full pod has exactly the member names as keys")
    {
        CHECK(json::value_from(full) == json::parse(R"({"id": "p1", "status": "running",
            "agent_version": "v2", "running_task_id": "t1", "running_task_execution": 4,
            "last_task_id": "t0", "last_communicated": "2026-11-27T17:30:00.123Z"})"));
    }
    SECTION("full and default pods round-trip")
    {
        check_round_trips(full);
        check_round_trips(Pod{});
    }
    SECTION("malformed input is refused")
    {
        check_rejects<Pod>({
            {"a number", "1", not_object},
            {"no id", R"({"status": "running"})", missing},
            {"an unknown status", R"({"id": "p", "status": "Running"})", unknown_name},
            {"a fractional execution", R"({"id": "p", "running_task_execution": 1.5})", not_exact},
        });
    }
}

TEST_CASE("ProjectRef JSON")
{
    const ProjectRef full{.id = "proj", .enabled = false, .hidden = true, .dispatching_disabled = true};

    SECTION("a full project ref has exactly the member names as keys")
    {
        CHECK(json::value_from(full) == json::parse(R"({"id": "proj", "enabled": false,
            "hidden": true, "dispatching_disabled": true})"));
    }
    SECTION("full and default project refs round-trip")
    {
        check_round_trips(full);
        check_round_trips(ProjectRef{});
    }
    SECTION("an absent enabled keeps its default of true")
    {
        CHECK(json::value_to<ProjectRef>(json::parse(R"({"id": "proj"})")).enabled);
    }
    SECTION("malformed input is refused")
    {
        check_rejects<ProjectRef>({
            {"an array", R"(["proj"])", not_object},
            {"no id", "{}", missing},
            {"enabled as a string", R"({"id": "proj", "enabled": "yes"})", not_bool},
        });
    }
}

TEST_CASE("Event JSON")
{
    SECTION("a full event has exactly the member names as keys, its payload as data")
    {
        CHECK(json::value_from(full_event()) == json::parse(R"({"resource_id": "t1",
            "type": "pod_status_changed", "timestamp": "2026-11-27T17:30:00.123Z",
            "data": {"old_status": "running", "new_status": "decommissioned", "reason": ""}})"));
    }
    SECTION("each kind of event carries its own payload")
    {
        const auto data_of = [](EventType type, EventData data) {
            return json::value_from(Event{.resource_id = "r", .type = type, .timestamp = {}, .data = std::move(data)})
                .at("data");
        };
        CHECK(data_of(EventType::container_allocated, AllocationData{2}) == json::parse(R"({"execution": 2})"));
        CHECK(data_of(EventType::container_deallocated, AllocationData{0}) == json::parse(R"({"execution": 0})"));
        CHECK(data_of(EventType::task_dispatched, DispatchData{"p1", 1}) ==
              json::parse(R"({"pod_id": "p1", "execution": 1})"));
        CHECK(data_of(EventType::task_system_failed, SystemFailureData{1, "system", "why"}) ==
              json::parse(R"({"execution": 1, "details_type": "system", "details_description": "why"})"));
        CHECK(data_of(EventType::pod_assigned_task, AssignmentData{"t1", 3}) ==
              json::parse(R"({"task_id": "t1", "task_execution": 3})"));
        CHECK(data_of(EventType::task_finished, FinishData{"p1", 1, TaskStatus::failed}) ==
              json::parse(R"({"pod_id": "p1", "execution": 1, "status": "failed"})"));
        CHECK(data_of(EventType::task_finished, std::monostate{}) == json::parse("{}"));
        CHECK(data_of(EventType::task_restarted, RestartData{"p1", 1}) == json::parse(R"({"pod_id": "p1", "execution": 1})"));
        CHECK(data_of(EventType::pod_cleared_task, AssignmentData{"t1", 0}) ==
              json::parse(R"({"task_id": "t1", "task_execution": 0})"));
        CHECK(data_of(EventType::pod_status_changed, StatusChangeData{PodStatus::running, PodStatus::terminated, "gone"}) ==
              json::parse(R"({"old_status": "running", "new_status": "terminated", "reason": "gone"})"));
    }
    SECTION("full and default events round-trip, the payload read by the event's type")
    {
        check_round_trips(full_event());
        check_round_trips(Event{});
        check_round_trips(Event{.resource_id = "t1", .type = EventType::task_finished, .timestamp = example_time,
                                .data = FinishData{"p1", 2, TaskStatus::succeeded}});
        CHECK(json::value_to<Event>(json::parse(R"({"resource_id": "t1", "type": "task_dispatched",
              "data": {"pod_id": "p2"}})")).data == EventData{DispatchData{"p2", 0}});
    }
    SECTION("resource_id and type are required; timestamp and data are not")
    {
        CHECK(json::value_to<Event>(json::parse(R"({"resource_id": "t1", "type": "task_dispatched"})"))
              == Event{.resource_id = "t1", .type = EventType::task_dispatched, .timestamp = {}, .data = {}});
    }
    SECTION("malformed input is refused")
    {
        check_rejects<Event>({
            {"a string", R"("event")", not_object},
            {"no resource_id", R"({"type": "task_dispatched"})", missing},
            {"no type", R"({"resource_id": "t1"})", missing},
            {"an unknown type", R"({"resource_id": "t1", "type": "task_exploded"})", unknown_name},
            {"data not an object", R"({"resource_id": "t1", "type": "task_dispatched", "data": []})",
             not_object},
            {"a payload field of the wrong type",
             R"({"resource_id": "t1", "type": "task_dispatched", "data": {"pod_id": 7}})", not_string},
            {"a payload status that names nothing",
             R"({"resource_id": "p1", "type": "pod_status_changed", "data": {"new_status": "gone"}})",
             unknown_name},
            {"a timestamp without Z",
             R"({"resource_id": "t1", "type": "task_dispatched", "timestamp": "2026-11-27T17:30:00"})",
             invalid},
        });
    }
}

TEST_CASE("Query, DispatcherUpdate and ChangeInfo JSON")
{
    SECTION("a query writes only the conditions it has")
    {
        CHECK(json::value_from(Query{}) == json::parse("{}"));
        CHECK(json::value_from(by_pod_id("p1")) == json::parse(R"({"pod_id": "p1"})"));
    }
    SECTION("queries round-trip")
    {
        check_round_trips(Query{});
        check_round_trips(Query{.id = "d", .group_id = "g", .pod_id = "p", .modification_count = 3});
    }
    SECTION("an update writes its replacements only when set")
    {
        DispatcherUpdate update = with_id<DispatcherUpdate>("d");
        update.group_id = "g";
        update.dequeue = {"t1"};
        CHECK(json::value_from(update) ==
              json::parse(R"({"id": "d", "group_id": "g", "dequeue": ["t1"], "enqueue": [], "add_pods": [],
                              "increment": 1})"));
    }
    SECTION("updates round-trip")
    {
        check_round_trips(DispatcherUpdate{});
        check_round_trips(DispatcherUpdate{.id = "d",
                                           .group_id = "g",
                                           .pod_ids = std::vector<std::string>{"p1"},
                                           .task_ids = std::vector<std::string>{},
                                           .dequeue = {"t1", "t2"},
                                           .last_modified = example_time,
                                           .increment = 2});
        check_round_trips(DispatcherUpdate{.enqueue = {"t3"}, .enqueue_at = 4, .add_pods = {"p2"}});
    }
    SECTION("change infos round-trip")
    {
        check_round_trips(ChangeInfo{});
        check_round_trips(ChangeInfo{.updated = 1, .removed = 0, .upserted_id = "d"});
        CHECK(json::value_from(ChangeInfo{.updated = 1, .removed = 0, .upserted_id = std::nullopt})
              == json::parse(R"({"updated": 1, "removed": 0})"));
    }
    SECTION("malformed input is refused")
    {
        check_rejects<Query>({{"a string modification_count", R"({"modification_count": "1"})", not_number}});
        check_rejects<DispatcherUpdate>({{"a non-string pod id", R"({"pod_ids": [1]})", not_string}});
        check_rejects<ChangeInfo>({{"a numeric upserted_id", R"({"upserted_id": 5})", not_string}});
    }
}

TEST_CASE("Enum JSON")
{
    SECTION("enums are written as their enumerator names")
    {
        CHECK(json::value_from(TaskStatus::succeeded) == "succeeded");
        CHECK(json::value_from(ExecutionPlatform::container) == "container");
        CHECK(json::value_from(PodStatus::decommissioned) == "decommissioned");
        CHECK(json::value_from(EventType::container_deallocated) == "container_deallocated");
    }
    SECTION("every enumerator round-trips")
    {
        for (auto e : {TaskStatus::undispatched, TaskStatus::dispatched, TaskStatus::started,
                       TaskStatus::succeeded, TaskStatus::failed})
            CHECK(through_value(e) == e);
        for (auto e : {ExecutionPlatform::host, ExecutionPlatform::container})
            CHECK(through_value(e) == e);
        for (auto e : {PodStatus::initializing, PodStatus::starting, PodStatus::running,
                       PodStatus::decommissioned, PodStatus::terminated})
            CHECK(through_value(e) == e);
        for (auto e : {EventType::container_allocated, EventType::container_deallocated,
                       EventType::task_dispatched, EventType::task_system_failed,
                       EventType::pod_assigned_task, EventType::pod_status_changed, EventType::task_finished})
            CHECK(through_value(e) == e);
    }
    SECTION("a value that is no enumerator cannot be written")
    {
        CHECK_THROWS_AS(json::value_from(static_cast<PodStatus>(99)), std::system_error);
    }
}

TEST_CASE("Timestamp JSON")
{
    auto write = [](Timestamp t) {
        PodDispatcher d;
        d.last_modified = t;
        return json::value_from(d).at("last_modified");
    };
    auto read = [](std::string_view text) {
        json::value jv = json::parse(R"({"id": "d"})");
        jv.as_object()["last_modified"] = text;
        return json::try_value_to<PodDispatcher>(jv);
    };
    const auto day = [](std::chrono::year_month_day ymd) { return Timestamp{std::chrono::sys_days{ymd}}; };

    SECTION("timestamps are written as RFC 3339 UTC with three fraction digits")
    {
        CHECK(write(example_time) == "2026-11-27T17:30:00.123Z");
        CHECK(write(day(2024y / 2 / 29)) == "2024-02-29T00:00:00.000Z");
        CHECK(write(Timestamp{-1ms}) == "1969-12-31T23:59:59.999Z");
        CHECK(write(day(0y / 1 / 1)) == "0000-01-01T00:00:00.000Z");
        CHECK(write(day(10000y / 1 / 1) - 1ms) == "9999-12-31T23:59:59.999Z");
    }
    SECTION("timestamps outside years 0000 to 9999 cannot be written")
    {
        CHECK_THROWS_AS(write(day(10000y / 1 / 1)), std::system_error);
        CHECK_THROWS_AS(write(day(0y / 1 / 1) - 1ms), std::system_error);
        CHECK_THROWS_AS(write(Timestamp::max()), std::system_error);
    }
    SECTION("well-formed timestamps are read to the millisecond")
    {
        CHECK(read("2026-11-27T17:30:00.123Z")->last_modified == example_time);
        CHECK(read("2026-11-27T17:30:00Z")->last_modified == example_time - 123ms);
        CHECK(read("2026-11-27T17:30:00.1Z")->last_modified == example_time - 23ms);
        CHECK(read("2026-11-27T17:30:00.123999999Z")->last_modified == example_time);
        CHECK(read("1969-12-31T23:59:59.999Z")->last_modified == Timestamp{-1ms});
        CHECK(read("9999-12-31T23:59:59.999Z")->last_modified == day(10000y / 1 / 1) - 1ms);
        CHECK(read("1970-01-01T00:00:00.000Z")->last_modified == Timestamp{});
    }
    SECTION("malformed timestamps are refused")
    {
        for (std::string_view text : {
                 "", "2026-11-27", "2026-11-27T17:30:00.123", "2026-11-27T17:30:00.123+00:00",
                 "2026-11-27 17:30:00Z", "2026-11-27t17:30:00z", "2026-13-01T00:00:00Z",
                 "2026-00-01T00:00:00Z", "2026-11-00T00:00:00Z", "2026-02-29T00:00:00Z",
                 "2026-04-31T00:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T17:60:00Z",
                 "2026-11-27T17:30:60Z", "2026-11-27T17:30:00.Z", "2026-11-27T17:30:00.1234567890Z",
                 "2026-11-27T17:30:00,123Z", "+2026-11-27T17:30:00Z", "12026-11-27T17:30:00Z",
                 "2026-1a-27T17:30:00Z", "2026-11-27T17:30:00.12aZ", "2026-11-27T17:30:00.123ZZ",
                 "-026-11-27T17:30:00Z"}) {
            CAPTURE(text);
            const auto r = read(text);
            REQUIRE(r.has_error());
            CHECK(r.error() == Errc::invalid_argument);
        }
    }
}
