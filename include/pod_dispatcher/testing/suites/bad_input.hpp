#ifndef POD_DISPATCHER_TESTING_SUITES_BAD_INPUT_HPP
#define POD_DISPATCHER_TESTING_SUITES_BAD_INPUT_HPP

// Bad input through every public operation: each gets its defined error, writes nothing
// and leaves the caller's objects as they were. Ids are opaque bytes to the library, so
// odd but non-empty ones (huge, with NUL bytes, not UTF-8) are valid and read back
// literally.

#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <climits>
#include <initializer_list>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// Everything a caller passes in; an operation may change it only by succeeding.
struct Inputs {
    PodDispatcher dispatcher{};
    Task task{};
    Pod pod{};
    Query query{};
    DispatcherUpdate update{};
    TaskStatus outcome = TaskStatus::succeeded;
    std::chrono::milliseconds startup_timeout = RescueOptions{}.startup_timeout;
    std::chrono::milliseconds heartbeat_timeout = RescueOptions{}.heartbeat_timeout;

    bool operator==(const Inputs&) const = default;
};

inline boost::json::value inputs_json(const Inputs& in)
{
    return boost::json::object{{"dispatcher", boost::json::value_from(in.dispatcher)},
                               {"task", boost::json::value_from(in.task)},
                               {"pod", boost::json::value_from(in.pod)},
                               {"query", boost::json::value_from(in.query)},
                               {"update", boost::json::value_from(in.update)},
                               {"outcome", boost::json::value_from(in.outcome)},
                               {"startup_timeout", in.startup_timeout.count()},
                               {"heartbeat_timeout", in.heartbeat_timeout.count()}};
}

/// The public operations, each taking what it needs from Inputs.
enum class Call {
    insert,                   ///< inputs.dispatcher.insert
    upsert_atomically,        ///< inputs.dispatcher.upsert_atomically
    upsert_one,               ///< of inputs.query and inputs.update
    allocate,                 ///< inputs.task to inputs.pod
    assign_next_task,         ///< inputs.dispatcher to inputs.pod
    remove_pod,               ///< inputs.pod from inputs.dispatcher
    dispatch_next_task,       ///< for inputs.pod
    dispatch_with_no_window,  ///< for inputs.pod, reading the queue zero ids at a time
    finish_task,              ///< inputs.pod's task, with inputs.outcome
    mark_pod_running,         ///< inputs.pod
    heartbeat,                ///< of inputs.pod
    terminate_pod,            ///< inputs.pod
    rescue_stale_pods,        ///< with the timeouts of inputs
    find,                     ///< of inputs.query
    find_one,                 ///< of inputs.query
    find_one_by_id,           ///< of inputs.query.id
    find_one_by_group_id,     ///< of inputs.query.group_id
    find_one_by_pod_id,       ///< of inputs.query.pod_id
};

template <class S>
std::error_code perform(S& s, Call call, Inputs& in)
{
    switch (call) {
    case Call::insert: return error_of(in.dispatcher.insert(s));
    case Call::upsert_atomically: return error_of(in.dispatcher.upsert_atomically(s));
    case Call::upsert_one: return error_of(upsert_one(s, in.query, in.update));
    case Call::allocate: return error_of(allocate(s, in.task, in.pod));
    case Call::assign_next_task: return error_of(in.dispatcher.assign_next_task(s, in.pod));
    case Call::remove_pod: return error_of(in.dispatcher.remove_pod(s, in.pod.id));
    case Call::dispatch_next_task: return error_of(dispatch_next_task(s, in.pod.id));
    case Call::dispatch_with_no_window:
        return error_of(dispatch_next_task(s, in.pod.id, DispatchOptions{.queue_window = 0}));
    case Call::finish_task: return error_of(finish_task(s, in.pod.id, in.outcome));
    case Call::mark_pod_running: return error_of(mark_pod_running(s, in.pod.id));
    case Call::heartbeat: return error_of(heartbeat(s, in.pod.id));
    case Call::terminate_pod: return error_of(terminate_pod(s, in.pod.id, "container stopped"));
    case Call::rescue_stale_pods:
        return error_of(rescue_stale_pods(s, RescueOptions{.startup_timeout = in.startup_timeout,
                                                          .heartbeat_timeout = in.heartbeat_timeout}));
    case Call::find: return error_of(find(s, in.query));
    case Call::find_one: return error_of(find_one(s, in.query));
    case Call::find_one_by_id: return error_of(find_one_by_id(s, in.query.id.value_or("")));
    case Call::find_one_by_group_id: return error_of(find_one_by_group_id(s, in.query.group_id.value_or("")));
    case Call::find_one_by_pod_id: return error_of(find_one_by_pod_id(s, in.query.pod_id.value_or("")));
    }
    return Errc::invalid_argument;
}

