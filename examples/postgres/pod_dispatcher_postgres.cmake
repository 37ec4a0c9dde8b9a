# Defines pod_dispatcher::postgres, the PostgresStore headers on libpq, once per build,
# where libpq is found. Included by this directory and by the tests; each says what it
# skips when the target is missing.
include_guard(GLOBAL)

find_package(PostgreSQL QUIET)
if(NOT PostgreSQL_FOUND)
    return()
endif()
find_package(Threads REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/../sql/pod_dispatcher_sql.cmake)

add_library(pod_dispatcher_postgres INTERFACE)
add_library(pod_dispatcher::postgres ALIAS pod_dispatcher_postgres)
target_include_directories(pod_dispatcher_postgres INTERFACE ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(pod_dispatcher_postgres INTERFACE pod_dispatcher::sql PostgreSQL::PostgreSQL Threads::Threads)
