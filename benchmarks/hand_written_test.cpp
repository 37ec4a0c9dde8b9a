// The hand-written baseline is honest: on the same documents and the same calls it gives
// what the library gives (the same results, the same errors, the same documents and
// events stored), so that the benchmark compares the same work done two ways.

#include "baselines/hand_written.hpp"
#include "support/seeding.hpp"

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/printing.hpp>

#include <catch2/catch_test_macros.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace bench = pod_dispatcher::bench;
using namespace pod_dispatcher;
using bench::HandWrittenStore;

/// The library's operations on a MemoryStore, under the baseline's member names.
struct LibraryStore : MemoryStore {
    Result<std::optional<Task>> dispatch_next_task(const std::string& pod)
    {
        return pod_dispatcher::dispatch_next_task(*this, pod);
    }
    Result<std::optional<Task>> assign_next_task(PodDispatcher& d, Pod& pod) { return d.assign_next_task(*this, pod); }
    Result<PodDispatcher> allocate(Task& task, Pod& pod) { return pod_dispatcher::allocate(*this, task, pod); }
    StoreContents contents() { return snapshot().value(); }
};

struct HandWritten : HandWrittenStore {
    StoreContents contents() const { return snapshot(); }
};

/// Times the calls stamp now become one value; generated dispatcher ids become their
/// group's id: the two stores agree on neither, and need not.
class Normalized {
public:
    explicit Normalized(Timestamp since) : since_(since) {}

    void operator()(Timestamp& t) const
    {
        if (t >= since_) {
            t = Timestamp{};
        }
    }
    void operator()(Task& t) const
    {
        for (Timestamp* at : {&t.container_allocated_time, &t.dispatch_time, &t.last_heartbeat}) {
            (*this)(*at);
        }
    }
    void operator()(Pod& p) const { (*this)(p.last_communicated); }
    void operator()(PodDispatcher& d) const
    {
        d.id = d.group_id;
        (*this)(d.last_modified);
    }
    void operator()(Event& e) const { (*this)(e.timestamp); }
    void operator()(StoreContents& c) const
    {
        each(c.dispatchers);
        each(c.tasks);
        each(c.pods);
        each(c.events);
        std::ranges::sort(c.dispatchers, {}, &PodDispatcher::id);
    }
    template <class T>
    void operator()(Result<T>& r) const
    {
        if (r) {
            (*this)(r.value());
        }
    }
    template <class T>
    void operator()(std::optional<T>& o) const
    {
        if (o) {
            (*this)(*o);
        }
    }

private:
    template <class T>
    void each(std::vector<T>& docs) const
    {
        for (T& doc : docs) {
            (*this)(doc);
        }
    }

    Timestamp since_;
};

/// A store of two dispatchers whose queues hold a task of each kind a walk meets (one to
/// dispatch, one gone, one not allocated, one of a disabled project, an execution task of
/// a display task), and tasks allocate may take: on their own and in a task group.
template <class S>
void seed(S& store)
{
    using namespace pod_dispatcher::testing;
    bench::seed(store, bench::Shape{2, 3, 2});
    ProjectRef disabled = enabled_project("off");
    disabled.enabled = false;
    bench::expect(store.insert_project_ref(disabled), "project");
    Task off = dispatchable_task("off1");
    off.project = "off";
    Task unallocated = allocatable_task("u1");
    Task display = allocatable_task("display");
    display.display_only = true;
    Task execution = dispatchable_task("x1");
    execution.display_task_id = "display";
    for (const Task& t : {off, unallocated, display, execution, allocatable_task("a1"), allocatable_task("a2")}) {
        bench::expect(store.insert_task(t), "task");
    }
    for (int order : {2, 0, 1}) {
        bench::expect(store.insert_task(group_task("gt" + std::to_string(order), "tg", order, 2)), "group task");
    }
    PodDispatcher mixed{bench::dispatcher_id(7), "mixed", {"pm"}, {"gone", "u1", "off1", "x1", "t9"}, 0, {}};
    bench::expect(store.insert_pod(running_pod("pm")), "pod");
    bench::expect(store.insert_dispatcher(mixed), "dispatcher");
}

/// Runs the same calls on both stores, checking each result against the other's.
class SideBySide {
public:
    SideBySide()
    {
        seed(library_);
        seed(hand_written_);
    }

    void dispatch(const std::string& pod)
    {
        auto expected = library_.dispatch_next_task(pod);
        auto got = hand_written_.dispatch_next_task(pod);
        same(expected, got);
    }

    void allocate(const Task& task, const Pod& pod)
    {
        on_both(task, pod, [](auto& store, Task& t, Pod& p) { return store.allocate(t, p); });
    }

    void assign(const PodDispatcher& copy, const Pod& pod)
    {
        on_both(copy, pod, [](auto& store, PodDispatcher& d, Pod& p) { return store.assign_next_task(d, p); });
    }

    void same_contents()
    {
        auto expected = library_.contents();
        auto got = hand_written_.contents();
        same(expected, got);
    }

private:
    /// call(store, a, b) on each store with copies of a and b: the same result, and the same
    /// a and b after.
    template <class A, class B, class Call>
    void on_both(const A& a, const B& b, Call call)
    {
        A a1 = a, a2 = a;
        B b1 = b, b2 = b;
        auto expected = call(library_, a1, b1);
        auto got = call(hand_written_, a2, b2);
        same(expected, got);
        same(a1, a2);
        same(b1, b2);
    }

    template <class T>
    void same(T& expected, T& got) const
    {
        normalized_(expected);
        normalized_(got);
        CHECK(got == expected);
    }

    Normalized normalized_{now()};
    LibraryStore library_;
    HandWritten hand_written_;
};

} // namespace

TEST_CASE("The hand-written baseline does what the library does")
{
    using namespace pod_dispatcher::testing;
    SideBySide both;

    SECTION("dispatch_next_task: dispatches, skips and releases, refuses, runs out")
    {
        for (const char* pod : {"p0.0", "p0.1", "p0.0", "pm", "nobody", "p1.0"}) {
            both.dispatch(pod);
        }
        both.same_contents();
    }
    SECTION("allocate: a task on its own, again, in a task group out of order, missing, with a pod taken")
    {
        both.allocate(allocatable_task("a1"), intent_pod("n1"));
        both.allocate(allocatable_task("a1"), intent_pod("n2"));
        for (int order : {2, 0, 1}) {
            both.allocate(group_task("gt" + std::to_string(order), "tg", order, 2), intent_pod("g" + std::to_string(order)));
        }
        both.allocate(allocatable_task("missing"), intent_pod("n3"));
        both.allocate(allocatable_task("a2"), intent_pod("p0.0"));
        both.same_contents();
    }
    SECTION("assign_next_task: with a fresh copy, a stale one, and a busy pod")
    {
        const bench::Shape shape{2, 3, 2};
        both.assign(bench::dispatcher_doc(0, shape), running_pod("p0.0"));
        both.assign(bench::dispatcher_doc(0, shape), running_pod("p0.1"));
        Pod busy = running_pod("p1.0");
        busy.running_task_id = "t1.0";
        both.assign(bench::dispatcher_doc(1, shape), busy);
        both.assign(PodDispatcher{bench::dispatcher_id(7), "mixed", {"pm"}, {"gone", "u1", "off1", "x1", "t9"}, 0, {}},
                    running_pod("pm"));
        both.same_contents();
    }
}
