#ifndef POD_DISPATCHER_SQL_ERROR_LOG_HPP
#define POD_DISPATCHER_SQL_ERROR_LOG_HPP

// The message of the last failure any connection of a store met, for logs.

#include <mutex>
#include <string>
#include <utility>

namespace pod_dispatcher_sql {

/// The database's own words, which may quote stored data, so kept apart from the error
/// codes. Shared by the threads of one store.
class ErrorLog {
public:
    void record(std::string message)
    {
        std::lock_guard lock{mutex_};
        last_ = std::move(message);
    }

    std::string last() const
    {
        std::lock_guard lock{mutex_};
        return last_;
    }

private:
    mutable std::mutex mutex_;
    std::string last_;
};

} // namespace pod_dispatcher_sql

#endif
