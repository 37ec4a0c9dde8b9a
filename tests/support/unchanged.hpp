#ifndef POD_DISPATCHER_TESTS_UNCHANGED_HPP
#define POD_DISPATCHER_TESTS_UNCHANGED_HPP

// "Nothing was written": a copy of the whole store to compare against after a call.

#include <pod_dispatcher/store_contents.hpp>

namespace pod_dispatcher::test {

template <class S>
class Unchanged {
public:
    explicit Unchanged(S& store) : store_(store), before_(store.snapshot()) {}

    /// True when the store holds exactly what it held when this was made.
    bool operator()() const { return store_.snapshot() == before_; }

private:
    S& store_;
    StoreContents before_;
};

} // namespace pod_dispatcher::test

#endif
