#ifndef POD_DISPATCHER_MEMORY_STORE_HPP
#define POD_DISPATCHER_MEMORY_STORE_HPP

// MemoryStore: the embedded Store, held in process memory.

#include <pod_dispatcher/detail/memory_store/published_refs.hpp>
#include <pod_dispatcher/detail/memory_store/stored_dispatcher.hpp>
#include <pod_dispatcher/detail/memory_store/stripes.hpp>
#include <pod_dispatcher/detail/memory_store/unit_of_work.hpp>
#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/update.hpp>

#include <boost/container/small_vector.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pod_dispatcher {

/// How a MemoryStore keeps units of work apart.
enum class Isolation {
    /// Every unit is linearizable: it holds everything it read or wrote until it ends.
    serializable,
    /// A unit holds what it wrote until it ends, but lets go of what it only read as soon
    /// as the read is done, as a database at READ COMMITTED does: other units may change
    /// it before this one writes. For testing that the operations need no more (store.hpp).
    read_committed,
};

/// A Store in process memory, safe to use from any number of threads at once. Every
/// call, and every unit of work passed to atomically, is linearizable (unless made with
/// Isolation::read_committed), and a unit that fails leaves nothing written. Lookups by
/// id, group id and pod id go through indexes; only Query{} scans.
class MemoryStore {
    // Runs body as one unit of work, or as part of the calling thread's current one.
    template <class Body>
    auto run(Body&& body)
    {
        return detail::run_unit(this, std::forward<Body>(body));
    }

    // run, for a body that only reads: at READ COMMITTED, a read inside a unit lets go of
    // its locks when it is done.
    template <class Body>
    auto read(Body&& body)
    {
        detail::UnitOfWork* unit = isolation_ == Isolation::read_committed ? detail::UnitOfWork::current(this) : nullptr;
        if (unit == nullptr) {
            return run(std::forward<Body>(body));
        }
        const std::size_t held = unit->locks_held();
        auto result = body(*unit);
        unit->release_since(held);
        return result;
    }

public:
    MemoryStore() = default;
    explicit MemoryStore(Isolation isolation) noexcept : isolation_(isolation) {}
    MemoryStore(const MemoryStore&) = delete;
    MemoryStore& operator=(const MemoryStore&) = delete;

    // ---- The Store concept (store.hpp says what each member does).

