#ifndef POD_DISPATCHER_BENCH_BASELINES_SEEDING_CALLS_HPP
#define POD_DISPATCHER_BENCH_BASELINES_SEEDING_CALLS_HPP

// What the baselines that keep documents (the hand-written one and the port) share: the
// headers they all use and the seeding calls support/seeding.hpp makes, each of which
// hands its document to the baseline's own insert_document.

#include "support/library_ops.hpp"

#include <pod_dispatcher/pod_dispatcher.hpp>

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace pod_dispatcher::bench {

/// Which of a baseline's collections of tasks, pods and project refs holds documents of
/// type D.
template <class D, class Tasks, class Pods, class ProjectRefs>
auto& collection_of(Tasks& tasks, Pods& pods, ProjectRefs& project_refs)
{
    if constexpr (std::is_same_v<D, Task>) {
        return tasks;
    } else if constexpr (std::is_same_v<D, Pod>) {
        return pods;
    } else {
        static_assert(std::is_same_v<D, ProjectRef>);
        return project_refs;
    }
}

/// insert_task, insert_pod and insert_project_ref of a baseline Self, which offers
/// insert_document(doc) for each of these documents.
template <class Self>
class SeedingCalls {
public:
    Result<void> insert_task(const Task& task) { return self().insert_document(task); }
    Result<void> insert_pod(const Pod& pod) { return self().insert_document(pod); }
    Result<void> insert_project_ref(const ProjectRef& ref) { return self().insert_document(ref); }

private:
    Self& self() { return static_cast<Self&>(*this); }
};

} // namespace pod_dispatcher::bench

#endif
