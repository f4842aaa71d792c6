#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <cmath>    // isfinite
#include <cstdint>  // uint32_t, uint64_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // move, pair
#include <vector>   // vector

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

    /// A chart of one metric against context length, one line per concurrency level.
    [[nodiscard]] std::optional<line_chart>
    context_chart(const std::string& id, metric m, double scale = 1.0,
                  std::optional<metric_look> look = {}) const {
        const metric_look l = look ? *look : look_of(m);
        line_chart c;
        c.id = id;
        c.title = l.label.substr(0, l.label.find(" (")) + " by context length";
        c.x = context_axis();
        c.y = make_axis(l.label, axis_scale::linear, l.style);
        std::vector<double> ys;
        for (std::uint32_t n : g.concurrencies) {
            chart_series s{n == 1 ? "1 request" : format_count(n) + " concurrent", {}};
            for (std::uint32_t context : g.contexts)
                if (const auto v = value_of(g.at(context, n), m)) {
                    s.points.push_back({static_cast<double>(context), *v * scale});
                    ys.push_back(*v * scale);
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

    [[nodiscard]] std::string where(const sweep::cell_result* c) const {
        return ctx(c->key.context_tokens) + " context, " + conc(c->key.concurrency);
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
