#ifndef POD_DISPATCHER_SQL_STORE_MEMBERS_HPP
#define POD_DISPATCHER_SQL_STORE_MEMBERS_HPP

// The members of the Store concept that SQL stores run alike, each as a unit of the
// store's on the store's own row operations: all but the reads of dispatchers, which each
// store makes its own way. And the conformance kit's seeding members.

#include <pod_dispatcher_sql/transactions.hpp>

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/update.hpp>

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace pod_dispatcher_sql {

/// Derived (which befriends this class) has `read(body)` and `write(body, refusal)`, which
/// run body(connection) as a read or as a write of its own (or as part of the unit its
/// thread runs; refusal, transactions.hpp, says whether the member may refuse there), and
/// return what body returned. The row operations are called unqualified, so
/// that they are found in the namespace of the store's Connection:
/// - `insert_dispatcher_rows(c, d)`, `update_dispatcher_rows(c, q, u)`: as
///   Store::insert_dispatcher and update_dispatcher;
/// - `find_pod_rows(c, q)`: as Store::find_pods;
/// - `append_events(c, events)`, for events not empty; `events_of(c, resource_id)`;
/// - for each kind of document D: `find_document<D>(c, id)`, `insert_document(c, doc)`
///   (Errc::duplicate_key for a stored id, Errc::invalid_argument for an empty one),
///   `update_document(c, u)` (as Store::update_task).
template <class Derived>
class StoreMembers {
public:
    pod_dispatcher::Result<void> insert_dispatcher(const pod_dispatcher::PodDispatcher& d)
    {
        return self().write([&](auto& c) { return insert_dispatcher_rows(c, d); }, Refusal::possible);
    }
    /// Only pods written may meet a unique index: a queue's rows are numbered under the
    /// dispatcher's lock.
    pod_dispatcher::Result<bool> update_dispatcher(const pod_dispatcher::Query& q,
                                                   const pod_dispatcher::DispatcherUpdate& u)
    {
        const bool writes_pods = u.pod_ids || !u.add_pods.empty();
        return self().write([&](auto& c) { return update_dispatcher_rows(c, q, u); },
                            writes_pods ? Refusal::possible : Refusal::impossible);
    }

    pod_dispatcher::Result<std::optional<pod_dispatcher::Task>> find_task(std::string_view id)
    {
        return find<pod_dispatcher::Task>(id);
    }
    pod_dispatcher::Result<std::optional<pod_dispatcher::Task>>
    update_task(const pod_dispatcher::FieldUpdate<pod_dispatcher::Task>& u)
    {
        return update(u);
    }
    pod_dispatcher::Result<std::optional<pod_dispatcher::Pod>> find_pod(std::string_view id)
    {
        return find<pod_dispatcher::Pod>(id);
    }
    /// Reads an index on the pods' status and last_communicated, not every pod.
    pod_dispatcher::Result<std::vector<pod_dispatcher::Pod>> find_pods(const pod_dispatcher::PodQuery& q)
    {
        return self().read([&](auto& c) { return find_pod_rows(c, q); });
    }
    pod_dispatcher::Result<void> insert_pod(const pod_dispatcher::Pod& pod) { return insert(pod); }
    pod_dispatcher::Result<std::optional<pod_dispatcher::Pod>>
    update_pod(const pod_dispatcher::FieldUpdate<pod_dispatcher::Pod>& u)
    {
        return update(u);
    }
    pod_dispatcher::Result<std::optional<pod_dispatcher::ProjectRef>> find_project_ref(std::string_view id)
    {
        return find<pod_dispatcher::ProjectRef>(id);
    }

    pod_dispatcher::Result<void> insert_events(std::span<const pod_dispatcher::Event> events)
    {
        if (events.empty()) {
            return boost::outcome_v2::success();
        }
        return self().write([&](auto& c) { return append_events(c, events); }, Refusal::impossible);
    }

    /// Runs work() as one unit of work: all its writes through this store, or none. The
    /// store reruns it only after a failure of its own (its documentation says which),
    /// never after an error work returned. A unit started inside another on the same
    /// thread joins it.
    template <class F>
    pod_dispatcher::Result<void> atomically(F&& work)
    {
        return self().write([&](auto&) -> pod_dispatcher::Result<void> { return work(); }, Refusal::possible);
    }

    // ---- Seeding and inspection (pod_dispatcher::testing::TestableStore), for the system
    // that owns tasks, pods and projects.

    pod_dispatcher::Result<void> insert_task(const pod_dispatcher::Task& task) { return insert(task); }
    pod_dispatcher::Result<void> insert_project_ref(const pod_dispatcher::ProjectRef& ref) { return insert(ref); }

    /// The events of one task or pod, oldest first.
    pod_dispatcher::Result<std::vector<pod_dispatcher::Event>> events_for(std::string_view resource_id)
    {
        return self().read([&](auto& c) { return events_of(c, resource_id); });
    }

private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }

    template <class D>
    pod_dispatcher::Result<std::optional<D>> find(std::string_view id)
    {
        return self().read([&](auto& c) { return find_document<D>(c, id); });
    }

    template <class D>
    pod_dispatcher::Result<void> insert(const D& doc)
    {
        return self().write([&](auto& c) { return insert_document(c, doc); }, Refusal::possible);
    }

    template <class D>
    pod_dispatcher::Result<std::optional<D>> update(const pod_dispatcher::FieldUpdate<D>& u)
    {
        return self().write([&](auto& c) { return update_document(c, u); }, Refusal::impossible);
    }
};

} // namespace pod_dispatcher_sql

#endif
