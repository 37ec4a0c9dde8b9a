# Defines pod_dispatcher::sql, what the SQL example stores share (queue positions, the
# documents' JSON text), once per build. Included by each SQL store's cmake file.
include_guard(GLOBAL)

add_library(pod_dispatcher_sql INTERFACE)
add_library(pod_dispatcher::sql ALIAS pod_dispatcher_sql)
target_include_directories(pod_dispatcher_sql INTERFACE ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(pod_dispatcher_sql INTERFACE pod_dispatcher::pod_dispatcher)
