#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>

#include <algorithm> // sort
#include <span>      // span
#include <string>    // string
#include <vector>    // vector

namespace llmcap::report {

/// One use case's capacity over given cells (the `capacity` command's answer).
struct capacity_case {
    /// The use case.
    analysis::use_case use_case;
    /// Its cells (already filtered to its context), any order.
    std::vector<analysis::cell_summary> cells;
    /// compute_capacity over them.
    analysis::capacity_result capacity;
};

/**
 * A document stating, per use case, its capacity, kind and binding constraint, and for every
 * threshold the statistic at each measured level (as measured and as made monotone), whether
 * it holds, and where it crosses, with a chart of each threshold's metric against
 * concurrency. Built only from the given cells, so it serves measurements from other tools.
 */
[[nodiscard]] inline document capacity_document(std::span<const capacity_case> cases,
                                                const std::string& source) {
    document d;
    d.title = "Capacity analysis";
    d.subtitle = "Cells from " + source;
    table summary{{"Use case", "Context", "Thresholds", "Capacity", "Kind", "Binding constraint"},
                  {},
                  {align::left, align::right, align::left, align::right, align::left, align::left},
                  {}};
    for (const capacity_case& c : cases) {
        std::string thresholds;
        for (const analysis::threshold& t : c.use_case.thresholds) {
            if (!thresholds.empty())
                thresholds += ", ";
            thresholds += detail::describe_threshold(t);
        }
        const analysis::threshold* b = c.capacity.binding_threshold();
        summary.rows.push_back({c.use_case.title, format_tokens_short(c.use_case.context_tokens),
                                thresholds, detail::capacity_text(c.capacity),
                                std::string(analysis::capacity_kind_name(c.capacity.kind)),
                                b ? detail::describe_threshold(*b) : "none crossed"});
    }
    d.add(heading{2, "Summary", "summary"});
    d.add(std::move(summary));
    for (const capacity_case& c : cases) {
        const analysis::capacity_result& cap = c.capacity;
        d.add(heading{2, c.use_case.title, "use-case-" + c.use_case.name});
        std::string verdict = "**Capacity: " + detail::capacity_text(cap) +
                              " concurrent requests** (" + detail::capacity_kind_text(cap.kind) +
                              ")";
        if (cap.crossing)
            verdict += "; the binding threshold crosses at " + format_fixed(*cap.crossing, 2) +
                       " concurrent requests";
        d.add(paragraph{verdict + "."});
        if (cap.estimate)
            d.add(paragraph{"Extrapolated estimate (" +
                            std::string(analysis::fit_model_name(cap.estimate->fit.model)) +
                            " fit, R² " + format_fixed(cap.estimate->fit.r_squared, 3) +
                            "): about " + format_fixed(cap.estimate->crossing, 1) +
                            " concurrent requests. An estimate, not a measurement."});
        for (std::size_t i = 0; i < cap.thresholds.size(); ++i) {
            const analysis::threshold_analysis& a = cap.thresholds[i];
            const detail::metric_look l = detail::look_of(a.limit.what);
            table t{{"Concurrency", "Measured", "Monotone fit", "Holds"},
                    {},
                    {align::right, align::right, align::right, align::left},
                    "Threshold " + detail::describe_threshold(a.limit) + ": " +
                        (a.outcome == analysis::threshold_outcome::crossed
                             ? "crossed at " + (a.crossing ? format_fixed(*a.crossing, 2)
                                                           : std::string(not_available))
                         : a.outcome == analysis::threshold_outcome::holds_throughout
                             ? "holds at every level"
                             : "fails at the lowest level") +
                        "."};
            line_chart ch;
            ch.id = "chart-" + c.use_case.name + "-" + std::to_string(i);
            for (char& x : ch.id)
                if (x == '_')
                    x = '-';
            ch.title = c.use_case.title + ": " + l.name;
            ch.x = make_axis("Concurrent requests", axis_scale::linear, value_style::requests);
            ch.x.include_zero = false;
            ch.y = make_axis(l.label, axis_scale::linear, l.style);
            chart_series measured{"measured", {}};
            for (std::size_t k = 0; k < a.concurrency.size(); ++k) {
                t.rows.push_back({format_fixed(a.concurrency[k], 0),
                                  format_value(a.measured[k], l.style),
                                  format_value(a.fitted[k], l.style),
                                  a.limit.holds(a.fitted[k]) ? "yes" : "no"});
                measured.points.push_back({a.concurrency[k], a.measured[k]});
            }
            d.add(std::move(t));
            ch.series.push_back(std::move(measured));
            ch.thresholds.push_back(
                {a.limit.bound, "threshold " + detail::describe_threshold(a.limit)});
            if (cap.kind != analysis::capacity_kind::below_minimum && cap.capacity > 0)
                ch.markers.push_back(
                    {static_cast<double>(cap.capacity), "capacity " + detail::capacity_text(cap)});
            d.add(figure{std::move(ch), "Measured " + l.name +
                                            " against concurrency; dashed: "
                                            "threshold."});
        }
    }
    return d;
}

} // namespace llmcap::report
