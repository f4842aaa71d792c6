#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/reporter.hpp>
#include <llmcap/sweep/result.hpp>

#include <cstdint>     // uint8_t
#include <optional>    // optional
#include <ostream>     // ostream
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::report {

/// Which table a csv_reporter writes.
enum class csv_table : std::uint8_t {
    /// `cells.csv`: one row per cell, every statistic of every metric.
    cells,
    /// `capacity.csv`: one row per use case.
    capacity,
};

/// A field quoted for CSV (RFC 4180) when it holds a comma, quote or line break.
[[nodiscard]] inline std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos)
        return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

namespace detail {

inline void csv_row(std::ostream& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i)
        out << (i == 0 ? "" : ",") << csv_field(fields[i]);
    out << "\r\n";
}

[[nodiscard]] inline std::string csv_number(std::optional<double> v) {
    return v ? format_exact(*v) : std::string();
}

} // namespace detail

/**
 * Writes `cells.csv` or `capacity.csv` for spreadsheets: a header row, then one row per cell
 * (per use case). Numbers in their shortest exact form, units in column names
 * (`ttft_s_p99`, `generation_speed_tokens_per_s_mean`); empty fields where nothing was
 * measured. Lines end in CRLF as RFC 4180 asks.
 */
class csv_reporter {
public:
    /// A reporter of one table.
    explicit csv_reporter(csv_table which = csv_table::cells) : which_(which) {}

    /// "cells.csv" or "capacity.csv".
    [[nodiscard]] std::string_view file_name() const noexcept {
        return which_ == csv_table::cells ? "cells.csv" : "capacity.csv";
    }

    /// Writes the table.
    void write(const sweep::sweep_result& result, std::ostream& out) const {
        if (which_ == csv_table::cells)
            write_cells(result, out);
        else
            write_capacity(result, out);
    }

private:
    static void write_cells(const sweep::sweep_result& r, std::ostream& out) {
        std::vector<std::string> h{"cell_id",
                                   "use_case",
                                   "context_tokens",
                                   "output_tokens",
                                   "concurrency",
                                   "simulated",
                                   "complete",
                                   "warmup_requests",
                                   "requests_started",
                                   "requests_succeeded",
                                   "success_rate",
                                   "failures",
                                   "short_outputs",
                                   "prompt_reported",
                                   "prompt_exact",
                                   "prompt_max_relative_error",
                                   "prompt_flagged",
                                   "client_lag_p99_s",
                                   "client_lag_flagged",
                                   "energy_j",
                                   "mean_power_w",
                                   "peak_power_w",
                                   "joules_per_output_token"};
        const char* stats[] = {"count",  "mean", "mean_ci95_low", "mean_ci95_high",
                               "stddev", "min",  "p50",           "p90",
                               "p95",    "p99",  "p99_9",         "max"};
        for (analysis::metric m : analysis::all_metrics)
            for (const char* s : stats)
                h.push_back(std::string(analysis::metric_name(m)) + "_" + s);
        detail::csv_row(out, h);
        for (const sweep::cell_result& c : r.cells) {
            std::string failures;
            for (const sweep::failure_count& f : c.failures) {
                if (!failures.empty())
                    failures += ';';
                failures += error_name(f.kind);
                failures += '=';
                failures += std::to_string(f.count);
            }
            std::vector<std::string> row{
                c.key.id(),
                c.key.use_case,
                std::to_string(c.key.context_tokens),
                std::to_string(c.key.output_tokens),
                std::to_string(c.key.concurrency),
                c.simulated ? "true" : "false",
                c.complete ? "true" : "false",
                std::to_string(c.warmup_requests),
                std::to_string(c.requests_started),
                std::to_string(c.requests_succeeded),
                format_exact(c.success_rate()),
                failures,
                std::to_string(c.short_outputs),
                std::to_string(c.prompt.reported),
                std::to_string(c.prompt.exact),
                format_exact(c.prompt.max_relative_error),
                c.prompt.flagged ? "true" : "false",
                format_exact(c.client_lag.p99_s),
                c.client_lag.flagged ? "true" : "false",
                c.energy ? format_exact(c.energy->energy_j) : "",
                c.energy ? format_exact(c.energy->mean_power_w) : "",
                c.energy ? detail::csv_number(c.energy->peak_power_w) : "",
                c.energy ? detail::csv_number(c.energy->joules_per_output_token) : ""};
            for (analysis::metric m : analysis::all_metrics) {
                const auto it = c.summary.metrics.find(m);
                if (it == c.summary.metrics.end()) {
                    for (std::size_t i = 0; i < std::size(stats); ++i)
                        row.emplace_back();
                    continue;
                }
                const analysis::metric_statistics& s = it->second;
                row.push_back(std::to_string(s.count));
                row.push_back(format_exact(s.mean));
                row.push_back(s.mean_ci95 ? format_exact(s.mean_ci95->low) : "");
                row.push_back(s.mean_ci95 ? format_exact(s.mean_ci95->high) : "");
                for (double v : {s.stddev, s.min, s.p50, s.p90, s.p95, s.p99, s.p99_9, s.max})
                    row.push_back(format_exact(v));
            }
            detail::csv_row(out, row);
        }
    }

    static void write_capacity(const sweep::sweep_result& r, std::ostream& out) {
        detail::csv_row(out, {"use_case", "title", "context_tokens", "output_tokens", "thresholds",
                              "capacity", "kind", "crossing", "binding_threshold",
                              "lowest_concurrency", "highest_concurrency", "estimate_crossing",
                              "estimate_capacity", "isotonic_adjusted", "converged",
                              "budget_exhausted", "measured_concurrency"});
        for (const sweep::use_case_result& u : r.use_cases) {
            const analysis::capacity_result& c = u.capacity;
            std::string thresholds;
            for (const analysis::threshold& t : u.use_case.thresholds) {
                if (!thresholds.empty())
                    thresholds += "; ";
                thresholds += t.describe();
            }
            std::string levels;
            for (std::uint32_t l : u.measured_concurrency) {
                if (!levels.empty())
                    levels += ';';
                levels += std::to_string(l);
            }
            const analysis::threshold* b = c.binding_threshold();
            detail::csv_row(
                out, {u.use_case.name, u.use_case.title, std::to_string(u.use_case.context_tokens),
                      std::to_string(u.use_case.output_tokens), thresholds,
                      std::to_string(c.capacity), std::string(analysis::capacity_kind_name(c.kind)),
                      detail::csv_number(c.crossing), b ? b->describe() : "",
                      std::to_string(c.lowest_concurrency), std::to_string(c.highest_concurrency),
                      c.estimate ? format_exact(c.estimate->crossing) : "",
                      c.estimate ? std::to_string(c.estimate->capacity) : "",
                      c.isotonic_adjusted ? "true" : "false", u.converged ? "true" : "false",
                      u.budget_exhausted ? "true" : "false", levels});
        }
    }

    csv_table which_;
};

static_assert(reporter<csv_reporter>);

} // namespace llmcap::report
