# Defines pod_dispatcher::sql, what the SQL example stores share (queue positions, the
# documents' JSON text), once per build. Included by each SQL store's cmake file; installed
# with them, as the package's sql component, for a SQL store of the user's own.
include_guard(GLOBAL)

add_library(pod_dispatcher_sql INTERFACE)
add_library(pod_dispatcher::sql ALIAS pod_dispatcher_sql)
target_include_directories(pod_dispatcher_sql INTERFACE
    $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(pod_dispatcher_sql INTERFACE pod_dispatcher::pod_dispatcher)
