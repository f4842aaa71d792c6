# Overlay port built from this repository's own tree (vcpkg install llmcap
# --overlay-ports=ports). A registry port would use vcpkg_from_github with a release tag.
set(VCPKG_BUILD_TYPE release) # header-only: one configuration is enough
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DLLMCAP_BUILD_TESTS=OFF
        -DLLMCAP_BUILD_EXAMPLES=OFF
        -DLLMCAP_BUILD_BENCHMARKS=OFF
        -DLLMCAP_INSTALL=ON
)
# The same CMake install that tests/consumer exercises.
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME llmcap CONFIG_PATH share/cmake/llmcap)
vcpkg_fixup_pkgconfig()

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
