# Defines pod_dispatcher::sqlite, the SqliteStore headers on libsqlite3, once per build,
# where SQLite is found. Included by the top-level CMakeLists.txt (which installs it as
# the package's sqlite component) or by a project that adds pod_dispatcher as a
# subdirectory; whoever uses the target says what it skips when the target is missing.
include_guard(GLOBAL)

include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/pod_dispatcher-stores.cmake)
pod_dispatcher_find_client(sqlite)
if(NOT pod_dispatcher_sqlite_client_FOUND)
    return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../sql/pod_dispatcher_sql.cmake)

add_library(pod_dispatcher_sqlite INTERFACE)
add_library(pod_dispatcher::sqlite ALIAS pod_dispatcher_sqlite)
target_include_directories(pod_dispatcher_sqlite INTERFACE
    $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(pod_dispatcher_sqlite INTERFACE pod_dispatcher::sql SQLite::SQLite3 Threads::Threads)
