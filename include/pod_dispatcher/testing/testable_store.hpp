#ifndef POD_DISPATCHER_TESTING_TESTABLE_STORE_HPP
#define POD_DISPATCHER_TESTING_TESTABLE_STORE_HPP

// What the conformance suites need of a store beyond the Store concept, and how they get
// one.

#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>

#include <concepts>
#include <memory>
#include <type_traits>

namespace pod_dispatcher::testing {

/// A Store the suites can seed and read back whole. The operations never insert tasks or
/// project refs (the system around the dispatcher owns them), and a test that a failed
/// call wrote nothing compares everything stored before and after. For `S& s`:
/// - `s.insert_task(const Task& t)` -> `Result<void>`: stores t; Errc::duplicate_key when
///   t.id is stored, Errc::invalid_argument when it is empty.
/// - `s.insert_project_ref(const ProjectRef& r)` -> `Result<void>`: likewise.
/// - `s.snapshot()` -> `Result<StoreContents>`: everything stored, read consistently and
///   in the order StoreContents gives (sort_contents puts it so).
///
/// Satisfied by MemoryStore. A store that does not roll back a failed unit of work
/// (rolls_back() false) runs the suites too; those that need it skip, saying why.
template <class S>
concept TestableStore = Store<S> && requires(S& s, const Task& task, const ProjectRef& ref) {
    { s.insert_task(task) } -> std::same_as<Result<void>>;
    { s.insert_project_ref(ref) } -> std::same_as<Result<void>>;
    { s.snapshot() } -> std::same_as<Result<StoreContents>>;
};

/// How the suites get a fresh, empty store: `F::make()` returns a `std::unique_ptr` to a
/// TestableStore. A store that cannot be had (no server configured, say) may SKIP there,
/// with the reason.
template <class F>
concept StoreMaker = requires {
    { F::make() } -> std::same_as<std::unique_ptr<typename decltype(F::make())::element_type>>;
} && TestableStore<typename decltype(F::make())::element_type>;

/// The store type a StoreMaker makes.
template <StoreMaker F>
using store_of = typename decltype(F::make())::element_type;

} // namespace pod_dispatcher::testing

#endif