    Result<std::vector<PodDispatcher>> find_dispatchers(const Query& q)
    {
        return read([&](detail::UnitOfWork& unit) -> Result<std::vector<PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, matching(unit, q));
            std::vector<PodDispatcher> views;
            views.reserve(found.size());
            for (const detail::StoredDispatcher* d : found) {
                views.push_back(d->view(Projection{}));
            }
            return views;
        });
    }

    Result<std::optional<PodDispatcher>> find_dispatcher(const Query& q, const Projection& p)
    {
        return read([&](detail::UnitOfWork& unit) -> Result<std::optional<PodDispatcher>> {
            BOOST_OUTCOME_TRY(auto found, matching(unit, q));
            if (found.empty()) {
                return std::nullopt;
            }
            return found.front()->view(p);
        });
    }

    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        return run([&](detail::UnitOfWork& unit) { return insert_stored(unit, d); });
    }

    Result<bool> update_dispatcher(const Query& q, const DispatcherUpdate& u)
    {
        if (!well_formed(u)) {
            return Errc::invalid_argument;
        }
        return run([&](detail::UnitOfWork& unit) -> Result<bool> {
            BOOST_OUTCOME_TRY(auto found, matching(unit, q));
            if (found.size() > 1) { // a query without id, group or pod: the first by id
                std::ranges::sort(found, {}, [](const detail::StoredDispatcher* d) { return std::string_view(d->doc.id); });
            }
            for (detail::StoredDispatcher* d : found) {
                if (d->starts_with(u.dequeue)) {
                    BOOST_OUTCOME_TRY(apply(unit, *d, u));
                    return true;
                }
            }
            return false;
        });
    }

    Result<std::optional<Task>> find_task(std::string_view id) { return find_in(&detail::Stripe::tasks, id, Intent::update); }
    Result<std::optional<Task>> update_task(const FieldUpdate<Task>& u) { return update_in(&detail::Stripe::tasks, u); }

    Result<std::optional<Pod>> find_pod(std::string_view id) { return find_in(&detail::Stripe::pods, id, Intent::update); }

    /// Reads each stripe as its last committed unit left it, not all of them at one moment:
    /// it locks only the stripes whose pods' ages say they hold a match, so that finding a
    /// few stale pods costs the same among many live ones as among few.
    Result<std::vector<Pod>> find_pods(const PodQuery& q)
    {
        return read([&](detail::UnitOfWork& unit) -> Result<std::vector<Pod>> {
            std::vector<Pod> found;
            for (std::size_t i = 0; i < detail::Stripes::count; ++i) {
                if (!(stripes_.pod_ages().oldest(q.status, i) < q.communicated_before)) {
                    continue;
                }
                BOOST_OUTCOME_TRY(auto stripe, open_at(unit, i, Intent::read));
                stripe->pod_index.for_each_match(q, [&](std::string_view id) { found.push_back(stripe->pods.find(id)->second); });
            }
            return found;
        });
    }

    Result<void> insert_pod(const Pod& pod) { return insert_into(&detail::Stripe::pods, pod); }
    Result<std::optional<Pod>> update_pod(const FieldUpdate<Pod>& u) { return update_in(&detail::Stripe::pods, u); }

    // A committed ref is read without a lock (published_refs.hpp says why); any other
    // under a lock that units share, since the operations only read project refs.
    Result<std::optional<ProjectRef>> find_project_ref(std::string_view id)
    {
        if (const ProjectRef* ref = published_refs_.find(detail::HashedKey{id})) {
            return std::optional<ProjectRef>{*ref};
        }
        return find_in(&detail::Stripe::project_refs, id, Intent::read);
    }

    /// The events are stored when the unit of work commits: events_for and snapshot called
    /// inside that unit do not see them yet.
    Result<void> insert_events(std::span<const Event> events)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<void> {
            for (auto first = events.begin(); first != events.end();) {
                // A resource's events come in a row (a dispatch's pod has two): its stripe
                // is found and locked once for them, and its log once.
                const auto last = std::find_if(first, events.end(), [&](const Event& e) { return e.resource_id != first->resource_id; });
                const std::size_t index = detail::Stripes::index_of(detail::HashedKey{first->resource_id});
                BOOST_OUTCOME_TRY(open_at(unit, index));
                detail::SharedEventLog& log = stripes_.event_log_of(index);
                log.append(std::span<const Event>(first, last), unit.on_rollback_emplace<TakeBackEvents>(log).appended);
                first = last;
            }
            return boost::outcome_v2::success();
        });
    }

    /// Runs work() as one unit of work: all its writes through this store, or none.
    /// It may run more than once when it loses a race for a lock, never after work
    /// returned an error. A unit started inside another on the same thread joins it.
    template <class F>
    Result<void> atomically(F&& work)
    {
        return run([&](detail::UnitOfWork&) -> Result<void> { return work(); });
    }

    /// Always true: a unit of work that fails leaves nothing written.
    static constexpr bool rolls_back() noexcept { return true; }

    // ---- Seeding and inspection, for the system that owns tasks, pods and projects.

    /// Errc::duplicate_key for a stored id; Errc::invalid_argument for an empty one.
    Result<void> insert_task(const Task& task) { return insert_into(&detail::Stripe::tasks, task); }
    Result<void> insert_project_ref(const ProjectRef& ref) { return insert_into(&detail::Stripe::project_refs, ref); }

    /// The events of one task or pod, oldest first.
    std::vector<Event> events_for(std::string_view resource_id)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::vector<Event>> {
                   std::vector<Event> found;
                   const std::size_t index = detail::Stripes::index_of(detail::HashedKey{resource_id});
                   BOOST_OUTCOME_TRY(open_at(unit, index, Intent::read));
                   stripes_.event_log_of(index).for_each([&](const Event& e) {
                       if (e.resource_id == resource_id) {
                           found.push_back(e);
                       }
                   });
                   return found;
               })
            .value();
    }

    // ---- For a process that runs for weeks: memory that tracks the live work.

    /// Takes every event recorded so far out of the store, each task's and pod's in the
    /// order they were appended. A process that keeps events elsewhere drains them now and
    /// then, so that they do not pile up here.
    std::vector<Event> drain_events()
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::vector<Event>> {
                   BOOST_OUTCOME_TRY(lock_all(unit, Intent::update));
                   std::vector<Event> drained;
                   for (detail::SharedEventLog& log : stripes_.event_logs()) {
                       log.events.drain_into(drained);
                   }
                   return drained;
               })
            .value();
    }

    /// What forget_finished dropped.
    struct Forgotten {
        std::size_t dispatchers = 0;
        std::size_t pods = 0;
        std::size_t tasks = 0;

        bool operator==(const Forgotten&) const = default;
    };

    /// Drops what no live work needs any more: dispatchers with neither pods nor queued
    /// tasks, terminated pods that no dispatcher holds, and finished tasks (succeeded or
    /// failed) that no queue holds and no stored pod runs or ran last (a single-host group
    /// reads its pod's last task). Gives back the room the indexes kept for what is gone.
    Forgotten forget_finished()
    {
        return run([&](detail::UnitOfWork& unit) -> Result<Forgotten> {
                   BOOST_OUTCOME_TRY(lock_all(unit, Intent::update));
                   Forgotten dropped;
                   dropped.dispatchers = forget_idle_dispatchers();
                   dropped.pods = forget_terminated_pods();
                   dropped.tasks = forget_finished_tasks();
                   for (detail::Stripe& stripe : stripes_.all()) {
                       stripe.shrink_to_fit();
                   }
                   return dropped;
               })
            .value();
    }

    /// A consistent copy of everything stored, in StoreContents' order.
    Result<StoreContents> snapshot()
    {
        return run([&](detail::UnitOfWork& unit) -> Result<StoreContents> {
            StoreContents contents;
            BOOST_OUTCOME_TRY(lock_all(unit, Intent::read));
            for (detail::Stripe& stripe : stripes_.all()) {
                for (const auto& [id, d] : stripe.dispatchers) {
                    contents.dispatchers.push_back(d.view(Projection{}));
                }
                append_values(stripe.tasks, contents.tasks);
                append_values(stripe.pods, contents.pods);
                append_values(stripe.project_refs, contents.project_refs);
            }
            // Every stripe is held: no unit is appending events.
            for (detail::SharedEventLog& log : stripes_.event_logs()) {
                log.events.for_each([&](const Event& e) { contents.events.push_back(e); });
            }
            sort_contents(contents);
            return contents;
        });
    }

