# Defines pod_dispatcher::mongo, the MongoStore headers on the C driver, once per build,
# where the driver is found. Included by this directory and by the tests; each says what
# it skips when the target is missing.
include_guard(GLOBAL)

find_package(mongoc-1.0 CONFIG QUIET)
if(NOT mongoc-1.0_FOUND)
    return()
endif()

add_library(pod_dispatcher_mongo INTERFACE)
add_library(pod_dispatcher::mongo ALIAS pod_dispatcher_mongo)
target_include_directories(pod_dispatcher_mongo INTERFACE ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(pod_dispatcher_mongo INTERFACE pod_dispatcher::pod_dispatcher mongo::mongoc_shared)
