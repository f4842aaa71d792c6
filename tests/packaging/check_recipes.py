#!/usr/bin/env python3
"""Checks, offline, what can be checked of the Conan recipe and the vcpkg manifest and port:
the recipe is valid Python defining the expected attributes; the JSON files are valid and name
the expected dependencies; every version equals project(VERSION) in CMakeLists.txt."""
import ast
import json
import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


cmake_version = re.search(r"project\(llmcap VERSION ([0-9.]+)",
                          (root / "CMakeLists.txt").read_text()).group(1)

# Conan: parse the recipe and read its class attributes and methods.
recipe = ast.parse((root / "conanfile.py").read_text(), "conanfile.py")
classes = [n for n in recipe.body if isinstance(n, ast.ClassDef)]
check(len(classes) == 1, "conanfile.py: expected one recipe class")
attrs, methods = {}, {}
for node in classes[0].body:
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        try:
            attrs[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            pass
    if isinstance(node, ast.FunctionDef):
        methods[node.name] = ast.get_source_segment((root / "conanfile.py").read_text(), node)
check(attrs.get("name") == "llmcap", "conanfile.py: name is not llmcap")
check(attrs.get("package_type") == "header-library", "conanfile.py: package_type is not header-library")
check(attrs.get("license") == "Apache-2.0", "conanfile.py: license is not Apache-2.0")
for method in ("set_version", "requirements", "package", "package_id", "package_info", "validate"):
    check(method in methods, f"conanfile.py: no {method}() method")
check("self.info.clear()" in methods.get("package_id", ""), "conanfile.py: package_id does not clear")
for dep in ("boost/", "eigen/", "openssl/"):
    check(dep in methods.get("requirements", ""), f"conanfile.py: requirements() lacks {dep}")
for tool in ("cli11", "doctest", "benchmark"):
    check(f'requires("{tool}' not in methods.get("requirements", "").lower(),
          f"conanfile.py: requirements() forces {tool} on consumers")
check("cmake.install()" in methods.get("package", ""), "conanfile.py: package() is not the CMake install")
pattern = re.search(r're\.search\(r"([^"]+)"', methods.get("set_version", ""))
check(pattern is not None, "conanfile.py: set_version() does not read CMakeLists.txt")
if pattern:
    m = re.search(pattern.group(1), (root / "CMakeLists.txt").read_text())
    check(m is not None and m.group(1) == cmake_version,
          "conanfile.py: set_version() does not find project(VERSION)")
check((root / "test_package" / "conanfile.py").exists(), "test_package/conanfile.py missing")
ast.parse((root / "test_package" / "conanfile.py").read_text())

# vcpkg: the manifest and the overlay port.
expected = {"boost-asio", "boost-beast", "boost-json", "boost-url", "eigen3"}
for path in (root / "vcpkg.json", root / "ports" / "llmcap" / "vcpkg.json"):
    data = json.loads(path.read_text())
    names = {d if isinstance(d, str) else d["name"] for d in data.get("dependencies", [])}
    check(data.get("name") == "llmcap", f"{path}: name is not llmcap")
    check(data.get("version") == cmake_version,
          f"{path}: version {data.get('version')} differs from CMake's {cmake_version}")
    check(expected <= names, f"{path}: missing dependencies {sorted(expected - names)}")
portfile = (root / "ports" / "llmcap" / "portfile.cmake").read_text()
for call in ("vcpkg_cmake_configure", "vcpkg_cmake_install", "vcpkg_cmake_config_fixup",
             "vcpkg_install_copyright"):
    check(call in portfile, f"portfile.cmake: no {call}")
check((root / "ports" / "llmcap" / "usage").exists(), "ports/llmcap/usage missing")

# version.hpp (CMake's configure step checks the numbers; check the string too).
check(f'version_string = "{cmake_version}"' in (root / "include/llmcap/version.hpp").read_text(),
      "version.hpp: version_string differs from CMake's version")

for f in failures:
    print("FAIL:", f)
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
