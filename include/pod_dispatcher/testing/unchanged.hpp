#ifndef POD_DISPATCHER_TESTING_UNCHANGED_HPP
#define POD_DISPATCHER_TESTING_UNCHANGED_HPP

// "Nothing was written", or nothing but what a call must write: a copy of the whole store
// to compare against after a call.

#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pod_dispatcher::testing {

/// Everything a store holds as one JSON object, keyed by kind: equal values mean equal
/// stores, and a failed comparison prints what differs.
inline boost::json::value contents_json(const StoreContents& contents)
{
    return boost::json::object{
        {"dispatchers", boost::json::value_from(contents.dispatchers)},
        {"tasks", boost::json::value_from(contents.tasks)},
        {"pods", boost::json::value_from(contents.pods)},
        {"project_refs", boost::json::value_from(contents.project_refs)},
        {"events", boost::json::value_from(contents.events)},
    };
}

template <TestableStore S>
class Unchanged {
public:
    explicit Unchanged(S& store) : store_(store), before_(contents_of(store)) {}

    /// True when the store holds exactly what it held when this was made; otherwise
    /// says what it holds now.
    bool operator()() const { return holds(before_); }

    /// True when the store holds what it held when this was made, changed as change(c)
    /// changes a copy c of that, and nothing else; otherwise says what it holds now.
    template <class Change>
    bool except(Change&& change) const
    {
        StoreContents expected = before_;
        change(expected);
        return holds(expected);
    }

private:
    bool holds(const StoreContents& expected) const
    {
        const StoreContents now = contents_of(store_);
        if (now == expected) {
            return true;
        }
        UNSCOPED_INFO("expected: " << boost::json::serialize(contents_json(expected)));
        UNSCOPED_INFO("found:    " << boost::json::serialize(contents_json(now)));
        return false;
    }

    S& store_;
    StoreContents before_;
};

/// The document with this id among docs, which must hold it: for a change given to
/// Unchanged::except.
template <class D>
D& with_id(std::vector<D>& docs, std::string_view id)
{
    const auto it = std::ranges::find(docs, id, &D::id);
    REQUIRE(it != docs.end());
    return *it;
}

/// For Unchanged::except: the pod pod_id was heard from at `at`.
inline auto heard_at(std::string pod_id, Timestamp at)
{
    return [pod_id = std::move(pod_id), at](StoreContents& contents) {
        with_id(contents.pods, pod_id).last_communicated = at;
    };
}

/// call() must succeed, and write nothing but that the pod pod_id was heard from during
/// it. Returns the value call returned.
template <TestableStore S, class Call>
auto require_only_heard_from(S& store, std::string_view pod_id, Call&& call)
{
    const Unchanged unchanged{store};
    const Timestamp since = now();
    auto result = call();
    REQUIRE(result);
    const Timestamp heard = require_heard_since(store, pod_id, since);
    REQUIRE(unchanged.except(heard_at(std::string(pod_id), heard)));
    return std::move(result).value();
}

/// call() must fail with `expected`, and write nothing.
template <TestableStore S, class Call>
void require_refused(S& store, Call&& call, Errc expected)
{
    const Unchanged unchanged{store};
    const auto result = call();
    REQUIRE_FALSE(result);
    REQUIRE(result.error() == expected);
    REQUIRE(unchanged());
}

} // namespace pod_dispatcher::testing

#endif
