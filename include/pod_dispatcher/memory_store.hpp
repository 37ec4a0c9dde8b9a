#ifndef POD_DISPATCHER_MEMORY_STORE_HPP
#define POD_DISPATCHER_MEMORY_STORE_HPP

// MemoryStore: the embedded Store, held in process memory.

#include <pod_dispatcher/detail/sharded_map.hpp>
#include <pod_dispatcher/detail/stored_dispatcher.hpp>
#include <pod_dispatcher/detail/unit_of_work.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/store_contents.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher {

/// A Store in process memory, safe to use from any number of threads at once. Every
/// call, and every unit of work passed to atomically, is linearizable. Lookups by id,
/// group id and pod id go through indexes; only Query{} scans.
class MemoryStore {
    // Runs body as one unit of work, or as part of the calling thread's current one.
    template <class Body>
    auto run(Body&& body)
    {
        return detail::run_unit(this, std::forward<Body>(body));
    }

public:
    MemoryStore() = default;
    MemoryStore(const MemoryStore&) = delete;
    MemoryStore& operator=(const MemoryStore&) = delete;

    // The Store concept (store.hpp says what each member does).

    Result<std::vector<PodDispatcher>> find_dispatchers(const Query& q)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::vector<PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, matching(unit, q));
            std::vector<PodDispatcher> views;
            views.reserve(found.size());
            for (const detail::StoredDispatcher* d : found) {
                views.push_back(d->view(d->queue_length()));
            }
            return views;
        });
    }

    Result<std::optional<PodDispatcher>> find_dispatcher(const Query& q, std::size_t max_task_ids)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::optional<PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, matching(unit, q));
            if (found.empty()) {
                return std::nullopt;
            }
            return found.front()->view(max_task_ids);
        });
    }

    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        return run([&](detail::UnitOfWork& unit) { return insert_stored(unit, detail::StoredDispatcher{d}); });
    }

    Result<ChangeInfo> update_dispatcher(const Query& q, const DispatcherUpdate& u)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<ChangeInfo> {
            BOOST_OUTCOME_TRY(auto found, matching(unit, q));
            const auto target = std::ranges::find_if(found, [&](const detail::StoredDispatcher* d) {
                return !u.dequeue || (d->front() != nullptr && *d->front() == *u.dequeue);
            });
            if (target == found.end()) {
                return ChangeInfo{};
            }
            BOOST_OUTCOME_TRY(apply(unit, **target, u));
            return ChangeInfo{1, 0, std::nullopt};
        });
    }

    Result<ChangeInfo> upsert_dispatcher(const Query& q, const DispatcherUpdate& u)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<ChangeInfo> {
            BOOST_OUTCOME_TRY(auto info, update_dispatcher(q, u));
            if (info.updated != 0) {
                return info;
            }
            PodDispatcher inserted{u.id, u.group_id, u.pod_ids.value_or(std::vector<std::string>{}),
                                   u.task_ids.value_or(std::vector<std::string>{}),
                                   q.modification_count.value_or(0) + u.increment, u.last_modified};
            BOOST_OUTCOME_TRY(insert_stored(unit, detail::StoredDispatcher{std::move(inserted)}));
            return ChangeInfo{1, 0, u.id};
        });
    }

    // The operations read a task or pod to update it, so those reads lock for writing;
    // project refs they only read.
    Result<std::optional<Task>> find_task(std::string_view id) { return find_in(tasks_, id, Intent::update); }
    Result<void> replace_task(const Task& before, const Task& after) { return replace_in(tasks_, before, after); }
    Result<std::optional<Pod>> find_pod(std::string_view id) { return find_in(pods_, id, Intent::update); }
    Result<void> insert_pod(Pod pod) { return insert_into(pods_, std::move(pod)); }
    Result<std::optional<Pod>> claim_pod(std::string_view id, const Task& task)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::optional<Pod>> {
            BOOST_OUTCOME_TRY(auto items, open(unit, pods_, id));
            const auto it = items->find(id);
            if (it == items->end() || !can_take_task(it->second)) {
                return std::nullopt;
            }
            Pod claimed = detail::running(it->second, task);
            unit.save(it->second); // moves the old value out
            it->second = claimed;
            return claimed;
        });
    }
    Result<std::optional<ProjectRef>> find_project_ref(std::string_view id)
    {
        return find_in(project_refs_, id, Intent::read);
    }

    Result<void> insert_events(std::vector<Event> events)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<void> {
            // Lock every log first, so that a lost race leaves nothing half appended.
            boost::container::small_vector<std::vector<Event>*, 4> logs;
            for (const Event& e : events) {
                BOOST_OUTCOME_TRY(auto items, open(unit, events_, e.resource_id));
                std::vector<Event>& log = (*items)[e.resource_id];
                if (log.empty()) {
                    // A task or pod mostly logs two events (allocated and dispatched; assigned
                    // and status changed): room for both at once.
                    log.reserve(2);
                }
                logs.push_back(&log);
            }
            for (std::size_t i = 0; i < events.size(); ++i) {
                logs[i]->push_back(std::move(events[i]));
                unit.on_rollback([log = logs[i]] { log->pop_back(); });
            }
            return boost::outcome_v2::success();
        });
    }

    /// Runs work() as one unit of work: all its writes through this store, or none.
    /// It may run more than once when it races other units. A unit started inside
    /// another on the same thread joins it.
    template <class F>
    Result<void> atomically(F&& work)
    {
        return run([&](detail::UnitOfWork&) -> Result<void> { return work(); });
    }

    // Seeding and inspection.

    Result<void> insert_task(Task task) { return insert_into(tasks_, std::move(task)); }
    Result<void> insert_project_ref(ProjectRef ref) { return insert_into(project_refs_, std::move(ref)); }

    /// Stores after only if the stored pod still equals before; as replace_task.
    Result<void> replace_pod(const Pod& before, const Pod& after) { return replace_in(pods_, before, after); }

    /// The events of one task or pod, oldest first.
    std::vector<Event> events_for(std::string_view resource_id)
    {
        auto events = find_in(events_, resource_id, Intent::read);
        return events && events.value() ? std::move(*events.value()) : std::vector<Event>{};
    }

    /// A consistent copy of everything stored.
    StoreContents snapshot()
    {
        return run([&](detail::UnitOfWork& unit) -> Result<StoreContents> {
            StoreContents contents;
            BOOST_OUTCOME_TRY(auto dispatchers, matching(unit, Query{}));
            for (const detail::StoredDispatcher* d : dispatchers) {
                contents.dispatchers.push_back(d->view(d->queue_length()));
            }
            std::ranges::sort(contents.dispatchers, {}, &PodDispatcher::id);
            BOOST_OUTCOME_TRY(collect(unit, tasks_, contents.tasks));
            BOOST_OUTCOME_TRY(collect(unit, pods_, contents.pods));
            BOOST_OUTCOME_TRY(collect(unit, project_refs_, contents.project_refs));
            std::vector<std::vector<Event>> logs;
            BOOST_OUTCOME_TRY(collect(unit, events_, logs));
            std::ranges::sort(logs, {}, [](const auto& log) { return log.empty() ? std::string{} : log.front().resource_id; });
            for (auto& log : logs) {
                contents.events.insert(contents.events.end(), log.begin(), log.end());
            }
            return contents;
        }).value();
    }

