#ifndef POD_DISPATCHER_CONSUMER_TOY_STORE_HPP
#define POD_DISPATCHER_CONSUMER_TOY_STORE_HPP

// A user's own store, written against the Store concept alone: every document in a map,
// pods also in an ordered index by status and last_communicated (so that find_pods reads
// only the pods it finds), one lock for everything, and a unit of work that keeps a copy
// of the whole state to put back if the work fails. Correct, and small; not fast.

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <algorithm>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace toy {

namespace pd = pod_dispatcher;

class ToyStore {
public:
    // ---- Dispatchers.

    pd::Result<std::vector<pd::PodDispatcher>> find_dispatchers(const pd::Query& q)
    {
        const std::lock_guard lock{mutex_};
        std::vector<pd::PodDispatcher> found;
        for (const auto& [id, d] : state_.dispatchers) {
            if (pd::matches(q, d)) {
                found.push_back(d);
            }
        }
        return found;
    }

    pd::Result<std::optional<pd::PodDispatcher>> find_dispatcher(const pd::Query& q, const pd::Projection& p)
    {
        const std::lock_guard lock{mutex_};
        for (const auto& [id, d] : state_.dispatchers) {
            if (pd::matches(q, d)) {
                pd::PodDispatcher view = d;
                if (!p.pod_ids) {
                    view.pod_ids.clear();
                }
                view.task_ids.resize(std::min(p.max_task_ids, view.task_ids.size()));
                return view;
            }
        }
        return std::nullopt;
    }

    pd::Result<void> insert_dispatcher(const pd::PodDispatcher& d)
    {
        const std::lock_guard lock{mutex_};
        if (d.id.empty() || d.group_id.empty()) {
            return pd::Errc::invalid_argument;
        }
        if (state_.dispatchers.contains(d.id) || group_taken(d.group_id) || pod_taken(d.pod_ids, d.id)) {
            return pd::Errc::duplicate_key;
        }
        state_.dispatchers.emplace(d.id, d);
        return boost::outcome_v2::success();
    }

    pd::Result<bool> update_dispatcher(const pd::Query& q, const pd::DispatcherUpdate& u)
    {
        const std::lock_guard lock{mutex_};
        if (!pd::well_formed(u)) {
            return pd::Errc::invalid_argument;
        }
        // A query with no id, group or pod may match several: the first by id that u fits.
        for (auto& [id, d] : state_.dispatchers) {
            const bool fronted = u.dequeue.size() <= d.task_ids.size() &&
                                 std::equal(u.dequeue.begin(), u.dequeue.end(), d.task_ids.begin());
            if (!pd::matches(q, d) || !fronted) {
                continue;
            }
            if (pod_taken(u.pod_ids.value_or(u.add_pods), d.id)) {
                return pd::Errc::duplicate_key;
            }
            apply(d, u);
            return true;
        }
        return false;
    }

    // ---- Tasks, pods, project refs and events.

    pd::Result<std::optional<pd::Task>> find_task(std::string_view id) { return find_in(state_.tasks, id); }
    pd::Result<std::optional<pd::Task>> update_task(const pd::FieldUpdate<pd::Task>& u) { return update_in(state_.tasks, u); }
    pd::Result<void> insert_task(const pd::Task& task) { return insert_into(state_.tasks, task); }

    pd::Result<std::optional<pd::Pod>> find_pod(std::string_view id) { return find_in(state_.pods, id); }

    pd::Result<void> insert_pod(const pd::Pod& pod)
    {
        const std::lock_guard lock{mutex_};
        BOOST_OUTCOME_TRY(insert_into(state_.pods, pod));
        state_.pods_by_contact.insert(contact_key(pod));
        return boost::outcome_v2::success();
    }

    pd::Result<std::optional<pd::Pod>> update_pod(const pd::FieldUpdate<pd::Pod>& u)
    {
        const std::lock_guard lock{mutex_};
        const auto it = state_.pods.find(u.id);
        const std::optional<ContactKey> before =
            it == state_.pods.end() ? std::nullopt : std::optional{contact_key(it->second)};
        BOOST_OUTCOME_TRY(auto after, update_in(state_.pods, u));
        if (after) {
            state_.pods_by_contact.erase(*before);
            state_.pods_by_contact.insert(contact_key(*after));
        }
        return after;
    }

    /// Reads the index, never every pod.
    pd::Result<std::vector<pd::Pod>> find_pods(const pd::PodQuery& q)
    {
        const std::lock_guard lock{mutex_};
        std::vector<pd::Pod> found;
        const auto& index = state_.pods_by_contact;
        for (auto it = index.lower_bound(ContactKey{q.status, pd::Timestamp::min(), ""});
             it != index.end() && std::get<0>(*it) == q.status && std::get<1>(*it) < q.communicated_before; ++it) {
            found.push_back(state_.pods.find(std::get<2>(*it))->second);
        }
        return found;
    }

    pd::Result<std::optional<pd::ProjectRef>> find_project_ref(std::string_view id)
    {
        return find_in(state_.project_refs, id);
    }
    pd::Result<void> insert_project_ref(const pd::ProjectRef& ref) { return insert_into(state_.project_refs, ref); }

    pd::Result<void> insert_events(std::span<const pd::Event> events)
    {
        const std::lock_guard lock{mutex_};
        state_.events.insert(state_.events.end(), events.begin(), events.end());
        return boost::outcome_v2::success();
    }

    // ---- Units of work: the lock is held throughout, and a failure puts the copy back.

    template <class Work>
    pd::Result<void> atomically(Work&& work)
    {
        const std::lock_guard lock{mutex_};
        State before = state_;
        auto done = work();
        if (!done) {
            state_ = std::move(before);
        }
        return done;
    }

    static bool rolls_back() { return true; }

    pd::Result<pd::StoreContents> snapshot()
    {
        const std::lock_guard lock{mutex_};
        pd::StoreContents contents;
        for (const auto& [id, d] : state_.dispatchers) {
            contents.dispatchers.push_back(d);
        }
        values_into(state_.tasks, contents.tasks);
        values_into(state_.pods, contents.pods);
        values_into(state_.project_refs, contents.project_refs);
        contents.events = state_.events;
        pd::sort_contents(contents);
        return contents;
    }

private:
    template <class V>
    using Map = std::map<std::string, V, std::less<>>;

    /// A pod's entry in the index find_pods reads: (status, last_communicated, id).
    using ContactKey = std::tuple<pd::PodStatus, pd::Timestamp, std::string>;

    static ContactKey contact_key(const pd::Pod& pod) { return {pod.status, pod.last_communicated, pod.id}; }

    struct State {
        Map<pd::PodDispatcher> dispatchers;
        Map<pd::Task> tasks;
        Map<pd::Pod> pods;
        std::set<ContactKey> pods_by_contact;
        Map<pd::ProjectRef> project_refs;
        std::vector<pd::Event> events;
    };

    static void apply(pd::PodDispatcher& d, const pd::DispatcherUpdate& u)
    {
        d.pod_ids = u.pod_ids.value_or(d.pod_ids);
        d.pod_ids.insert(d.pod_ids.end(), u.add_pods.begin(), u.add_pods.end());
        d.task_ids = u.task_ids.value_or(d.task_ids);
        d.task_ids.erase(d.task_ids.begin(), d.task_ids.begin() + static_cast<std::ptrdiff_t>(u.dequeue.size()));
        const std::size_t at = std::min(u.enqueue_at.value_or(d.task_ids.size()), d.task_ids.size());
        d.task_ids.insert(d.task_ids.begin() + static_cast<std::ptrdiff_t>(at), u.enqueue.begin(), u.enqueue.end());
        d.modification_count += u.increment;
        d.last_modified = u.last_modified;
    }

    bool group_taken(std::string_view group_id) const
    {
        return std::ranges::any_of(state_.dispatchers, [&](const auto& entry) { return entry.second.group_id == group_id; });
    }

    /// Whether a dispatcher other than owner holds one of pods.
    bool pod_taken(const std::vector<std::string>& pods, std::string_view owner) const
    {
        return std::ranges::any_of(state_.dispatchers, [&](const auto& entry) {
            return entry.first != owner && std::ranges::find_first_of(entry.second.pod_ids, pods) != entry.second.pod_ids.end();
        });
    }

    template <class V>
    pd::Result<std::optional<V>> find_in(const Map<V>& map, std::string_view id)
    {
        const std::lock_guard lock{mutex_};
        const auto it = map.find(id);
        return it == map.end() ? std::optional<V>{} : std::optional<V>{it->second};
    }

    template <class V>
    pd::Result<void> insert_into(Map<V>& map, const V& value)
    {
        const std::lock_guard lock{mutex_};
        if (value.id.empty()) {
            return pd::Errc::invalid_argument;
        }
        if (!map.try_emplace(value.id, value).second) {
            return pd::Errc::duplicate_key;
        }
        return boost::outcome_v2::success();
    }

    template <class V>
    pd::Result<std::optional<V>> update_in(Map<V>& map, const pd::FieldUpdate<V>& u)
    {
        const std::lock_guard lock{mutex_};
        const auto it = map.find(u.id);
        if (it == map.end() || !pd::guard_holds(it->second, u)) {
            return std::optional<V>{};
        }
        pd::apply_changes(it->second, u);
        return std::optional<V>{it->second};
    }

    template <class V>
    static void values_into(const Map<V>& map, std::vector<V>& out)
    {
        for (const auto& [id, value] : map) {
            out.push_back(value);
        }
    }

    std::recursive_mutex mutex_;
    State state_;
};

static_assert(pd::Store<ToyStore>);

} // namespace toy

#endif
