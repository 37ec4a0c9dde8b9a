#ifndef POD_DISPATCHER_MONGO_DETAIL_POD_BSON_HPP
#define POD_DISPATCHER_MONGO_DETAIL_POD_BSON_HPP

// The filter and update of MongoStore::claim_pod.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>

#include <pod_dispatcher/documents.hpp>

#include <bson/bson.h>

#include <string_view>

namespace pod_dispatcher_mongo::detail {

/// {_id, status: "running", running_task_id: {$in: ["", null]}}: the pod, if it can take
/// a task (pod_dispatcher::can_take_task). Another client may leave the field out.
inline bool put_claimable_pod_filter(bson_t* b, std::string_view id)
{
    return put(b, "_id", id) && put(b, "status", pd::PodStatus::running)
        && put_nested(b, "running_task_id", false, [](bson_t* in) {
               return put_nested(in, "$in", true,
                                 [](bson_t* values) {
                                     return put(values, "0", std::string_view{}) && bson_append_null(values, "1", 1);
                                 });
           });
}

/// {$set: {status: "decommissioned", running_task_id, running_task_execution}}: the pod
/// running task, as the Store concept's claim_pod says.
inline bool put_claim(bson_t* b, const pd::Task& task)
{
    return put_nested(b, "$set", false, [&](bson_t* set) {
        return put(set, "status", pd::PodStatus::decommissioned) && put(set, "running_task_id", task.id)
            && put(set, "running_task_execution", task.execution);
    });
}

} // namespace pod_dispatcher_mongo::detail

#endif
