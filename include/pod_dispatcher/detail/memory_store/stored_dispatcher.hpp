#ifndef POD_DISPATCHER_DETAIL_MEMORY_STORE_STORED_DISPATCHER_HPP
#define POD_DISPATCHER_DETAIL_MEMORY_STORE_STORED_DISPATCHER_HPP

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace pod_dispatcher::detail {

/// A dispatcher as MemoryStore keeps it. The queue is doc.task_ids from head on, so a
/// dequeue moves head instead of shifting every id behind it; the ids before head are
/// dropped once they outnumber the rest, which keeps dequeues amortized O(1).
struct StoredDispatcher {
    PodDispatcher doc;
    std::size_t stripe = 0; ///< The stripe its id hashes to, so as not to hash it again.
    std::size_t head = 0;

    std::size_t queue_length() const noexcept { return doc.task_ids.size() - head; }

    /// Whether the queue starts with ids.
    bool starts_with(const std::vector<std::string>& ids) const noexcept
    {
        return ids.size() <= queue_length() &&
               std::equal(ids.begin(), ids.end(), doc.task_ids.begin() + static_cast<std::ptrdiff_t>(head));
    }

    /// The dispatcher as callers see it, as much of it as p asks for.
    PodDispatcher view(const Projection& p) const
    {
        PodDispatcher copy{doc.id, doc.group_id, {}, {}, doc.modification_count, doc.last_modified};
        if (p.pod_ids) {
            copy.pod_ids = doc.pod_ids;
        }
        const auto first = doc.task_ids.begin() + static_cast<std::ptrdiff_t>(head);
        const auto count = static_cast<std::ptrdiff_t>(std::min(p.max_task_ids, queue_length()));
        copy.task_ids.assign(first, first + count);
        return copy;
    }

    /// Whether the ids before head, long dequeued, are worth dropping: once they outnumber
    /// the queue, so that dropping them costs O(1) per dequeue, amortized.
    bool worth_compacting() const noexcept { return head >= 32 && head * 2 >= doc.task_ids.size(); }

    /// The queue without the ids before head.
    std::vector<std::string> compacted() const
    {
        return {doc.task_ids.begin() + static_cast<std::ptrdiff_t>(head), doc.task_ids.end()};
    }
};

} // namespace pod_dispatcher::detail

#endif
