#ifndef POD_DISPATCHER_POD_DISPATCHER_HPP
#define POD_DISPATCHER_POD_DISPATCHER_HPP

// The whole core: documents, errors, JSON, the Store concept and the operations.

#include <pod_dispatcher/dispatcher.hpp>
#include <pod_dispatcher/documents.hpp>
#include <pod_dispatcher/error.hpp>
#include <pod_dispatcher/events.hpp>
#include <pod_dispatcher/fields.hpp>
#include <pod_dispatcher/json.hpp>
#include <pod_dispatcher/operations.hpp>
#include <pod_dispatcher/query.hpp>
#include <pod_dispatcher/retry.hpp>
#include <pod_dispatcher/rules.hpp>
#include <pod_dispatcher/store.hpp>
#include <pod_dispatcher/store_contents.hpp>
#include <pod_dispatcher/update.hpp>

#endif
