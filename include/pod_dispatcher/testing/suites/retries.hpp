#ifndef POD_DISPATCHER_TESTING_SUITES_RETRIES_HPP
#define POD_DISPATCHER_TESTING_SUITES_RETRIES_HPP

// One RetryPolicy for every operation that retries a conflict: each retries it, reports
// each retry, gives up after the attempts it allows, and refuses a policy it cannot follow.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/testing/faulty_store.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/samples.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/suites/finish_task.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

/// An operation that retries conflicts, set up to succeed on the store seed leaves.
template <class S>
struct RetryingCall {
    std::string name;
    std::function<void(S&)> seed;
    /// Calls the operation on the store given (the suite's store, through a FaultyStore)
    /// with the policy given; its error, or none.
    std::function<std::error_code(FaultyStore<S>&, const RetryPolicy&)> call;
    /// The store call of its first try that a conflict strikes: the first inside its
    /// first unit of work.
    std::size_t first_read = 2;
};

template <class S>
std::vector<RetryingCall<S>> retrying_calls()
{
    const auto pod_p1_runs_t1 = [](S& store) { dispatched_on_p1(store); };
    const auto p1_may_take_t1 = [](S& store) {
        seed(store, enabled_project());
        seed(store, dispatchable_task("t1"));
        seed(store, running_pod("p1"));
        seed(store, new_pod_dispatcher("group", {"t1"}, {"p1"}));
    };
    return {
        {"dispatch_next_task", p1_may_take_t1,
         [](auto& store, const RetryPolicy& retry) {
             DispatchOptions options;
             options.retry = retry;
             return error_of(dispatch_next_task(store, "p1", options));
         }},
        {"finish_task", pod_p1_runs_t1,
         [](auto& store, const RetryPolicy& retry) {
             return error_of(finish_task(store, "p1", TaskStatus::succeeded, retry));
         }},
        {"allocate",
         [](S& store) {
             seed(store, enabled_project());
             seed(store, allocatable_task("t1"));
         },
         [](auto& store, const RetryPolicy& retry) {
             // A copy the store does not bear out, so that the first try reads what it
             // checks rather than guess (a wrong guess is no lost race).
             Task task = allocatable_task("t1");
             task.activated = false;
             Pod pod = intent_pod("p1");
             return error_of(allocate(store, task, pod, retry));
         }},
        {"mark_pod_running", [](S& store) { seed(store, pod_heard_at("p1", PodStatus::starting, {})); },
         [](auto& store, const RetryPolicy& retry) { return error_of(mark_pod_running(store, "p1", retry)); }},
        {"heartbeat", pod_p1_runs_t1,
         [](auto& store, const RetryPolicy& retry) { return error_of(heartbeat(store, "p1", retry)); }},
        {"terminate_pod", pod_p1_runs_t1,
         [](auto& store, const RetryPolicy& retry) { return error_of(terminate_pod(store, "p1", "stopped", retry)); }},
        {"rescue_stale_pods", pod_p1_runs_t1,
         [](auto& store, const RetryPolicy& retry) {
             RescueOptions options;
             options.retry = retry;
             return error_of(rescue_stale_pods(store, options));
         },
         6}, // after its four searches for stale pods, one per status
    };
}

} // namespace detail

template <StoreMaker M>
void retries_suite()
{
    using S = store_of<M>;
    for (const auto& op : detail::retrying_calls<S>()) {
        DYNAMIC_SECTION(op.name)
        {
            auto owned = M::make();
            auto& store = *owned;
            op.seed(store);
            FaultyStore<S> racing{store};
            std::vector<std::error_code> retried;
            RetryPolicy policy;
            policy.on_retry = [&](const std::error_code& e) { retried.push_back(e); };

            SECTION("a conflict is retried, reported to on_retry, and the call then succeeds")
            {
                racing.fail_at(op.first_read, Errc::conflict);
                REQUIRE(op.call(racing, policy) == std::error_code{});
                REQUIRE(racing.faults() == 1);
                REQUIRE(retried == std::vector<std::error_code>{Errc::conflict});
            }
            SECTION("so it is after a random wait")
            {
                policy.backoff = Backoff{std::chrono::microseconds(200), std::chrono::milliseconds(1)};
                racing.fail_at(op.first_read, Errc::conflict);
                REQUIRE(op.call(racing, policy) == std::error_code{});
                REQUIRE(retried == std::vector<std::error_code>{Errc::conflict});
            }
            SECTION("a conflict on the last attempt allowed is returned, and nothing is written")
            {
                const Unchanged unchanged{store};
                policy.max_attempts = 1;
                racing.fail_at(op.first_read, Errc::conflict);
                REQUIRE(op.call(racing, policy) == Errc::conflict);
                REQUIRE(retried.empty());
                REQUIRE(unchanged());
            }
            SECTION("another error is not retried, and nothing is written")
            {
                const Unchanged unchanged{store};
                racing.fail_at(op.first_read, Errc::store_unavailable);
                REQUIRE(op.call(racing, policy) == Errc::store_unavailable);
                REQUIRE(retried.empty());
                REQUIRE(unchanged());
            }
            SECTION("a policy that allows no try, or a wait below zero, is invalid_argument, and nothing is written")
            {
                SECTION("no try") { policy.max_attempts = 0; }
                SECTION("a first wait below zero") { policy.backoff = Backoff{std::chrono::microseconds(-1), {}}; }
                SECTION("a cap below zero") { policy.backoff = Backoff{{}, std::chrono::microseconds(-1)}; }
                const Unchanged unchanged{store};
                REQUIRE(op.call(racing, policy) == Errc::invalid_argument);
                REQUIRE(racing.calls() == 0);
                REQUIRE(unchanged());
            }
        }
    }
}

} // namespace pod_dispatcher::testing

#endif
