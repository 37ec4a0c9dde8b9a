# Defines pod_dispatcher::mongo, the MongoStore headers on the C driver, once per build,
# where the driver is found. Included by the top-level CMakeLists.txt (which installs it
# as the package's mongo component) or by a project that adds pod_dispatcher as a
# subdirectory; whoever uses the target says what it skips when the target is missing.
include_guard(GLOBAL)

include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/pod_dispatcher-stores.cmake)
pod_dispatcher_find_client(mongo)
if(NOT pod_dispatcher_mongo_client_FOUND)
    return()
endif()

add_library(pod_dispatcher_mongo INTERFACE)
add_library(pod_dispatcher::mongo ALIAS pod_dispatcher_mongo)
target_include_directories(pod_dispatcher_mongo INTERFACE
    $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(pod_dispatcher_mongo INTERFACE pod_dispatcher::pod_dispatcher mongo::mongoc_shared)
