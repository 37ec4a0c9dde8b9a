#ifndef POD_DISPATCHER_OPERATIONS_UPSERT_HPP
#define POD_DISPATCHER_OPERATIONS_UPSERT_HPP

// Writing whole dispatchers: insert, upsert_one and upsert_atomically.

#include <pod_dispatcher/detail/operations/id.hpp>
#include <pod_dispatcher/detail/operations/transitions.hpp>
#include <pod_dispatcher/detail/operations/validate.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/update.hpp>

#include <string>
#include <utility>
#include <vector>

namespace pod_dispatcher {

/// A dispatcher that is not stored yet: a fresh unique id, modification_count 0.
inline PodDispatcher new_pod_dispatcher(std::string group_id, std::vector<std::string> task_ids,
                                        std::vector<std::string> pod_ids)
{
    return PodDispatcher{detail::generate_id(), std::move(group_id), std::move(pod_ids), std::move(task_ids), 0, {}};
}

namespace detail {

/// Errc::conflict when the dispatcher q names by id exists (the insert collided with the
/// very dispatcher q asked for, in a newer version), else the duplicate_key it met.
template <Store S>
Result<void> explain_collision(S& store, const Query& q)
{
    if (q.id) {
        BOOST_OUTCOME_TRY(auto stored, store.find_dispatcher(by_id(*q.id), Projection{false, 0}));
        if (stored) {
            return Errc::conflict;
        }
    }
    return Errc::duplicate_key;
}

/// Applies u to the dispatcher q matches, or inserts the one u describes.
template <Store S>
Result<ChangeInfo> upsert(S& store, const Query& q, const DispatcherUpdate& u)
{
    ChangeInfo info;
    BOOST_OUTCOME_TRY(store.atomically([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(bool updated, store.update_dispatcher(q, u));
        if (updated) {
            info = ChangeInfo{1, 0, std::nullopt};
            return boost::outcome_v2::success();
        }
        auto inserted = store.insert_dispatcher(inserted_by(q, u));
        if (!inserted && inserted.error() == Errc::duplicate_key) {
            return explain_collision(store, q);
        }
        BOOST_OUTCOME_TRY(inserted);
        info = ChangeInfo{1, 0, u.id};
        return boost::outcome_v2::success();
    }));
    return info;
}

} // namespace detail

/// Applies update to the dispatcher q matches, or inserts the one update describes with
/// modification_count = q's count + update.increment. A stale q is Errc::conflict when it
/// names a stored dispatcher's id, else duplicate_key if the insert collides.
template <Store S>
Result<ChangeInfo> upsert_one(S& store, const Query& q, const DispatcherUpdate& update)
{
    BOOST_OUTCOME_TRY(detail::check_query(q));
    BOOST_OUTCOME_TRY(detail::check_upsert(update));
    return detail::upsert(store, q, update);
}

namespace detail {

template <class S>
struct InsertDispatcher {
    static_assert(Store<S>, "PodDispatcher::insert needs a pod_dispatcher::Store");

    static Result<void> run(S& store, const PodDispatcher& d)
    {
        BOOST_OUTCOME_TRY(check_dispatcher(d));
        return store.insert_dispatcher(d);
    }
};

template <class S>
struct UpsertAtomically {
    static_assert(Store<S>, "PodDispatcher::upsert_atomically needs a pod_dispatcher::Store");

    static Result<ChangeInfo> run(S& store, PodDispatcher& d)
    {
        BOOST_OUTCOME_TRY(check_dispatcher(d));
        const Timestamp at = now();
        BOOST_OUTCOME_TRY(auto info, upsert(store, version_of(d), replacing(d, at)));
        advance(d, at);
        return info;
    }
};

} // namespace detail

} // namespace pod_dispatcher

#endif
