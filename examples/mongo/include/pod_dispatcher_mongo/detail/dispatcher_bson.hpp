#ifndef POD_DISPATCHER_MONGO_DETAIL_DISPATCHER_BSON_HPP
#define POD_DISPATCHER_MONGO_DETAIL_DISPATCHER_BSON_HPP

// The filters and update documents of dispatcher reads and writes.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <bson/bson.h>

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

/// The update of update_dispatcher: {$set: {pod_ids, task_ids, last_modified},
/// $inc: {modification_count}}, each part only when u asks for it, and the dequeue:
/// {$pop: {task_ids: -1}} for one id, {$pullAll: {task_ids: ids}} for more (ids in a
/// queue are unique, so that removes exactly the front the filter names). Neither
/// rewrites the queue, whatever its length.
inline bool put_dispatcher_update(bson_t* b, const pd::DispatcherUpdate& u)
{
    const bool stamped = u.last_modified != pd::Timestamp{};
    const bool set = u.pod_ids || u.task_ids || stamped;
    return (!set || put_nested(b, "$set", false, [&](bson_t* s) {
               return (!u.pod_ids || put(s, pd::keys::pod_ids, *u.pod_ids)) &&
                      (!u.task_ids || put(s, pd::keys::task_ids, *u.task_ids)) &&
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
            }));
}

/// {pod_ids: {$in: pod_ids}, _id: {$ne: except}}: other dispatchers holding any of the pods.
inline bool put_holders_filter(bson_t* b, const std::vector<std::string>& pod_ids, std::string_view except)
{
    return put_nested(b, pd::keys::pod_ids, false, [&](bson_t* in) { return put(in, "$in", pod_ids); }) &&
           put_nested(b, pd::keys::id, false, [&](bson_t* ne) { return put(ne, "$ne", except); });
}

} // namespace pod_dispatcher_mongo::detail

#endif
