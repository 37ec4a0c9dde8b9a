#ifndef POD_DISPATCHER_TESTING_CONFORMANCE_HPP
#define POD_DISPATCHER_TESTING_CONFORMANCE_HPP

// The conformance kit: the library's own behavioural and reliability suites, for any
// store. In a Catch2 test file of your own:
//
//     #include <pod_dispatcher/testing/conformance.hpp>
//
//     struct MakeMyStore {
//         static std::unique_ptr<MyStore> make() { return std::make_unique<MyStore>(...); }
//     };
//     POD_DISPATCHER_CONFORMANCE_TESTS("MyStore", MakeMyStore)
//
// MyStore must be a TestableStore (testable_store.hpp), and make() give a fresh, empty one
// each time. Every test case is named "MyStore: ..." and tagged [conformance]; run one
// kind with the tags [behaviour] or [reliability]. POD_DISPATCHER_BEHAVIOUR_TESTS and
// POD_DISPATCHER_RELIABILITY_TESTS register one kind alone.
//
// Test case names hold only letters, digits, spaces and the signs _ - : and /, so that
// `ctest -R` and a Catch2 test spec select any of them as written, with no escaping (a
// comma, bracket, quote, star, backslash, apostrophe or regex sign would need one, or a
// shell's quoting). The kit checks its names, and the store name you give, as they
// compile.
//
// A failed check prints the library's types readably (printing.hpp): a Result as its
// error code and message or its value, documents as their JSON.
//
// The reliability suites inject faults (only into a store that rolls back; others skip
// them, saying why), race threads on one store, and feed bad input and odd ids. A slow
// store sizes the races by giving its maker
//
//         static pod_dispatcher::testing::InterleavingOptions interleaving_options();
//
// (interleaving_options.hpp); POD_DISPATCHER_SEED=<n> replays a race's seed and
// POD_DISPATCHER_SOAK_ITERATIONS=<n> soaks it.

#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/suites/allocate.hpp>
#include <pod_dispatcher/testing/suites/assign_next_task.hpp>
#include <pod_dispatcher/testing/suites/bad_input.hpp>
#include <pod_dispatcher/testing/suites/dispatch_next_task.hpp>
#include <pod_dispatcher/testing/suites/fault_injection.hpp>
#include <pod_dispatcher/testing/suites/find.hpp>
#include <pod_dispatcher/testing/suites/finish_task.hpp>
#include <pod_dispatcher/testing/suites/insert.hpp>
#include <pod_dispatcher/testing/suites/pod_failure_faults.hpp>
#include <pod_dispatcher/testing/suites/pod_reports.hpp>
#include <pod_dispatcher/testing/suites/race.hpp>
#include <pod_dispatcher/testing/suites/random_interleavings.hpp>
#include <pod_dispatcher/testing/suites/remove_pod.hpp>
#include <pod_dispatcher/testing/suites/rescue_stale_pods.hpp>
#include <pod_dispatcher/testing/suites/retries.hpp>
#include <pod_dispatcher/testing/suites/store_members.hpp>
#include <pod_dispatcher/testing/suites/task_groups.hpp>
#include <pod_dispatcher/testing/suites/terminate_pod.hpp>
#include <pod_dispatcher/testing/suites/unit_reruns.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string_view>

namespace pod_dispatcher::testing::detail {

/// Whether name holds only letters, digits, spaces and _ - : or /: what a test case name
/// may hold to be selected, as written, by `ctest -R` and by a Catch2 test spec.
constexpr bool filterable(std::string_view name) noexcept
{
    for (const char c : name) {
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool digit = c >= '0' && c <= '9';
        if (!letter && !digit && std::string_view(" _-:/").find(c) == std::string_view::npos) {
            return false;
        }
    }
    return !name.empty();
}

} // namespace pod_dispatcher::testing::detail

// One test case of the kit: suite<Maker>() under the name "name: what".
#define POD_DISPATCHER_KIT_CASE(name, Maker, what, tags, suite)                                                   \
    TEST_CASE(name ": " what, "[conformance]" tags)                                                                \
    {                                                                                                              \
        static_assert(::pod_dispatcher::testing::StoreMaker<Maker>,                                                \
                      "Maker::make() must return a std::unique_ptr to a pod_dispatcher::testing::TestableStore"); \
        static_assert(::pod_dispatcher::testing::detail::filterable(name ": " what),                               \
                      "a test case name holds only letters, digits, spaces and _ - : / (conformance.hpp)");    \
        ::pod_dispatcher::testing::suite<Maker>();                                                                 \
    }

