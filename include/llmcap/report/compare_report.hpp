#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // sort, unique
#include <cmath>     // isfinite
#include <cstdint>   // uint32_t
#include <optional>  // optional
#include <string>    // string
#include <tuple>     // tuple
#include <utility>   // move, pair
#include <vector>    // vector

namespace llmcap::report {

/**
 * A side-by-side report of two sweeps (BF16 against FP8, vLLM against SGLang, before against
 * after): what each run was, capacity per use case in both with the change, and per metric the
 * cells both measured with both values and the relative difference (B − A) ÷ A, with charts
 * of both runs against context length. Labels name the runs in every table and legend.
 */
[[nodiscard]] inline document compare_document(const sweep::sweep_result& a,
                                               const sweep::sweep_result& b,
                                               const std::string& label_a = "A",
                                               const std::string& label_b = "B") {
    using analysis::metric;
    document d;
    const auto model_of = [](const sweep::sweep_result& r) {
        return !r.run.model.empty() ? r.run.model : r.run.server.model_id;
    };
    d.title = "Comparison: " + label_a + " and " + label_b;
    d.subtitle = model_of(a) + " on " + a.run.gpu + " · " + model_of(b) + " on " + b.run.gpu;
    if (a.simulated || b.simulated)
        d.watermark = std::string("SIMULATED: ") +
                      (a.simulated && b.simulated ? "both runs come"
                       : a.simulated              ? label_a + " comes"
                                                  : label_b + " comes") +
                      " from the virtual-time emulator, not from a real server";

    d.add(heading{2, "Runs", "runs"});
    table runs{{"", label_a, label_b}, {}, {align::left, align::left, align::left}, {}};
    const auto row = [&](const std::string& name, const std::string& x, const std::string& y) {
        runs.rows.push_back({name, x.empty() ? "not recorded" : x, y.empty() ? "not recorded" : y});
    };
    row("Model", model_of(a), model_of(b));
    row("Precision", detail::precision_of(a.run), detail::precision_of(b.run));
    row("GPU", a.run.gpu, b.run.gpu);
    row("Engine", a.run.engine_version.empty() ? a.run.server.dialect : a.run.engine_version,
        b.run.engine_version.empty() ? b.run.server.dialect : b.run.engine_version);
    row("Server", a.run.server_url, b.run.server_url);
    row("Preset", a.run.preset, b.run.preset);
    row("Mode", a.simulated ? "simulated" : "measured", b.simulated ? "simulated" : "measured");
    row("Started", a.run.started_at, b.run.started_at);
    d.add(std::move(runs));

    d.add(heading{2, "Capacity per use case", "capacity"});
    table caps{{"Use case", "Context", label_a, label_b, "Change", "Binding (" + label_a + ")",
                "Binding (" + label_b + ")"},
               {},
               {align::left, align::right, align::right, align::right, align::right, align::left,
                align::left},
               {}};
    for (const sweep::use_case_result& ua : a.use_cases) {
        const sweep::use_case_result* ub = nullptr;
        for (const sweep::use_case_result& u : b.use_cases)
            if (u.use_case.name == ua.use_case.name)
                ub = &u;
        const analysis::threshold* ba = ua.capacity.binding_threshold();
        const analysis::threshold* bb = ub ? ub->capacity.binding_threshold() : nullptr;
        std::string change(not_available);
        if (ub && ua.capacity.capacity > 0)
            change = format_percent(static_cast<double>(ub->capacity.capacity) /
                                        static_cast<double>(ua.capacity.capacity) -
                                    1.0);
        if (ub && (ua.capacity.kind == analysis::capacity_kind::at_least ||
                   ub->capacity.kind == analysis::capacity_kind::at_least))
            change += " (lower bounds)";
        if (ub && !(ub->use_case == ua.use_case))
            change = "n/a (the runs define this use case differently)";
        caps.rows.push_back(
            {ua.use_case.title, format_tokens_short(ua.use_case.context_tokens),
             detail::capacity_text(ua.capacity),
             ub ? detail::capacity_text(ub->capacity) : "not analysed", change,
             ba ? detail::describe_threshold(*ba) : "none crossed",
             bb ? detail::describe_threshold(*bb) : (ub ? "none crossed" : "not analysed")});
    }
    if (caps.rows.empty())
        d.add(paragraph{"Neither run analysed a use case."});
    else
        d.add(std::move(caps));

    const detail::grid ga = detail::grid_of(a);
    const detail::grid gb = detail::grid_of(b);
    // Laid out as context length against concurrency when both runs are plain grids of one
    // output length; otherwise scenario by scenario, a cell compared only with the cell of the
    // same key (scenario, prompt and output lengths, load).
    const bool by_context = ga.by_context && gb.by_context;
    struct pair_line {
        std::string name;
        // (x, first columns of the row, A's cell, B's cell)
        std::vector<std::tuple<double, std::vector<std::string>, const sweep::cell_result*,
                               const sweep::cell_result*>>
            cells;
    };
    std::vector<pair_line> lines;
    if (by_context) {
        for (std::uint32_t n : ga.concurrencies) {
            pair_line l{format_count(n) + " concurrent", {}};
            for (std::uint32_t context : ga.contexts) {
                const sweep::cell_result* ca = ga.at(context, n);
                const sweep::cell_result* cb = gb.at(context, n);
                // Only the same cell compares: same context, concurrency and output length.
                if (ca == nullptr || cb == nullptr ||
                    ca->key.output_tokens != cb->key.output_tokens)
                    continue;
                l.cells.emplace_back(
                    static_cast<double>(context),
                    std::vector<std::string>{format_tokens_short(context), format_count(n)}, ca,
                    cb);
            }
            lines.push_back(std::move(l));
        }
    } else {
        for (const detail::scenario& s : ga.scenarios) {
            pair_line l{s.label(), {}};
            for (const sweep::cell_result* ca : ga.of(s))
                for (const sweep::cell_result* cb : gb.cells)
                    if (cb->key == ca->key) {
                        const std::optional<double> rate = detail::rate_of(ca->key);
                        l.cells.emplace_back(
                            rate ? *rate : static_cast<double>(ca->key.concurrency),
                            std::vector<std::string>{
                                s.label(), rate ? format_significant(*rate, 3) + "/s (at most " +
                                                      format_count(ca->key.concurrency) + ")"
                                                : format_count(ca->key.concurrency)},
                            ca, cb);
                        break;
                    }
            lines.push_back(std::move(l));
        }
    }
    const bool any_rate = ga.any_rate || gb.any_rate;
    d.add(heading{2, "Per-cell differences", "cells"});
    d.add(paragraph{
        std::string(by_context
                        ? "Cells both runs measured (same context length and concurrency), "
                        : "Cells both runs measured (same scenario, prompt and output lengths, "
                          "and load), ") +
        "with the relative difference (" + label_b + " − " + label_a + ") ÷ " + label_a +
        ". For latencies a negative difference is an improvement; for speeds and "
        "throughput a positive one."});
    bool any_common = false;
    for (metric m : {metric::throughput, metric::generation_speed, metric::ttft, metric::e2e,
                     metric::itl, metric::queue_wait}) {
        const detail::metric_look l = detail::look_of(m);
        table t{{by_context ? "Context" : "Scenario", any_rate ? "Load" : "Concurrency", label_a,
                 label_b, "Difference"},
                {},
                {by_context ? align::right : align::left, align::right, align::right, align::right,
                 align::right},
                {}};
        line_chart ch;
        ch.id = "chart-compare-" + std::string(analysis::metric_name(m));
        for (char& c : ch.id)
            if (c == '_')
                c = '-';
        ch.title = l.label.substr(0, l.label.find(" (")) + ": " + label_a + " and " + label_b;
        ch.x = by_context
                   ? make_axis("Context length (tokens)", axis_scale::linear, value_style::tokens)
               : any_rate
                   ? make_axis("Arrival rate (requests/s)", axis_scale::linear, value_style::number)
                   : make_axis("Concurrent requests", axis_scale::linear, value_style::requests);
        if (!by_context)
            ch.x.include_zero = false;
        ch.y = make_axis(l.label, axis_scale::linear, l.style);
        std::vector<double> xs;
        std::vector<double> ys;
        for (const pair_line& line : lines) {
            chart_series sa{label_a + ", " + line.name, {}};
            chart_series sb{label_b + ", " + line.name, {}};
            for (const auto& [x, columns, ca, cb] : line.cells) {
                const auto va = detail::value_of(ca, m);
                const auto vb = detail::value_of(cb, m);
                if (!va || !vb)
                    continue;
                t.rows.push_back(
                    {columns[0], columns[1], format_value(*va, l.style), format_value(*vb, l.style),
                     *va != 0.0 ? format_percent(*vb / *va - 1.0) : std::string(not_available)});
                sa.points.push_back({x, *va});
                sb.points.push_back({x, *vb});
                xs.push_back(x);
                ys.push_back(*va);
                ys.push_back(*vb);
            }
            if (!sa.points.empty()) {
                ch.series.push_back(std::move(sa));
                ch.series.push_back(std::move(sb));
            }
        }
        if (t.rows.empty())
            continue;
        any_common = true;
        d.add(heading{3, l.label, "compare-" + std::string(analysis::metric_name(m))});
        std::sort(xs.begin(), xs.end());
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
        if (!any_rate || by_context)
            ch.x.ticks = xs;
        if (by_context ? xs.size() >= 2 && xs.back() >= 8.0 * xs.front()
                       : needs_log_scale(xs, 16.0))
            ch.x.scale = axis_scale::log;
        if (needs_log_scale(ys, 50.0))
            ch.y.scale = axis_scale::log;
        d.add(figure{std::move(ch), "Mean " + l.name + " of both runs against " +
                                        (by_context ? "context length."
                                         : any_rate ? "arrival rate, one line per scenario."
                                                    : "concurrency, one line per scenario.")});
        d.add(std::move(t));
    }
    if (!any_common)
        d.add(paragraph{by_context ? "The runs have no cell in common (same context length, output "
                                     "length and concurrency), so no per-cell difference is shown."
                                   : "The runs have no cell in common (same scenario, prompt and "
                                     "output lengths, and load), so no per-cell difference is "
                                     "shown."});
    return d;
}

} // namespace llmcap::report
