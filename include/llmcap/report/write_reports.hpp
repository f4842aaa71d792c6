#pragma once

#include <llmcap/core/file_io.hpp>
#include <llmcap/report/csv_reporter.hpp>
#include <llmcap/report/html_reporter.hpp>
#include <llmcap/report/json_reporter.hpp>
#include <llmcap/report/markdown_reporter.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/reporter.hpp>
#include <llmcap/sweep/result.hpp>

#include <filesystem> // path
#include <sstream>    // ostringstream
#include <string>     // string
#include <utility>    // move
#include <vector>     // vector

namespace llmcap::report {

/**
 * Writes one reporter's output into `dir` under its file name, through a temporary file renamed
 * into place (write_file_atomic), so a reader never sees a half-written report. Returns the
 * path written. Throws file_error naming the path and the reason when it cannot be written.
 */
template <reporter R>
std::filesystem::path write_report(const R& r, const sweep::sweep_result& result,
                                   const std::filesystem::path& dir) {
    const std::filesystem::path target = dir / std::string(r.file_name());
    std::ostringstream out;
    r.write(result, out);
    write_file_atomic(target, std::move(out).str());
    return target;
}

/**
 * Writes every report of a sweep into `dir` (created if missing): results.json, cells.csv,
 * capacity.csv, report.md and report.html. Returns the paths, in that order.
 */
inline std::vector<std::filesystem::path> write_reports(const sweep::sweep_result& result,
                                                        const std::filesystem::path& dir,
                                                        const report_options& options = {}) {
    ensure_writable_directory(dir);
    return {write_report(json_reporter{}, result, dir),
            write_report(csv_reporter{csv_table::cells}, result, dir),
            write_report(csv_reporter{csv_table::capacity}, result, dir),
            write_report(markdown_reporter{options}, result, dir),
            write_report(html_reporter{options}, result, dir)};
}

} // namespace llmcap::report
