#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/roofline.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <cmath>    // isfinite
#include <cstdint>  // uint32_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // move
#include <vector>   // vector

namespace llmcap::report::detail {

/// What explains the user-facing figures: queue wait and prefill speed from the server,
/// scaling efficiency, and the physical bound of the model on the GPU.
struct server_sections : report_context {
    /// Says where a server-side metric came from when some cell had no per-request timings.
    void server_source_note(metric m, const std::string& histogram) {
        bool scraped = false;
        for (const sweep::cell_result* c : g.cells)
            scraped = scraped || (!from_requests(c, m) && value_of(c, m));
        if (scraped)
            doc.add(note{note_kind::info,
                         "Source: the server's metrics endpoint, as the change of its " +
                             histogram +
                             " histogram over each cell divided by the change of its count; "
                             "the requests carried no per-request timings."});
    }

    void queue_section() {
        h2("Queue wait", "queue-wait");
        p("The sections from here on are server-level metrics that explain the user-facing "
          "ones. Queue wait is the time a request waits before the engine starts working on "
          "it, as reported by the server. Near zero with few requests in flight, it grows once the "
          "GPU is saturated. "
          "It is part of TTFT; separating it shows whether slow first tokens come from "
          "saturation (queue) or from long prompts (prefill).");
        if (!has_metric(metric::queue_wait)) {
            std::string why;
            for (const sweep::cell_result* c : g.cells)
                if (c->server && !c->server->error.empty()) {
                    why = " The metrics scrape reported: " + c->server->error + ".";
                    break;
                }
            doc.add(note{note_kind::warning,
                         "The server reported no queue time (neither per-request timings nor a "
                         "queue-time histogram on its metrics endpoint), so queue wait is not "
                         "shown. TTFT is not substituted for it." +
                             why});
            return;
        }
        server_source_note(metric::queue_wait, "queue-time");
        fig(metric_chart("chart-queue-wait", metric::queue_wait),
            "Mean server-side queue wait " + lines_text() + ".");
        if (const auto top = extreme(metric::queue_wait, true))
            p("The longest mean queue wait is **" + format_duration_s(top->second) + "** at " +
              where(top->first) +
              ". Growing queue time means requests wait for the GPU instead of being served "
              "at once.");
        doc.add(note{note_kind::info,
                     "Queue wait and prefill time are measured separately by the server and need "
                     "not add up to TTFT: with chunked prefill and preemption they overlap, and "
                     "their sum can exceed it. Use queue wait to locate saturation and TTFT for "
                     "what users wait."});
    }

    void prefill_section() {
        h2("Per-user prefill speed", "prefill");
        p("Prompt tokens processed per second for one request, from the server's prefill time. "
          "It sets the non-queue part of TTFT: the faster the prefill, the sooner the first token "
          "at a given context length.");
        metric m = metric::prefill_speed;
        if (!has_metric(m)) {
            m = metric::prefill_speed_lower_bound;
            doc.add(note{note_kind::warning,
                         "The server reported no prefill time. Shown instead is the client-side "
                         "lower bound, prompt tokens ÷ TTFT, which includes queue wait and "
                         "network time: the true prefill speed is at least this."});
        }
        if (!has_metric(m))
            return;
        if (m == metric::prefill_speed)
            server_source_note(m, "prefill-time");
        fig(metric_chart("chart-prefill", m),
            std::string(m == metric::prefill_speed ? "Mean per-user prefill speed"
                                                   : "Lower bound on per-user prefill speed") +
                " " + lines_text() + ".");
        if (!g.by_context) {
            table t{{"Scenario", "Peaks at", "Peak speed"},
                    {},
                    {align::left, align::left, align::right},
                    {}};
            for (const scenario& s : g.scenarios) {
                const sweep::cell_result* best = nullptr;
                double best_v = 0.0;
                for (const sweep::cell_result* c : g.of(s))
                    if (const auto v = value_of(c, m); v && (best == nullptr || *v > best_v)) {
                        best = c;
                        best_v = *v;
                    }
                if (best != nullptr)
                    t.rows.push_back({s.label(), load_text(best), format_rate(best_v)});
            }
            doc.add(std::move(t));
            return;
        }
        table t{{"Concurrent requests", "Peaks at", "Peak speed"},
                {},
                {align::right, align::left, align::right},
                {}};
        bool peak_before_end = false;
        for (std::uint32_t n : g.concurrencies)
            if (const auto best = extreme(m, true, n)) {
                t.rows.push_back({format_count(n),
                                  ctx(best->first->key.context_tokens) + " context",
                                  format_rate(best->second)});
                peak_before_end =
                    peak_before_end || best->first->key.context_tokens != g.contexts.back();
            }
        doc.add(std::move(t));
        if (peak_before_end)
            p("Where a line peaks before the longest context, prefill speed falls again as "
              "context grows: attention work rises with the square of the context, and the "
              "engine's per-step token budget (chunked prefill) caps how much of a prompt one "
              "step processes.");
    }

