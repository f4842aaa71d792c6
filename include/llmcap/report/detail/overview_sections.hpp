#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/roofline.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint32_t, uint64_t
#include <optional> // optional
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

namespace llmcap::report::detail {

/// The first screen and the last: configuration, warnings, highlights, summary and method.
struct overview_sections : report_context {
    void header() {
        const sweep::run_info& run = r.run;
        const std::string model = !run.model.empty() ? run.model : run.server.model_id;
        doc.title = "Capacity report: " + (model.empty() ? std::string("unnamed model") : model);
        const std::string gpu = !run.gpu.empty() ? run.gpu : std::string("unrecorded hardware");
        doc.subtitle = "Performance and concurrent-user capacity on " + gpu +
                       (r.simulated ? " (simulated)" : "");
        if (r.simulated) {
            doc.watermark = "SIMULATED: virtual-time emulator results, not measurements of a "
                            "real server";
        } else if (contains_nocase(run.engine_version + " " + run.hardware + " " +
                                       run.server.dialect,
                                   "emulator")) {
            doc.watermark = "EMULATED: measured over HTTP against llmcap's real-time emulator, "
                            "not a real GPU server";
            doc.badge = "EMULATED";
        }

        h2("Configuration", "configuration");
        std::string organisation = option_string(run, {"organisation", "organization"});
        if (organisation.empty())
            organisation = organisation_of(model);
        std::string parameters = option_string(run, {"parameters"});
        const std::optional<analysis::model_spec> md = opt.model ? opt.model : known_model(run);
        if (parameters.empty() && md)
            parameters = format_significant(analysis::total_params(*md) / 1e9, 3) + "B total, " +
                         format_significant(analysis::active_params_per_token(*md) / 1e9, 2) +
                         "B active per token";
        std::string precision = option_string(run, {"precision"});
        if (precision.empty())
            precision = precision_of(run);
        std::string vram = option_string(run, {"vram"});
        const std::optional<analysis::gpu_spec> gd = opt.gpu ? opt.gpu : known_gpu(run);
        if (vram.empty() && gd)
            vram = format_fixed(gd->memory_bytes / 1e9, 0) + " GB";
        std::string engine = run.engine_version;
        if (engine.empty()) {
            engine = run.server.dialect.empty() ? run.dialect : run.server.dialect;
            if (!run.server.version.empty())
                engine += " " + run.server.version;
        }
        const auto or_unknown = [](const std::string& s) {
            return s.empty() ? std::string("not recorded") : s;
        };
        table t{{"Model", "", "Test hardware", ""}, {}, {}, {}};
        t.rows.push_back({"Model", or_unknown(model), "GPU", or_unknown(run.gpu)});
        t.rows.push_back({"Organisation", or_unknown(organisation), "VRAM", or_unknown(vram)});
        t.rows.push_back({"Parameters", or_unknown(parameters), "Engine", or_unknown(engine)});
        t.rows.push_back(
            {"Precision", or_unknown(precision), "Server", or_unknown(run.server_url)});
        t.rows.push_back({"Preset", or_unknown(run.preset), "Mode",
                          r.simulated              ? "simulated (virtual time)"
                          : !doc.watermark.empty() ? "measured over HTTP against the emulator"
                                                   : "measured on a live server"});
        t.rows.push_back({"Run started", or_unknown(run.started_at), "Run finished",
                          or_unknown(run.finished_at)});
        doc.add(std::move(t));
        if (!r.complete)
            doc.add(note{note_kind::warning,
                         "The sweep did not finish: some planned cells are missing or partial. "
                         "Figures below cover the cells that were measured."});
        failed_cells_note();
        if (const auto* client = run.options.if_contains("client"); client && client->is_object())
            if (const auto* v = client->as_object().if_contains("tls_verify");
                v && v->is_bool() && !v->get_bool())
                doc.add(note{note_kind::warning,
                             "**TLS certificate verification was off** (--insecure): the "
                             "client did not check that it talked to the server named in the "
                             "URL."});
    }

