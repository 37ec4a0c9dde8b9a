# The example stores, each a component of the installed package, and how each finds its
# client library. One place for both: each store's pod_dispatcher_<store>.cmake includes
# this from the source tree, and the package's config includes the installed copy. No
# include guard: a variable set here is seen only below the directory that included it.

set(pod_dispatcher_stores sqlite postgres mongo)

# Each store's client library, as find_package takes it, and the Debian package that has
# it, for the messages where it is missing.
set(pod_dispatcher_sqlite_client SQLite3)
set(pod_dispatcher_sqlite_client_package libsqlite3-dev)
set(pod_dispatcher_postgres_client PostgreSQL)
set(pod_dispatcher_postgres_client_package libpq-dev)
# The C driver's own CMake package; it finds libbson (bson-1.0) in turn.
set(pod_dispatcher_mongo_client mongoc-1.0)
set(pod_dispatcher_mongo_client_options CONFIG)
set(pod_dispatcher_mongo_client_package libmongoc-dev)

# Finds the client library of `store`, quietly (the caller says what a missing one costs),
# and Threads, which the SQL stores link; sets pod_dispatcher_<store>_client_FOUND.
# A macro, so that the client's variables reach the caller as find_package's would.
macro(pod_dispatcher_find_client store)
    find_package(${pod_dispatcher_${store}_client} ${pod_dispatcher_${store}_client_options} QUIET)
    set(pod_dispatcher_${store}_client_FOUND ${${pod_dispatcher_${store}_client}_FOUND})
    if(pod_dispatcher_${store}_client_FOUND)
        find_package(Threads REQUIRED)
    endif()
endmacro()
