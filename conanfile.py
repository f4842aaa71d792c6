import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import load

required_conan_version = ">=2.0"


class LlmcapConan(ConanFile):
    name = "llmcap"
    description = ("Capacity benchmarking of OpenAI-compatible LLM inference servers: how many "
                   "concurrent users a deployment serves, per use case.")
    license = "Apache-2.0"
    url = "https://github.com/llmcap/llmcap"
    homepage = "https://github.com/llmcap/llmcap"
    topics = ("llm", "benchmark", "inference", "openai", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "CMakeLists.txt", "cmake/*", "include/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        # The version lives in one place: project(VERSION) in CMakeLists.txt.
        cmakelists = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        self.version = re.search(r"project\(llmcap VERSION ([0-9.]+)", cmakelists).group(1)

    def layout(self):
        cmake_layout(self, src_folder=".")

    def requirements(self):
        # Library dependencies only: CLI11, doctest and Google Benchmark serve llmcap's own
        # tools, tests and benchmarks and are not forced on consumers.
        self.requires("boost/1.83.0", transitive_headers=True, transitive_libs=True)
        self.requires("eigen/3.4.0", transitive_headers=True)
        self.requires("openssl/[>=3 <4]", transitive_headers=True, transitive_libs=True)

    def validate(self):
        check_min_cppstd(self, 20)

    def package_id(self):
        self.info.clear()

    def generate(self):
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables["LLMCAP_BUILD_TESTS"] = False
        toolchain.cache_variables["LLMCAP_BUILD_EXAMPLES"] = False
        toolchain.cache_variables["LLMCAP_BUILD_BENCHMARKS"] = False
        toolchain.cache_variables["LLMCAP_INSTALL"] = True
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()

    def package(self):
        # The same CMake install that tests/consumer exercises.
        cmake = CMake(self)
        cmake.install()

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "llmcap")
        self.cpp_info.set_property("cmake_target_name", "llmcap::llmcap")
        self.cpp_info.set_property("pkg_config_name", "llmcap")
        self.cpp_info.requires = ["boost::headers", "boost::json", "boost::url", "eigen::eigen",
                                  "openssl::ssl", "openssl::crypto"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread", "dl"]
