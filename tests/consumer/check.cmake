# Builds the consumer project against pod_dispatcher, with the stores STORES names (those
# the build has), and runs its tests: either installed from BINARY_DIR into a fresh prefix
# (MODE=install), where it also runs the conformance kit against its own store, or taken
# by add_subdirectory (MODE=subdirectory). Installed, the package must also refuse a store
# whose client library is missing, and a component it does not have, saying why.
set(work ${BINARY_DIR}/consumer-${MODE})
file(REMOVE_RECURSE ${work})

function(run)
    execute_process(COMMAND ${ARGV} RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "failed (${status}): ${ARGV}")
    endif()
endfunction()

# Configures the consumer in work/<name> with `how` and the arguments after `expected`, and
# fails unless the configure passes or fails as `outcome` says, with output that matches
# the regular expression `expected`.
function(configure_consumer name outcome expected)
    execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/${name}
                            -G ${GENERATOR} ${how} ${ARGN}
                    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
    if(status EQUAL 0)
        set(got pass)
    else()
        set(got fail)
    endif()
    if(NOT got STREQUAL outcome OR NOT output MATCHES "${expected}")
        message(FATAL_ERROR "configure ${name}: expected to ${outcome} saying \"${expected}\"; "
                            "it did ${got}:\n${output}")
    endif()
endfunction()

if(MODE STREQUAL "install")
    run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${work}/prefix)
    set(how -DCMAKE_PREFIX_PATH=${work}/prefix -DWITH_KIT=ON)
    # A client library missing where the consumer builds: a required store fails the
    # configure, an optional one only says so; either way naming the package to install.
    configure_consumer(no-sqlite fail "libsqlite3-dev" -DSTORES=sqlite -DCMAKE_DISABLE_FIND_PACKAGE_SQLite3=ON)
    configure_consumer(no-mongoc pass "libmongoc-dev"
                       -DOPTIONAL_STORES=mongo -DCMAKE_DISABLE_FIND_PACKAGE_mongoc-1.0=ON)
    configure_consumer(no-such-store fail "no component \"nosuch\"" -DSTORES=nosuch)
else()
    set(how -DPOD_DISPATCHER_SOURCE=${SOURCE_DIR} -DWITH_KIT=OFF)
endif()

# A list in one argument: escaped, or the call would split it.
string(REPLACE ";" "\\;" stores "${STORES}")
configure_consumer(build pass "" "-DSTORES=${stores}")
run(${CMAKE_COMMAND} --build ${work}/build)
run(${CMAKE_COMMAND} -E env ctest --test-dir ${work}/build --output-on-failure -j2)
