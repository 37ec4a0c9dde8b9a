#ifndef POD_DISPATCHER_OPERATIONS_HPP
#define POD_DISPATCHER_OPERATIONS_HPP

// The operations, written once against the Store concept. Each call is one unit of
// work: on failure the store (if it rolls back) and the caller's objects are exactly as
// before.

#include <pod_dispatcher/operations/allocate.hpp>
#include <pod_dispatcher/operations/dispatch.hpp>
#include <pod_dispatcher/operations/find.hpp>
#include <pod_dispatcher/operations/finish_task.hpp>
#include <pod_dispatcher/operations/pod_reports.hpp>
#include <pod_dispatcher/operations/remove_pod.hpp>
#include <pod_dispatcher/operations/rescue_stale_pods.hpp>
#include <pod_dispatcher/operations/terminate_pod.hpp>
#include <pod_dispatcher/operations/upsert.hpp>

#endif
