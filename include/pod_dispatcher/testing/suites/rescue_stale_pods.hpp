#ifndef POD_DISPATCHER_TESTING_SUITES_RESCUE_STALE_PODS_HPP
#define POD_DISPATCHER_TESTING_SUITES_RESCUE_STALE_PODS_HPP

// rescue_stale_pods: terminates the pods that never started, or stopped being heard from.

#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/testing/interposing_store.hpp>
#include <pod_dispatcher/testing/printing.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>
#include <pod_dispatcher/testing/unchanged.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pod_dispatcher::testing {

namespace detail {

inline constexpr std::chrono::milliseconds one_ms{1};

/// rescue_stale_pods must succeed; its report.
template <class S>
RescueReport rescued(S& store, const RescueOptions& options)
{
    auto report = rescue_stale_pods(store, options);
    REQUIRE(report);
    return std::move(report).value();
}

/// Seeds pods of `status` heard from just before cutoff, at cutoff, and at options.now;
/// a rescue must terminate the first alone, for reason.
template <class S>
void require_stale_strictly_before(S& store, const RescueOptions& options, PodStatus status, Timestamp cutoff,
                                   std::string_view reason)
{
    const Pod at_cutoff = pod_heard_at("at-cutoff", status, cutoff);
    const Pod recent = pod_heard_at("recent", status, options.now);
    seed(store, pod_heard_at("stale", status, cutoff - one_ms));
    seed(store, at_cutoff);
    seed(store, recent);

    const RescueReport report = rescued(store, options);
    REQUIRE(report.terminated_pods == std::vector<std::string>{"stale"});
    REQUIRE(report.stranded_tasks.empty());
    REQUIRE(stored_pod(store, "stale").status == PodStatus::terminated);
    REQUIRE(termination_reason(store, "stale") == reason);
    REQUIRE(stored_pod(store, "at-cutoff") == at_cutoff);
    REQUIRE(stored_pod(store, "recent") == recent);
}

/// The pods a store holds terminated, by id.
template <class S>
std::vector<std::string> terminated_pods_of(S& store)
{
    std::vector<std::string> ids;
    for (const Pod& pod : contents_of(store).pods) {
        if (pod.status == PodStatus::terminated) {
            ids.push_back(pod.id);
        }
    }
    return ids;
}

/// Called before each unit of a rescue and once after it, the order in which the pods
/// of store became terminated.
template <class S>
class TerminationOrder {
public:
    explicit TerminationOrder(S& store) : store_(store), before_(terminated_pods_of(store)) {}

    void operator()()
    {
        for (std::string& id : terminated_pods_of(store_)) {
            if (!contains(before_, id) && !contains(order_, id)) {
                order_.push_back(std::move(id));
            }
        }
    }

    const std::vector<std::string>& order() const noexcept { return order_; }

private:
    static bool contains(const std::vector<std::string>& ids, const std::string& id)
    {
        return std::ranges::find(ids, id) != ids.end();
    }

    S& store_;
    std::vector<std::string> before_;
    std::vector<std::string> order_;
};

} // namespace detail

