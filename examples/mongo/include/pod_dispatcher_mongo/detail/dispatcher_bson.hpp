#ifndef POD_DISPATCHER_MONGO_DETAIL_DISPATCHER_BSON_HPP
#define POD_DISPATCHER_MONGO_DETAIL_DISPATCHER_BSON_HPP

// The filters and update documents of dispatcher reads and writes.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <bson/bson.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher_mongo::detail {

/// Appends an equality condition for each member q sets; a pod id matches a dispatcher
/// whose pod_ids hold it.
inline bool put_query(bson_t* b, const pd::Query& q)
{
    return (!q.id || put(b, pd::keys::id, *q.id)) && (!q.group_id || put(b, pd::keys::group_id, *q.group_id)) &&
           (!q.pod_id || put(b, pd::keys::pod_ids, *q.pod_id)) &&
           (!q.modification_count || put(b, pd::keys::modification_count, *q.modification_count));
}

/// {task_ids.0: ids[0], task_ids.1: ids[1], ...}: a queue that starts with ids.
inline bool put_front(bson_t* b, const std::vector<std::string>& ids)
{
    return for_each_index(ids.size(), [&](std::size_t i, std::string_view index) {
        return put(b, std::string(pd::keys::task_ids) + "." + std::string(index), ids[i]);
    });
}

/// {$each: ids}, with {$position: at} when at is set: the argument of a $push.
inline bool put_each(bson_t* b, std::string_view key, const std::vector<std::string>& ids,
                     std::optional<std::size_t> at)
{
    return put_nested(b, key, false, [&](bson_t* push) {
        // A queue is far shorter than the largest int: an index past it is past the end.
        constexpr auto past_any_end = static_cast<std::size_t>(std::numeric_limits<int>::max());
        return put(push, "$each", ids) && (!at || put(push, "$position", static_cast<int>(std::min(*at, past_any_end))));
    });
}

/// {task_ids.<at>: ids[0], task_ids.<at + 1>: ids[1], ...}: ids written over the queue
/// from index at on.
inline bool put_queue_from(bson_t* b, std::size_t at, const std::vector<std::string>& ids)
{
    return for_each_index(ids.size(), [&](std::size_t i, std::string_view) {
        return put(b, std::string(pd::keys::task_ids) + "." + std::to_string(at + i), ids[i]);
    });
}

/// How an update_dispatcher's enqueue is written. Where the server honours $position, as
/// one $push of the ids at their index. Where it does not (Capabilities::positional_push),
/// ids put in before the back go in by rewriting the queue from their index on: rewritten
/// holds them and then the ids they move back.
struct EnqueueWrite {
    std::optional<std::vector<std::string>> rewritten{};
};

/// How u's enqueue is written to queue, the whole queue as read, on a server that ignores
/// $position: ids that go in before the back rewrite the queue from their index on; ids
/// that go at the back are pushed there, with no index (u.enqueue_at is reset).
inline EnqueueWrite without_position(const std::vector<std::string>& queue, pd::DispatcherUpdate& u)
{
    if (u.enqueue.empty() || !u.enqueue_at || *u.enqueue_at >= queue.size()) {
        u.enqueue_at.reset();
        return {};
    }
    std::vector<std::string> rewritten = u.enqueue;
    rewritten.insert(rewritten.end(), queue.begin() + static_cast<std::ptrdiff_t>(*u.enqueue_at), queue.end());
    return EnqueueWrite{std::move(rewritten)};
}

/// The update of update_dispatcher: {$set: {pod_ids, task_ids, last_modified},
/// $inc: {modification_count}}, each part only when u asks for it; the dequeue:
/// {$pop: {task_ids: -1}} for one id, {$pullAll: {task_ids: ids}} for more (ids in a
/// queue are unique, so that removes exactly the front the filter names); the ids put in
/// and the pods added: {$push: {task_ids: {$each: ids, $position: at}, pod_ids: {$each:
/// pods}}}, or the queue rewritten from the index on as enqueue says. None writes more
/// than the ids u names, whatever the queue's length, but for such a rewrite.
inline bool put_dispatcher_update(bson_t* b, const pd::DispatcherUpdate& u, const EnqueueWrite& enqueue)
{
    const bool stamped = u.last_modified != pd::Timestamp{};
    const bool set = u.pod_ids || u.task_ids || stamped || enqueue.rewritten;
    const bool pushed_ids = !u.enqueue.empty() && !enqueue.rewritten;
    const bool pushed = pushed_ids || !u.add_pods.empty();
    return (!set || put_nested(b, "$set", false, [&](bson_t* s) {
               return (!u.pod_ids || put(s, pd::keys::pod_ids, *u.pod_ids)) &&
                      (!u.task_ids || put(s, pd::keys::task_ids, *u.task_ids)) &&
                      (!enqueue.rewritten || put_queue_from(s, u.enqueue_at.value_or(0), *enqueue.rewritten)) &&
                      put(s, pd::keys::last_modified, u.last_modified);
           })) &&
           (stamped || put_nested(b, "$unset", false, [](bson_t* s) {
                return put(s, pd::keys::last_modified, std::string_view{});
            })) &&
           put_nested(b, "$inc", false, [&](bson_t* inc) { return put(inc, pd::keys::modification_count, u.increment); }) &&
           (u.dequeue.size() != 1 ||
            put_nested(b, "$pop", false, [](bson_t* pop) { return put(pop, pd::keys::task_ids, -1); })) &&
           (u.dequeue.size() < 2 || put_nested(b, "$pullAll", false, [&](bson_t* pull) {
                return put(pull, pd::keys::task_ids, u.dequeue);
            })) &&
           (!pushed || put_nested(b, "$push", false, [&](bson_t* push) {
                return (!pushed_ids || put_each(push, pd::keys::task_ids, u.enqueue, u.enqueue_at)) &&
                       (u.add_pods.empty() || put_each(push, pd::keys::pod_ids, u.add_pods, std::nullopt));
            }));
}

/// The pods u puts into a dispatcher: those it sets, or those it adds.
inline const std::vector<std::string>& pods_put_in(const pd::DispatcherUpdate& u)
{
    return u.pod_ids ? *u.pod_ids : u.add_pods;
}

/// {pod_ids: {$in: pod_ids}, _id: {$ne: except}}: other dispatchers holding any of the pods.
inline bool put_holders_filter(bson_t* b, const std::vector<std::string>& pod_ids, std::string_view except)
{
    return put_nested(b, pd::keys::pod_ids, false, [&](bson_t* in) { return put(in, "$in", pod_ids); }) &&
           put_nested(b, pd::keys::id, false, [&](bson_t* ne) { return put(ne, "$ne", except); });
}

} // namespace pod_dispatcher_mongo::detail

#endif
