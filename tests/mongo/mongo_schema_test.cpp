// The stored documents, read with the bare C driver: the field names and BSON types
// another client relies on. And ids that look like operators or paths stay values.

#include "mongo_test_store.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>
#include <pod_dispatcher_mongo/mongo_store.hpp>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <mongoc/mongoc.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace pd = pod_dispatcher;
using pod_dispatcher::Errc;
using pod_dispatcher::testing::stored_dispatcher;
using pod_dispatcher_mongo::MongoStore;
using pod_dispatcher_mongo::test::at;
using pod_dispatcher_mongo::test::fresh_store;
using pod_dispatcher_mongo::test::insert_bare;
using pod_dispatcher_mongo::test::with_bare_collection;

namespace {

/// The BSON type of each top-level field of the one document of a collection whose
/// _id (or resource_id, for events) is id.
std::map<std::string, bson_type_t> stored_types(const MongoStore& store, const char* collection,
                                                const char* key, const std::string& id)
{
    std::map<std::string, bson_type_t> types;
    with_bare_collection(store, collection, [&](mongoc_collection_t* c) {
        bson_t filter;
        bson_init(&filter);
        bson_append_utf8(&filter, key, -1, id.data(), static_cast<int>(id.size()));
        mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(c, &filter, nullptr, nullptr);
        const bson_t* doc = nullptr;
        int found = 0;
        while (mongoc_cursor_next(cursor, &doc)) {
            ++found;
            bson_iter_t it;
            bson_iter_init(&it, doc);
            while (bson_iter_next(&it)) {
                types[bson_iter_key(&it)] = bson_iter_type(&it);
            }
        }
        CHECK_FALSE(mongoc_cursor_error(cursor, nullptr));
        CHECK(found == 1);
        mongoc_cursor_destroy(cursor);
        bson_destroy(&filter);
    });
    return types;
}

} // namespace

TEST_CASE("MongoStore stores documents with the spec's field names and BSON types")
{
    auto store = fresh_store();

    SECTION("a dispatcher, inserted, updated or upserted")
    {
        REQUIRE(store->insert_dispatcher(pd::PodDispatcher{.id = "d", .group_id = "g", .pod_ids = {"p"},
                                                           .task_ids = {"t", "u", "v"}, .modification_count = 0,
                                                           .last_modified = at(1'800'000'000'000)}));
        const std::map<std::string, bson_type_t> expected{
            {"_id", BSON_TYPE_UTF8},      {"group_id", BSON_TYPE_UTF8},           {"pod_ids", BSON_TYPE_ARRAY},
            {"task_ids", BSON_TYPE_ARRAY}, {"modification_count", BSON_TYPE_INT64}, {"last_modified", BSON_TYPE_DATE_TIME},
        };
        CHECK(stored_types(*store, "pod_dispatchers", "_id", "d") == expected);
        const pd::Query at_zero{.id = "d", .modification_count = 0};
        REQUIRE(store->update_dispatcher(at_zero, pd::DispatcherUpdate{.dequeue = {"t"}, .last_modified = at(1)}).value());
        CHECK(stored_types(*store, "pod_dispatchers", "_id", "d") == expected);
        const pd::Query at_one{.id = "d", .modification_count = 1};
        REQUIRE(store->update_dispatcher(at_one, pd::DispatcherUpdate{.dequeue = {"u", "v"}, .last_modified = at(2),
                                                                      .increment = 2})
                    .value());
        CHECK(stored_types(*store, "pod_dispatchers", "_id", "d") == expected);
        CHECK(stored_dispatcher(*store, "d").task_ids.empty());
        const pd::Query at_three{.id = "d", .modification_count = 3};
        REQUIRE(store->update_dispatcher(at_three, pd::DispatcherUpdate{.enqueue = {"w", "x"}, .add_pods = {"q"},
                                                                        .last_modified = at(3)})
                    .value());
        const pd::Query at_four{.id = "d", .modification_count = 4};
        REQUIRE(store->update_dispatcher(at_four, pd::DispatcherUpdate{.enqueue = {"y"}, .enqueue_at = 1,
                                                                       .last_modified = at(4)})
                    .value());
        CHECK(stored_types(*store, "pod_dispatchers", "_id", "d") == expected);
        CHECK(stored_dispatcher(*store, "d").task_ids == std::vector<std::string>{"w", "y", "x"});
        CHECK(stored_dispatcher(*store, "d").pod_ids == std::vector<std::string>{"p", "q"});
        REQUIRE(pd::upsert_one(*store, pd::Query{.id = "e", .modification_count = 0},
                               pd::DispatcherUpdate{.id = "e", .group_id = "h", .last_modified = at(1)}));
        CHECK(stored_types(*store, "pod_dispatchers", "_id", "e") == expected);
    }
    SECTION("a task: enums as strings, set timestamps as dates, unset ones omitted")
    {
        REQUIRE(store->insert_task(pd::Task{.id = "t", .activated_time = at(1'800'000'000'000),
                                            .depends_on = {{"u", true, false}}, .task_group = "tg",
                                            .build_variant = "bv", .version = "v1", .task_group_max_hosts = 2,
                                            .task_group_order = 3}));
        const auto types = stored_types(*store, "tasks", "_id", "t");
        CHECK(types.at("_id") == BSON_TYPE_UTF8);
        CHECK(types.at("status") == BSON_TYPE_UTF8);
        CHECK(types.at("execution_platform") == BSON_TYPE_UTF8);
        CHECK(types.at("activated_time") == BSON_TYPE_DATE_TIME);
        CHECK(types.at("priority") == BSON_TYPE_INT64);
        CHECK(types.at("execution") == BSON_TYPE_INT32);
        CHECK(types.at("depends_on") == BSON_TYPE_ARRAY);
        for (const char* name : {"task_group", "build_variant", "version"}) {
            CHECK(types.at(name) == BSON_TYPE_UTF8);
        }
        CHECK(types.at("task_group_max_hosts") == BSON_TYPE_INT32);
        CHECK(types.at("task_group_order") == BSON_TYPE_INT32);
        CHECK(types.count("dispatch_time") == 0);
        CHECK(types.count("id") == 0);
    }
    SECTION("pods, project refs and events: an event's payload is its data sub-document")
    {
        REQUIRE(store->insert_pod(pd::Pod{.id = "p"}));
        REQUIRE(store->insert_project_ref(pd::ProjectRef{.id = "r"}));
        const pd::Event event{"t", pd::EventType::task_dispatched, at(1), pd::DispatchData{"p", 3}};
        REQUIRE(store->insert_events(std::span<const pd::Event>(&event, 1)));
        CHECK(stored_types(*store, "pods", "_id", "p").at("status") == BSON_TYPE_UTF8);
        CHECK(stored_types(*store, "project_ref", "_id", "r").at("dispatching_disabled") == BSON_TYPE_BOOL);
        const auto types = stored_types(*store, "events", "resource_id", "t");
        CHECK(types.at("type") == BSON_TYPE_UTF8);
        CHECK(types.at("timestamp") == BSON_TYPE_DATE_TIME);
        CHECK(types.at("data") == BSON_TYPE_DOCUMENT);
        CHECK(store->events_for("t").value() == std::vector<pd::Event>{event});
    }
}

