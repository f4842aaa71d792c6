#pragma once

// Helpers of the report tests for looking into rendered text.

#include <llmcap/sweep/result.hpp>

#include <cstddef>
#include <sstream>
#include <string>

namespace llmcap_test {

/// Non-overlapping occurrences of `needle` in `haystack`.
inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size()))
        ++n;
    return n;
}

/// What `reporter` writes for `r`.
template <class R>
std::string render(const R& reporter, const llmcap::sweep::sweep_result& r) {
    std::ostringstream out;
    reporter.write(r, out);
    return out.str();
}

} // namespace llmcap_test
