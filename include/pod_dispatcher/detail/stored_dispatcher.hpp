#ifndef POD_DISPATCHER_DETAIL_STORED_DISPATCHER_HPP
#define POD_DISPATCHER_DETAIL_STORED_DISPATCHER_HPP

#include <pod_dispatcher/dispatcher.hpp>

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
    std::size_t head = 0;

    std::size_t queue_length() const noexcept { return doc.task_ids.size() - head; }

    const std::string* front() const noexcept { return queue_length() == 0 ? nullptr : &doc.task_ids[head]; }

    /// The dispatcher as callers see it, with only the first max_task_ids of its queue.
    PodDispatcher view(std::size_t max_task_ids) const
    {
        PodDispatcher copy{doc.id, doc.group_id, doc.pod_ids, {}, doc.modification_count, doc.last_modified};
        const auto first = doc.task_ids.begin() + static_cast<std::ptrdiff_t>(head);
        const auto count = static_cast<std::ptrdiff_t>(std::min(max_task_ids, queue_length()));
        copy.task_ids.assign(first, first + count);
        return copy;
    }

    void replace_queue(const std::vector<std::string>& task_ids)
    {
        doc.task_ids = task_ids;
        head = 0;
    }

    void dequeue()
    {
        if (head >= 32 && head * 2 >= doc.task_ids.size()) {
            doc.task_ids.erase(doc.task_ids.begin(), doc.task_ids.begin() + static_cast<std::ptrdiff_t>(head));
            head = 0;
        }
        ++head;
    }

    /// Puts a dequeued id back in front.
    void undo_dequeue(const std::string& task_id)
    {
        if (head == 0) {
            doc.task_ids.insert(doc.task_ids.begin(), task_id);
        } else {
            doc.task_ids[--head] = task_id;
        }
    }
};

} // namespace pod_dispatcher::detail

#endif
