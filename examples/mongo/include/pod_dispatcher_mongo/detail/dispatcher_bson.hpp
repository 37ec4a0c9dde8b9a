#ifndef POD_DISPATCHER_MONGO_DETAIL_DISPATCHER_BSON_HPP
#define POD_DISPATCHER_MONGO_DETAIL_DISPATCHER_BSON_HPP

// The filters and update documents of dispatcher writes.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <bson/bson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher_mongo::detail {

/// Appends an equality condition for each member q sets.
inline bool put_query(bson_t* b, const pd::Query& q)
{
    return (!q.id || put(b, pd::keys::id, *q.id)) && (!q.group_id || put(b, pd::keys::group_id, *q.group_id))
        && (!q.pod_id || put(b, pd::keys::pod_ids, *q.pod_id))
        && (!q.modification_count || put(b, pd::keys::modification_count, *q.modification_count));
}

/// The filter of update_dispatcher: q, and the queue's front when u dequeues.
inline bool put_update_filter(bson_t* b, const pd::Query& q, const pd::DispatcherUpdate& u)
{
    static constexpr std::string_view front = "task_ids.0";
    static_assert(front.starts_with(pd::keys::task_ids));
    return put_query(b, q) && (!u.dequeue || put(b, front, *u.dequeue));
}

/// Appends the update operator name with the fields fill writes, unless it would be empty.
template <class Fill>
bool put_operator(bson_t* b, std::string_view name, bool nonempty, Fill&& fill)
{
    return !nonempty || put_nested(b, name, false, std::forward<Fill>(fill));
}

/// The queue u sets: its task_ids, less the front when it also dequeues (as if the
/// queue were replaced, then dequeued).
inline std::vector<std::string> queue_set_by(const pd::DispatcherUpdate& u)
{
    std::vector<std::string> queue = u.task_ids.value_or(std::vector<std::string>{});
    if (u.dequeue && !queue.empty()) {
        queue.erase(queue.begin());
    }
    return queue;
}

/// {$set: {pod_ids, task_ids, last_modified}, $inc: {modification_count}, $pop: {task_ids: -1}},
/// each part only when u asks for it.
inline bool put_changes(bson_t* b, const pd::DispatcherUpdate& u)
{
    return put_operator(b, "$set", u.pod_ids || u.task_ids || u.last_modified != pd::Timestamp{},
                        [&](bson_t* set) {
                            return (!u.pod_ids || put(set, pd::keys::pod_ids, *u.pod_ids))
                                && (!u.task_ids || put(set, pd::keys::task_ids, queue_set_by(u)))
                                && put(set, pd::keys::last_modified, u.last_modified);
                        })
        && put_operator(b, "$inc", true,
                        [&](bson_t* inc) { return put(inc, pd::keys::modification_count, u.increment); })
        && put_operator(b, "$pop", u.dequeue && !u.task_ids,
                        [&](bson_t* pop) { return put(pop, pd::keys::task_ids, -1); });
}

/// put_changes, plus what an upsert that inserts needs besides the filter's equalities:
/// the id and group q does not fix, and the pods and queue u does not set. Those start
/// empty through {$push: {field: {$each: []}}}, which changes no stored array, because
/// FerretDB drops an empty array given to $setOnInsert.
inline bool put_upsert_changes(bson_t* b, const pd::Query& q, const pd::DispatcherUpdate& u)
{
    const std::vector<std::string> none;
    const bool queried_pod = !u.pod_ids && q.pod_id;
    const bool empty_pods = !u.pod_ids && !q.pod_id;
    const auto put_empty = [&](bson_t* push, std::string_view key) {
        return put_nested(push, key, false, [&](bson_t* each) { return put(each, "$each", none); });
    };
    return put_changes(b, u)
        && put_operator(b, "$setOnInsert", !q.id || !q.group_id || queried_pod,
                        [&](bson_t* insert) {
                            return (q.id || put(insert, pd::keys::id, u.id))
                                && (q.group_id || put(insert, pd::keys::group_id, u.group_id))
                                && (!queried_pod || put(insert, pd::keys::pod_ids, std::vector{*q.pod_id}));
                        })
        && put_operator(b, "$push", empty_pods || !u.task_ids, [&](bson_t* push) {
               return (!empty_pods || put_empty(push, pd::keys::pod_ids))
                   && (u.task_ids || put_empty(push, pd::keys::task_ids));
           });
}

/// {pod_ids: {$in: pod_ids}}: the dispatchers holding any of the pods.
inline bool put_holders_filter(bson_t* b, const std::vector<std::string>& pod_ids)
{
    return put_nested(b, pd::keys::pod_ids, false, [&](bson_t* in) { return put(in, "$in", pod_ids); });
}

} // namespace pod_dispatcher_mongo::detail

#endif
