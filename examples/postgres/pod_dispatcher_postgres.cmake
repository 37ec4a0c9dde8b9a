# Defines pod_dispatcher::postgres, the PostgresStore headers on libpq, once per build,
# where libpq is found. Included by the top-level CMakeLists.txt (which installs it as
# the package's postgres component) or by a project that adds pod_dispatcher as a
# subdirectory; whoever uses the target says what it skips when the target is missing.
include_guard(GLOBAL)

include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/pod_dispatcher-stores.cmake)
pod_dispatcher_find_client(postgres)
if(NOT pod_dispatcher_postgres_client_FOUND)
    return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../sql/pod_dispatcher_sql.cmake)

add_library(pod_dispatcher_postgres INTERFACE)
add_library(pod_dispatcher::postgres ALIAS pod_dispatcher_postgres)
target_include_directories(pod_dispatcher_postgres INTERFACE
    $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(pod_dispatcher_postgres INTERFACE pod_dispatcher::sql PostgreSQL::PostgreSQL Threads::Threads)
