#ifndef POD_DISPATCHER_BENCH_RESCUE_HPP
#define POD_DISPATCHER_BENCH_RESCUE_HPP

// rescue_stale_pods, each call finding a few pods gone stale among many running pods heard
// from lately. A store that reads only the stale pods (through an index on status and
// last_communicated) rescues them at the same cost among a thousand live pods as among a
// hundred thousand.

#include "support/documents.hpp"
#include "support/fixtures.hpp"
#include "support/in_order.hpp"
#include "support/seeding.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace pod_dispatcher::bench {

/// The pods each rescue finds stale.
inline constexpr std::size_t stale_per_rescue = 10;

/// A store holding `live` running pods heard from lately, and the pods each of its
/// `rescues` rescues finds stale; an operation is the next rescue. The pods go stale one
/// rescue at a time without a write between rescues: rescue k's pods were last heard from
/// at k ms past a base time, and rescue k looks back from a time that makes them stale and
/// the later ones not (the earlier ones are terminated by then). So every pod is seeded
/// up front, untimed, and the running pods each rescue searches are the live ones and the
/// later rescues' (at most a tenth as many more, given rescues <= live / 100). A rescue
/// before those timed warms the store up, as GroupAllocateFixture's allocate does.
template <class S>
class RescueFixture : public InOrderFixture<S> {
public:
    RescueFixture(const StoreFactory<S>& make, std::size_t live, std::size_t rescues)
        : InOrderFixture<S>(make(), rescues)
    {
        S& store = *this->store_;
        expect(store.atomically([&] { return seed_pods(store, live, rescues + 1); }), "pods");
        // Pods are what this store holds: they, not tasks, make it too big to check.
        this->seeded(live + (rescues + 1) * stale_per_rescue);
        if (const std::string wrong = rescue_next(); !wrong.empty()) {
            throw std::runtime_error("the warm-up rescue failed: " + wrong);
        }
    }

    void run(std::size_t, char&, Tally& tally)
    {
        if (std::string wrong = rescue_next(); !wrong.empty()) {
            return tally.problems.push_back(std::move(wrong));
        }
        ++tally.ops;
    }

private:
    /// When rescue k's pods were last heard from.
    static Timestamp last_heard(std::size_t rescue)
    {
        return Timestamp{std::chrono::milliseconds{1'700'000'000'000 + static_cast<std::int64_t>(rescue)}};
    }

    /// Runs the next rescue: what went wrong, or nothing.
    std::string rescue_next()
    {
        RescueOptions options;
        options.now = last_heard(this->next_call()) + std::chrono::milliseconds{1} + options.heartbeat_timeout;
        const auto report = rescue_stale_pods(*this->store_, options);
        if (!report) {
            return "rescue failed: " + report.error().message();
        }
        const std::size_t terminated = report.value().terminated_pods.size();
        return terminated == stale_per_rescue ? std::string{}
                                              : "a rescue terminated " + std::to_string(terminated) + " pods, not " +
                                                    std::to_string(stale_per_rescue);
    }

    static Result<void> seed_pods(S& store, std::size_t live, std::size_t rescues)
    {
        const Timestamp lately = last_heard(rescues) + std::chrono::hours{24};
        for (std::size_t i = 0; i < live; ++i) {
            BOOST_OUTCOME_TRY(store.insert_pod(pod_heard_at("live" + std::to_string(i), PodStatus::running, lately)));
        }
        for (std::size_t k = 0; k < rescues; ++k) {
            for (std::size_t i = 0; i < stale_per_rescue; ++i) {
                const std::string id = "stale" + std::to_string(k) + "." + std::to_string(i);
                BOOST_OUTCOME_TRY(store.insert_pod(pod_heard_at(id, PodStatus::running, last_heard(k))));
            }
        }
        return boost::outcome_v2::success();
    }
};

} // namespace pod_dispatcher::bench

#endif
