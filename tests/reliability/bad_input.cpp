// Bad input through every public operation: each gets its defined error, writes nothing
// and leaves the caller's objects as they were. Ids are opaque bytes to the library, so
// odd but non-empty ones (huge, with NUL bytes, not UTF-8) are valid and read back literally.

#include "support/documents.hpp"
#include "support/faulty_store.hpp"
#include "support/store_factory.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <catch2/catch_test_macros.hpp>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using namespace pod_dispatcher;
using namespace pod_dispatcher::test;
using namespace std::string_literals;

namespace {

/// Everything a caller passes in; an operation may change it only by succeeding.
struct Inputs {
    PodDispatcher dispatcher{};
    Task task{};
    Pod pod{};
    Query query{};
    DispatcherUpdate update{};

    bool operator==(const Inputs&) const = default;
};

boost::json::value inputs_json(const Inputs& in)
{
    return boost::json::object{{"dispatcher", boost::json::value_from(in.dispatcher)},
                               {"task", boost::json::value_from(in.task)},
                               {"pod", boost::json::value_from(in.pod)},
                               {"query", boost::json::value_from(in.query)},
                               {"update", boost::json::value_from(in.update)}};
}

using Call = std::function<std::error_code(MemoryStore&, Inputs&)>;

struct Row {
    std::string description;
    Call call;
    Inputs inputs;
    std::vector<Errc> errors; ///< The defined error, or the ones the contract allows.
};

// The store every row starts from: dispatcher d1 (group g1, pod p1, queue [t1], count 2)
// and d3 (group g3, pod p3); allocatable task t2; pod p-free in no dispatcher; pod p-busy
// running a task.
void seed_baseline(MemoryStore& store)
{
    seed(store, enabled_project());
    seed(store, dispatchable_task("t1"));
    seed(store, allocatable_task("t2"));
    seed(store, running_pod("p1"));
    seed(store, running_pod("p3"));
    seed(store, running_pod("p-free"));
    Pod busy = running_pod("p-busy");
    busy.running_task_id = "t-elsewhere";
    seed(store, busy);
    seed(store, PodDispatcher{"d1", "g1", {"p1"}, {"t1"}, 2, {}});
    seed(store, PodDispatcher{"d3", "g3", {"p3"}, {}, 0, {}});
}

PodDispatcher stored_d1() { return {"d1", "g1", {"p1"}, {"t1"}, 2, {}}; }
PodDispatcher unstored() { return {"d2", "g2", {"p2"}, {"t2"}, 0, {}}; }

template <class T, class Change>
T changed(T value, Change change)
{
    change(value);
    return value;
}

Inputs with_dispatcher(PodDispatcher d, Pod pod = running_pod("p1"))
{
    return Inputs{std::move(d), {}, std::move(pod), {}, {}};
}

Inputs with_pod(std::string pod_id) { return Inputs{{}, {}, running_pod(std::move(pod_id)), {}, {}}; }
Inputs with_query(Query q) { return Inputs{{}, {}, {}, std::move(q), {}}; }
Inputs with_allocation(Task task, Pod pod) { return Inputs{{}, std::move(task), std::move(pod), {}, {}}; }

/// A write that inserts d2 when its query matches nothing.
DispatcherUpdate inserting_d2()
{
    DispatcherUpdate u;
    u.id = "d2";
    u.group_id = "g2";
    u.pod_ids = std::vector<std::string>{"p2"};
    u.task_ids = std::vector<std::string>{"t2"};
    return u;
}

Inputs with_upsert(Query q, DispatcherUpdate u) { return Inputs{{}, {}, {}, std::move(q), std::move(u)}; }

const Call insert_call = [](MemoryStore& s, Inputs& in) { return error_of(in.dispatcher.insert(s)); };
const Call upsert_atomically_call = [](MemoryStore& s, Inputs& in) {
    return error_of(in.dispatcher.upsert_atomically(s));
};
const Call upsert_one_call = [](MemoryStore& s, Inputs& in) { return error_of(upsert_one(s, in.query, in.update)); };
const Call allocate_call = [](MemoryStore& s, Inputs& in) { return error_of(allocate(s, in.task, in.pod)); };
const Call assign_call = [](MemoryStore& s, Inputs& in) { return error_of(in.dispatcher.assign_next_task(s, in.pod)); };
const Call remove_call = [](MemoryStore& s, Inputs& in) { return error_of(in.dispatcher.remove_pod(s, in.pod.id)); };
const Call dispatch_call = [](MemoryStore& s, Inputs& in) { return error_of(dispatch_next_task(s, in.pod.id)); };
const Call find_call = [](MemoryStore& s, Inputs& in) { return error_of(find(s, in.query)); };
const Call find_one_call = [](MemoryStore& s, Inputs& in) { return error_of(find_one(s, in.query)); };

/// What makes a dispatcher malformed, so that no operation may store it or act on it.
struct Malformation {
    std::string what;
    void (*apply)(PodDispatcher&);
};

const std::vector<Malformation> malformations{
    {"an empty id", [](PodDispatcher& d) { d.id.clear(); }},
    {"an empty group id", [](PodDispatcher& d) { d.group_id.clear(); }},
    {"a pod id given twice", [](PodDispatcher& d) { d.pod_ids.push_back(d.pod_ids.front()); }},
    {"an empty pod id", [](PodDispatcher& d) { d.pod_ids.emplace_back(); }},
    {"a task listed twice in the queue", [](PodDispatcher& d) { d.task_ids.push_back(d.task_ids.front()); }},
    {"an empty task id in the queue", [](PodDispatcher& d) { d.task_ids.emplace_back(); }},
    {"a negative modification_count", [](PodDispatcher& d) { d.modification_count = -1; }},
};

/// Each malformation given to every operation that takes a dispatcher: a new one to
/// store, and the caller's copy of a stored one to act on.
std::vector<Row> dispatcher_rows()
{
    std::vector<Row> rows;
    for (const Malformation& m : malformations) {
        const PodDispatcher bad_new = changed(unstored(), m.apply);
        const PodDispatcher bad_copy = changed(stored_d1(), m.apply);
        rows.push_back({"insert of a dispatcher with " + m.what, insert_call, with_dispatcher(bad_new),
                        {Errc::invalid_argument}});
        rows.push_back({"upsert_atomically of a dispatcher with " + m.what, upsert_atomically_call,
                        with_dispatcher(bad_new), {Errc::invalid_argument}});
        rows.push_back({"upsert_atomically of a stored dispatcher's copy with " + m.what, upsert_atomically_call,
                        with_dispatcher(bad_copy), {Errc::invalid_argument}});
        rows.push_back({"assign_next_task on a copy with " + m.what, assign_call, with_dispatcher(bad_copy),
                        {Errc::invalid_argument}});
        rows.push_back({"remove_pod on a copy with " + m.what, remove_call, with_dispatcher(bad_copy),
                        {Errc::invalid_argument}});
    }
    return rows;
}

std::vector<Row> store_rule_rows()
{
    const PodDispatcher stale = changed(stored_d1(), [](auto& d) { d.modification_count = 1; });
    return {
        {"insert with the id of a stored dispatcher", insert_call,
         with_dispatcher(changed(unstored(), [](auto& d) { d.id = "d1"; })), {Errc::duplicate_key}},
        {"insert with the group of a stored dispatcher", insert_call,
         with_dispatcher(changed(unstored(), [](auto& d) { d.group_id = "g1"; })), {Errc::duplicate_key}},
        {"insert of a pod another dispatcher holds (one pod in two dispatchers)", insert_call,
         with_dispatcher(changed(unstored(), [](auto& d) { d.pod_ids = {"p1"}; })), {Errc::duplicate_key}},
        {"upsert_atomically of a new dispatcher with a pod another holds", upsert_atomically_call,
         with_dispatcher(changed(unstored(), [](auto& d) { d.pod_ids = {"p3"}; })), {Errc::duplicate_key}},
        {"upsert_atomically of a new dispatcher with the group of a stored one", upsert_atomically_call,
         with_dispatcher(changed(unstored(), [](auto& d) { d.group_id = "g1"; })), {Errc::duplicate_key}},
        {"upsert_atomically giving a stored dispatcher a pod another holds", upsert_atomically_call,
         with_dispatcher(changed(stored_d1(), [](auto& d) { d.pod_ids = {"p1", "p3"}; })), {Errc::duplicate_key}},
        {"upsert_atomically of a stale copy: conflict, or duplicate_key where the store only sees its "
         "insert collide",
         upsert_atomically_call, with_dispatcher(stale), {Errc::conflict, Errc::duplicate_key}},
        {"assign_next_task on a stale copy", assign_call, with_dispatcher(stale), {Errc::conflict}},
        {"remove_pod on a stale copy", remove_call, with_dispatcher(stale), {Errc::conflict}},
    };
}

std::vector<Row> upsert_one_rows()
{
    auto update = [](auto change) { return changed(inserting_d2(), change); };
    const Query none = by_group_id("g2");
    return {
        {"upsert_one with an empty id in its query", upsert_one_call, with_upsert(by_id(""), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one with an empty group in its query", upsert_one_call, with_upsert(by_group_id(""), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one with an empty pod id in its query", upsert_one_call, with_upsert(by_pod_id(""), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one with a negative modification_count in its query", upsert_one_call,
         with_upsert(changed(none, [](auto& q) { q.modification_count = -1; }), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one inserting an empty id", upsert_one_call, with_upsert(none, update([](auto& u) { u.id.clear(); })),
         {Errc::invalid_argument}},
        {"upsert_one inserting an empty group", upsert_one_call,
         with_upsert(none, update([](auto& u) { u.group_id.clear(); })), {Errc::invalid_argument}},
        {"upsert_one setting a pod id twice", upsert_one_call,
         with_upsert(none, update([](auto& u) { u.pod_ids = std::vector<std::string>{"p2", "p2"}; })),
         {Errc::invalid_argument}},
        {"upsert_one setting a queue with a task twice", upsert_one_call,
         with_upsert(none, update([](auto& u) { u.task_ids = std::vector<std::string>{"t2", "t2"}; })),
         {Errc::invalid_argument}},
        {"upsert_one with a negative increment", upsert_one_call,
         with_upsert(none, update([](auto& u) { u.increment = -1; })), {Errc::invalid_argument}},
        {"upsert_one dequeuing an empty id", upsert_one_call,
         with_upsert(none, update([](auto& u) { u.dequeue = ""; })), {Errc::invalid_argument}},
        {"upsert_one inserting the group of a stored dispatcher", upsert_one_call,
         with_upsert(by_id("d2"), update([](auto& u) { u.group_id = "g1"; })), {Errc::duplicate_key}},
        {"upsert_one putting a pod another dispatcher holds into a new one", upsert_one_call,
         with_upsert(none, update([](auto& u) { u.pod_ids = std::vector<std::string>{"p1"}; })),
         {Errc::duplicate_key}},
        {"upsert_one moving a pod into a stored dispatcher while another holds it", upsert_one_call,
         with_upsert(by_id("d3"), changed(inserting_d2(), [](auto& u) {
                         u.id = "d3";
                         u.group_id = "g3";
                         u.pod_ids = std::vector<std::string>{"p3", "p1"};
                     })),
         {Errc::duplicate_key}},
    };
}

std::vector<Row> pod_step_rows()
{
    const Pod busy = changed(running_pod("p1"), [](auto& p) { p.running_task_id = "t-elsewhere"; });
    return {
        {"allocate of a task with an empty id", allocate_call, with_allocation(allocatable_task(""), intent_pod("p2")),
         {Errc::invalid_argument}},
        {"allocate to a pod with an empty id", allocate_call, with_allocation(allocatable_task("t2"), intent_pod("")),
         {Errc::invalid_argument}},
        {"allocate of a task that is not stored", allocate_call,
         with_allocation(allocatable_task("t-unknown"), intent_pod("p2")), {Errc::not_found}},
        {"allocate of a task that is allocated already", allocate_call,
         with_allocation(dispatchable_task("t1"), intent_pod("p2")), {Errc::precondition_failed}},
        {"allocate to a pod another dispatcher holds (one pod in two dispatchers)", allocate_call,
         with_allocation(allocatable_task("t2"), running_pod("p1")), {Errc::duplicate_key}},
        {"allocate to a pod that is stored already (allocate stores the pod it adds)", allocate_call,
         with_allocation(allocatable_task("t2"), running_pod("p-free")), {Errc::duplicate_key}},
        {"assign_next_task to a pod with an empty id", assign_call, with_dispatcher(stored_d1(), running_pod("")),
         {Errc::invalid_argument}},
        {"assign_next_task to a pod running a task", assign_call, with_dispatcher(stored_d1(), busy), {Errc::pod_busy}},
        {"remove_pod of an empty pod id", remove_call, with_dispatcher(stored_d1(), running_pod("")),
         {Errc::invalid_argument}},
        {"remove_pod of a pod the dispatcher does not hold", remove_call,
         with_dispatcher(stored_d1(), running_pod("p3")), {Errc::pod_not_in_dispatcher}},
        {"dispatch_next_task for an empty pod id", dispatch_call, with_pod(""), {Errc::invalid_argument}},
        {"dispatch_next_task reading a queue window of zero ids",
         [](MemoryStore& s, Inputs& in) {
             return error_of(dispatch_next_task(s, in.pod.id, DispatchOptions{.queue_window = 0}));
         },
         with_pod("p1"), {Errc::invalid_argument}},
        {"dispatch_next_task for a pod that is not stored", dispatch_call, with_pod("p-unknown"), {Errc::not_found}},
        {"dispatch_next_task for a pod in no dispatcher", dispatch_call, with_pod("p-free"),
         {Errc::pod_not_in_dispatcher}},
        {"dispatch_next_task for a pod running a task", dispatch_call, with_pod("p-busy"), {Errc::pod_busy}},
    };
}

std::vector<Row> find_rows()
{
    const Call find_by_id = [](MemoryStore& s, Inputs& in) { return error_of(find_one_by_id(s, *in.query.id)); };
    const Call find_by_group = [](MemoryStore& s, Inputs& in) {
        return error_of(find_one_by_group_id(s, *in.query.group_id));
    };
    const Call find_by_pod = [](MemoryStore& s, Inputs& in) { return error_of(find_one_by_pod_id(s, *in.query.pod_id)); };
    Query negative;
    negative.modification_count = -1;
    return {
        {"find with an empty id", find_call, with_query(by_id("")), {Errc::invalid_argument}},
        {"find with a negative modification_count", find_call, with_query(negative), {Errc::invalid_argument}},
        {"find_one with an empty group id", find_one_call, with_query(by_group_id("")), {Errc::invalid_argument}},
        {"find_one with an empty pod id", find_one_call, with_query(by_pod_id("")), {Errc::invalid_argument}},
        {"find_one_by_id of an empty id", find_by_id, with_query(by_id("")), {Errc::invalid_argument}},
        {"find_one_by_group_id of an empty group id", find_by_group, with_query(by_group_id("")),
         {Errc::invalid_argument}},
        {"find_one_by_pod_id of an empty pod id", find_by_pod, with_query(by_pod_id("")), {Errc::invalid_argument}},
    };
}

bool is_one_of(std::error_code error, const std::vector<Errc>& allowed)
{
    for (Errc e : allowed) {
        if (error == e) {
            return true;
        }
    }
    return false;
}

/// Carries an id through every operation and requires it back, byte for byte. The
/// derived ids share x as a prefix, so a store that cut ids short would make them collide.
void require_literal_round_trip(MemoryStore& store, const std::string& x)
{
    seed(store, enabled_project());
    seed(store, allocatable_task(x + "-task"));
    Task task = allocatable_task(x + "-task");
    Pod pod = running_pod(x + "-pod");
    auto allocated = allocate(store, task, pod);
    REQUIRE(allocated);
    CHECK(allocated.value().group_id == x + "-task");
    CHECK(allocated.value().task_ids == std::vector{x + "-task"});
    CHECK(allocated.value().pod_ids == std::vector{x + "-pod"});
    CHECK(stored_dispatcher(store, allocated.value().id) == allocated.value());
    CHECK(find_one_by_pod_id(store, x + "-pod").value() == allocated.value());
    CHECK(find_one_by_group_id(store, x + "-task").value() == allocated.value());

    auto handed = dispatch_next_task(store, x + "-pod");
    REQUIRE(handed);
    REQUIRE(handed.value());
    CHECK(handed.value()->id == x + "-task");
    CHECK(handed.value()->pod_id == x + "-pod");
    CHECK(stored_pod(store, x + "-pod").running_task_id == x + "-task");
    CHECK(event_types(store, x + "-task") ==
          std::vector{EventType::container_allocated, EventType::task_dispatched});

    seed(store, dispatchable_task(x + "-task2"));
    seed(store, running_pod(x + "-pod2"));
    PodDispatcher d{x + "-d", x + "-g", {x + "-pod2"}, {x + "-task2"}, 0, {}};
    REQUIRE(d.insert(store));
    CHECK(stored_dispatcher(store, x + "-d") == d);
    d.task_ids.push_back(x + "-task3");
    REQUIRE(d.upsert_atomically(store));
    CHECK(stored_dispatcher(store, x + "-d") == d);
    Pod pod2 = stored_pod(store, x + "-pod2");
    auto next = d.assign_next_task(store, pod2);
    REQUIRE(next);
    REQUIRE(next.value());
    CHECK(next.value()->id == x + "-task2");
    REQUIRE(d.remove_pod(store, x + "-pod2"));
    CHECK(stored_dispatcher(store, x + "-d") == d);
    CHECK(d.pod_ids.empty());

    DispatcherUpdate u;
    u.id = x + "-d3";
    u.group_id = x + "-g3";
    u.pod_ids = std::vector{x + "-pod3"};
    auto upserted = upsert_one(store, by_group_id(x + "-g3"), u);
    REQUIRE(upserted);
    CHECK(upserted.value().upserted_id == x + "-d3");
    CHECK(find_one_by_pod_id(store, x + "-pod3").value()->id == x + "-d3");
    CHECK(find(store, Query{}).value().size() == 3);
    CHECK(boost::json::value_to<PodDispatcher>(boost::json::value_from(d)) == d);
}

} // namespace

TEST_CASE("bad input gets its defined error, writes nothing and leaves the caller's objects alone",
          "[reliability][input]")
{
    std::vector<Row> rows;
    for (auto part : {dispatcher_rows(), store_rule_rows(), upsert_one_rows(), pod_step_rows(), find_rows()}) {
        rows.insert(rows.end(), part.begin(), part.end());
    }
    for (Row& row : rows) {
        INFO(row.description);
        auto store = StoreFactory<MemoryStore>::make();
        seed_baseline(*store);
        const StoreContents before = store->snapshot();
        const Inputs inputs_before = row.inputs;

        const std::error_code error = row.call(*store, row.inputs);
        CAPTURE(error.message());
        CHECK(is_one_of(error, row.errors));
        CHECK(contents_json(store->snapshot()) == contents_json(before));
        CHECK(store->snapshot() == before);
        CHECK(inputs_json(row.inputs) == inputs_json(inputs_before));
        CHECK(row.inputs == inputs_before);
    }
}

TEST_CASE("odd but valid ids are bytes and round-trip literally through every operation", "[reliability][input]")
{
    struct IdRow {
        std::string description;
        std::string id;
    };
    const std::vector<IdRow> rows{
        {"a 1 MiB id: the library sets no length limit, so it is valid and stored whole",
         std::string(1 << 20, 'x')},
        {"NUL bytes inside an id: valid bytes, stored whole and never cut at the NUL", "nul\0inside\0"s},
        {"a lone NUL byte: non-empty, so valid", "\0"s},
        {"invalid UTF-8 (a stray continuation byte, an overlong form, 0xff): the library does not "
         "check encodings, so it is valid and read back byte for byte",
         "bad\x80utf8\xc0\xaf\xff"s},
        {"every byte value from 0x01 to 0xff", [] {
             std::string all;
             for (int c = 1; c < 256; ++c) {
                 all.push_back(static_cast<char>(c));
             }
             return all;
         }()},
    };
    for (const IdRow& row : rows) {
        DYNAMIC_SECTION(row.description)
        {
            auto store = StoreFactory<MemoryStore>::make();
            require_literal_round_trip(*store, row.id);
        }
    }
}
