# Builds and runs the consumer project against pod_dispatcher, either installed from
# BINARY_DIR into a fresh prefix (MODE=install), where it also runs the conformance kit
# against its own store, or taken by add_subdirectory (MODE=subdirectory).
set(work ${BINARY_DIR}/consumer-${MODE})
file(REMOVE_RECURSE ${work})

function(run)
    execute_process(COMMAND ${ARGV} RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "failed (${status}): ${ARGV}")
    endif()
endfunction()

if(MODE STREQUAL "install")
    run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${work}/prefix)
    set(how -DCMAKE_PREFIX_PATH=${work}/prefix -DWITH_KIT=ON)
else()
    set(how -DPOD_DISPATCHER_SOURCE=${SOURCE_DIR} -DWITH_KIT=OFF)
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${work}/build -G ${GENERATOR} ${how})
run(${CMAKE_COMMAND} --build ${work}/build)
run(${work}/build/consumer)
if(MODE STREQUAL "install")
    run(${CMAKE_COMMAND} -E env ctest --test-dir ${work}/build --output-on-failure -j2)
endif()