    /// On the first screen: every cell that measured nothing, and why.
    void failed_cells_note() {
        bullet_list why;
        std::size_t failed = 0;
        for (const sweep::cell_result& c : r.cells) {
            if (!c.measured_nothing())
                continue;
            if (++failed <= 8)
                why.items.push_back("**" + c.key.id() + "**: " + c.failure_reason());
        }
        if (failed == 0)
            return;
        if (failed > 8)
            why.items.push_back("and " + format_count(failed - 8) +
                                " more (see the reliability section)");
        doc.add(note{note_kind::warning,
                     "**" + format_count(failed) + " of " + format_count(r.cells.size()) +
                         " cells measured nothing**: no request in them succeeded, so no "
                         "figure below comes from them."});
        doc.add(std::move(why));
    }

    void highlights_section() {
        h2("Highlights", "highlights");
        highlights h;
        if (const auto peak = extreme(metric::throughput, true))
            h.cards.push_back(
                {format_rate(peak->second), "Peak system throughput", "at " + where(peak->first)});
        if (total_started() == 0)
            h.cards.push_back({"none", "Success rate", "no request was measured"});
        else
            h.cards.push_back({format_percent(overall_success()), "Success rate",
                               "over " + format_count(total_started()) + " measured requests"});
        if (const sweep::use_case_result* u = highlighted_use_case())
            h.cards.push_back({capacity_text(u->capacity),
                               "Concurrent requests: " + u->use_case.title,
                               "at " + ctx(u->use_case.context_tokens) + " context, within " +
                                   thresholds_text(u->use_case)});
        if (r.mix) // a traffic mix's capacity: every class within its own thresholds
            h.cards.push_back({format_count(r.mix->capacity) + (r.mix->lowest_failing ? "" : "+"),
                               "Concurrent requests: the traffic mix",
                               r.mix->gives_way_first.empty()
                                   ? std::string("every class within its thresholds")
                                   : "beyond it " +
                                         analysis::class_title(r.mix->mix, r.mix->gives_way_first) +
                                         " gives way first"});
        doc.add(std::move(h));
    }

    /// A metric's mean with one request in flight, scenario by scenario: "chat 1K/1K 0.05 s;
    /// reasoning 1K/8K 0.05 s".
    [[nodiscard]] std::string per_scenario(metric m) const {
        std::string out;
        for (const scenario& s : g.scenarios)
            if (const auto v = value_of(g.at(s, 1), m))
                out += (out.empty() ? "" : "; ") + s.label() + " " +
                       format_value(*v, look_of(m).style);
        return out.empty() ? std::string("not measured") : out;
    }

