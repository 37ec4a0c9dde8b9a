#ifndef POD_DISPATCHER_BENCH_FIXTURES_HPP
#define POD_DISPATCHER_BENCH_FIXTURES_HPP

// The fixtures the rows run (see timing.hpp): a freshly seeded store and the work it
// can still do. They are written once for every engine; each engine offers
// dispatch_for, find_for, allocate_for and remove_last_pod_for for its store type (the
// library's in library_ops.hpp, the baselines' in baselines/). What the work did is
// checked twice, untimed: each batch's tasks handed out against each other (verify), and
// the store's contents against the invariants once a fixture is done with it
// (verify_store).

#include "support/lanes.hpp"
#include "support/library_ops.hpp"
#include "support/timing.hpp"
#include "support/seeding.hpp"

#include <pod_dispatcher/testing/invariants.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

namespace pod_dispatcher::bench {

/// Makes an empty store of one engine.
template <class S>
using StoreFactory = std::function<std::unique_ptr<S>()>;

/// Stores of at most this many tasks have their contents checked: copying a larger one
/// twice would take longer than the rows it serves.
inline constexpr std::size_t most_tasks_checked = 20'000;

/// The invariants a fixture's store keeps (testing/invariants.hpp: no task queued twice or
/// handed to two pods, none lost or left behind, events that agree with the state, ...),
/// checked once the fixture is done with the store, against what it held when seeded. For
/// a store that shows its contents (a TestableStore; the baselines do not) and holds at
/// most most_tasks_checked tasks.
template <class S>
class ContentsCheck {
public:
    /// The store is seeded with tasks tasks, and no work has run on it yet.
    void seeded(S& store, std::size_t tasks)
    {
        told_ = true;
        if constexpr (testing::TestableStore<S>) {
            if (tasks <= most_tasks_checked) {
                baseline_ = contents(store);
            }
        }
    }

    void verify(S& store, std::vector<std::string>& problems) const
    {
        if (!told_) {
            problems.push_back("the fixture never said when its store was seeded");
        }
        if constexpr (testing::TestableStore<S>) {
            if (baseline_) {
                const StoreContents now = contents(store);
                const testing::Broken broken = testing::invariants_broken(store, testing::CheckedContents{now, *baseline_});
                problems.insert(problems.end(), broken.begin(), broken.end());
            }
        }
    }

private:
    static StoreContents contents(S& store)
    {
        auto contents = store.snapshot();
        if (!contents) {
            throw std::runtime_error("reading the store's contents failed: " + contents.error().message());
        }
        return std::move(contents).value();
    }

    bool told_ = false;
    std::optional<StoreContents> baseline_;
};

/// Every task a fixture handed out, to prove none was handed out twice.
class DispatchedOnce {
public:
    void verify(const std::vector<Tally>& tallies, std::vector<std::string>& problems)
    {
        for (const Tally& tally : tallies) {
            for (const std::string& id : tally.dispatched) {
                if (!seen_.insert(id).second) {
                    problems.push_back("task " + id + " was dispatched twice");
                }
            }
        }
    }

private:
    std::unordered_set<std::string> seen_;
};

/// dispatch_next_task for one pod; each pod takes one task.
struct Dispatching {
    static constexpr bool leaves_store_unchanged = false;

    template <class S>
    void run(S& store, const std::string& pod, Tally& tally)
    {
        dispatch_for(store, pod, tally);
    }
    void verify(const std::vector<Tally>& tallies, std::vector<std::string>& problems)
    {
        once.verify(tallies, problems);
    }

    DispatchedOnce once;
};

/// find_one_by_pod_id for one pod.
struct Finding {
    static constexpr bool leaves_store_unchanged = true;

    template <class S>
    void run(S& store, const std::string& pod, Tally& tally)
    {
        find_for(store, pod, tally);
    }
    void verify(const std::vector<Tally>&, std::vector<std::string>&) {}
};

/// What every fixture over a store has: the store, the lanes of work it can still do, no
/// checks of a batch beyond each operation's own, and the check of the store's contents.
/// Each fixture calls seeded() once it has seeded its store.
template <class S, class ItemType>
class StoreFixture {
public:
    using Item = ItemType;

    std::size_t capacity() const { return lanes_.capacity(); }
    std::vector<std::span<Item>> next_batch(std::size_t per_lane) { return lanes_.take(per_lane); }
    void verify(const std::vector<Tally>&, std::vector<std::string>&) {}
    void verify_store(std::vector<std::string>& problems) const { contents_.verify(*store_, problems); }

protected:
    StoreFixture(std::unique_ptr<S> store, Lanes<Item> lanes) : store_(std::move(store)), lanes_(std::move(lanes)) {}

    /// The store holds its seeded tasks tasks, and no work has run on it yet.
    void seeded(std::size_t tasks) { contents_.seeded(*store_, tasks); }

    std::unique_ptr<S> store_;
    Lanes<Item> lanes_;

private:
    ContentsCheck<S> contents_;
};

inline std::size_t tasks_of(const Shape& shape) { return shape.dispatchers * shape.queue_length; }

/// A store seeded with a Shape, whose items are its pods' ids.
template <class S, class Work>
class PodFixture : public StoreFixture<S, std::string> {
public:
    PodFixture(const StoreFactory<S>& make, const Shape& shape, std::size_t threads, Layout layout)
        : StoreFixture<S, std::string>(make(), Lanes<std::string>::per_pod(shape, threads, layout, pod_id))
    {
        seed(*this->store_, shape);
        this->seeded(tasks_of(shape));
    }

    std::vector<std::span<std::string>> next_batch(std::size_t per_lane)
    {
        return Work::leaves_store_unchanged ? this->lanes_.take_cyclic(per_lane) : this->lanes_.take(per_lane);
    }