template <StoreMaker M>
void rescue_stale_pods_suite()
{
    using S = store_of<M>;
    using detail::one_ms;
    using detail::rescued;
    using std::chrono::minutes;
    auto owned = M::make();
    auto& store = *owned;
    RescueOptions options;
    options.now = now();
    const Timestamp startup_cutoff = options.now - options.startup_timeout;
    const Timestamp heartbeat_cutoff = options.now - options.heartbeat_timeout;

    struct Timeout {
        PodStatus status;
        std::string_view timeout;
        Timestamp cutoff;
        std::string_view reason;
    };
    for (const Timeout& rule : {Timeout{PodStatus::initializing, "startup_timeout", startup_cutoff, "startup timeout"},
                                Timeout{PodStatus::starting, "startup_timeout", startup_cutoff, "startup timeout"},
                                Timeout{PodStatus::running, "heartbeat_timeout", heartbeat_cutoff, "heartbeat timeout"},
                                Timeout{PodStatus::decommissioned, "heartbeat_timeout", heartbeat_cutoff,
                                        "heartbeat timeout"}}) {
        DYNAMIC_SECTION("a pod " << name_of(rule.status) << " and last heard from before now minus " << rule.timeout
                                 << " is terminated for a " << rule.reason
                                 << " and one heard from at that time or since is not")
        {
            detail::require_stale_strictly_before(store, options, rule.status, rule.cutoff, rule.reason);
        }
    }
    SECTION("each status counts back by its own timeout")
    {
        seed(store, pod_heard_at("starting", PodStatus::starting, options.now - minutes(10)));
        seed(store, pod_heard_at("running", PodStatus::running, options.now - minutes(10)));
        std::vector<std::string> stale;
        SECTION("the heartbeat timeout the shorter") { stale = {"running"}; }
        SECTION("the startup timeout the shorter")
        {
            options.startup_timeout = minutes(5);
            options.heartbeat_timeout = minutes(20);
            stale = {"starting"};
        }
        REQUIRE(rescued(store, options).terminated_pods == stale);
    }
    SECTION("a pod never heard from counts as heard from before any time")
    {
        // The cutoffs fall on the first millisecond after the epoch, an unset time.
        options.startup_timeout = options.heartbeat_timeout = options.now.time_since_epoch() - one_ms;
        seed(store, pod_heard_at("never-started", PodStatus::initializing, {}));
        seed(store, pod_heard_at("never-heard", PodStatus::running, {}));
        auto terminated = rescued(store, options).terminated_pods;
        std::ranges::sort(terminated);
        REQUIRE(terminated == std::vector<std::string>{"never-heard", "never-started"});
        REQUIRE(termination_reason(store, "never-started") == "startup timeout");
        REQUIRE(termination_reason(store, "never-heard") == "heartbeat timeout");
    }
    SECTION("a terminated pod is left alone however long ago it was heard from, and with no stale pod nothing is "
            "written")
    {
        seed(store, pod_heard_at("gone", PodStatus::terminated, {}));
        seed(store, pod_heard_at("alive", PodStatus::running, options.now));
        const Unchanged unchanged{store};
        REQUIRE(rescued(store, options) == RescueReport{});
        REQUIRE(unchanged());
    }
    SECTION("the report lists the pods in the order they were terminated, and as stored after the stranded task of "
            "each that ran one")
    {
        seed(store, enabled_project());
        seed_running(store, pod_heard_at("p-restart", PodStatus::running, heartbeat_cutoff - minutes(3)),
                     dispatchable_task("t-restart"));
        seed(store, pod_heard_at("p-idle", PodStatus::initializing, startup_cutoff - minutes(2)));
        Task last_run = dispatchable_task("t-fail");
        last_run.execution = max_stranded_restarts;
        seed_running(store, pod_heard_at("p-fail", PodStatus::decommissioned, heartbeat_cutoff - one_ms), last_run);
        InterposingStore<S> watched{store};
        detail::TerminationOrder order{store};
        watched.before_each_unit(std::ref(order));

        const RescueReport report = rescued(watched, options);
        order();
        REQUIRE(report.terminated_pods == order.order());
        std::vector<Task> stranded;
        for (const std::string& pod_id : report.terminated_pods) {
            if (pod_id != "p-idle") {
                stranded.push_back(stored_task(store, pod_id == "p-fail" ? "t-fail" : "t-restart"));
            }
        }
        REQUIRE(report.stranded_tasks == stranded);
        REQUIRE(stored_task(store, "t-restart").execution == 1);
        REQUIRE(stored_task(store, "t-fail").status == TaskStatus::failed);
        REQUIRE(termination_reason(store, "p-idle") == "startup timeout");
        REQUIRE(termination_reason(store, "p-restart") == "heartbeat timeout");
        REQUIRE(termination_reason(store, "p-fail") == "heartbeat timeout");
    }
    SECTION("a pod heard from after the rescue read it and before its unit runs is left alone")
    {
        seed(store, enabled_project());
        seed_running(store, pod_heard_at("p-alive", PodStatus::running, heartbeat_cutoff - one_ms),
                     dispatchable_task("t-alive"));
        seed(store, pod_heard_at("p-dead", PodStatus::running, heartbeat_cutoff - one_ms));
        const PodDispatcher d = seeded_dispatcher(store, {}, {"p-alive"});
        InterposingStore<S> interposing{store};
        int heard = 0;
        interposing.before_each_unit([&] {
            REQUIRE(heartbeat(store, "p-alive"));
            ++heard;
        });

        const RescueReport report = rescued(interposing, options);
        REQUIRE(heard > 0);
        REQUIRE(report.terminated_pods == std::vector<std::string>{"p-dead"});
        const Pod alive = stored_pod(store, "p-alive");
        REQUIRE(alive.status == PodStatus::running);
        REQUIRE(alive.running_task_id == "t-alive");
        REQUIRE(stored_task(store, "t-alive").status == TaskStatus::dispatched);
        REQUIRE(stored_dispatcher(store, d.id) == d);
    }
    SECTION("a pod another caller terminated after the rescue read it is left alone, so it is terminated once")
    {
        seed(store, pod_heard_at("p-a", PodStatus::running, heartbeat_cutoff - one_ms));
        seed(store, pod_heard_at("p-b", PodStatus::running, heartbeat_cutoff - one_ms));
        InterposingStore<S> interposing{store};
        interposing.before_each_unit([&] { REQUIRE(terminate_pod(store, "p-a", "container stopped")); });

        REQUIRE(rescued(interposing, options).terminated_pods == std::vector<std::string>{"p-b"});
        REQUIRE(event_types(store, "p-a") == std::vector<EventType>{EventType::pod_status_changed});
        REQUIRE(termination_reason(store, "p-a") == "container stopped");
    }
    SECTION("with now unset, the timeouts count back from the clock: 15 minutes to start, 7 between heartbeats")
    {
        const RescueOptions defaults;
        REQUIRE(defaults.now == Timestamp{});
        REQUIRE(defaults.startup_timeout == minutes(15));
        REQUIRE(defaults.heartbeat_timeout == minutes(7));
        seed(store, pod_heard_at("stale", PodStatus::running, now() - minutes(7) - std::chrono::seconds(1)));
        seed(store, pod_heard_at("fresh", PodStatus::running, now() - minutes(6)));
        seed(store, pod_heard_at("starting", PodStatus::starting, now() - minutes(14)));
        REQUIRE(rescued(store, defaults).terminated_pods == std::vector<std::string>{"stale"});
    }
    SECTION("on a store that fails part way it returns the error, and the pods it terminated stay so")
    {
        const Pod first = pod_heard_at("p-first", PodStatus::running, heartbeat_cutoff - one_ms);
        const Pod second = pod_heard_at("p-second", PodStatus::decommissioned, heartbeat_cutoff - one_ms);
        seed(store, first);
        seed(store, second);
        InterposingStore<S> failing{store};
        int units = 0;
        std::vector<std::string> terminated_first;
        failing.before_each_unit([&] {
            if (++units == 2) {
                terminated_first = detail::terminated_pods_of(store);
                failing.fail_at(1); // the second unit
            }
        });

        REQUIRE(rescue_stale_pods(failing, options).error() == Errc::store_unavailable);
        REQUIRE(terminated_first.size() == 1);
        REQUIRE(detail::terminated_pods_of(store) == terminated_first);
        const Pod& untouched = terminated_first.front() == first.id ? second : first;
        REQUIRE(stored_pod(store, untouched.id) == untouched);
    }
    SECTION("a timeout of zero or less is invalid_argument, and nothing is written")
    {
        seed(store, pod_heard_at("stale", PodStatus::running, {}));
        for (const std::chrono::milliseconds bad : {std::chrono::milliseconds{0}, -one_ms}) {
            RescueOptions bad_startup = options;
            bad_startup.startup_timeout = bad;
            RescueOptions bad_heartbeat = options;
            bad_heartbeat.heartbeat_timeout = bad;
            for (const RescueOptions& refused : {bad_startup, bad_heartbeat}) {
                CAPTURE(refused.startup_timeout.count(), refused.heartbeat_timeout.count());
                require_refused(store, [&] { return rescue_stale_pods(store, refused); }, Errc::invalid_argument);
            }
        }
    }
}

} // namespace pod_dispatcher::testing

#endif