    void scaling_section() {
        h2("Scaling efficiency", "scaling");
        p("Throughput at concurrency c divided by c times the single-request throughput " +
          std::string(g.by_context ? "at the same context length" : "in the same scenario") +
          ": 100% would mean c requests run as fast as one each. Sharing "
          "the GPU keeps real efficiency below that.");
        if (!g.by_context) {
            scenario_scaling();
            return;
        }
        std::vector<analysis::context_scaling> scaling = r.scaling;
        if (scaling.empty()) {
            std::vector<analysis::cell_summary> summaries;
            for (const sweep::cell_result* c : g.cells)
                summaries.push_back(c->summary);
            scaling = analysis::scaling_efficiency(summaries);
        }
        if (scaling.empty()) {
            p("No context length has a single-request cell to scale from.");
            return;
        }
        line_chart c;
        c.id = "chart-scaling";
        c.title = "Scaling efficiency by context length";
        c.x = context_axis();
        c.y = make_axis("Scaling efficiency (%)", axis_scale::linear, value_style::percent);
        for (std::uint32_t n : g.concurrencies) {
            chart_series s{n == 1 ? "1 request" : format_count(n) + " concurrent", {}};
            for (const analysis::context_scaling& cs : scaling)
                for (const analysis::scaling_point& pt : cs.points)
                    if (pt.concurrency == n && std::isfinite(pt.efficiency))
                        s.points.push_back(
                            {static_cast<double>(cs.context_tokens), pt.efficiency * 100.0});
            if (!s.points.empty())
                c.series.push_back(std::move(s));
        }
        fig(std::move(c), "Scaling efficiency against context length, one line per concurrency "
                          "level.");
        table t{
            {"Context", "Single-request throughput", "Highest level", "Throughput there",
             "Efficiency", "Scaling"},
            {},
            {align::right, align::right, align::right, align::right, align::right, align::right},
            {}};
        for (const analysis::context_scaling& cs : scaling) {
            if (cs.points.empty())
                continue;
            const analysis::scaling_point& top = cs.points.back();
            t.rows.push_back(
                {ctx(cs.context_tokens), format_rate(cs.single_throughput_tokens_per_s),
                 format_count(top.concurrency), format_rate(top.throughput_tokens_per_s),
                 format_percent(top.efficiency), format_ratio(cs.throughput_scaling())});
        }
        doc.add(std::move(t));
        p("High efficiency at the concurrency you plan for leaves room to grow; a sharp drop "
          "means more concurrent requests buy little extra throughput.");
    }

