#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // sort, unique
#include <cmath>     // isfinite
#include <cstddef>   // size_t
#include <cstdint>   // uint32_t, uint64_t
#include <optional>  // optional
#include <string>    // string
#include <utility>   // move, pair
#include <vector>    // vector

namespace llmcap::report::detail {

using analysis::metric;
using analysis::statistic;

/**
 * What every section of one report build shares: the result, the options, its grid and the
 * document being written, with the helpers sections use to word and chart cells. Each family
 * of sections (overview_sections, speed_sections, ...) derives from it and is made from the
 * one context of a build, so all of them write into the same document.
 */
struct report_context {
    /// The result reported on.
    const sweep::sweep_result& r;
    /// The options of the build.
    const report_options& opt;
    /// Its grid.
    const grid& g;
    /// The document the sections append to.
    document& doc;

    // --------------------------------------------------------------------------------------
    // Small helpers

    [[nodiscard]] std::string ctx(std::uint32_t tokens) const {
        return format_tokens_short(tokens);
    }

    [[nodiscard]] static std::string conc(std::uint32_t c) {
        return format_count(c) + (c == 1 ? " request" : " requests");
    }

    [[nodiscard]] std::string context_range() const {
        if (g.contexts.empty())
            return "none";
        return g.contexts.size() == 1 ? ctx(g.contexts.front())
                                      : ctx(g.contexts.front()) + " – " + ctx(g.contexts.back());
    }

    [[nodiscard]] std::string concurrency_range() const {
        if (g.concurrencies.empty())
            return "none";
        return g.concurrencies.size() == 1 ? format_count(g.concurrencies.front())
                                           : format_count(g.concurrencies.front()) + " – " +
                                                 format_count(g.concurrencies.back());
    }

    [[nodiscard]] axis context_axis() const {
        axis a = make_axis("Context length (tokens)", axis_scale::linear, value_style::tokens);
        for (std::uint32_t c : g.contexts)
            a.ticks.push_back(static_cast<double>(c));
        if (g.contexts.size() >= 2 &&
            g.contexts.back() >= 8 * static_cast<std::uint64_t>(g.contexts.front()))
            a.scale = axis_scale::log;
        return a;
    }

    /// The axis of the load: concurrency, or the arrival rate when some cell ran an open loop.
    [[nodiscard]] axis load_axis() const {
        axis a =
            g.any_rate
                ? make_axis("Arrival rate (requests/s)", axis_scale::linear, value_style::number)
                : make_axis("Concurrent requests", axis_scale::linear, value_style::requests);
        a.include_zero = false;
        std::vector<double> xs;
        for (const sweep::cell_result* c : g.cells)
            xs.push_back(load_x(c));
        std::sort(xs.begin(), xs.end());
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
        if (!g.any_rate)
            a.ticks = xs;
        if (needs_log_scale(xs, 16.0))
            a.scale = axis_scale::log;
        return a;
    }

    /// Where a cell sits on the load axis: its arrival rate, or its concurrency.
    [[nodiscard]] double load_x(const sweep::cell_result* c) const {
        if (g.any_rate)
            if (const std::optional<double> rate = rate_of(c->key))
                return *rate;
        return static_cast<double>(c->key.concurrency);
    }

    /// A cell's load in words: "16 requests", or "2.5 requests/s (at most 64)" in an open loop.
    [[nodiscard]] static std::string load_text(const sweep::cell_result* c) {
        if (const std::optional<double> rate = rate_of(c->key))
            return format_significant(*rate, 3) + " requests/s (at most " +
                   format_count(c->key.concurrency) + ")";
        return conc(c->key.concurrency);
    }

    /// A cell's load in a table's load column: "16", or "2.5/s (at most 64)".
    [[nodiscard]] static std::string load_column(const sweep::cell_result* c) {
        if (const std::optional<double> rate = rate_of(c->key))
            return format_significant(*rate, 3) + "/s (at most " +
                   format_count(c->key.concurrency) + ")";
        return format_count(c->key.concurrency);
    }

    /// What a chart of metric_chart plots against what, for its caption.
    [[nodiscard]] std::string lines_text() const {
        if (g.by_context)
            return "against context length, one line per concurrency level";
        return std::string(g.any_rate ? "against arrival rate" : "against concurrency") +
               ", one line per scenario";
    }

    /// One line of a chart: its name and its cells with their x.
    struct chart_line {
        /// The legend entry: "4 concurrent", "reasoning 1K/8K".
        std::string name;
        /// (x, cell) by increasing x.
        std::vector<std::pair<double, const sweep::cell_result*>> cells;
    };

