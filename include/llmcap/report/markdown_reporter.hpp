#pragma once

#include <llmcap/report/build_report.hpp>
#include <llmcap/report/render_markdown.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/reporter.hpp>
#include <llmcap/sweep/result.hpp>

#include <ostream>     // ostream
#include <string_view> // string_view
#include <utility>     // move

namespace llmcap::report {

/// Writes `report.md`: the capacity report (build_report) as GitHub-flavoured Markdown, charts
/// as tables of their data.
class markdown_reporter {
public:
    /// A reporter with default options.
    markdown_reporter() = default;
    /// A reporter with the given options (electricity price, highlighted use case, ...).
    explicit markdown_reporter(report_options options) : options_(std::move(options)) {}

    /// "report.md".
    [[nodiscard]] std::string_view file_name() const noexcept {
        return "report.md";
    }

    /// Writes the report.
    void write(const sweep::sweep_result& result, std::ostream& out) const {
        out << render_markdown(build_report(result, options_));
    }

private:
    report_options options_;
};

static_assert(reporter<markdown_reporter>);

} // namespace llmcap::report