    /// Scaling efficiency with one line and one row per scenario (not by_context).
    void scenario_scaling() {
        line_chart c;
        c.id = "chart-scaling";
        c.title = "Scaling efficiency by concurrency";
        c.x = make_axis("Concurrent requests", axis_scale::linear, value_style::requests);
        c.x.include_zero = false;
        for (std::uint32_t n : g.concurrencies)
            c.x.ticks.push_back(static_cast<double>(n));
        if (needs_log_scale(c.x.ticks, 16.0))
            c.x.scale = axis_scale::log;
        c.y = make_axis("Scaling efficiency (%)", axis_scale::linear, value_style::percent);
        table t{{"Scenario", "Single-request throughput", "Highest level", "Throughput there",
                 "Efficiency", "Scaling"},
                {},
                {align::left, align::right, align::right, align::right, align::right, align::right},
                {}};
        for (const scenario& sc : g.scenarios) {
            const std::optional<analysis::context_scaling> cs = scaling_of(sc);
            if (!cs || cs->points.size() < 2)
                continue;
            chart_series s{sc.label(), {}};
            for (const analysis::scaling_point& pt : cs->points)
                if (std::isfinite(pt.efficiency))
                    s.points.push_back(
                        {static_cast<double>(pt.concurrency), pt.efficiency * 100.0});
            if (!s.points.empty())
                c.series.push_back(std::move(s));
            const analysis::scaling_point& top = cs->points.back();
            t.rows.push_back(
                {sc.label(), format_rate(cs->single_throughput_tokens_per_s),
                 format_count(top.concurrency), format_rate(top.throughput_tokens_per_s),
                 format_percent(top.efficiency), format_ratio(cs->throughput_scaling())});
        }
        if (t.rows.empty()) {
            p("No scenario was measured with one request and at a higher concurrency, so there "
              "is no scaling to show.");
            return;
        }
        fig(std::move(c), "Scaling efficiency against concurrency, one line per scenario.");
        doc.add(std::move(t));
        p("High efficiency at the concurrency you plan for leaves room to grow; a sharp drop "
          "means more concurrent requests buy little extra throughput.");
    }

    void roofline_section() {
        h2("Physical bound", "roofline");
        const std::optional<analysis::model_spec> md = opt.model ? opt.model : known_model(r.run);
        const std::optional<analysis::gpu_spec> gd = opt.gpu ? opt.gpu : known_gpu(r.run);
        if (!md || !gd) {
            p("No description of this model and GPU is known to llmcap, so the physical "
              "bound is not computed (pass one through the report options).");
            return;
        }
        p("The fastest any engine could possibly go on this hardware: every byte that must be "
          "read (active weights and KV cache) moves at the GPU's full memory bandwidth and every "
          "operation runs at peak FLOP/s. Model: " +
          md->label() + ", GPU: " + gd->label() + " (" +
          format_fixed(gd->memory_bandwidth_bytes_per_s / 1e12, 2) + " TB/s, " +
          format_fixed(analysis::peak_flops(*gd, *md) / 1e12, 0) +
          " dense TFLOP/s). The fraction achieved is the measured mean ÷ the bound.");
        table t{{cell_headers()[0], cell_headers()[1], "Decode bound per user", "Measured speed",
                 "Fraction", "Limited by", "Prefill bound", "Measured prefill", "Fraction"},
                {},
                std::vector<align>(9, align::right),
                {}};
        if (!g.by_context)
            t.alignment[0] = align::left;
        for (const sweep::cell_result* c : table_cells()) {
            const analysis::cell_roofline rl = analysis::roofline_of(c->summary, *md, *gd);
            const auto speed = value_of(c, metric::generation_speed);
            auto prefill = value_of(c, metric::prefill_speed);
            std::optional<double> prefill_fraction = rl.prefill_fraction;
            std::string prefill_note;
            if (!prefill) {
                prefill = value_of(c, metric::prefill_speed_lower_bound);
                prefill_fraction = rl.prefill_lower_bound_fraction;
                prefill_note = " (lower bound)";
            }
            t.rows.push_back(
                {cell_columns(c)[0], cell_columns(c)[1], format_rate(rl.decode.tokens_per_s),
                 speed ? format_rate(*speed) : std::string(not_available),
                 rl.decode_fraction ? format_percent(*rl.decode_fraction)
                                    : std::string(not_available),
                 rl.decode.memory_bound() ? "memory" : "compute",
                 format_rate(rl.prefill.tokens_per_s),
                 prefill ? format_rate(*prefill) + prefill_note : std::string(not_available),
                 prefill_fraction ? format_percent(*prefill_fraction)
                                  : std::string(not_available)});
        }
        doc.add(std::move(t));
        p("A fraction near 100% leaves little to gain from software; a low one points at "
          "overheads (scheduling, kernel launches, communication) rather than the hardware. "
          "A fraction above 100% would mean the description of the model or GPU is wrong.");
    }
};

} // namespace llmcap::report::detail
