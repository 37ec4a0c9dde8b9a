#ifndef POD_DISPATCHER_TESTING_UNCHANGED_HPP
#define POD_DISPATCHER_TESTING_UNCHANGED_HPP

// "Nothing was written": a copy of the whole store to compare against after a call.

#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/testing/seeding.hpp>
#include <pod_dispatcher/testing/testable_store.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <catch2/catch_test_macros.hpp>

#include <string>

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
    bool operator()() const
    {
        const StoreContents now = contents_of(store_);
        if (now == before_) {
            return true;
        }
        UNSCOPED_INFO("before: " << boost::json::serialize(contents_json(before_)));
        UNSCOPED_INFO("after:  " << boost::json::serialize(contents_json(now)));
        return false;
    }

private:
    S& store_;
    StoreContents before_;
};

} // namespace pod_dispatcher::testing

#endif
