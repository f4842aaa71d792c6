#pragma once

#include <llmcap/report/csv_reporter.hpp>
#include <llmcap/report/html_reporter.hpp>
#include <llmcap/report/json_reporter.hpp>
#include <llmcap/report/markdown_reporter.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/reporter.hpp>
#include <llmcap/sweep/result.hpp>

#include <filesystem>   // path, rename, create_directories
#include <fstream>      // ofstream
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <system_error> // error_code
#include <vector>       // vector

namespace llmcap::report {

/**
 * Writes one reporter's output into `dir` under its file name, through a temporary file renamed
 * into place, so a reader never sees a half-written report. Returns the path written. Throws
 * std::runtime_error naming the path when the file cannot be written.
 */
template <reporter R>
std::filesystem::path write_report(const R& r, const sweep::sweep_result& result,
                                   const std::filesystem::path& dir) {
    const std::filesystem::path target = dir / std::string(r.file_name());
    const std::filesystem::path temporary = dir / (std::string(r.file_name()) + ".tmp");
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw std::runtime_error("report: cannot write " + temporary.string());
        r.write(result, out);
        out.flush();
        if (!out)
            throw std::runtime_error("report: writing " + temporary.string() + " failed");
    }
    std::error_code ec;
    std::filesystem::rename(temporary, target, ec);
    if (ec)
        throw std::runtime_error("report: cannot move " + temporary.string() + " to " +
                                 target.string() + ": " + ec.message());
    return target;
}

/**
 * Writes every report of a sweep into `dir` (created if missing): results.json, cells.csv,
 * capacity.csv, report.md and report.html. Returns the paths, in that order.
 */
inline std::vector<std::filesystem::path> write_reports(const sweep::sweep_result& result,
                                                        const std::filesystem::path& dir,
                                                        const report_options& options = {}) {
    std::filesystem::create_directories(dir);
    return {write_report(json_reporter{}, result, dir),
            write_report(csv_reporter{csv_table::cells}, result, dir),
            write_report(csv_reporter{csv_table::capacity}, result, dir),
            write_report(markdown_reporter{options}, result, dir),
            write_report(html_reporter{options}, result, dir)};
}

} // namespace llmcap::report
