# Settings for llmcap's own targets (tests, examples, benchmarks). Never applied to the
# INTERFACE target that consumers link.

find_program(LLMCAP_CCACHE ccache)
if(LLMCAP_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER AND PROJECT_IS_TOP_LEVEL)
    # pch_defines,time_macros: let ccache cache translation units that use precompiled headers.
    # BASEDIR + NOHASHDIR: two clones of the repository in different folders share the cache.
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env
        CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
        "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" CCACHE_NOHASHDIR=1
        ${LLMCAP_CCACHE})
endif()

add_library(llmcap_project_options INTERFACE)
target_compile_options(llmcap_project_options INTERFACE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
    -Wimplicit-fallthrough
    -Wno-missing-field-initializers # designated initializers leave the rest defaulted on purpose
    $<$<BOOL:${LLMCAP_WERROR}>:-Werror>)
# Boost and Eigen are system headers; their warnings are not ours to fix.
target_link_libraries(llmcap_project_options INTERFACE llmcap::llmcap)

if(LLMCAP_SANITIZE)
    # -O0: with sanitizers, -O1 -g costs 3-4x the compile time and memory on Beast code.
    target_compile_options(llmcap_project_options INTERFACE
        -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O0 -g1)
    target_link_options(llmcap_project_options INTERFACE -fsanitize=address,undefined)
endif()

# Precompiled headers shared by our test and example targets: the expensive Boost headers.
function(llmcap_use_pch target)
    target_precompile_headers(${target} PRIVATE
        <boost/asio.hpp> <boost/beast/core.hpp> <boost/beast/http.hpp> <boost/json.hpp>)
endfunction()