private:
    using DispatcherIndex = detail::ShardedMap<detail::StoredDispatcher*>;
    using Found = boost::container::small_vector<detail::StoredDispatcher*, 1>;

    /// What a unit will do with a shard: only read it (sharing the lock with other
    /// readers), or possibly update it.
    enum class Intent { read, update };

    /// Locks a shard for the rest of the unit.
    static Result<void> take(detail::UnitOfWork& unit, detail::ShardLock& lock, Intent intent)
    {
        if (!(intent == Intent::read ? unit.lock_shared(lock) : unit.lock(lock))) {
            // The unit lost a race; run_unit rolls it back and runs it again.
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

    /// Locks the shard that holds key for the rest of the unit.
    template <class V>
    static Result<typename detail::ShardedMap<V>::Map*> open(detail::UnitOfWork& unit, detail::ShardedMap<V>& map,
                                                             std::string_view key, Intent intent = Intent::update)
    {
        auto& shard = map.shard_for(key);
        BOOST_OUTCOME_TRY(take(unit, shard.lock, intent));
        return &shard.items;
    }

    template <class V>
    Result<std::optional<V>> find_in(detail::ShardedMap<V>& map, std::string_view id, Intent intent)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::optional<V>> {
            BOOST_OUTCOME_TRY(auto items, open(unit, map, id, intent));
            const auto it = items->find(id);
            if (it == items->end()) {
                return std::nullopt;
            }
            // Copied straight into the result, not through temporaries.
            return Result<std::optional<V>>{boost::outcome_v2::in_place_type<std::optional<V>>, it->second};
        });
    }

    template <class V>
    Result<void> insert_into(detail::ShardedMap<V>& map, V value)
    {
        if (value.id.empty()) {
            return Errc::invalid_argument;
        }
        return run([&](detail::UnitOfWork& unit) -> Result<void> {
            BOOST_OUTCOME_TRY(auto items, open(unit, map, value.id));
            const auto [it, inserted] = items->try_emplace(value.id, value);
            if (!inserted) {
                return Errc::duplicate_key;
            }
            unit.on_rollback([items, it] { items->erase(it); });
            return boost::outcome_v2::success();
        });
    }

    template <class V>
    Result<void> replace_in(detail::ShardedMap<V>& map, const V& before, const V& after)
    {
        if (before.id != after.id) {
            return Errc::invalid_argument;
        }
        return run([&](detail::UnitOfWork& unit) -> Result<void> {
            BOOST_OUTCOME_TRY(auto items, open(unit, map, after.id));
            const auto it = items->find(after.id);
            if (it == items->end()) {
                return Errc::not_found;
            }
            if (it->second != before) {
                return Errc::conflict;
            }
            unit.save(it->second);
            it->second = after;
            return boost::outcome_v2::success();
        });
    }

    /// Every value of map, in key order.
    template <class V>
    static Result<void> collect(detail::UnitOfWork& unit, detail::ShardedMap<V>& map, std::vector<V>& out)
    {
        std::vector<std::pair<std::string, V>> entries;
        for (auto& shard : map.shards()) {
            BOOST_OUTCOME_TRY(take(unit, shard.lock, Intent::read));
            entries.insert(entries.end(), shard.items.begin(), shard.items.end());
        }
        std::ranges::sort(entries, {}, &std::pair<std::string, V>::first);
        for (auto& entry : entries) {
            out.push_back(std::move(entry.second));
        }
        return boost::outcome_v2::success();
    }

    /// The stored dispatcher an index maps key to, with its shard locked, or nullptr.
    Result<detail::StoredDispatcher*> through(detail::UnitOfWork& unit, DispatcherIndex& index, std::string_view key)
    {
        BOOST_OUTCOME_TRY(auto entries, open(unit, index, key));
        const auto it = entries->find(key);
        if (it == entries->end()) {
            return nullptr;
        }
        BOOST_OUTCOME_TRY(open(unit, dispatchers_, it->second->doc.id));
        return it->second;
    }

    /// The dispatchers q matches, found by the most selective key it sets.
    Result<Found> matching(detail::UnitOfWork& unit, const Query& q)
    {
        Found found;
        if (q.id || q.group_id || q.pod_id) {
            detail::StoredDispatcher* d = nullptr;
            if (q.id) {
                BOOST_OUTCOME_TRY(auto items, open(unit, dispatchers_, *q.id));
                const auto it = items->find(*q.id);
                d = it == items->end() ? nullptr : &it->second;
            } else {
                BOOST_OUTCOME_TRY(d, q.group_id ? through(unit, groups_, *q.group_id)
                                                : through(unit, pod_owners_, *q.pod_id));
            }
            if (d != nullptr && matches(q, d->doc)) {
                found.push_back(d);
            }
            return found;
        }
        for (auto& shard : dispatchers_.shards()) {
            BOOST_OUTCOME_TRY(take(unit, shard.lock, Intent::update));
            for (auto& [id, d] : shard.items) {
                if (matches(q, d.doc)) {
                    found.push_back(&d);
                }
            }
        }
        return found;
    }

    /// Locks the owner entries of pods; Errc::duplicate_key when another dispatcher than
    /// owner holds one of them.
    Result<void> check_pods_free(detail::UnitOfWork& unit, const detail::StoredDispatcher* owner,
                                 const std::vector<std::string>& pods)
    {
        for (const std::string& pod : pods) {
            BOOST_OUTCOME_TRY(auto owners, open(unit, pod_owners_, pod));
            const auto it = owners->find(pod);
            if (it != owners->end() && it->second != owner) {
                return Errc::duplicate_key;
            }
        }
        return boost::outcome_v2::success();
    }

    /// Points the owner entries of pods at d (their shards are locked already).
    void index_pods(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const std::vector<std::string>& pods)
    {
        for (const std::string& pod : pods) {
            auto& owners = pod_owners_.shard_for(pod).items;
            if (owners.try_emplace(pod, &d).second) {
                unit.on_rollback([&owners, pod] { owners.erase(pod); });
            }
        }
    }

    /// Removes the owner entries of pods (their shards are locked already).
    void unindex_pods(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const std::vector<std::string>& pods)
    {
        for (const std::string& pod : pods) {
            auto& owners = pod_owners_.shard_for(pod).items;
            if (owners.erase(pod) != 0) {
                unit.on_rollback([&owners, &d, pod] { owners.try_emplace(pod, &d); });
            }
        }
    }

    Result<void> insert_stored(detail::UnitOfWork& unit, detail::StoredDispatcher stored)
    {
        const PodDispatcher& doc = stored.doc;
        if (doc.id.empty() || doc.group_id.empty()) {
            return Errc::invalid_argument;
        }
        BOOST_OUTCOME_TRY(auto items, open(unit, dispatchers_, doc.id));
        BOOST_OUTCOME_TRY(auto groups, open(unit, groups_, doc.group_id));
        BOOST_OUTCOME_TRY(check_pods_free(unit, nullptr, doc.pod_ids));
        if (items->contains(doc.id) || groups->contains(doc.group_id)) {
            return Errc::duplicate_key;
        }
        const auto [it, inserted] = items->try_emplace(doc.id, std::move(stored));
        unit.on_rollback([items, it] { items->erase(it); });
        detail::StoredDispatcher& d = it->second;
        groups->try_emplace(d.doc.group_id, &d);
        unit.on_rollback([groups, group = d.doc.group_id] { groups->erase(group); });
        index_pods(unit, d, d.doc.pod_ids);
        return boost::outcome_v2::success();
    }

    Result<void> apply(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const DispatcherUpdate& u)
    {
        if (u.pod_ids) {
            BOOST_OUTCOME_TRY(check_pods_free(unit, &d, *u.pod_ids));
            BOOST_OUTCOME_TRY(check_pods_free(unit, &d, d.doc.pod_ids));
        }
        unit.on_rollback([&d, count = d.doc.modification_count, at = d.doc.last_modified] {
            d.doc.modification_count = count;
            d.doc.last_modified = at;
        });
        if (u.pod_ids) {
            unindex_pods(unit, d, d.doc.pod_ids);
            unit.save(d.doc.pod_ids);
            d.doc.pod_ids = *u.pod_ids;
            index_pods(unit, d, d.doc.pod_ids);
        }
        if (u.task_ids) {
            unit.save(d.doc.task_ids);
            unit.save(d.head);
            d.replace_queue(*u.task_ids);
        }
        if (u.dequeue) {
            d.dequeue();
            unit.on_rollback([&d, task_id = *u.dequeue] { d.undo_dequeue(task_id); });
        }
        d.doc.modification_count += u.increment;
        d.doc.last_modified = u.last_modified;
        return boost::outcome_v2::success();
    }

    detail::ShardedMap<detail::StoredDispatcher> dispatchers_;
    DispatcherIndex groups_;     ///< group id -> its dispatcher
    DispatcherIndex pod_owners_; ///< pod id -> the dispatcher holding it
    detail::ShardedMap<Task> tasks_;
    detail::ShardedMap<Pod> pods_;
    detail::ShardedMap<ProjectRef> project_refs_;
    detail::ShardedMap<std::vector<Event>> events_;
};

static_assert(Store<MemoryStore>);

} // namespace pod_dispatcher

#endif