TEST_CASE("MongoStore stores and matches hostile ids literally")
{
    using namespace std::string_literals;
    const auto id = GENERATE("$where"s, "a.b"s, R"({"x":1})"s, "nul\0inside"s, "$gt"s, "'quote\""s, "$"s);
    auto store = fresh_store();

    SECTION("as a task id, never matching a prefix or an operator")
    {
        REQUIRE(store->insert_task(pd::Task{.id = id}));
        REQUIRE(store->insert_task(pd::Task{.id = "nul"}));
        REQUIRE(store->insert_task(pd::Task{.id = "other"}));
        CHECK(store->find_task(id).value() == pd::Task{.id = id});
        CHECK(store->insert_task(pd::Task{.id = id}).error() == Errc::duplicate_key);
        const pd::Task values{.status = pd::TaskStatus::dispatched};
        const auto status = pd::FieldSet<pd::Task>::of(&pd::Task::status);
        const auto after = store->update_task(pd::FieldUpdate<pd::Task>{id, status, pd::Task{}, status, values});
        CHECK(after.value() == pd::Task{.id = id, .status = pd::TaskStatus::dispatched});
        CHECK(store->find_task(id).value() == after.value());
        CHECK(store->find_task("nul").value() == pd::Task{.id = "nul"});
    }
    SECTION("as dispatcher, group, pod and task ids")
    {
        REQUIRE(store->insert_dispatcher(pd::PodDispatcher{.id = id, .group_id = id, .pod_ids = {id},
                                                           .task_ids = {id, "next"}}));
        REQUIRE(store->insert_dispatcher(pd::PodDispatcher{.id = "other", .group_id = "other"}));
        CHECK(store->find_dispatcher(pd::by_pod_id(id), pd::Projection{}).value()->id == id);
        CHECK(store->find_dispatcher(pd::by_group_id(id), pd::Projection{}).value()->id == id);
        CHECK(store->find_dispatchers(pd::by_id(id)).value().size() == 1);
        const pd::Query version{.id = id, .group_id = id, .modification_count = 0};
        CHECK(store->update_dispatcher(version, pd::DispatcherUpdate{.dequeue = {id}, .last_modified = at(1)}).value());
        CHECK(stored_dispatcher(*store, id).task_ids == std::vector<std::string>{"next"});
        CHECK(store->insert_dispatcher(pd::PodDispatcher{.id = "third", .group_id = "third", .pod_ids = {id}})
                  .error()
              == Errc::duplicate_key);
    }
    SECTION("as an event's resource and in its payload")
    {
        const pd::Event event{id, pd::EventType::pod_assigned_task, at(5), pd::AssignmentData{id, 1}};
        REQUIRE(store->insert_events(std::span<const pd::Event>(&event, 1)));
        CHECK(store->events_for(id).value() == std::vector<pd::Event>{event});
    }
}