struct BadInput {
    std::string description;
    Call call;
    Inputs inputs;
    std::vector<Errc> errors; ///< The defined error, or the ones the contract allows.
};

/// The task group every group row is about: "tg" of the sample variant, project and
/// version, whose dispatcher d-group holds task "ga" (order 1) and pod p-group.
inline Task baseline_group_task(std::string id, int order) { return group_task(std::move(id), "tg", order, 0); }

// The store every row starts from: dispatcher d1 (group g1, pod p1, queue [t1], count 2),
// d3 (group g3, pod p3 and p-ghost, which is not stored), and the task group's d-group;
// allocatable tasks t2 and group task gb; pod p-free in no dispatcher; p-busy running a
// task that is not stored; p-stale naming t1, which is not dispatched, as its task; p-gone,
// terminated. No pod was ever heard from: a rescue would terminate all but p-gone.
template <TestableStore S>
void seed_baseline(S& store)
{
    seed(store, enabled_project());
    seed(store, dispatchable_task("t1"));
    seed(store, allocatable_task("t2"));
    Task ga = baseline_group_task("ga", 1);
    ga.container_allocated = true;
    seed(store, ga);
    seed(store, baseline_group_task("gb", 2));
    for (const char* pod : {"p1", "p3", "p-free", "p-group"}) {
        seed(store, running_pod(pod));
    }
    Pod busy = running_pod("p-busy");
    busy.running_task_id = "t-elsewhere";
    seed(store, busy);
    Pod stale = running_pod("p-stale");
    stale.running_task_id = "t1";
    seed(store, stale);
    seed(store, pod_heard_at("p-gone", PodStatus::terminated, {}));
    seed(store, PodDispatcher{"d1", "g1", {"p1"}, {"t1"}, 2, {}});
    seed(store, PodDispatcher{"d3", "g3", {"p3", "p-ghost"}, {}, 0, {}});
    seed(store, PodDispatcher{"d-group", get_group_id(ga), {"p-group"}, {"ga"}, 1, {}});
}

inline PodDispatcher stored_d1() { return {"d1", "g1", {"p1"}, {"t1"}, 2, {}}; }
inline PodDispatcher unstored() { return {"d2", "g2", {"p2"}, {"t2"}, 0, {}}; }

template <class T, class Change>
T changed(T value, Change change)
{
    change(value);
    return value;
}

inline Inputs with_dispatcher(PodDispatcher d, Pod pod = running_pod("p1"))
{
    return Inputs{std::move(d), {}, std::move(pod), {}, {}};
}

inline Inputs with_pod(std::string pod_id, TaskStatus outcome = TaskStatus::succeeded)
{
    return Inputs{{}, {}, running_pod(std::move(pod_id)), {}, {}, outcome};
}

inline Inputs with_query(Query q) { return Inputs{{}, {}, {}, std::move(q), {}}; }
inline Inputs with_allocation(Task task, Pod pod) { return Inputs{{}, std::move(task), std::move(pod), {}, {}}; }

/// A write that inserts d2 when its query matches nothing.
inline DispatcherUpdate inserting_d2()
{
    DispatcherUpdate u;
    u.id = "d2";
    u.group_id = "g2";
    u.pod_ids = std::vector<std::string>{"p2"};
    u.task_ids = std::vector<std::string>{"t2"};
    return u;
}

inline Inputs with_upsert(Query q, DispatcherUpdate u) { return Inputs{{}, {}, {}, std::move(q), std::move(u)}; }

/// What makes a dispatcher malformed.
struct Malformation {
    std::string what;
    void (*apply)(PodDispatcher&);
};

