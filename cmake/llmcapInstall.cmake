# Install rules: headers, the CMake package (config, version, targets) and a pkg-config file.
# The package is architecture-independent (header-only), so it goes under the data directory.
include(CMakePackageConfigHelpers)

set(LLMCAP_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/llmcap" CACHE STRING
    "Where to install llmcap's CMake package files, relative to the prefix")

install(TARGETS llmcap EXPORT llmcapTargets)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/llmcap" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT llmcapTargets NAMESPACE llmcap:: DESTINATION "${LLMCAP_CMAKE_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/llmcapConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/llmcapConfig.cmake" INSTALL_DESTINATION "${LLMCAP_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/llmcapConfigVersion.cmake"
    COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/llmcapConfig.cmake" "${PROJECT_BINARY_DIR}/llmcapConfigVersion.cmake"
    DESTINATION "${LLMCAP_CMAKE_DIR}")

configure_file("${PROJECT_SOURCE_DIR}/cmake/llmcap.pc.in" "${PROJECT_BINARY_DIR}/llmcap.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/llmcap.pc" DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")
