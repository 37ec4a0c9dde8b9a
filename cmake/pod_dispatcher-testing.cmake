# pod_dispatcher_add_conformance_test(NAME SOURCES...): a Catch2 test program that runs
# the conformance kit against the stores its sources register with
# POD_DISPATCHER_CONFORMANCE_TESTS, one CTest test per test case.
include_guard(GLOBAL)
include(Catch)

function(pod_dispatcher_add_conformance_test name)
    add_executable(${name} ${ARGN})
    find_package(Threads REQUIRED)
    target_link_libraries(${name} PRIVATE pod_dispatcher::testing Catch2::Catch2WithMain Threads::Threads)
    catch_discover_tests(${name})
endfunction()
