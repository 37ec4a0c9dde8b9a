#ifndef POD_DISPATCHER_BENCH_IN_ORDER_HPP
#define POD_DISPATCHER_BENCH_IN_ORDER_HPP

// A fixture whose calls must run in the order it set them up (Lanes shuffles its items):
// its lanes only count the calls, and the fixture numbers them itself.

#include "support/fixtures.hpp"
#include "support/lanes.hpp"

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace pod_dispatcher::bench {

template <class S>
class InOrderFixture : public StoreFixture<S, char> {
protected:
    /// A fixture over store with room for `calls` calls, on one lane.
    InOrderFixture(std::unique_ptr<S> store, std::size_t calls)
        : StoreFixture<S, char>(std::move(store), Lanes<char>(std::vector<std::vector<char>>{std::vector<char>(calls)}))
    {
    }

    /// The number of the call under way, counting from 0.
    std::size_t next_call() noexcept { return calls_made_++; }

private:
    std::size_t calls_made_ = 0;
};

} // namespace pod_dispatcher::bench

#endif