/// What names a dispatcher's version: wrong in any copy an operation is given.
inline std::vector<Malformation> version_malformations()
{
    return {
        {"an empty id", [](PodDispatcher& d) { d.id.clear(); }},
        {"an empty group id", [](PodDispatcher& d) { d.group_id.clear(); }},
        {"a negative modification_count", [](PodDispatcher& d) { d.modification_count = -1; }},
    };
}

/// Wrong lists: no operation may store such a dispatcher, nor act on a copy of one it
/// reads whole.
inline std::vector<Malformation> list_malformations()
{
    return {
        {"a pod id given twice", [](PodDispatcher& d) { d.pod_ids.push_back(d.pod_ids.front()); }},
        {"an empty pod id", [](PodDispatcher& d) { d.pod_ids.emplace_back(); }},
        {"a task listed twice in the queue", [](PodDispatcher& d) { d.task_ids.push_back(d.task_ids.front()); }},
        {"an empty task id in the queue", [](PodDispatcher& d) { d.task_ids.emplace_back(); }},
    };
}

/// Wrong where assign_next_task reads the copy's queue: it reads only as far as its walk
/// goes (past t2, which is not allocated, to t1).
inline std::vector<Malformation> walked_queue_malformations()
{
    return {
        {"an empty task id at the head of the queue", [](PodDispatcher& d) { d.task_ids = {"", "t1"}; }},
        {"a task id repeated before the walk reaches a task to run",
         [](PodDispatcher& d) { d.task_ids = {"t2", "t2", "t1"}; }},
    };
}

/// Each malformation given to every operation that takes a dispatcher: a new one to
/// store, and the caller's copy of a stored one to act on.
inline std::vector<BadInput> dispatcher_rows()
{
    std::vector<BadInput> rows;
    auto whole = version_malformations();
    for (Malformation& m : list_malformations()) {
        whole.push_back(std::move(m));
    }
    for (const Malformation& m : whole) {
        const PodDispatcher bad_new = changed(unstored(), m.apply);
        const PodDispatcher bad_copy = changed(stored_d1(), m.apply);
        rows.push_back({"insert of a dispatcher with " + m.what, Call::insert, with_dispatcher(bad_new),
                        {Errc::invalid_argument}});
        rows.push_back({"upsert_atomically of a dispatcher with " + m.what, Call::upsert_atomically,
                        with_dispatcher(bad_new), {Errc::invalid_argument}});
        rows.push_back({"upsert_atomically of a stored dispatcher's copy with " + m.what, Call::upsert_atomically,
                        with_dispatcher(bad_copy), {Errc::invalid_argument}});
        rows.push_back({"remove_pod on a copy with " + m.what, Call::remove_pod, with_dispatcher(bad_copy),
                        {Errc::invalid_argument}});
    }
    auto walked = version_malformations();
    for (Malformation& m : walked_queue_malformations()) {
        walked.push_back(std::move(m));
    }
    for (const Malformation& m : walked) {
        rows.push_back({"assign_next_task on a copy with " + m.what, Call::assign_next_task,
                        with_dispatcher(changed(stored_d1(), m.apply)), {Errc::invalid_argument}});
    }
    return rows;
}

inline std::vector<BadInput> store_rule_rows()
{
    const PodDispatcher stale = changed(stored_d1(), [](auto& d) { d.modification_count = 1; });
    return {
        {"insert with the id of a stored dispatcher", Call::insert,
         with_dispatcher(changed(unstored(), [](auto& d) { d.id = "d1"; })), {Errc::duplicate_key}},
        {"insert with the group of a stored dispatcher", Call::insert,
         with_dispatcher(changed(unstored(), [](auto& d) { d.group_id = "g1"; })), {Errc::duplicate_key}},
        {"insert of a pod another dispatcher holds (one pod in two dispatchers)", Call::insert,
         with_dispatcher(changed(unstored(), [](auto& d) { d.pod_ids = {"p1"}; })), {Errc::duplicate_key}},
        {"upsert_atomically of a new dispatcher with a pod another holds", Call::upsert_atomically,
         with_dispatcher(changed(unstored(), [](auto& d) { d.pod_ids = {"p3"}; })), {Errc::duplicate_key}},
        {"upsert_atomically of a new dispatcher with the group of a stored one", Call::upsert_atomically,
         with_dispatcher(changed(unstored(), [](auto& d) { d.group_id = "g1"; })), {Errc::duplicate_key}},
        {"upsert_atomically giving a stored dispatcher a pod another holds", Call::upsert_atomically,
         with_dispatcher(changed(stored_d1(), [](auto& d) { d.pod_ids = {"p1", "p3"}; })), {Errc::duplicate_key}},
        {"upsert_atomically of a stale copy: conflict, or duplicate_key where the store only sees its "
         "insert collide",
         Call::upsert_atomically, with_dispatcher(stale), {Errc::conflict, Errc::duplicate_key}},
        {"assign_next_task on a stale copy", Call::assign_next_task, with_dispatcher(stale), {Errc::conflict}},
        {"remove_pod on a stale copy", Call::remove_pod, with_dispatcher(stale), {Errc::conflict}},
    };
}

