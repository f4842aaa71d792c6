#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/telemetry/energy_reading.hpp>

#include <cstdint> // uint32_t
#include <string>  // string
#include <utility> // move
#include <vector>  // vector

namespace llmcap::report::detail {

/// Power and cost: GPU power and energy per output token, and what they cost.
struct energy_sections : report_context {
    void power_section() {
        h2("Power and cost", "power");
        bool any = false;
        bool modelled = false;
        for (const sweep::cell_result* c : g.cells) {
            any = any || c->energy.has_value();
            modelled =
                modelled || (c->energy && c->energy->source == telemetry::energy_source::emulator);
        }
        if (modelled)
            p("GPU power draw while serving, for operating cost, cooling and power budgets. Here "
              "it is the emulator's power model (idle power plus a part proportional to how busy "
              "each engine step keeps the modelled GPU), not a measurement: use it to see the "
              "shape of the curves, not the watts of a real device.");
        else
            p("GPU power draw while serving, from the energy meter, for operating cost, cooling "
              "and power budgets.");
        if (!any) {
            std::string why;
            for (const sweep::cell_result* c : g.cells)
                if (!c->energy_error.empty()) {
                    why = " The meter reported: " + c->energy_error + ".";
                    break;
                }
            doc.add(note{note_kind::warning,
                         "No energy was measured in this run (no NVML, nvidia-smi or DCGM meter "
                         "was available or configured), so power, energy per token and cost are "
                         "not shown." +
                             why});
            return;
        }
        metric_look power{"Mean GPU power (W)", "mean GPU power", value_style::watts};
        line_chart c;
        c.id = "chart-power";
        c.title = "Mean GPU power" + by_text();
        c.x = lines_axis();
        c.y = make_axis(power.label, axis_scale::linear, value_style::watts);
        line_chart e = c;
        e.id = "chart-energy-per-token";
        e.title = "Energy per output token" + by_text();
        e.y = make_axis("Energy per output token (J)", axis_scale::linear, value_style::number);
        std::vector<double> eys;
        for (const chart_line& line : chart_lines()) {
            chart_series s{line.name, {}};
            chart_series es{line.name, {}};
            for (const auto& [x, cell] : line.cells)
                if (cell->energy) {
                    s.points.push_back({x, cell->energy->mean_power_w});
                    if (cell->energy->joules_per_output_token) {
                        es.points.push_back({x, *cell->energy->joules_per_output_token});
                        eys.push_back(*cell->energy->joules_per_output_token);
                    }
                }
            if (!s.points.empty())
                c.series.push_back(std::move(s));
            if (!es.points.empty())
                e.series.push_back(std::move(es));
        }
        if (needs_log_scale(eys, 50.0))
            e.y.scale = axis_scale::log;
        fig(std::move(c), "Mean GPU power " + lines_text() + ".");
        const sweep::cell_result* peak = nullptr;
        double peak_w = 0.0;
        for (const sweep::cell_result* cell : g.cells)
            if (cell->energy) {
                const double w = cell->energy->peak_power_w ? *cell->energy->peak_power_w
                                                            : cell->energy->mean_power_w;
                if (peak == nullptr || w > peak_w) {
                    peak = cell;
                    peak_w = w;
                }
            }
        if (peak != nullptr)
            p("The highest power observed is **" + format_watts(peak_w) + "** at " + where(peak) +
              ": about **" + format_usd(peak_w / 1000.0 * opt.usd_per_kwh) + " per hour** at " +
              format_usd(opt.usd_per_kwh) +
              "/kWh. Budget power and cooling for the peak, not the mean.");
        if (!e.series.empty()) {
            fig(std::move(e), "GPU energy per output token " + lines_text() +
                                  ": batching spreads the GPU's draw over more tokens.");
            table t{{cell_headers()[0], cell_headers()[1], "Mean power", "Energy per output token",
                     "Cost per million output tokens"},
                    {},
                    {align::right, align::right, align::right, align::right, align::right},
                    {}};
            if (!g.by_context)
                t.alignment[0] = align::left;
            for (const sweep::cell_result* cell : g.by_context ? g.cells : g.ordered())
                if (cell->energy && cell->energy->joules_per_output_token) {
                    const double j = *cell->energy->joules_per_output_token;
                    t.rows.push_back({cell_columns(cell)[0], cell_columns(cell)[1],
                                      format_watts(cell->energy->mean_power_w), format_joules(j),
                                      format_usd(j * 1e6 / 3.6e6 * opt.usd_per_kwh)});
                }
            std::string source;
            for (const sweep::cell_result* cell : g.cells)
                if (cell->energy && source.empty())
                    source = std::string(sweep::to_string(cell->energy->source)) + ", " +
                             std::string(sweep::to_string(cell->energy->method));
            t.caption = "Energy source: " + source + "; electricity at " +
                        format_usd(opt.usd_per_kwh) +
                        "/kWh, GPU energy only (no host, cooling or idle share).";
            doc.add(std::move(t));
        }
    }
};

} // namespace llmcap::report::detail
