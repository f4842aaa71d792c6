#pragma once

#include <llmcap/report/build_report.hpp>
#include <llmcap/report/render_html.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/reporter.hpp>
#include <llmcap/sweep/result.hpp>

#include <ostream>     // ostream
#include <string_view> // string_view
#include <utility>     // move

namespace llmcap::report {

/// Writes `report.html`: the capacity report (build_report) as one self-contained page with
/// inline CSS and SVG charts; it needs no network to view and prints as shown.
class html_reporter {
public:
    /// A reporter with default options.
    html_reporter() = default;
    /// A reporter with the given options (electricity price, highlighted use case, ...).
    explicit html_reporter(report_options options) : options_(std::move(options)) {}

    /// "report.html".
    [[nodiscard]] std::string_view file_name() const noexcept {
        return "report.html";
    }

    /// Writes the page.
    void write(const sweep::sweep_result& result, std::ostream& out) const {
        out << render_html(build_report(result, options_));
    }

private:
    report_options options_;
};

static_assert(reporter<html_reporter>);

} // namespace llmcap::report
