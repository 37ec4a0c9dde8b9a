#ifndef POD_DISPATCHER_RETRY_HPP
#define POD_DISPATCHER_RETRY_HPP

// How an operation retries a conflict. A conflict means only that another caller wrote
// first; run again on what is stored now, the operation mostly succeeds. Callers racing
// on one dispatcher over a store whose round trips cost milliseconds would lose again and
// again if they all retried at once, so such a store asks for a short random wait.

#include <chrono>
#include <functional>
#include <optional>
#include <system_error>

namespace pod_dispatcher {

/// How long to wait before a retry: before the n-th, a random time between zero and
/// min(cap, base * 2^(n-1)), where base is the longer of first and the time the try that
/// lost took ("full jitter": callers that collided spread out; and the waits keep pace
/// with the units they wait for, on a slow store or a busy machine).
struct Backoff {
    std::chrono::microseconds first{0}; ///< The least base.
    std::chrono::microseconds cap{0};   ///< The most to wait before any retry; zero: never wait.

    bool operator==(const Backoff&) const = default;
};

/// How dispatch_next_task, finish_task, allocate, mark_pod_running, heartbeat,
/// terminate_pod and rescue_stale_pods retry a conflict.
struct RetryPolicy {
    int max_attempts = 16;          ///< Tries in all before a conflict is returned to the caller.
    std::optional<Backoff> backoff; ///< Unset: the store's (conflict_backoff in store.hpp).
    std::function<void(const std::error_code&)> on_retry{}; ///< Called with each conflict, before it is retried.
};

} // namespace pod_dispatcher

#endif
