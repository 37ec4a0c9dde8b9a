#ifndef POD_DISPATCHER_ERROR_HPP
#define POD_DISPATCHER_ERROR_HPP

// Error codes and the Result type every operation returns.

#include <boost/outcome/result.hpp>
#include <boost/outcome/try.hpp>

#include <string>
#include <system_error>
#include <type_traits>

namespace pod_dispatcher {

/// What an operation returns: a value, or the std::error_code that explains why not.
template <class T>
using Result = boost::outcome_v2::result<T, std::error_code>;

/// The library's error conditions. Compare with `r.error() == Errc::conflict`.
enum class Errc {
    invalid_argument = 1,   ///< Bad input: an empty id, a pod id given twice, a negative count, ...
    not_found,              ///< A document the operation needs does not exist.
    conflict,               ///< The stored dispatcher no longer has the caller's modification_count.
    duplicate_key,          ///< A second document with the same id, group_id or pod would be created.
    pod_busy,               ///< The pod is already running a task.
    pod_not_in_dispatcher,  ///< The dispatcher does not hold that pod.
    precondition_failed,    ///< A document is not in the state the step needs.
    store_unavailable,      ///< The backend failed: network, server error or injected fault.
};

namespace detail {

class ErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "pod_dispatcher"; }

    std::string message(int code) const override
    {
        switch (static_cast<Errc>(code)) {
        case Errc::invalid_argument: return "invalid argument";
        case Errc::not_found: return "document not found";
        case Errc::conflict: return "stale dispatcher: modification_count changed";
        case Errc::duplicate_key: return "duplicate id, group_id or pod";
        case Errc::pod_busy: return "pod is already running a task";
        case Errc::pod_not_in_dispatcher: return "pod is not in the dispatcher";
        case Errc::precondition_failed: return "document is not in the required state";
        case Errc::store_unavailable: return "store unavailable";
        }
        return "unknown pod_dispatcher error";
    }
};

} // namespace detail

/// The category of Errc; its name is "pod_dispatcher".
inline const std::error_category& error_category() noexcept
{
    static const detail::ErrorCategory category;
    return category;
}

inline std::error_code make_error_code(Errc e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace pod_dispatcher

template <>
struct std::is_error_code_enum<pod_dispatcher::Errc> : std::true_type {};

#endif
