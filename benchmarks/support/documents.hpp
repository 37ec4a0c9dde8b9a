#ifndef POD_DISPATCHER_BENCH_DOCUMENTS_HPP
#define POD_DISPATCHER_BENCH_DOCUMENTS_HPP

// The documents every benchmark seeds, named so that any engine can rebuild them from
// their indexes. Task and pod ids stay within std::string's small buffer; dispatcher ids
// are 24 hex characters, like generated ones.

#include <pod_dispatcher/testing/samples.hpp>

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace pod_dispatcher::bench {

/// The size of a seeded store: each dispatcher holds queue_length tasks and pods pods.
struct Shape {
    std::size_t dispatchers = 1;
    std::size_t queue_length = 1;
    std::size_t pods = 1;
};

inline std::string task_id(std::size_t dispatcher, std::size_t position)
{
    return "t" + std::to_string(dispatcher) + "." + std::to_string(position);
}

inline std::string pod_id(std::size_t dispatcher, std::size_t position)
{
    return "p" + std::to_string(dispatcher) + "." + std::to_string(position);
}

inline std::string group_id(std::size_t dispatcher) { return "g" + std::to_string(dispatcher); }

inline std::string dispatcher_id(std::size_t dispatcher)
{
    char id[25];
    std::snprintf(id, sizeof id, "%024zx", dispatcher + 0x6570'0000'0000'0000);
    return id;
}

using namespace pod_dispatcher::testing;

/// Dispatcher number `index` of a store of this shape, as seeded.
inline PodDispatcher dispatcher_doc(std::size_t index, const Shape& shape)
{
    PodDispatcher d{dispatcher_id(index), group_id(index), {}, {}, 0, {}};
    d.pod_ids.reserve(shape.pods);
    for (std::size_t p = 0; p < shape.pods; ++p) {
        d.pod_ids.push_back(pod_id(index, p));
    }
    d.task_ids.reserve(shape.queue_length);
    for (std::size_t q = 0; q < shape.queue_length; ++q) {
        d.task_ids.push_back(task_id(index, q));
    }
    return d;
}

} // namespace pod_dispatcher::bench

#endif