private:
    using Found = boost::container::small_vector<detail::StoredDispatcher*, 1>;

    /// Takes back the events a unit appended to one log.
    struct TakeBackEvents {
        detail::SharedEventLog& log;
        // Room for a dispatch's pod's two events in the unit's arena.
        boost::container::small_vector<detail::LoggedEvent*, 2> appended{};

        void operator()() noexcept { log.take_back(appended); }
    };

    /// An undo action that keeps only the fields a write changes, moved aside, not the
    /// whole document.
    template <class V>
    class FieldsRestore {
    public:
        FieldsRestore(V& stored, FieldSet<V> fields) : stored_(stored), fields_(fields)
        {
            fields_.for_each([&](const auto& f) { old_.*f.member = std::move(stored_.*f.member); });
        }

        void operator()()
        {
            fields_.for_each([&](const auto& f) { stored_.*f.member = std::move(old_.*f.member); });
        }

    private:
        V& stored_;
        FieldSet<V> fields_;
        V old_{};
    };

    /// What a unit will do with a stripe: only read it (sharing the lock with other
    /// readers), or possibly update it.
    enum class Intent { read, update };

    /// Locks l for the rest of the unit.
    static Result<void> take(detail::UnitOfWork& unit, detail::StripeLock& l, Intent intent)
    {
        if (!(intent == Intent::read ? unit.lock_shared(l) : unit.lock(l))) {
            // The unit lost a race; run_unit rolls it back and runs it again.
            return Errc::conflict;
        }
        return boost::outcome_v2::success();
    }

    /// The stripe at index, locked for the rest of the unit.
    Result<detail::Stripe*> open_at(detail::UnitOfWork& unit, std::size_t index, Intent intent = Intent::update)
    {
        detail::Stripe& stripe = stripes_[index];
        BOOST_OUTCOME_TRY(take(unit, stripe.lock, intent));
        return &stripe;
    }

    /// The stripe key hashes to, locked for the rest of the unit.
    Result<detail::Stripe*> open(detail::UnitOfWork& unit, const detail::HashedKey& key, Intent intent = Intent::update)
    {
        return open_at(unit, detail::Stripes::index_of(key), intent);
    }

    /// Locks every stripe for the rest of the unit.
    Result<void> lock_all(detail::UnitOfWork& unit, Intent intent)
    {
        unit.reserve_locks(detail::Stripes::count);
        auto locks = stripes_.all() | std::views::transform([](detail::Stripe& s) -> detail::StripeLock& { return s.lock; });
        if (!unit.lock_each(locks, intent == Intent::read ? detail::LockMode::shared : detail::LockMode::exclusive)) {
            return Errc::conflict; // the unit lost a race; run_unit rolls it back and runs it again
        }
        return boost::outcome_v2::success();
    }

    /// Erases the entries of every stripe's map that drop says to; how many it erased.
    template <class V, class Drop>
    std::size_t erase_where(detail::StringMap<V> detail::Stripe::*collection, Drop drop)
    {
        std::size_t erased = 0;
        for (detail::Stripe& stripe : stripes_.all()) {
            erased += boost::unordered::erase_if(stripe.*collection, [&](const auto& entry) { return drop(entry.second); });
        }
        return erased;
    }

    // The forget_* members run with every stripe locked.

    std::size_t forget_idle_dispatchers()
    {
        return erase_where(&detail::Stripe::dispatchers, [&](const detail::StoredDispatcher& d) {
            const bool idle = d.doc.pod_ids.empty() && d.queue_length() == 0;
            if (idle) {
                stripes_[detail::Stripes::index_of(detail::HashedKey{d.doc.group_id})].groups.erase(
                    detail::HashedKey{d.doc.group_id});
            }
            return idle;
        });
    }

    std::size_t forget_terminated_pods()
    {
        const std::size_t dropped = erase_where(&detail::Stripe::pods, [&](const Pod& pod) {
            const detail::HashedKey key{pod.id};
            detail::Stripe& stripe = stripes_[detail::Stripes::index_of(key)];
            const bool forget = pod.status == PodStatus::terminated && !stripe.pod_owners.contains(key);
            if (forget) {
                stripe.pod_index.erase(detail::PodIndexKey{pod});
            }
            return forget;
        });
        // Every stripe is held, and this unit cannot fail from here: publish at once.
        for (std::size_t i = 0; i < detail::Stripes::count; ++i) {
            stripes_.pod_ages().publish(i, stripes_[i].pod_index);
        }
        return dropped;
    }

    std::size_t forget_finished_tasks()
    {
        boost::unordered_flat_set<std::string_view> needed;
        for (detail::Stripe& stripe : stripes_.all()) {
            for (const auto& [id, pod] : stripe.pods) {
                needed.insert(pod.running_task_id);
                needed.insert(pod.last_task_id);
            }
            for (const auto& [id, d] : stripe.dispatchers) {
                needed.insert(d.doc.task_ids.begin() + static_cast<std::ptrdiff_t>(d.head), d.doc.task_ids.end());
            }
        }
        return erase_where(&detail::Stripe::tasks, [&](const Task& task) {
            const bool finished = task.status == TaskStatus::succeeded || task.status == TaskStatus::failed;
            return finished && !needed.contains(task.id);
        });
    }

    template <class V>
    using Collection = detail::StringMap<V> detail::Stripe::*;

    template <class V>
    static void append_values(const detail::StringMap<V>& map, std::vector<V>& out)
    {
        for (const auto& [id, value] : map) {
            out.push_back(value);
        }
    }

    template <class V>
    Result<std::optional<V>> find_in(Collection<V> collection, std::string_view id, Intent intent)
    {
        return read([&](detail::UnitOfWork& unit) -> Result<std::optional<V>> {
            const detail::HashedKey key{id};
            BOOST_OUTCOME_TRY(auto stripe, open(unit, key, intent));
            const auto& map = stripe->*collection;
            const auto it = map.find(key);
            if (it == map.end()) {
                return std::nullopt;
            }
            // Copied straight into the result, not through temporaries.
            return Result<std::optional<V>>{boost::outcome_v2::in_place_type<std::optional<V>>, it->second};
        });
    }

    template <class V>
    Result<void> insert_into(Collection<V> collection, const V& value)
    {
        if (value.id.empty()) {
            return Errc::invalid_argument;
        }
        return run([&](detail::UnitOfWork& unit) -> Result<void> {
            BOOST_OUTCOME_TRY(auto stripe, open(unit, detail::HashedKey{value.id}));
            auto& map = stripe->*collection;
            const auto [it, inserted] = map.try_emplace(value.id, value);
            if (!inserted) {
                return Errc::duplicate_key;
            }
            unit.on_rollback([&map, id = std::string_view(it->first)] { map.erase(map.find(id)); });
            if constexpr (std::is_same_v<V, Pod>) {
                index_new_pod(unit, detail::Stripes::index_of(detail::HashedKey{value.id}), it->first, it->second);
            } else if constexpr (std::is_same_v<V, ProjectRef>) {
                unit.on_commit([&published = published_refs_, &entry = *it] { published.publish(entry); });
            }
            return boost::outcome_v2::success();
        });
    }

    template <class V>
    Result<std::optional<V>> update_in(Collection<V> collection, const FieldUpdate<V>& u)
    {
        return run([&](detail::UnitOfWork& unit) -> Result<std::optional<V>> {
            const detail::HashedKey key{u.id};
            BOOST_OUTCOME_TRY(auto stripe, open(unit, key));
            auto& map = stripe->*collection;
            const auto it = map.find(key);
            if (it == map.end() || !guard_holds(it->second, u)) {
                return std::nullopt;
            }
            V& stored = it->second;
            unit.on_rollback_emplace<FieldsRestore<V>>(stored, u.changes);
            if constexpr (std::is_same_v<V, Pod>) {
                const detail::PodIndexKey before{stored.status, stored.last_communicated, it->first};
                apply_changes(stored, u);
                reindex_pod(unit, detail::Stripes::index_of(key), before, stored);
            } else {
                apply_changes(stored, u);
            }
            return Result<std::optional<V>>{boost::outcome_v2::in_place_type<std::optional<V>>, stored};
        });
    }

    /// Publishes the pod ages of the stripe at index when the unit commits, still holding
    /// the stripe: a unit that rolls back never shows what it undid.
    void publish_pod_ages_on_commit(detail::UnitOfWork& unit, std::size_t index)
    {
        unit.on_commit([&ages = stripes_.pod_ages(), index, &stripe = stripes_[index]] {
            ages.publish(index, stripe.pod_index);
        });
    }

    /// Puts a pod just stored into the index of its stripe, at `index`; undone before the
    /// pod's removal.
    void index_new_pod(detail::UnitOfWork& unit, std::size_t index, std::string_view id, const Pod& pod)
    {
        detail::PodIndex& pods = stripes_[index].pod_index;
        if (pods.insert(pod.status, pod.last_communicated, id)) {
            publish_pod_ages_on_commit(unit, index);
        }
        unit.on_rollback([&pods, key = detail::PodIndexKey{pod.status, pod.last_communicated, id}] { pods.erase(key); });
    }

    /// Moves a pod's entry in the index of its stripe, at `index`, from where its fields
    /// before put it.
    void reindex_pod(detail::UnitOfWork& unit, std::size_t index, const detail::PodIndexKey& before, const Pod& after)
    {
        if (!before.moved_by(after)) {
            return;
        }
        detail::PodIndex& pods = stripes_[index].pod_index;
        const detail::PodIndexKey now{after.status, after.last_communicated, before.id};
        if (pods.move(before, now)) {
            publish_pod_ages_on_commit(unit, index);
        }
        unit.on_rollback([&pods, before, now] { pods.move(now, before); });
    }

    /// The stored dispatcher an index maps key to, with its stripe locked, or nullptr.
    Result<detail::StoredDispatcher*> through(detail::UnitOfWork& unit, detail::StringMap<detail::StoredDispatcher*> detail::Stripe::*index,
                                              std::string_view key)
    {
        const detail::HashedKey hashed{key};
        BOOST_OUTCOME_TRY(auto stripe, open(unit, hashed));
        const auto it = (stripe->*index).find(hashed);
        if (it == (stripe->*index).end()) {
            return nullptr;
        }
        BOOST_OUTCOME_TRY(open_at(unit, it->second->stripe));
        return it->second;
    }

    Result<detail::StoredDispatcher*> by_id(detail::UnitOfWork& unit, std::string_view id)
    {
        const detail::HashedKey key{id};
        BOOST_OUTCOME_TRY(auto stripe, open(unit, key));
        const auto it = stripe->dispatchers.find(key);
        return it == stripe->dispatchers.end() ? nullptr : &it->second;
    }

    /// The dispatchers q matches, found by the most selective key it sets.
    Result<Found> matching(detail::UnitOfWork& unit, const Query& q)
    {
        Found found;
        if (q.id || q.group_id || q.pod_id) {
            detail::StoredDispatcher* d = nullptr;
            if (q.id) {
                BOOST_OUTCOME_TRY(d, by_id(unit, *q.id));
            } else if (q.group_id) {
                BOOST_OUTCOME_TRY(d, through(unit, &detail::Stripe::groups, *q.group_id));
            } else {
                BOOST_OUTCOME_TRY(d, through(unit, &detail::Stripe::pod_owners, *q.pod_id));
            }
            if (d != nullptr && matches_found(q, d->doc)) {
                found.push_back(d);
            }
            return found;
        }
        BOOST_OUTCOME_TRY(lock_all(unit, Intent::update));
        for (detail::Stripe& stripe : stripes_.all()) {
            for (auto& [id, d] : stripe.dispatchers) {
                if (matches(q, d.doc)) {
                    found.push_back(&d);
                }
            }
        }
        return found;
    }

    /// matches(q, d) for a d found through q's most selective key, which it need not check
    /// again: in particular not a pod against all of d's pods.
    static bool matches_found(const Query& q, const PodDispatcher& d)
    {
        const bool by_index = !q.id && !q.group_id; // found through the pod's owner entry
        return (!q.id || *q.id == d.id) && (!q.group_id || !q.id || *q.group_id == d.group_id) &&
               (!q.pod_id || by_index || std::ranges::find(d.pod_ids, *q.pod_id) != d.pod_ids.end()) &&
               (!q.modification_count || *q.modification_count == d.modification_count);
    }

    /// Locks the owner entries of pods; Errc::duplicate_key when a dispatcher other than
    /// owner holds one of them.
    Result<void> check_pods_free(detail::UnitOfWork& unit, const detail::StoredDispatcher* owner,
                                 const std::vector<std::string>& pods)
    {
        for (const std::string& pod : pods) {
            const detail::HashedKey key{pod};
            BOOST_OUTCOME_TRY(auto stripe, open(unit, key));
            const auto it = stripe->pod_owners.find(key);
            if (it != stripe->pod_owners.end() && it->second != owner) {
                return Errc::duplicate_key;
            }
        }
        return boost::outcome_v2::success();
    }

    /// Points the owner entries of pods at d (their stripes are locked already).
    void index_pods(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const std::vector<std::string>& pods)
    {
        for (const std::string& pod : pods) {
            auto& owners = stripes_[detail::Stripes::index_of(detail::HashedKey{pod})].pod_owners;
            if (owners.try_emplace(pod, &d).second) {
                // A copy of the id: pods may be the caller's update, gone when the unit rolls back.
                unit.on_rollback([&owners, pod = std::string(pod)] { owners.erase(owners.find(pod)); });
            }
        }
    }

    /// Removes the owner entries of pods (their stripes are locked already).
    void unindex_pods(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const std::vector<std::string>& pods)
    {
        for (const std::string& pod : pods) {
            const detail::HashedKey key{pod};
            auto& owners = stripes_[detail::Stripes::index_of(key)].pod_owners;
            if (const auto it = owners.find(key); it != owners.end()) {
                owners.erase(it);
                unit.on_rollback([&owners, &d, pod = std::string(pod)] { owners.try_emplace(pod, &d); });
            }
        }
    }

    Result<void> insert_stored(detail::UnitOfWork& unit, const PodDispatcher& doc)
    {
        if (doc.id.empty() || doc.group_id.empty()) {
            return Errc::invalid_argument;
        }
        const std::size_t index = detail::Stripes::index_of(detail::HashedKey{doc.id});
        BOOST_OUTCOME_TRY(auto home, open_at(unit, index));
        BOOST_OUTCOME_TRY(auto group_stripe, open(unit, detail::HashedKey{doc.group_id}));
        BOOST_OUTCOME_TRY(check_pods_free(unit, nullptr, doc.pod_ids));
        if (home->dispatchers.contains(doc.id) || group_stripe->groups.contains(doc.group_id)) {
            return Errc::duplicate_key;
        }
        auto& dispatchers = home->dispatchers;
        const auto [it, inserted] = dispatchers.try_emplace(doc.id, detail::StoredDispatcher{doc, index, 0});
        unit.on_rollback([&dispatchers, id = std::string_view(it->first)] { dispatchers.erase(dispatchers.find(id)); });
        detail::StoredDispatcher& d = it->second;
        auto& groups = group_stripe->groups;
        groups.try_emplace(d.doc.group_id, &d);
        unit.on_rollback([&groups, group = std::string_view(d.doc.group_id)] { groups.erase(groups.find(group)); });
        index_pods(unit, d, d.doc.pod_ids);
        return boost::outcome_v2::success();
    }

    Result<void> apply(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const DispatcherUpdate& u)
    {
        if (u.pod_ids) {
            BOOST_OUTCOME_TRY(check_pods_free(unit, &d, *u.pod_ids));
            BOOST_OUTCOME_TRY(check_pods_free(unit, &d, d.doc.pod_ids));
        } else {
            BOOST_OUTCOME_TRY(check_pods_free(unit, &d, u.add_pods));
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
        } else if (!u.add_pods.empty()) {
            add_pods(unit, d, u.add_pods);
        }
        if (u.task_ids) {
            unit.save(d.doc.task_ids);
            unit.save(d.head);
            d.doc.task_ids = *u.task_ids;
            d.head = 0;
        } else if (!u.dequeue.empty()) {
            dequeue(unit, d, u.dequeue.size());
        } else if (!u.enqueue.empty()) {
            enqueue(unit, d, u.enqueue, u.enqueue_at);
        }
        d.doc.modification_count += u.increment;
        d.doc.last_modified = u.last_modified;
        return boost::outcome_v2::success();
    }

    /// Appends pods, whose owner entries check_pods_free has locked and found free.
    void add_pods(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const std::vector<std::string>& pods)
    {
        const std::size_t before = d.doc.pod_ids.size();
        d.doc.pod_ids.insert(d.doc.pod_ids.end(), pods.begin(), pods.end());
        unit.on_rollback([&d, before] { d.doc.pod_ids.resize(before); });
        index_pods(unit, d, pods);
    }

    /// Puts ids into the queue before its at-th id, or at its back.
    static void enqueue(detail::UnitOfWork& unit, detail::StoredDispatcher& d, const std::vector<std::string>& ids,
                        std::optional<std::size_t> at)
    {
        const auto first = static_cast<std::ptrdiff_t>(d.head + std::min(at.value_or(d.queue_length()), d.queue_length()));
        d.doc.task_ids.insert(d.doc.task_ids.begin() + first, ids.begin(), ids.end());
        unit.on_rollback([&d, first, count = static_cast<std::ptrdiff_t>(ids.size())] {
            d.doc.task_ids.erase(d.doc.task_ids.begin() + first, d.doc.task_ids.begin() + first + count);
        });
    }

    /// Moves the head past count ids; the ids stay where they are until enough of them
    /// are dropped at once.
    static void dequeue(detail::UnitOfWork& unit, detail::StoredDispatcher& d, std::size_t count)
    {
        if (d.worth_compacting()) {
            auto rest = d.compacted();
            unit.save(d.doc.task_ids);
            d.doc.task_ids = std::move(rest);
            unit.save(d.head);
            d.head = 0;
        }
        d.head += count;
        unit.on_rollback([&d, count] { d.head -= count; });
    }

    detail::Stripes stripes_;
    detail::PublishedEntries<ProjectRef> published_refs_; ///< The project refs of committed units.
    Isolation isolation_ = Isolation::serializable;
};

static_assert(Store<MemoryStore>);

} // namespace pod_dispatcher

#endif