    void summary_section() {
        h2("Summary", "summary");
        const std::string model = !r.run.model.empty() ? r.run.model : r.run.server.model_id;
        p("This report answers one question for **" + (model.empty() ? "the model" : model) +
          "** on **" + (r.run.gpu.empty() ? "the tested hardware" : r.run.gpu) +
          "**: how many requests can run at once, for each kind of workload, before what users "
          "feel (time to first token, streaming speed, total latency) falls below accepted "
          "limits, and which limit gives way first.");
        std::uint64_t warmup = 0;
        for (const sweep::cell_result& c : r.cells)
            warmup += c.warmup_requests;
        p((g.by_context ? "Measured grid: context lengths " + context_range() +
                              " tokens, concurrency " + concurrency_range() + ", " +
                              format_count(g.output_tokens) + " output tokens asked per request, "
                        : "Measured scenarios (prompt/output tokens): " + scenarios_text() +
                              ", at concurrency " + concurrency_range() + "; ") +
          format_count(r.cells.size()) + " cells, " + format_count(total_started()) +
          " measured requests after " + format_count(warmup) +
          " warm-up requests. Every prompt is new to the server (no shared prefix), so no "
          "prefix cache can shorten prefill: the TTFT figures are the uncached worst case.");

        h3("Key findings", "key-findings");
        table t{{"Finding", "Value"}, {}, {align::left, align::left}, {}};
        if (const auto peak = extreme(metric::throughput, true))
            t.rows.push_back({"Peak system throughput",
                              format_rate(peak->second) + " at " + where(peak->first)});
        const auto single = [&](metric m) -> std::string {
            if (!g.by_context)
                return per_scenario(m);
            if (g.contexts.empty())
                return "not measured";
            const auto lo = value_of(g.at(g.contexts.front(), 1), m);
            const auto hi = value_of(g.at(g.contexts.back(), 1), m);
            if (!lo && !hi)
                return "not measured";
            const metric_look l = look_of(m);
            return (lo ? format_value(*lo, l.style) : std::string(not_available)) + " (" +
                   ctx(g.contexts.front()) + " context) → " +
                   (hi ? format_value(*hi, l.style) : std::string(not_available)) + " (" +
                   ctx(g.contexts.back()) + " context)";
        };
        t.rows.push_back({"TTFT, one request", single(metric::ttft)});
        t.rows.push_back({"Generation speed, one request", single(metric::generation_speed)});
        if (reasoning_seen())
            t.rows.push_back({"Time to first answer token, one request", single(metric::ttfa)});
        if (const sweep::use_case_result* u = highlighted_use_case())
            t.rows.push_back({u->use_case.title + " capacity",
                              capacity_text(u->capacity) + " concurrent requests at " +
                                  ctx(u->use_case.context_tokens) + " context"});
        if (const auto peak = extreme(metric::throughput, true); peak && !g.by_context) {
            if (const auto s = scaling_of(g.scenario_of(*peak->first)); s && s->points.size() > 1)
                t.rows.push_back(
                    {"Throughput scaling", format_ratio(s->throughput_scaling()) + " from 1 to " +
                                               conc(s->points.back().concurrency) + " in " +
                                               g.scenario_of(*peak->first).label()});
        } else if (peak) {
            for (const analysis::context_scaling& s : r.scaling)
                if (s.context_tokens == peak->first->key.context_tokens && !s.points.empty())
                    t.rows.push_back({"Throughput scaling",
                                      format_ratio(s.throughput_scaling()) + " from 1 to " +
                                          conc(s.points.back().concurrency) + " at " +
                                          ctx(s.context_tokens) + " context"});
        }
        t.rows.push_back({"Success rate", total_started() == 0
                                              ? std::string("no request was measured")
                                              : format_percent(overall_success()) + " of " +
                                                    format_count(total_started()) + " requests"});
        if (const auto e = best_energy_per_token())
            t.rows.push_back({"Lowest energy per output token",
                              format_joules(e->second) + " at " + where(e->first)});
        doc.add(std::move(t));
        p("A **concurrent request** here is one request in flight. Interactive users pause "
          "between requests (reading, typing), so one request slot usually serves several "
          "active users; how many depends on the application.");
    }

    void methodology_section() {
        h2("Method", "method");
        doc.add(bullet_list{{
            "Load: closed loop, a fixed number of requests in flight per cell; each finished "
            "request is replaced at once. Warm-up requests are run first and excluded.",
            "Latencies count from when a request was due to start (not when it was sent), so a "
            "late client cannot hide queueing.",
            "TTFT: first token event (content, reasoning or tool call). Time to first answer "
            "token: first content event. E2E: end of stream.",
            "Generation speed: (output tokens − 1) ÷ (last token − first token) per request. "
            "Inter-token latency: gaps between token events, divided over the tokens an event "
            "carries.",
            "Output tokens: the server's usage count (reasoning included) when it sends one.",
            "Queue wait and prefill time: the server's own figures (per-request timings or "
            "metrics histograms), never derived from TTFT.",
            "Capacity: each threshold's statistic is made monotone in load, interpolated "
            "linearly between measured levels, and solved for its crossing; the first crossing "
            "binds.",
        }});
        table t{{"Run fact", "Value"}, {}, {align::left, align::left}, {}};
        t.rows.push_back({"llmcap version", r.run.tool_version.empty() ? std::string(not_available)
                                                                       : r.run.tool_version});
        t.rows.push_back({"Seed", std::to_string(r.run.seed)});
        t.rows.push_back({"Request dialect",
                          r.run.dialect.empty() ? std::string(not_available) : r.run.dialect});
        if (!r.run.server.evidence.empty())
            t.rows.push_back({"Server detected from", r.run.server.evidence});
        if (!r.run.host.hostname.empty())
            t.rows.push_back({"Client host", r.run.host.hostname + " (" + r.run.host.os + ", " +
                                                 format_count(r.run.host.cpu_count) + " threads)"});
        t.rows.push_back({"Results schema version", std::to_string(r.version)});
        doc.add(std::move(t));
    }
};

} // namespace llmcap::report::detail