    /// The lines of a chart of cells: one per concurrency level with context length along x
    /// (by_context); otherwise one per scenario with the load along x.
    [[nodiscard]] std::vector<chart_line> chart_lines() const {
        std::vector<chart_line> out;
        if (g.by_context) {
            for (std::uint32_t n : g.concurrencies) {
                chart_line l{n == 1 ? "1 request" : format_count(n) + " concurrent", {}};
                for (std::uint32_t context : g.contexts)
                    if (const sweep::cell_result* c = g.at(context, n))
                        l.cells.emplace_back(static_cast<double>(context), c);
                out.push_back(std::move(l));
            }
            return out;
        }
        for (const scenario& s : g.scenarios) {
            chart_line l{s.label(), {}};
            for (const sweep::cell_result* c : g.of(s))
                l.cells.emplace_back(load_x(c), c);
            out.push_back(std::move(l));
        }
        return out;
    }

    /// The x axis of chart_lines.
    [[nodiscard]] axis lines_axis() const {
        return g.by_context ? context_axis() : load_axis();
    }

    /// What chart_lines plot against, for titles: " by context length", " by concurrency".
    [[nodiscard]] std::string by_text() const {
        return g.by_context ? " by context length"
               : g.any_rate ? " by arrival rate"
                            : " by concurrency";
    }

    /// A chart of one metric's mean along chart_lines.
    [[nodiscard]] std::optional<line_chart> metric_chart(const std::string& id, metric m) const {
        const metric_look l = look_of(m);
        line_chart c;
        c.id = id;
        c.title = l.label.substr(0, l.label.find(" (")) + by_text();
        c.x = lines_axis();
        c.y = make_axis(l.label, axis_scale::linear, l.style);
        std::vector<double> ys;
        for (const chart_line& line : chart_lines()) {
            chart_series s{line.name, {}};
            for (const auto& [x, cell] : line.cells)
                if (const auto v = value_of(cell, m)) {
                    s.points.push_back({x, *v});
                    ys.push_back(*v);
                }
            if (!s.points.empty())
                c.series.push_back(std::move(s));
        }
        if (c.series.empty())
            return std::nullopt;
        if (needs_log_scale(ys, 50.0))
            c.y.scale = axis_scale::log;
        return c;
    }

    /// The scenarios in words: "chat 1K/1K, reasoning 1K/8K and summarization 8K/1K".
    [[nodiscard]] std::string scenarios_text() const {
        std::string s;
        for (std::size_t i = 0; i < g.scenarios.size(); ++i)
            s += (i == 0                        ? ""
                  : i + 1 == g.scenarios.size() ? " and "
                                                : ", ") +
                 g.scenarios[i].label();
        return s;
    }

    /// Scaling efficiency across the concurrency levels of one scenario (closed-loop cells);
    /// empty without a single-request cell.
    [[nodiscard]] std::optional<analysis::context_scaling> scaling_of(const scenario& s) const {
        std::vector<analysis::cell_summary> summaries;
        for (const sweep::cell_result* c : g.of(s))
            if (!rate_of(c->key))
                summaries.push_back(c->summary);
        std::vector<analysis::context_scaling> out = analysis::scaling_efficiency(summaries);
        if (out.empty())
            return std::nullopt;
        return std::move(out.front());
    }

    /// The grid cell where a metric's mean is largest (or smallest), with its value.
    [[nodiscard]] std::optional<std::pair<const sweep::cell_result*, double>>
    extreme(metric m, bool largest, std::optional<std::uint32_t> only_concurrency = {}) const {
        std::optional<std::pair<const sweep::cell_result*, double>> best;
        for (const sweep::cell_result* c : g.cells) {
            if (only_concurrency && c->key.concurrency != *only_concurrency)
                continue;
            if (const auto v = value_of(c, m))
                if (!best || (largest ? *v > best->second : *v < best->second))
                    best = std::pair{c, *v};
        }
        return best;
    }

    /// Where a cell is, in words: "32K context, 4 requests"; "reasoning 1K/8K, 16 requests"
    /// when scenarios are laid out by name.
    [[nodiscard]] std::string where(const sweep::cell_result* c) const {
        if (g.by_context)
            return ctx(c->key.context_tokens) + " context, " + conc(c->key.concurrency);
        return g.scenario_of(*c).label() + ", " + load_text(c);
    }

