#pragma once

#include <llmcap/sweep/result_fwd.hpp>

#include <concepts>    // convertible_to
#include <ostream>     // ostream
#include <string_view> // string_view

namespace llmcap::report {

/**
 * Writes a sweep result somewhere (DESIGN.md §3, Reporter). Requirements:
 * 1. `file_name()` names the file the output belongs in, inside a report directory
 *    ("results.json", "report.html"), so a set of reporters fills one directory.
 * 2. `write(result, out)` writes the whole output for `result` to `out`. It is a pure function
 *    of `result` and the reporter's own options: the same result gives the same bytes (no
 *    clock, no host name, no random choice), so `llmcap-sweep report DIR` reproduces a report
 *    from saved results.
 */
template <class R>
concept reporter = requires(const R& r, const sweep::sweep_result& result, std::ostream& out) {
    { r.file_name() } -> std::convertible_to<std::string_view>;
    r.write(result, out);
};

} // namespace llmcap::report