/// Every operation of the contract, rule by rule, on the store Maker makes.
#define POD_DISPATCHER_BEHAVIOUR_TESTS(name, Maker)                                                                \
    POD_DISPATCHER_KIT_CASE(name, Maker, "find", "[behaviour]", find_suite)                                         \
    POD_DISPATCHER_KIT_CASE(name, Maker, "find_one", "[behaviour]", find_one_suite)                                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "insert", "[behaviour]", insert_suite)                                     \
    POD_DISPATCHER_KIT_CASE(name, Maker, "upsert_atomically", "[behaviour]", upsert_atomically_suite)               \
    POD_DISPATCHER_KIT_CASE(name, Maker, "upsert_one", "[behaviour]", upsert_one_suite)                             \
    POD_DISPATCHER_KIT_CASE(name, Maker, "allocate", "[behaviour]", allocate_suite)                                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "assign_next_task", "[behaviour]", assign_next_task_suite)                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "dispatch_next_task", "[behaviour]", dispatch_next_task_suite)             \
    POD_DISPATCHER_KIT_CASE(name, Maker, "remove_pod", "[behaviour]", remove_pod_suite)                             \
    POD_DISPATCHER_KIT_CASE(name, Maker, "finish_task", "[behaviour]", finish_task_suite)                           \
    POD_DISPATCHER_KIT_CASE(name, Maker, "task groups", "[behaviour]", task_groups_suite)                           \
    POD_DISPATCHER_KIT_CASE(name, Maker, "mark_pod_running", "[behaviour]", mark_pod_running_suite)                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "heartbeat", "[behaviour]", heartbeat_suite)                               \
    POD_DISPATCHER_KIT_CASE(name, Maker, "terminate_pod", "[behaviour]", terminate_pod_suite)                       \
    POD_DISPATCHER_KIT_CASE(name, Maker, "rescue_stale_pods", "[behaviour]", rescue_stale_pods_suite)               \
    POD_DISPATCHER_KIT_CASE(name, Maker, "every operation that retries a conflict follows its RetryPolicy",        \
                            "[behaviour]", retries_suite)                                                          \
    POD_DISPATCHER_KIT_CASE(name, Maker, "many pods race for the tasks of one dispatcher", "[behaviour]",           \
                            race_suite)                                                                            \
    POD_DISPATCHER_KIT_CASE(name, Maker, "update_task", "[behaviour][store]", update_task_suite)                    \
    POD_DISPATCHER_KIT_CASE(name, Maker, "update_pod", "[behaviour][store]", update_pod_suite)                      \
    POD_DISPATCHER_KIT_CASE(name, Maker, "find_pods", "[behaviour][store]", find_pods_suite)                        \
    POD_DISPATCHER_KIT_CASE(name, Maker, "update_dispatcher", "[behaviour][store]", update_dispatcher_suite)

/// Failures, races and bad input, on the store Maker makes.
#define POD_DISPATCHER_RELIABILITY_TESTS(name, Maker)                                                              \
    POD_DISPATCHER_KIT_CASE(name, Maker, "allocate writes nothing when the store fails at any point",               \
                            "[reliability][faults]", allocate_faults_suite)                                         \
    POD_DISPATCHER_KIT_CASE(name, Maker, "assign_next_task writes nothing when the store fails at any point",       \
                            "[reliability][faults]", assign_next_task_faults_suite)                                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "dispatch_next_task writes nothing when the store fails at any point",     \
                            "[reliability][faults]", dispatch_next_task_faults_suite)                               \
    POD_DISPATCHER_KIT_CASE(name, Maker, "remove_pod writes nothing when the store fails at any point",             \
                            "[reliability][faults]", remove_pod_faults_suite)                                       \
    POD_DISPATCHER_KIT_CASE(name, Maker, "upsert_atomically writes nothing when the store fails at any point",      \
                            "[reliability][faults]", upsert_atomically_faults_suite)                                \
    POD_DISPATCHER_KIT_CASE(name, Maker, "finish_task writes nothing when the store fails at any point",            \
                            "[reliability][faults]", finish_task_faults_suite)                                      \
    POD_DISPATCHER_KIT_CASE(name, Maker, "mark_pod_running writes nothing when the store fails at any point",       \
                            "[reliability][faults]", mark_pod_running_faults_suite)                                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "heartbeat writes nothing when the store fails at any point",              \
                            "[reliability][faults]", heartbeat_faults_suite)                                        \
    POD_DISPATCHER_KIT_CASE(name, Maker, "terminate_pod writes nothing when the store fails at any point",          \
                            "[reliability][faults]", terminate_pod_faults_suite)                                    \
    POD_DISPATCHER_KIT_CASE(name, Maker, "rescue_stale_pods keeps the pods it finished when the store fails at "    \
                            "any point and writes nothing of the pod it was at", "[reliability][faults]",          \
                            rescue_stale_pods_faults_suite)                                                        \
    POD_DISPATCHER_KIT_CASE(name, Maker, "a dispatch whose unit of work the store runs again keeps nothing of the " \
                            "run rolled back", "[reliability][faults]", unit_reruns_suite)                          \
    POD_DISPATCHER_KIT_CASE(name, Maker, "random interleavings never hand a task out twice nor lose one nor break " \
                            "an invariant", "[reliability][races]", random_interleavings_suite)                     \
    POD_DISPATCHER_KIT_CASE(name, Maker, "bad input gets its defined error and writes nothing and leaves the "      \
                            "objects of the caller alone", "[reliability][input]", bad_input_suite)                 \
    POD_DISPATCHER_KIT_CASE(name, Maker, "odd but valid ids are bytes and round-trip literally through every "      \
                            "operation", "[reliability][input]", odd_ids_suite)

/// The behavioural and reliability suites, on the store Maker makes.
#define POD_DISPATCHER_CONFORMANCE_TESTS(name, Maker)                                                              \
    POD_DISPATCHER_BEHAVIOUR_TESTS(name, Maker)                                                                    \
    POD_DISPATCHER_RELIABILITY_TESTS(name, Maker)

#endif
