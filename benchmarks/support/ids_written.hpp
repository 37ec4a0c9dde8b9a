#ifndef POD_DISPATCHER_BENCH_IDS_WRITTEN_HPP
#define POD_DISPATCHER_BENCH_IDS_WRITTEN_HPP

// IdsWritten: a store in memory that counts the ids its dispatcher writes carry. Such a
// store writes exactly what a write carries, so this is what it wrote; a store with rows
// counts those instead (support/sqlite_stores.hpp).

#include "support/written.hpp"

#include <pod_dispatcher/store.hpp>

#include <cstddef>
#include <cstdint>

namespace pod_dispatcher::bench {

/// S, counting the ids of every dispatcher it inserts or updates: the queue's (task_ids,
/// dequeue, enqueue) and the pods' (pod_ids, add_pods), once the member succeeds (a unit
/// of work that fails later leaves them counted). It hides S's two members rather than
/// wrapping S, so that it costs the operations it counts next to nothing.
template <Store S>
class IdsWritten : public S {
public:
    using S::S;

    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        auto inserted = S::insert_dispatcher(d);
        if (inserted) {
            count(d.task_ids.size(), d.pod_ids.size());
        }
        return inserted;
    }

    Result<bool> update_dispatcher(const Query& q, const DispatcherUpdate& u)
    {
        auto updated = S::update_dispatcher(q, u);
        if (updated && updated.value()) {
            count((u.task_ids ? u.task_ids->size() : 0) + u.dequeue.size() + u.enqueue.size(),
                  (u.pod_ids ? u.pod_ids->size() : 0) + u.add_pods.size());
        }
        return updated;
    }

    Written written() const { return {{"queue_ids", queue_ids_}, {"pod_ids", pod_ids_}}; }

private:
    void count(std::size_t queue_ids, std::size_t pod_ids)
    {
        queue_ids_ += static_cast<std::int64_t>(queue_ids);
        pod_ids_ += static_cast<std::int64_t>(pod_ids);
    }

    std::int64_t queue_ids_ = 0;
    std::int64_t pod_ids_ = 0;
};

} // namespace pod_dispatcher::bench

#endif
