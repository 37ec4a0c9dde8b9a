# Defines pod_dispatcher::sqlite, the SqliteStore headers on libsqlite3, once per build,
# where SQLite is found. Included by this directory and by the tests; each says what it
# skips when the target is missing.
include_guard(GLOBAL)

find_package(SQLite3 QUIET)
if(NOT SQLite3_FOUND)
    return()
endif()
find_package(Threads REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/../sql/pod_dispatcher_sql.cmake)

add_library(pod_dispatcher_sqlite INTERFACE)
add_library(pod_dispatcher::sqlite ALIAS pod_dispatcher_sqlite)
target_include_directories(pod_dispatcher_sqlite INTERFACE ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(pod_dispatcher_sqlite INTERFACE pod_dispatcher::sql SQLite::SQLite3 Threads::Threads)
