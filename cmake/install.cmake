# Install the headers and an exported pod_dispatcher::pod_dispatcher target that
# find_package(pod_dispatcher CONFIG) finds, with its components: the conformance kit
# and the stores this build has. The build tree gets the same package files, for
# find_package without installing.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/pod_dispatcher)

# A file the package's config includes, beside it in both places.
function(pod_dispatcher_install_config_file file)
    install(FILES ${file} DESTINATION ${config_dir})
    configure_file(${file} ${PROJECT_BINARY_DIR} COPYONLY)
endfunction()

# `target` as pod_dispatcher::<name>, in an export set of its own that the config
# includes when asked for the component of that name.
function(pod_dispatcher_install_component target name)
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
    install(TARGETS ${target} EXPORT pod_dispatcher-${name}-targets)
    install(EXPORT pod_dispatcher-${name}-targets
        NAMESPACE pod_dispatcher::
        DESTINATION ${config_dir})
    export(EXPORT pod_dispatcher-${name}-targets
        NAMESPACE pod_dispatcher::
        FILE ${PROJECT_BINARY_DIR}/pod_dispatcher-${name}-targets.cmake)
endfunction()

install(TARGETS pod_dispatcher EXPORT pod_dispatcher-targets)
install(DIRECTORY include/pod_dispatcher DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT pod_dispatcher-targets
    NAMESPACE pod_dispatcher::
    DESTINATION ${config_dir})
export(EXPORT pod_dispatcher-targets
    NAMESPACE pod_dispatcher::
    FILE ${PROJECT_BINARY_DIR}/pod_dispatcher-targets.cmake)

if(TARGET pod_dispatcher_testing)
    pod_dispatcher_install_component(pod_dispatcher_testing testing)
    pod_dispatcher_install_config_file(cmake/pod_dispatcher-testing.cmake)
endif()

# The stores this build defined (CMakeLists.txt: option on, client library found), and
# what the SQL ones share. Only those: a store this build could not compile against its
# client library is not installed, and the package says so when asked for it.
pod_dispatcher_install_config_file(cmake/pod_dispatcher-stores.cmake)
foreach(store IN ITEMS sql ${pod_dispatcher_stores})
    if(TARGET pod_dispatcher_${store})
        pod_dispatcher_install_component(pod_dispatcher_${store} ${store})
        install(DIRECTORY examples/${store}/include/pod_dispatcher_${store}
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    endif()
endforeach()

configure_package_config_file(cmake/pod_dispatcher-config.cmake.in
    ${PROJECT_BINARY_DIR}/pod_dispatcher-config.cmake
    INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pod_dispatcher-config-version.cmake
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
    ${PROJECT_BINARY_DIR}/pod_dispatcher-config.cmake
    ${PROJECT_BINARY_DIR}/pod_dispatcher-config-version.cmake
    DESTINATION ${config_dir})