TEST_CASE("MongoStore allocates and dispatches documents another client stored with only some fields")
{
    // Left out: execution, priority, container_allocation_attempts, depends_on, pod_id and
    // the rest. They read as their defaults, and a compare-and-set must match them so.
    auto store = fresh_store();
    REQUIRE(store->insert_project_ref(pd::ProjectRef{.id = "project"}));
    insert_bare(*store, "tasks",
                BCON_NEW("_id", BCON_UTF8("t"), "project", BCON_UTF8("project"), "status", BCON_UTF8("undispatched"),
                         "activated", BCON_BOOL(true), "execution_platform", BCON_UTF8("container")));
    insert_bare(*store, "pods", BCON_NEW("_id", BCON_UTF8("p"), "status", BCON_UTF8("running")));

    auto task = store->find_task("t").value().value();
    auto intent = pd::Pod{.id = "intent"};
    REQUIRE(pd::allocate(*store, task, intent));
    CHECK(task.container_allocated);

    // The bare pod takes the allocated one's place in the group's dispatcher.
    auto d = pd::find_one_by_group_id(*store, "t").value().value();
    d.pod_ids = {"p"};
    REQUIRE(d.upsert_atomically(*store));
    const auto dispatched = pd::dispatch_next_task(*store, "p");
    REQUIRE(dispatched.value());
    CHECK(dispatched.value()->id == "t");
    CHECK(store->find_pod("p").value()->running_task_id == "t");
}

TEST_CASE("MongoStore refuses a dispatcher update that changes the queue, or the pods, two ways at once")
{
    auto store = fresh_store();
    REQUIRE(store->insert_dispatcher(pd::PodDispatcher{.id = "d", .group_id = "g", .pod_ids = {"p"}, .task_ids = {"t"}}));
    const pod_dispatcher::testing::Unchanged unchanged{*store};
    pd::DispatcherUpdate u{.last_modified = at(1)};
    SECTION("replacing the queue and putting ids in") { u.task_ids = std::vector<std::string>{"u"}, u.enqueue = {"v"}; }
    SECTION("taking ids off and putting ids in") { u.dequeue = {"t"}, u.enqueue = {"v"}; }
    SECTION("replacing the pods and adding one") { u.pod_ids = std::vector<std::string>{"q"}, u.add_pods = {"r"}; }
    CHECK(store->update_dispatcher(pd::by_id("d"), u).error() == Errc::invalid_argument);
    CHECK(unchanged());
}

TEST_CASE("MongoStore finds the pods of a status heard from before a time through an index on both")
{
    auto store = fresh_store();
    REQUIRE(store->capabilities()); // the indexes are made on first contact
    SECTION("the index")
    {
        std::vector<std::string> keys;
        with_bare_collection(*store, "pods", [&](mongoc_collection_t* c) {
            mongoc_cursor_t* cursor = mongoc_collection_find_indexes_with_opts(c, nullptr);
            const bson_t* index = nullptr;
            while (mongoc_cursor_next(cursor, &index)) {
                bson_iter_t it;
                bson_iter_t key;
                if (bson_iter_init_find(&it, index, "key") && bson_iter_recurse(&it, &key)) {
                    std::string names;
                    while (bson_iter_next(&key)) {
                        names += std::string(bson_iter_key(&key)) + " ";
                    }
                    keys.push_back(names);
                }
            }
            CHECK_FALSE(mongoc_cursor_error(cursor, nullptr));
            mongoc_cursor_destroy(cursor);
        });
        CHECK(std::ranges::count(keys, "status last_communicated ") == 1);
    }
    SECTION("a pod another client stored without last_communicated, or with a null one, was never heard from")
    {
        insert_bare(*store, "pods", BCON_NEW("_id", BCON_UTF8("missing"), "status", BCON_UTF8("running")));
        insert_bare(*store, "pods", BCON_NEW("_id", BCON_UTF8("null"), "status", BCON_UTF8("running"),
                                             "last_communicated", BCON_NULL));
        insert_bare(*store, "pods", BCON_NEW("_id", BCON_UTF8("long ago"), "status", BCON_UTF8("running"),
                                             "last_communicated", BCON_DATE_TIME(1'000)));
        insert_bare(*store, "pods", BCON_NEW("_id", BCON_UTF8("just now"), "status", BCON_UTF8("running"),
                                             "last_communicated", BCON_DATE_TIME(1'800'000'000'000)));
        insert_bare(*store, "pods", BCON_NEW("_id", BCON_UTF8("starting"), "status", BCON_UTF8("starting")));
        const auto found_before = [&](pd::Timestamp t) {
            auto found = store->find_pods(pd::PodQuery{pd::PodStatus::running, t});
            REQUIRE(found);
            std::vector<std::string> ids;
            for (const pd::Pod& pod : found.value()) {
                ids.push_back(pod.id);
            }
            std::ranges::sort(ids);
            return ids;
        };
        CHECK(found_before(at(1'700'000'000'000)) == std::vector<std::string>{"long ago", "missing", "null"});
        CHECK(found_before(at(1'000)) == std::vector<std::string>{"missing", "null"});
    }
}