    /// The scenario of a cell in a sentence: "at 32K context", or "in reasoning 1K/8K".
    [[nodiscard]] std::string in_scenario(const sweep::cell_result* c) const {
        if (g.by_context)
            return "at " + ctx(c->key.context_tokens) + " context";
        return "in " + g.scenario_of(*c).label();
    }

    /// The cells in table order: by context length, then concurrency (by_context); otherwise
    /// scenario by scenario, each by increasing load.
    [[nodiscard]] std::vector<const sweep::cell_result*> table_cells() const {
        if (!g.by_context)
            return g.ordered();
        std::vector<const sweep::cell_result*> out;
        for (std::uint32_t context : g.contexts)
            for (std::uint32_t n : g.concurrencies)
                if (const sweep::cell_result* c = g.at(context, n))
                    out.push_back(c);
        return out;
    }

    /// The headers of the two columns that name a table's cell: "Context", "Concurrency"; or
    /// "Scenario" and the load.
    [[nodiscard]] std::vector<std::string> cell_headers() const {
        if (g.by_context)
            return {"Context", "Concurrency"};
        return {"Scenario", g.any_rate ? "Load" : "Concurrency"};
    }

    /// The two columns that name a cell: "32K", "4"; or "reasoning 1K/8K", "16".
    [[nodiscard]] std::vector<std::string> cell_columns(const sweep::cell_result* c) const {
        if (g.by_context)
            return {ctx(c->key.context_tokens), format_count(c->key.concurrency)};
        return {g.scenario_of(*c).label(), load_column(c)};
    }

    void h2(const std::string& text, const std::string& id) {
        doc.add(heading{2, text, id});
    }
    void h3(const std::string& text, const std::string& id) {
        doc.add(heading{3, text, id});
    }
    void p(std::string text) {
        doc.add(paragraph{std::move(text)});
    }
    void fig(std::optional<line_chart> c, std::string caption) {
        if (c)
            doc.add(figure{std::move(*c), std::move(caption)});
    }

    [[nodiscard]] std::uint64_t total_started() const {
        std::uint64_t n = 0;
        for (const sweep::cell_result& c : r.cells)
            n += c.requests_started;
        return n;
    }
    [[nodiscard]] std::uint64_t total_succeeded() const {
        std::uint64_t n = 0;
        for (const sweep::cell_result& c : r.cells)
            n += c.requests_succeeded;
        return n;
    }
    [[nodiscard]] double overall_success() const {
        const std::uint64_t s = total_started();
        return s == 0 ? 1.0 : static_cast<double>(total_succeeded()) / static_cast<double>(s);
    }

    [[nodiscard]] const sweep::use_case_result* highlighted_use_case() const {
        for (const sweep::use_case_result& u : r.use_cases)
            if (u.use_case.name == opt.highlight_use_case)
                return &u;
        return r.use_cases.empty() ? nullptr : &r.use_cases.front();
    }

    [[nodiscard]] bool has_metric(metric m) const {
        for (const sweep::cell_result* c : g.cells)
            if (value_of(c, m))
                return true;
        return false;
    }

    /// True when the answer started later than the first token somewhere (reasoning model).
    [[nodiscard]] bool reasoning_seen() const {
        for (const sweep::cell_result* c : g.cells) {
            const auto a = value_of(c, metric::ttfa);
            const auto t = value_of(c, metric::ttft);
            if (a && t && *a > *t * 1.01 + 1e-6)
                return true;
        }
        return false;
    }

    [[nodiscard]] static std::string thresholds_text(const analysis::use_case& uc) {
        std::string s;
        for (std::size_t i = 0; i < uc.thresholds.size(); ++i)
            s += (i == 0                          ? ""
                  : i + 1 == uc.thresholds.size() ? " and "
                                                  : ", ") +
                 describe_threshold(uc.thresholds[i]);
        return s;
    }

    /// The grid cell with the lowest energy per output token, with its value.
    [[nodiscard]] std::optional<std::pair<const sweep::cell_result*, double>>
    best_energy_per_token() const {
        std::optional<std::pair<const sweep::cell_result*, double>> best;
        for (const sweep::cell_result* c : g.cells)
            if (c->energy && c->energy->joules_per_output_token &&
                std::isfinite(*c->energy->joules_per_output_token))
                if (!best || *c->energy->joules_per_output_token < best->second)
                    best = std::pair{c, *c->energy->joules_per_output_token};
        return best;
    }
};

} // namespace llmcap::report::detail
