#ifndef POD_DISPATCHER_TESTING_FAULTY_STORE_HPP
#define POD_DISPATCHER_TESTING_FAULTY_STORE_HPP

// FaultyStore: a Store that fails the k-th call on command, to show that a failing
// backend leaves nothing half written.

#include <pod_dispatcher/store.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

/// Forwards every Store member to an inner store and counts the calls. After fail_at(k),
/// the k-th call from then on returns Errc::store_unavailable (or the error given) without
/// reaching the inner store, as a lost connection (or a lost race) would.
///
/// atomically is two calls: its own, and the commit once its work has succeeded, so a
/// fault can also strike after the last write of a unit. The work runs inside the inner
/// store's unit of work, so the inner store rolls back whatever a fault interrupts.
template <Store S>
class FaultyStore {
public:
    explicit FaultyStore(S& inner) : inner_(inner) {}

    /// Fails the k-th call from now on (counting from 1) with error; 0 fails none.
    /// Restarts the counts.
    void fail_at(std::size_t k, Errc error = Errc::store_unavailable) noexcept
    {
        calls_ = 0;
        faults_ = 0;
        {
            std::lock_guard lock{log_mutex_};
            log_.clear();
        }
        fail_at_ = k;
        error_ = error;
    }

    /// Calls made since the last fail_at.
    std::size_t calls() const noexcept { return calls_; }

    /// The members called since the last fail_at, in order; "atomically" and "commit"
    /// bracket a unit of work's calls.
    std::vector<std::string_view> log() const
    {
        std::lock_guard lock{log_mutex_};
        return log_;
    }

    /// Faults injected since the last fail_at: 0 or 1.
    std::size_t faults() const noexcept { return faults_; }

    Result<std::vector<PodDispatcher>> find_dispatchers(const Query& q)
    {
        return call("find_dispatchers", [&] { return inner_.find_dispatchers(q); });
    }
    Result<std::optional<PodDispatcher>> find_dispatcher(const Query& q, const Projection& p)
    {
        return call("find_dispatcher", [&] { return inner_.find_dispatcher(q, p); });
    }
    Result<void> insert_dispatcher(const PodDispatcher& d)
    {
        return call("insert_dispatcher", [&] { return inner_.insert_dispatcher(d); });
    }
    Result<bool> update_dispatcher(const Query& q, const DispatcherUpdate& u)
    {
        return call("update_dispatcher", [&] { return inner_.update_dispatcher(q, u); });
    }
    Result<std::optional<Task>> find_task(std::string_view id)
    {
        return call("find_task", [&] { return inner_.find_task(id); });
    }
    Result<std::optional<Task>> update_task(const FieldUpdate<Task>& u)
    {
        return call("update_task", [&] { return inner_.update_task(u); });
    }
    Result<std::optional<Pod>> find_pod(std::string_view id)
    {
        return call("find_pod", [&] { return inner_.find_pod(id); });
    }
    Result<std::vector<Pod>> find_pods(const PodQuery& q)
    {
        return call("find_pods", [&] { return inner_.find_pods(q); });
    }
    Result<void> insert_pod(const Pod& pod)
    {
        return call("insert_pod", [&] { return inner_.insert_pod(pod); });
    }
    Result<std::optional<Pod>> update_pod(const FieldUpdate<Pod>& u)
    {
        return call("update_pod", [&] { return inner_.update_pod(u); });
    }
    Result<std::optional<ProjectRef>> find_project_ref(std::string_view id)
    {
        return call("find_project_ref", [&] { return inner_.find_project_ref(id); });
    }
    Result<void> insert_events(std::span<const Event> events)
    {
        return call("insert_events", [&] { return inner_.insert_events(events); });
    }

    bool rolls_back() { return inner_.rolls_back(); }
    bool keeps_units_apart_by_dispatcher() { return pod_dispatcher::keeps_units_apart_by_dispatcher(inner_); }

    template <class F>
    Result<void> atomically(F&& work)
    {
        return call("atomically", [&] {
            return inner_.atomically([&]() -> Result<void> {
                BOOST_OUTCOME_TRY(work());
                return call("commit", [] { return Result<void>{boost::outcome_v2::success()}; });
            });
        });
    }

private:
    template <class F>
    auto call(std::string_view member, F&& forward) -> decltype(forward())
    {
        {
            std::lock_guard lock{log_mutex_};
            log_.push_back(member);
        }
        if (++calls_ == fail_at_) {
            ++faults_;
            return error_.load();
        }
        return forward();
    }

    S& inner_;
    std::atomic<std::size_t> calls_ = 0;
    std::atomic<std::size_t> faults_ = 0;
    std::atomic<std::size_t> fail_at_ = 0;
    std::atomic<Errc> error_ = Errc::store_unavailable;
    mutable std::mutex log_mutex_;
    std::vector<std::string_view> log_;
};

/// What a call returned, reduced to its error: empty on success.
template <class T>
std::error_code error_of(const Result<T>& r)
{
    return r ? std::error_code{} : r.error();
}

} // namespace pod_dispatcher::testing

#endif
