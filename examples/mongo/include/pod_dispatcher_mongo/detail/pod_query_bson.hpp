#ifndef POD_DISPATCHER_MONGO_DETAIL_POD_QUERY_BSON_HPP
#define POD_DISPATCHER_MONGO_DETAIL_POD_QUERY_BSON_HPP

// The filter of find_pods: the pods of one status heard from before a time.

#include <pod_dispatcher_mongo/detail/bson_codec.hpp>

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/query.hpp>

#include <bson/bson.h>

#include <string_view>

namespace pod_dispatcher_mongo::detail {

inline constexpr std::string_view pod_status = stored_name_of(&pd::Pod::status);
inline constexpr std::string_view pod_last_communicated = stored_name_of(&pd::Pod::last_communicated);

/// {status: s, last_communicated: {$lt: t}}: the pods q matches that have a time stored.
inline bool put_heard_before(bson_t* b, const pd::PodQuery& q)
{
    return put(b, pod_status, q.status) && put_nested(b, pod_last_communicated, false, [&](bson_t* lt) {
               // Always a date, the epoch included: put leaves an unset time out.
               return bson_append_date_time(lt, "$lt", 3, q.communicated_before.time_since_epoch().count());
           });
}

/// The pods q matches. An unset last_communicated is stored as no field (or as null, by
/// another client), and is earlier than any set time: when q's time is later than the
/// unset one, {$or: [{status: s, last_communicated: {$lt: t}}, {status: s,
/// last_communicated: null}]}, where null matches a missing field too. Each branch names
/// the status, so that the index on (status, last_communicated) answers both.
inline bool put_pod_query(bson_t* b, const pd::PodQuery& q)
{
    if (q.communicated_before <= pd::Timestamp{}) {
        return put_heard_before(b, q);
    }
    return put_nested(b, "$or", true, [&](bson_t* branches) {
        return put_nested(branches, "0", false, [&](bson_t* heard) { return put_heard_before(heard, q); }) &&
               put_nested(branches, "1", false, [&](bson_t* never) {
                   return put(never, pod_status, q.status) && put_null(never, pod_last_communicated);
               });
    });
}

} // namespace pod_dispatcher_mongo::detail

#endif
