# Install the headers and an exported pod_dispatcher::pod_dispatcher target that
# find_package(pod_dispatcher CONFIG) finds.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/pod_dispatcher)

install(TARGETS pod_dispatcher EXPORT pod_dispatcher-targets)
if(TARGET pod_dispatcher_testing)
    set_target_properties(pod_dispatcher_testing PROPERTIES EXPORT_NAME testing)
    install(TARGETS pod_dispatcher_testing EXPORT pod_dispatcher-testing-targets)
    install(EXPORT pod_dispatcher-testing-targets
        NAMESPACE pod_dispatcher::
        DESTINATION ${config_dir})
    install(FILES cmake/pod_dispatcher-testing.cmake DESTINATION ${config_dir})
endif()
install(DIRECTORY include/pod_dispatcher DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT pod_dispatcher-targets
    NAMESPACE pod_dispatcher::
    DESTINATION ${config_dir})
export(EXPORT pod_dispatcher-targets
    NAMESPACE pod_dispatcher::
    FILE ${PROJECT_BINARY_DIR}/pod_dispatcher-targets.cmake)

configure_package_config_file(cmake/pod_dispatcher-config.cmake.in
    ${PROJECT_BINARY_DIR}/pod_dispatcher-config.cmake
    INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pod_dispatcher-config-version.cmake
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
    ${PROJECT_BINARY_DIR}/pod_dispatcher-config.cmake
    ${PROJECT_BINARY_DIR}/pod_dispatcher-config-version.cmake
    DESTINATION ${config_dir})