inline std::vector<BadInput> upsert_one_rows()
{
    auto update = [](auto change) { return changed(inserting_d2(), change); };
    const Query none = by_group_id("g2");
    return {
        {"upsert_one with an empty id in its query", Call::upsert_one, with_upsert(by_id(""), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one with an empty group in its query", Call::upsert_one,
         with_upsert(by_group_id(""), inserting_d2()), {Errc::invalid_argument}},
        {"upsert_one with an empty pod id in its query", Call::upsert_one, with_upsert(by_pod_id(""), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one with a negative modification_count in its query", Call::upsert_one,
         with_upsert(changed(none, [](auto& q) { q.modification_count = -1; }), inserting_d2()),
         {Errc::invalid_argument}},
        {"upsert_one inserting an empty id", Call::upsert_one,
         with_upsert(none, update([](auto& u) { u.id.clear(); })), {Errc::invalid_argument}},
        {"upsert_one inserting an empty group", Call::upsert_one,
         with_upsert(none, update([](auto& u) { u.group_id.clear(); })), {Errc::invalid_argument}},
        {"upsert_one setting a pod id twice", Call::upsert_one,
         with_upsert(none, update([](auto& u) { u.pod_ids = std::vector<std::string>{"p2", "p2"}; })),
         {Errc::invalid_argument}},
        {"upsert_one setting a queue with a task twice", Call::upsert_one,
         with_upsert(none, update([](auto& u) { u.task_ids = std::vector<std::string>{"t2", "t2"}; })),
         {Errc::invalid_argument}},
        {"upsert_one with a negative increment", Call::upsert_one,
         with_upsert(none, update([](auto& u) { u.increment = -1; })), {Errc::invalid_argument}},
        {"upsert_one dequeuing (an insert has no queue to take ids from)", Call::upsert_one,
         with_upsert(by_id("d1"), changed(DispatcherUpdate{}, [](auto& u) {
                         u.id = "d1";
                         u.group_id = "g1";
                         u.dequeue = {"t1"};
                     })),
         {Errc::invalid_argument}},
        {"upsert_one inserting the group of a stored dispatcher", Call::upsert_one,
         with_upsert(by_id("d2"), update([](auto& u) { u.group_id = "g1"; })), {Errc::duplicate_key}},
        {"upsert_one putting a pod another dispatcher holds into a new one", Call::upsert_one,
         with_upsert(none, update([](auto& u) { u.pod_ids = std::vector<std::string>{"p1"}; })),
         {Errc::duplicate_key}},
        {"upsert_one moving a pod into a stored dispatcher while another holds it", Call::upsert_one,
         with_upsert(by_id("d3"), changed(inserting_d2(), [](auto& u) {
                         u.id = "d3";
                         u.group_id = "g3";
                         u.pod_ids = std::vector<std::string>{"p3", "p1"};
                     })),
         {Errc::duplicate_key}},
    };
}

inline std::vector<BadInput> allocate_rows()
{
    return {
        {"allocate of a task with an empty id", Call::allocate, with_allocation(allocatable_task(""), intent_pod("p2")),
         {Errc::invalid_argument}},
        {"allocate to a pod with an empty id", Call::allocate, with_allocation(allocatable_task("t2"), intent_pod("")),
         {Errc::invalid_argument}},
        {"allocate of a task that is not stored", Call::allocate,
         with_allocation(allocatable_task("t-unknown"), intent_pod("p2")), {Errc::not_found}},
        {"allocate of a task that is allocated already", Call::allocate,
         with_allocation(dispatchable_task("t1"), intent_pod("p2")), {Errc::precondition_failed}},
        {"allocate of a task whose stored copy is allocated, given a copy that is not", Call::allocate,
         with_allocation(allocatable_task("t1"), intent_pod("p2")), {Errc::precondition_failed}},
        {"allocate to a pod another dispatcher holds (one pod in two dispatchers)", Call::allocate,
         with_allocation(allocatable_task("t2"), running_pod("p1")), {Errc::duplicate_key}},
        {"allocate to a pod another dispatcher holds that is not stored", Call::allocate,
         with_allocation(allocatable_task("t2"), intent_pod("p-ghost")), {Errc::duplicate_key}},
        {"allocate to a pod that is stored already (allocate stores the pod it adds)", Call::allocate,
         with_allocation(allocatable_task("t2"), running_pod("p-free")), {Errc::duplicate_key}},
    };
}

/// allocate of a task group's tasks: the same errors, found in a group's dispatcher.
inline std::vector<BadInput> task_group_rows()
{
    return {
        {"allocate of a group task with an empty id", Call::allocate,
         with_allocation(baseline_group_task("", 2), intent_pod("p2")), {Errc::invalid_argument}},
        {"allocate of a group task that is not stored", Call::allocate,
         with_allocation(baseline_group_task("g-unknown", 2), intent_pod("p2")), {Errc::not_found}},
        {"allocate of a group task that is queued and allocated already", Call::allocate,
         with_allocation(baseline_group_task("ga", 1), intent_pod("p2")), {Errc::precondition_failed}},
        {"allocate of a group task whose group takes the pod, when another dispatcher holds it", Call::allocate,
         with_allocation(baseline_group_task("gb", 2), intent_pod("p-ghost")), {Errc::duplicate_key}},
        {"allocate of a group task whose group takes the pod, when it is stored already", Call::allocate,
         with_allocation(baseline_group_task("gb", 2), running_pod("p-free")), {Errc::duplicate_key}},
    };
}

inline std::vector<BadInput> pod_step_rows()
{
    const Pod busy = changed(running_pod("p1"), [](auto& p) { p.running_task_id = "t-elsewhere"; });
    return {
        {"assign_next_task to a pod with an empty id", Call::assign_next_task,
         with_dispatcher(stored_d1(), running_pod("")), {Errc::invalid_argument}},
        {"assign_next_task to a pod running a task", Call::assign_next_task, with_dispatcher(stored_d1(), busy),
         {Errc::pod_busy}},
        {"remove_pod of an empty pod id", Call::remove_pod, with_dispatcher(stored_d1(), running_pod("")),
         {Errc::invalid_argument}},
        {"remove_pod of a pod the dispatcher does not hold", Call::remove_pod,
         with_dispatcher(stored_d1(), running_pod("p3")), {Errc::pod_not_in_dispatcher}},
        {"dispatch_next_task for an empty pod id", Call::dispatch_next_task, with_pod(""), {Errc::invalid_argument}},
        {"dispatch_next_task reading a queue window of zero ids", Call::dispatch_with_no_window, with_pod("p1"),
         {Errc::invalid_argument}},
        {"dispatch_next_task for a pod that is not stored", Call::dispatch_next_task, with_pod("p-unknown"),
         {Errc::not_found}},
        {"dispatch_next_task for a pod in no dispatcher", Call::dispatch_next_task, with_pod("p-free"),
         {Errc::pod_not_in_dispatcher}},
        {"dispatch_next_task for a pod running a task", Call::dispatch_next_task, with_pod("p-busy"),
         {Errc::pod_busy}},
    };
}

inline std::vector<BadInput> finish_task_rows()
{
    std::vector<BadInput> rows{
        {"finish_task for an empty pod id", Call::finish_task, with_pod(""), {Errc::invalid_argument}},
        {"finish_task for a pod that is not stored", Call::finish_task, with_pod("p-unknown"), {Errc::not_found}},
        {"finish_task for a pod that runs no task", Call::finish_task, with_pod("p-free"),
         {Errc::precondition_failed}},
        {"finish_task for a pod whose task is not stored", Call::finish_task, with_pod("p-busy"), {Errc::not_found}},
        {"finish_task for a pod whose task is not dispatched to it", Call::finish_task, with_pod("p-stale"),
         {Errc::precondition_failed}},
    };
    for (TaskStatus outcome : {TaskStatus::undispatched, TaskStatus::dispatched, TaskStatus::started}) {
        const std::string name{name_of(outcome)};
        rows.push_back({"finish_task with the outcome " + name, Call::finish_task, with_pod("p-stale", outcome),
                        {Errc::invalid_argument}});
        rows.push_back({"finish_task with the outcome " + name + ", for a pod that is not stored",
                        Call::finish_task, with_pod("p-unknown", outcome), {Errc::invalid_argument}});
    }
    return rows;
}

inline std::vector<BadInput> pod_failure_rows()
{
    std::vector<BadInput> rows;
    for (const auto& [name, call] :
         {std::pair{"mark_pod_running", Call::mark_pod_running}, std::pair{"heartbeat", Call::heartbeat},
          std::pair{"terminate_pod", Call::terminate_pod}}) {
        const std::string op = name;
        rows.push_back({op + " for an empty pod id", call, with_pod(""), {Errc::invalid_argument}});
        rows.push_back({op + " for a pod that is not stored", call, with_pod("p-unknown"), {Errc::not_found}});
    }
    rows.push_back({"mark_pod_running for a terminated pod", Call::mark_pod_running, with_pod("p-gone"),
                    {Errc::precondition_failed}});
    rows.push_back(
        {"heartbeat for a terminated pod", Call::heartbeat, with_pod("p-gone"), {Errc::precondition_failed}});
    for (const std::chrono::milliseconds bad : {std::chrono::milliseconds{0}, std::chrono::milliseconds{-1}}) {
        const std::string ms = std::to_string(bad.count()) + " ms";
        rows.push_back({"rescue_stale_pods with a startup timeout of " + ms, Call::rescue_stale_pods,
                        changed(Inputs{}, [bad](auto& in) { in.startup_timeout = bad; }), {Errc::invalid_argument}});
        rows.push_back({"rescue_stale_pods with a heartbeat timeout of " + ms, Call::rescue_stale_pods,
                        changed(Inputs{}, [bad](auto& in) { in.heartbeat_timeout = bad; }),
                        {Errc::invalid_argument}});
    }
    return rows;
}

inline std::vector<BadInput> find_rows()
{
    Query negative;
    negative.modification_count = -1;
    return {
        {"find with an empty id", Call::find, with_query(by_id("")), {Errc::invalid_argument}},
        {"find with a negative modification_count", Call::find, with_query(negative), {Errc::invalid_argument}},
        {"find_one with an empty group id", Call::find_one, with_query(by_group_id("")), {Errc::invalid_argument}},
        {"find_one with an empty pod id", Call::find_one, with_query(by_pod_id("")), {Errc::invalid_argument}},
        {"find_one_by_id of an empty id", Call::find_one_by_id, with_query(by_id("")), {Errc::invalid_argument}},
        {"find_one_by_group_id of an empty group id", Call::find_one_by_group_id, with_query(by_group_id("")),
         {Errc::invalid_argument}},
        {"find_one_by_pod_id of an empty pod id", Call::find_one_by_pod_id, with_query(by_pod_id("")),
         {Errc::invalid_argument}},
    };
}

inline std::vector<BadInput> bad_inputs()
{
    std::vector<BadInput> rows;
    for (auto part : {dispatcher_rows(), store_rule_rows(), upsert_one_rows(), allocate_rows(), task_group_rows(),
                      pod_step_rows(), finish_task_rows(), pod_failure_rows(), find_rows()}) {
        rows.insert(rows.end(), part.begin(), part.end());
    }
    return rows;
}

inline bool is_one_of(std::error_code error, const std::vector<Errc>& allowed)
{
    return std::ranges::any_of(allowed, [&](Errc e) { return error == e; });
}

/// Carries x through allocate, dispatch_next_task and finish_task as the ids of a task
/// and a pod, and requires them back byte for byte. Derived ids share x as a prefix, so a
/// store that cut ids short would make them collide.
template <class S>
void require_literal_allocation_and_dispatch(S& store, const std::string& x)
{
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

    const Task dispatched = handed(store, x + "-pod");
    CHECK(dispatched.id == x + "-task");
    CHECK(dispatched.pod_id == x + "-pod");
    CHECK(stored_pod(store, x + "-pod").running_task_id == x + "-task");
    CHECK(events_of(store, x + "-task").at(1).data == EventData{DispatchData{x + "-pod", 0}});
    CHECK(events_of(store, x + "-pod").at(0).data == EventData{AssignmentData{x + "-task", 0}});

    REQUIRE(finish_task(store, x + "-pod", TaskStatus::succeeded));
    CHECK(stored_pod(store, x + "-pod").last_task_id == x + "-task");
    CHECK(events_of(store, x + "-task").at(2).data == EventData{FinishData{x + "-pod", 0, TaskStatus::succeeded}});
}

/// Carries x through the writes of a dispatcher the caller holds: insert,
/// upsert_atomically, assign_next_task, remove_pod and upsert_one.
template <class S>
void require_literal_dispatcher_writes(S& store, const std::string& x)
{
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
    CHECK(pod2.running_task_id == x + "-task2");
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
    CHECK(boost::json::value_to<PodDispatcher>(boost::json::value_from(d)) == d);
}

/// Carries x through a single-host task group as its group, variant and version: the
/// group id is their literal concatenation, and the extreme orders queue in order.
template <class S>
void require_literal_task_group(S& store, const std::string& x)
{
    auto in_group = [&](std::string id, int order) {
        Task task = group_task(x + id, x, order, 1);
        task.build_variant = x;
        task.version = x;
        seed(store, task);
        return task;
    };
    Task last = in_group("-last", INT_MAX);
    Task first = in_group("-first", INT_MIN);
    Pod pod = intent_pod(x + "-group-pod");
    Pod spare = intent_pod(x + "-spare-pod"); // the group has its one pod by then
    REQUIRE(allocate(store, last, pod));
    auto d = allocate(store, first, spare);
    REQUIRE(d);
    CHECK(d.value().group_id == x + "_" + x + "_" + project_id + "_" + x);
    CHECK(d.value().task_ids == std::vector{x + "-first", x + "-last"});
    CHECK(d.value().pod_ids == std::vector{x + "-group-pod"});

    set_pod_status(store, x + "-group-pod", PodStatus::running);
    CHECK(handed(store, x + "-group-pod").id == x + "-first");
    REQUIRE(finish_task(store, x + "-group-pod", TaskStatus::succeeded));
    CHECK(handed(store, x + "-group-pod").id == x + "-last");
    CHECK(stored_pod(store, x + "-group-pod").running_task_id == x + "-last");
}

} // namespace detail

template <StoreMaker M>
void bad_input_suite()
{
    for (detail::BadInput& row : detail::bad_inputs()) {
        INFO(row.description);
        auto store = M::make();
        detail::seed_baseline(*store);
        const Unchanged unchanged{*store};
        const detail::Inputs inputs_before = row.inputs;

        const std::error_code error = detail::perform(*store, row.call, row.inputs);
        CAPTURE(error.message());
        CHECK(detail::is_one_of(error, row.errors));
        CHECK(unchanged());
        CHECK(detail::inputs_json(row.inputs) == detail::inputs_json(inputs_before));
        CHECK(row.inputs == inputs_before);
    }
}

template <StoreMaker M>
void odd_ids_suite()
{
    using namespace std::string_literals;
    struct OddId {
        std::string description;
        std::string id;
    };
    const std::vector<OddId> rows{
        {"a 1 MiB id: the library sets no length limit, so it is valid and stored whole", std::string(1 << 20, 'x')},
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
    for (const OddId& row : rows) {
        DYNAMIC_SECTION(row.description)
        {
            auto store = M::make();
            seed(*store, enabled_project());
            detail::require_literal_allocation_and_dispatch(*store, row.id);
            detail::require_literal_dispatcher_writes(*store, row.id);
            detail::require_literal_task_group(*store, row.id);
            CHECK(find(*store, Query{}).value().size() == 4);
        }
    }
}

} // namespace pod_dispatcher::testing

#endif
