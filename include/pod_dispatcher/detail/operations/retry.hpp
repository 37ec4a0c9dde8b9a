#ifndef POD_DISPATCHER_DETAIL_OPERATIONS_RETRY_HPP
#define POD_DISPATCHER_DETAIL_OPERATIONS_RETRY_HPP

// Operations that read what they write run again when they lose a race: a conflict then
// means only that another caller got there first.

#include <pod_dispatcher/error.hpp>

#include <system_error>
#include <utility>

namespace pod_dispatcher::detail {

/// Tries an operation makes before it returns a conflict to its caller.
inline constexpr int conflict_attempts = 16;

/// Calls attempt() until it returns anything but Errc::conflict, at most max_attempts
/// times in all; before each retry calls before_retry(the conflict), and stops when it
/// returns false. Returns the last result, from one place (a Task is costly to move).
template <class Attempt, class BeforeRetry>
auto retry_conflicts(int max_attempts, Attempt&& attempt, BeforeRetry&& before_retry) -> decltype(attempt())
{
    auto result = attempt();
    for (int tries = 1; tries < max_attempts && !result && result.error() == Errc::conflict &&
                        before_retry(std::as_const(result).error());
         ++tries) {
        result = attempt();
    }
    return result;
}

/// retry_conflicts with nothing to do before a retry.
template <class Attempt>
auto retry_conflicts(Attempt&& attempt) -> decltype(attempt())
{
    return retry_conflicts(conflict_attempts, attempt, [](const std::error_code&) { return true; });
}

} // namespace pod_dispatcher::detail

#endif
