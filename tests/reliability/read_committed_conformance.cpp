// The conformance kit on MemoryStore at READ COMMITTED (Isolation::read_committed): a
// unit of work holds what it writes to the end but lets go of what it only read once the
// read is done, as a database at that level does. store.hpp promises that the operations
// need no more: every write is guarded on the fields its rule read. Here that is tried
// hard: the random interleavings and the races run several hundred iterations, and no
// invariant may break.
//
// A read of a database is a round trip, during which other units commit; a read of memory
// is over before another thread stirs. So that other units commit between the reads of a
// unit and its writes, as they would on a database, every read lets other threads run
// first. Without that, a guard missing from the operations goes unseen here: a single-host
// group whose claim of its pod did not guard the pod's last task ran its next task after
// a failed one in a few iterations in a hundred with it, and in none of hundreds without.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/testing/conformance.hpp>

#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace pod_dispatcher;

/// A MemoryStore at READ COMMITTED whose every read lets other threads run before the
/// caller goes on.
class ReadCommittedStore : public MemoryStore {
public:
    ReadCommittedStore() : MemoryStore(Isolation::read_committed) {}

    Result<std::vector<PodDispatcher>> find_dispatchers(const Query& q)
    {
        return others_first(MemoryStore::find_dispatchers(q));
    }
    Result<std::optional<PodDispatcher>> find_dispatcher(const Query& q, const Projection& p)
    {
        return others_first(MemoryStore::find_dispatcher(q, p));
    }
    Result<std::optional<Task>> find_task(std::string_view id) { return others_first(MemoryStore::find_task(id)); }
    Result<std::optional<Pod>> find_pod(std::string_view id) { return others_first(MemoryStore::find_pod(id)); }
    Result<std::vector<Pod>> find_pods(const PodQuery& q) { return others_first(MemoryStore::find_pods(q)); }
    Result<std::optional<ProjectRef>> find_project_ref(std::string_view id)
    {
        return others_first(MemoryStore::find_project_ref(id));
    }

private:
    template <class R>
    static R others_first(R read)
    {
        std::this_thread::yield();
        return read;
    }
};

static_assert(testing::TestableStore<ReadCommittedStore>);

struct MakeReadCommittedStore {
    static std::unique_ptr<ReadCommittedStore> make() { return std::make_unique<ReadCommittedStore>(); }

    /// A fixed number of iterations, each about as big as a thread sanitizer lets the whole
    /// program run in a few minutes (a minute without it).
    static testing::InterleavingOptions interleaving_options()
    {
        testing::InterleavingOptions options;
#if defined(__SANITIZE_THREAD__)
        options.operations_per_thread = 150;
        options.queued_tasks = 100;
        options.task_group_tasks = 36;
        options.pool_tasks = 40;
#endif
        options.min_iterations = 400;
        options.iterations = 400;
        return options;
    }
};

} // namespace

POD_DISPATCHER_CONFORMANCE_TESTS("MemoryStore at READ COMMITTED", MakeReadCommittedStore)
