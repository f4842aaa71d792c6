#pragma once

/// Incompatible API changes.
#define LLMCAP_VERSION_MAJOR 0
/// Functionality added in a backward-compatible manner.
#define LLMCAP_VERSION_MINOR 1
/// Backward-compatible fixes.
#define LLMCAP_VERSION_PATCH 0
/// major * 10000 + minor * 100 + patch. CMakeLists.txt checks project(VERSION) against these.
#define LLMCAP_VERSION                                                                             \
    (LLMCAP_VERSION_MAJOR * 10000 + LLMCAP_VERSION_MINOR * 100 + LLMCAP_VERSION_PATCH)

namespace llmcap {
/// The library version as "major.minor.patch".
inline constexpr const char* version_string = "0.1.0";
} // namespace llmcap
