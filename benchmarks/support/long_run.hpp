#ifndef POD_DISPATCHER_BENCH_LONG_RUN_HPP
#define POD_DISPATCHER_BENCH_LONG_RUN_HPP

// A store in a process that runs for weeks: tasks come, run and go, events are drained
// and finished work is forgotten now and then. Memory must track the live work, not the
// work ever done.

#include "support/heap.hpp"
#include "support/timing.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace pod_dispatcher::bench {

/// What a long run measured.
struct LongRun {
    std::size_t early_dispatches = 0;
    std::size_t dispatches = 0;
    double early_bytes = 0; ///< Heap in use by the store after early_dispatches, before draining.
    double bytes = 0;       ///< Heap in use by the store after dispatches, before draining.
    double drain_ns_per_dispatch = 0; ///< Time in drain_events and forget_finished, per dispatch.
    double cycle_ns = 0;    ///< One task's whole life, per task.
};

/// One task's life: allocated with a pod of its own, dispatched to it, finished; then the
/// pod is terminated and leaves its dispatcher.
template <class S>
void live_one_task(S& store, std::size_t i)
{
    auto check = [](bool ok, const char* what) {
        if (!ok) {
            throw std::runtime_error(std::string("long run: ") + what + " failed");
        }
    };
    Task task = allocatable_task("lt" + std::to_string(i));
    Pod pod = intent_pod("lp" + std::to_string(i));
    check(bool(store.insert_task(task)), "insert_task");
    auto d = allocate(store, task, pod);
    check(bool(d), "allocate");
    const auto status = FieldSet<Pod>::of(&Pod::status);
    Pod running;
    running.status = PodStatus::running;
    check(bool(store.update_pod(FieldUpdate<Pod>{pod.id, {}, pod, status, running})), "starting the pod");
    auto dispatched = dispatch_next_task(store, pod.id);
    check(dispatched && dispatched.value(), "dispatch_next_task");
    check(bool(finish_task(store, pod.id, TaskStatus::succeeded)), "finish_task");
    Pod terminated;
    terminated.status = PodStatus::terminated;
    check(bool(store.update_pod(FieldUpdate<Pod>{pod.id, {}, pod, status, terminated})), "terminating the pod");
    auto current = find_one_by_pod_id(store, pod.id);
    check(current && current.value(), "find_one_by_pod_id");
    check(bool(current.value()->remove_pod(store, pod.id)), "remove_pod");
}

/// Runs dispatches task lives on a fresh store, draining its events and forgetting its
/// finished work every drain_every tasks; heap in use after early_dispatches and at the end.
template <class S>
LongRun long_run(S& store, std::size_t early_dispatches, std::size_t dispatches, std::size_t drain_every)
{
    LongRun run{early_dispatches, dispatches};
    expect(store.insert_project_ref(enabled_project()), "project");
    const auto base = static_cast<double>(heap_in_use());
    Clock::duration draining{};
    const auto began = Clock::now();
    for (std::size_t i = 1; i <= dispatches; ++i) {
        live_one_task(store, i);
        // Taken just before a drain, when the store holds the most it ever holds between
        // two: the events and finished work of drain_every tasks.
        if (i == early_dispatches) {
            run.early_bytes = static_cast<double>(heap_in_use()) - base;
        }
        if (i == dispatches) {
            run.bytes = static_cast<double>(heap_in_use()) - base;
        }
        if (i % drain_every == 0) {
            const auto drain_began = Clock::now();
            keep(store.drain_events());
            keep(store.forget_finished());
            draining += Clock::now() - drain_began;
        }
    }
    const auto total = Clock::now() - began;
    run.drain_ns_per_dispatch = static_cast<double>(draining.count()) / static_cast<double>(dispatches);
    run.cycle_ns = static_cast<double>(total.count()) / static_cast<double>(dispatches);
    return run;
}

} // namespace pod_dispatcher::bench

#endif
