#ifndef POD_DISPATCHER_TESTS_UNCHANGED_HPP
#define POD_DISPATCHER_TESTS_UNCHANGED_HPP

// "Nothing was written": a copy of the whole store to compare against after a call.

#include "support/store_factory.hpp"

#include <pod_dispatcher/store_contents.hpp>

#include <catch2/catch_test_macros.hpp>

namespace pod_dispatcher::test {

template <class S>
class Unchanged {
public:
    explicit Unchanged(S& store) : store_(store), before_(store.snapshot()) {}

    /// True when the store holds exactly what it held when this was made.
    bool operator()() const { return store_.snapshot() == before_; }

    /// For a failure the operation meets after its first write: a store that rolls
    /// units of work back holds what it held; one that cannot (its StoreFactory says
    /// which) keeps that write, and the test says so instead of asserting.
    void require_after_late_failure() const
    {
        if (StoreFactory<S>::rolls_back(store_)) {
            REQUIRE((*this)());
        } else {
            WARN("this store cannot roll back a unit of work; the writes before the failure stay");
        }
    }

private:
    S& store_;
    StoreContents before_;
};

} // namespace pod_dispatcher::test

#endif