    void run(std::size_t, std::string& pod, Tally& tally) { work_.run(*this->store_, pod, tally); }

    void verify(const std::vector<Tally>& tallies, std::vector<std::string>& problems)
    {
        work_.verify(tallies, problems);
    }

private:
    Work work_;
};

struct AssignItem {
    std::size_t dispatcher = 0;
    Pod pod;
};

/// pd.assign_next_task: each lane holds its own copy of every dispatcher, as a caller
/// would, and re-reads it when it turns out stale.
template <class S>
class AssignFixture : public StoreFixture<S, AssignItem> {
public:
    AssignFixture(const StoreFactory<S>& make, const Shape& shape, std::size_t threads, Layout layout)
        : StoreFixture<S, AssignItem>(make(), Lanes<AssignItem>::per_pod(shape, threads, layout, item_for)),
          copies_(threads)
    {
        seed(*this->store_, shape);
        this->seeded(tasks_of(shape));
        for (auto& copies : copies_) {
            for (std::size_t d = 0; d < shape.dispatchers; ++d) {
                copies.push_back(dispatcher_doc(d, shape));
            }
        }
    }

    void run(std::size_t lane, AssignItem& item, Tally& tally)
    {
        assign_for(*this->store_, copies_[lane][item.dispatcher], item.pod, tally);
    }

    void verify(const std::vector<Tally>& tallies, std::vector<std::string>& problems)
    {
        once_.verify(tallies, problems);
    }

private:
    static AssignItem item_for(std::size_t d, std::size_t p) { return AssignItem{d, running_pod(pod_id(d, p))}; }

    std::vector<std::vector<PodDispatcher>> copies_;
    DispatchedOnce once_;
};

/// pd.remove_pod of each dispatcher's only pod, which takes the queue with it.
template <class S>
class RemoveLastPodFixture : public StoreFixture<S, PodDispatcher> {
public:
    RemoveLastPodFixture(const StoreFactory<S>& make, const Shape& shape)
        : StoreFixture<S, PodDispatcher>(make(), lanes_for(shape))
    {
        seed(*this->store_, shape);
        this->seeded(tasks_of(shape));
    }

    void run(std::size_t, PodDispatcher& d, Tally& tally) { remove_last_pod_for(*this->store_, d, tally); }

private:
    /// One item per dispatcher: the caller's copy of it.
    static Lanes<PodDispatcher> lanes_for(const Shape& shape)
    {
        return Lanes<PodDispatcher>::per_pod(Shape{shape.dispatchers, 1, 1}, 1, Layout::separate,
                                             [&](std::size_t d, std::size_t) { return dispatcher_doc(d, shape); });
    }
};

struct AllocateItem {
    Task task;
    Pod pod;
};

/// allocate of fresh tasks, each the first of its group, into a store that already holds
/// the dispatchers of shape.
template <class S>
class AllocateFixture : public StoreFixture<S, AllocateItem> {
public:
    AllocateFixture(const StoreFactory<S>& make, const Shape& shape, std::size_t tasks)
        : StoreFixture<S, AllocateItem>(make(),
                                        Lanes<AllocateItem>::per_pod(Shape{tasks, 1, 1}, 1, Layout::separate, item_for))
    {
        seed(*this->store_, shape);
        for (std::size_t i = 0; i < tasks; ++i) {
            expect(this->store_->insert_task(allocatable_task(fresh_task_id(i))), "task");
        }
        this->seeded(tasks_of(shape) + tasks);
    }

    void run(std::size_t, AllocateItem& item, Tally& tally) { allocate_for(*this->store_, item.task, item.pod, tally); }

private:
    static std::string fresh_task_id(std::size_t i) { return "a" + std::to_string(i); }

    static AllocateItem item_for(std::size_t i, std::size_t)
    {
        return AllocateItem{allocatable_task(fresh_task_id(i)), intent_pod("ap" + std::to_string(i))};
    }
};

/// boost::json::value_from of a dispatcher.
struct Encoding {
    void run(const PodDispatcher& doc, const boost::json::value&, Tally& tally)
    {
        const boost::json::value encoded = boost::json::value_from(doc);
        keep(encoded);
        ++tally.ops;
    }
};

/// boost::json::try_value_to<PodDispatcher> of a dispatcher's JSON.
struct Decoding {
    void run(const PodDispatcher&, const boost::json::value& json, Tally& tally)
    {
        const auto decoded = boost::json::try_value_to<PodDispatcher>(json);
        keep(decoded);
        if (decoded) {
            ++tally.ops;
        } else {
            tally.problems.push_back("decoding failed: " + decoded.error().message());
        }
    }
};

/// One dispatcher of shape and its JSON; no store.
template <class Work>
class DocumentFixture {
public:
    using Item = char;

    explicit DocumentFixture(const Shape& shape)
        : doc_(dispatcher_doc(0, shape)), json_(boost::json::value_from(doc_)),
          lanes_(std::vector<std::vector<Item>>{std::vector<Item>(4096)})
    {
    }

    std::size_t capacity() const { return lanes_.capacity(); }
    std::vector<std::span<Item>> next_batch(std::size_t per_lane) { return lanes_.take_cyclic(per_lane); }
    void run(std::size_t, Item&, Tally& tally) { work_.run(doc_, json_, tally); }
    void verify(const std::vector<Tally>&, std::vector<std::string>&) {}
    void verify_store(std::vector<std::string>&) const {}

private:
    PodDispatcher doc_;
    boost::json::value json_;
    Lanes<Item> lanes_;
    Work work_;
};

} // namespace pod_dispatcher::bench

#endif
