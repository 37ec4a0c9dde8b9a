// Must not compile: PodDispatcher's member operations are defined with the operations,
// and a caller that includes only the store and the document is told which header to
// include, rather than left with a link error.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/memory_store.hpp>

int main()
{
    pod_dispatcher::MemoryStore store;
    const pod_dispatcher::PodDispatcher d{"d", "g", {}, {}, 0, {}};
    return d.insert(store) ? 0 : 1;
}
