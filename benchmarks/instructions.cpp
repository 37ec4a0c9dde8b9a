// One batch of one operation, for callgrind to count its instructions: counts do not
// depend on how busy the machine is, as timings do.
//
//   valgrind --tool=callgrind --toggle-collect='*measured_batch*'
//           pod_dispatcher_instructions OPERATION ENGINE QUEUE
//
// OPERATION: dispatch_next_task (each pod of dispatchers whose queues hold QUEUE tasks
// asks once; enough dispatchers for 100 calls), allocate_into_group (10 calls, each into
// a task group whose queue holds QUEUE tasks) or rescue_stale_pods (10 calls, each finding
// 10 stale pods among QUEUE live ones; memory_store only). ENGINE: memory_store or
// hand_written.
// Prints the number of calls; benchmarks/run.sh divides the count by it.

#include "support/rows.hpp"

#include <pod_dispatcher/memory_store.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace bench = pod_dispatcher::bench;

constexpr std::size_t dispatches = 100;
constexpr std::size_t allocations = 10;
constexpr std::size_t rescues = 10;

/// The calls of one batch, and nothing else: what callgrind counts. Not inlined, so that
/// callgrind can find it by name.
template <class Fixture, class Batch>
[[gnu::noinline]] std::size_t measured_batch(Fixture& fixture, const Batch& batch, bench::Tally& tally)
{
    for (auto& item : batch.front()) {
        fixture.run(0, item, tally);
    }
    return tally.ops;
}

template <class Fixture>
int run(Fixture& fixture, std::size_t calls)
{
    const auto batch = fixture.next_batch(calls);
    bench::Tally tally;
    tally.dispatched.reserve(calls);
    const std::size_t done = measured_batch(fixture, batch, tally);
    std::printf("%zu\n", done);
    return done == calls && tally.problems.empty() ? 0 : 1;
}

template <class E>
int run(std::string_view operation, std::size_t queue)
{
    if (operation == "dispatch_next_task") {
        const std::size_t pods = std::min<std::size_t>(queue, 100);
        const bench::Shape shape{(dispatches + pods - 1) / pods, queue, pods};
        bench::PodFixture<E, bench::Dispatching> fixture{bench::made<E>(), shape, 1, bench::Layout::separate};
        return run(fixture, dispatches);
    }
    if constexpr (std::is_same_v<E, pod_dispatcher::MemoryStore>) { // the baseline rescues nothing
        if (operation == "rescue_stale_pods") {
            bench::RescueFixture<E> fixture{bench::made<E>(), queue, rescues};
            return run(fixture, rescues);
        }
    }
    if (operation == "allocate_into_group") {
        bench::GroupAllocateFixture<E> fixture{bench::made<E>(), queue, allocations};
        return run(fixture, allocations);
    }
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s dispatch_next_task|allocate_into_group|rescue_stale_pods memory_store|hand_written QUEUE\n", argv[0]);
        return 2;
    }
    const std::string_view engine = argv[2];
    const auto queue = static_cast<std::size_t>(std::atol(argv[3]));
    if (engine == "memory_store") {
        return run<pod_dispatcher::MemoryStore>(argv[1], queue);
    }
    return engine == "hand_written" ? run<bench::HandWrittenStore>(argv[1], queue) : 2;
}
