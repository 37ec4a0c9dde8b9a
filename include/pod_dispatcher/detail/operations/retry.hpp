#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_RETRY_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_RETRY_HPP

// Operations that read what they write run again when they lose a race, as a
// RetryPolicy says: a conflict then means only that another caller got there first.

#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/store.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

namespace pod_dispatcher::detail {

/// A policy an operation can follow: at least one try, no negative wait.
inline bool valid_policy(const RetryPolicy& policy)
{
    const auto non_negative = [](const Backoff& b) { return b.first.count() >= 0 && b.cap.count() >= 0; };
    return policy.max_attempts >= 1 && (!policy.backoff || non_negative(*policy.backoff));
}

/// The longest wait before the retry-th retry (1 for the first), after a try that took
/// lost_try: the base doubled each retry, up to the cap.
inline std::chrono::microseconds backoff_bound(const Backoff& backoff, int retry, std::chrono::microseconds lost_try)
{
    std::chrono::microseconds bound = std::max(backoff.first, lost_try);
    for (int i = 1; i < retry && bound < backoff.cap; ++i) {
        bound *= 2;
    }
    return std::min(bound, backoff.cap);
}

/// Sleeps a random time up to backoff_bound; each thread draws from an engine of its
/// own, seeded apart, so that callers that collided do not wait alike.
inline void wait_before_retry(const Backoff& backoff, int retry, std::chrono::microseconds lost_try)
{
    const std::chrono::microseconds bound = backoff_bound(backoff, retry, lost_try);
    if (bound.count() <= 0) {
        return;
    }
    thread_local std::minstd_rand engine{std::random_device{}()};
    std::uniform_int_distribution<std::chrono::microseconds::rep> wait(0, bound.count());
    std::this_thread::sleep_for(std::chrono::microseconds(wait(engine)));
}

inline constexpr auto always_retry = [](const std::error_code&) { return true; };

/// Calls attempt() until it returns anything but Errc::conflict, at most
/// policy.max_attempts times in all. Before each retry: asks may_retry(the conflict),
/// returning the conflict when it says false; calls policy.on_retry; waits as the
/// policy's back-off, else the store's, says. Returns the last result, from one place (a
/// Task is costly to move).
template <Store S, class Attempt, class MayRetry = std::remove_const_t<decltype(always_retry)>>
auto retry_conflicts(S& store, const RetryPolicy& policy, Attempt&& attempt, MayRetry may_retry = always_retry)
    -> decltype(attempt())
{
    const Backoff backoff = policy.backoff.value_or(conflict_backoff(store));
    const bool waits = backoff.cap.count() > 0; // else the clock is not worth reading
    using Clock = std::chrono::steady_clock;
    auto started = waits ? Clock::now() : Clock::time_point{};
    auto result = attempt();
    for (int tries = 1; tries < policy.max_attempts && !result && result.error() == Errc::conflict &&
                        may_retry(std::as_const(result).error());
         ++tries) {
        if (policy.on_retry) {
            policy.on_retry(result.error());
        }
        if (waits) {
            wait_before_retry(backoff, tries,
                              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
            started = Clock::now();
        }
        result = attempt();
    }
    return result;
}

} // namespace pod_dispatcher::detail

#endif
