// The Store concept, pinned down by an archetype: a type with exactly the required
// members satisfies it; one missing a member or with a wrong return type does not.

#include <pod_dispatcher/memory_store.hpp>
#include <pod_dispatcher/pod_dispatcher.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

namespace {

using namespace pod_dispatcher;

template <class Task_ = Task, bool with_atomically = true, bool with_rolls_back = true>
struct Archetype {
    Result<std::vector<PodDispatcher>> find_dispatchers(const Query&) { return std::vector<PodDispatcher>{}; }
    Result<std::optional<PodDispatcher>> find_dispatcher(const Query&, const Projection&) { return std::nullopt; }
    Result<void> insert_dispatcher(const PodDispatcher&) { return Errc::store_unavailable; }
    Result<bool> update_dispatcher(const Query&, const DispatcherUpdate&) { return false; }
    Result<std::optional<Task_>> find_task(std::string_view) { return std::nullopt; }
    Result<std::optional<Task>> update_task(const FieldUpdate<Task>&) { return std::nullopt; }
    Result<std::optional<Pod>> find_pod(std::string_view) { return std::nullopt; }
    Result<std::vector<Pod>> find_pods(const PodQuery&) { return std::vector<Pod>{}; }
    Result<void> insert_pod(const Pod&) { return Errc::store_unavailable; }
    Result<std::optional<Pod>> update_pod(const FieldUpdate<Pod>&) { return std::nullopt; }
    Result<std::optional<ProjectRef>> find_project_ref(std::string_view) { return std::nullopt; }
    Result<void> insert_events(std::span<const Event>) { return Errc::store_unavailable; }

    template <class F>
        requires with_atomically
    Result<void> atomically(F&& work)
    {
        return work();
    }

    bool rolls_back() const
        requires with_rolls_back
    {
        return true;
    }
};

/// The archetype, with what the conformance kit needs besides.
struct TestableArchetype : Archetype<> {
    Result<void> insert_task(const Task&) { return Errc::store_unavailable; }
    Result<void> insert_project_ref(const ProjectRef&) { return Errc::store_unavailable; }
    Result<StoreContents> snapshot() { return StoreContents{}; }
};

static_assert(Store<Archetype<>>);
static_assert(Store<MemoryStore>);
static_assert(!Store<Archetype<Pod>>, "find_task must return Result<std::optional<Task>>");
static_assert(!Store<Archetype<Task, false>>, "a store needs atomically");
static_assert(!Store<Archetype<Task, true, false>>, "a store must say whether it rolls back");
static_assert(!Store<int>);

static_assert(testing::TestableStore<TestableArchetype>);
static_assert(testing::TestableStore<MemoryStore>);
static_assert(!testing::TestableStore<Archetype<>>, "the kit needs a store it can seed and read back");

} // namespace

TEST_CASE("the operations run against any Store, here the archetype", "[store]")
{
    Archetype<> store;
    SECTION("a read passes through")
    {
        REQUIRE(find_one_by_group_id(store, "g").value() == std::nullopt);
    }
    SECTION("a store error comes back as the operation's error")
    {
        REQUIRE(new_pod_dispatcher("g", {}, {}).insert(store).error() == Errc::store_unavailable);
    }
}

namespace {
/// The archetype with the optional member that asks for a wait before a retry.
struct SlowArchetype : Archetype<> {
    static Backoff conflict_backoff() { return Backoff{std::chrono::milliseconds(1), std::chrono::milliseconds(8)}; }
};
} // namespace

TEST_CASE("a store's wait before a retry is its conflict_backoff, or none without the member", "[store]")
{
    Archetype<> plain;
    SlowArchetype slow;
    MemoryStore memory;
    REQUIRE(conflict_backoff(plain) == Backoff{});
    REQUIRE(conflict_backoff(memory) == Backoff{});
    REQUIRE(conflict_backoff(slow) == Backoff{std::chrono::milliseconds(1), std::chrono::milliseconds(8)});
}
