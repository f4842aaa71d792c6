#pragma once

#include <cstdint> // uint64_t
#include <map>     // map
#include <string>  // string, to_string

namespace llmcap::workload {

/// Records of a dataset or requests of a trace left out, by reason ("no user turn", "zero
/// length", too_long_reason(8192)), in the order of their reasons.
using skip_counts = std::map<std::string, std::uint64_t>;

/// The reason a record or request longer than the model's context is left out: "longer than the
/// model's context (8192 tokens)".
[[nodiscard]] inline std::string too_long_reason(std::uint64_t context_tokens) {
    return "longer than the model's context (" + std::to_string(context_tokens) + " tokens)";
}

/// `skipped` for a message: `before` then "3 no user turn, 2 zero length" then `after`, or ""
/// when nothing was left out.
[[nodiscard]] inline std::string describe_skips(const skip_counts& skipped,
                                                const std::string& before = " (skipped: ",
                                                const std::string& after = ")") {
    std::string s;
    for (const auto& [why, n] : skipped)
        s += (s.empty() ? before : std::string(", ")) + std::to_string(n) + " " + why;
    return s.empty() ? s : s + after;
}

} // namespace llmcap::workload
