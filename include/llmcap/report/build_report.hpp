#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/roofline.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // find, none_of, max, min
#include <cctype>    // toupper
#include <cmath>     // isfinite
#include <cstdint>   // uint32_t, uint64_t
#include <optional>  // optional
#include <span>      // span
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

/**
 * The capacity report of a sweep as a format-neutral document (report/document.hpp): the
 * sections of the reference report (header, highlights, key findings, use-case guidance,
 * throughput, per-user speed, TTFT, capacity per use case, queue wait, prefill speed, ITL,
 * scaling efficiency, power and cost) and what it lacks (percentiles P50–P99.9 with confidence
 * intervals, success and failure breakdown, short-output, prompt-length and client-lag checks,
 * time to first answer token, energy per token, the physical bound and the fraction achieved).
 * Every figure comes from the sweep result; nothing depends on the time the report is built.
 */
namespace llmcap::report {

namespace detail {

using analysis::metric;
using analysis::statistic;

/// Shared state of one report build.
struct report_builder {
    const sweep::sweep_result& r;
    const report_options& opt;
    grid g;
    document doc;

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

    // --------------------------------------------------------------------------------------
    // Sections

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
        const std::optional<analysis::model_description> md =
            opt.model ? opt.model : known_model(run);
        if (parameters.empty() && md)
            parameters = format_significant(md->total_parameters / 1e9, 3) + "B total, " +
                         format_significant(md->active_parameters / 1e9, 2) + "B active per token";
        std::string precision = option_string(run, {"precision"});
        if (precision.empty())
            precision = precision_of(run);
        std::string vram = option_string(run, {"vram"});
        const std::optional<analysis::gpu_description> gd = opt.gpu ? opt.gpu : known_gpu(run);
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
        doc.add(std::move(h));
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
        p("Measured grid: context lengths " + context_range() + " tokens, concurrency " +
          concurrency_range() + ", " + format_count(g.output_tokens) +
          " output tokens asked per request, " + format_count(r.cells.size()) + " cells, " +
          format_count(total_started()) + " measured requests after " + format_count(warmup) +
          " warm-up requests. Every prompt is new to the server (no shared prefix), so no "
          "prefix cache can shorten prefill: the TTFT figures are the uncached worst case.");

        h3("Key findings", "key-findings");
        table t{{"Finding", "Value"}, {}, {align::left, align::left}, {}};
        if (const auto peak = extreme(metric::throughput, true))
            t.rows.push_back({"Peak system throughput",
                              format_rate(peak->second) + " at " + where(peak->first)});
        const auto single = [&](metric m) -> std::string {
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
        if (const auto peak = extreme(metric::throughput, true)) {
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

    void use_case_guidance() {
        h2("Use-case guidance", "use-cases");
        if (r.use_cases.empty()) {
            p("No use case was analysed in this run.");
            return;
        }
        p("Each row maps a common workload to the largest number of concurrent requests that "
          "keeps every one of its thresholds. The binding constraint is the threshold that gives "
          "way first; the kind says how the number was obtained. Details and charts are in "
          "the capacity analysis below.");
        table t{{"Use case", "Context", "Output", "Thresholds", "Capacity", "Binding constraint",
                 "Kind", "Reading"},
                {},
                {align::left, align::right, align::right, align::left, align::right, align::left,
                 align::left, align::left},
                {}};
        for (const sweep::use_case_result& u : r.use_cases) {
            const analysis::capacity_result& c = u.capacity;
            const analysis::threshold* b = c.binding_threshold();
            t.rows.push_back({u.use_case.title, ctx(u.use_case.context_tokens),
                              format_count(u.use_case.output_tokens), thresholds_text(u.use_case),
                              capacity_text(c),
                              b ? describe_threshold(*b) : std::string("none crossed"),
                              std::string(analysis::capacity_kind_name(c.kind)), reading(u)});
        }
        doc.add(std::move(t));
        p("These limits are where a threshold stops holding, not where the server stops: beyond "
          "them it keeps answering, more slowly, which some applications may still accept.");
    }

    [[nodiscard]] static std::string reading(const sweep::use_case_result& u) {
        const analysis::capacity_result& c = u.capacity;
        switch (c.kind) {
        case analysis::capacity_kind::at_least:
            return "Every threshold holds up to " + conc(c.capacity) +
                   ", the most measured; more capacity is likely.";
        case analysis::capacity_kind::below_minimum:
            return "Already outside a threshold at " + conc(c.lowest_concurrency) +
                   ": not suited to this workload as configured.";
        case analysis::capacity_kind::exact:
        case analysis::capacity_kind::interpolated:
            break;
        }
        if (c.capacity <= 1)
            return "Suited to a single user at a time.";
        return "Serves " + conc(c.capacity) + " within the thresholds.";
    }

    void throughput_section() {
        h2("System throughput", "throughput");
        p("Output tokens produced per second by all requests of a cell together (prompt tokens "
          "are not counted): the sum of output tokens over the span from the first request's "
          "intended start to the last request's end.");
        fig(context_chart("chart-throughput", metric::throughput),
            "Mean system throughput against context length, one line per concurrency level.");
        const auto peak = extreme(metric::throughput, true);
        if (!peak)
            return;
        table t{{"Condition", "Throughput"}, {}, {align::left, align::right}, {}};
        t.rows.push_back({"Peak (" + where(peak->first) + ")", format_rate(peak->second)});
        if (!g.concurrencies.empty() && g.contexts.size() > 1) {
            const std::uint32_t top = g.concurrencies.back();
            std::vector<std::uint32_t> shown{g.contexts[g.contexts.size() / 2], g.contexts.back()};
            if (shown.front() == shown.back())
                shown.pop_back();
            for (std::uint32_t context : shown)
                if (const auto v = value_of(g.at(context, top), metric::throughput))
                    t.rows.push_back({ctx(context) + " context, " + conc(top), format_rate(*v)});
        }
        doc.add(std::move(t));
        p("At its peak this configuration generates about **" +
          format_significant(peak->second * 3600.0 / 1e6, 3) +
          " million** output tokens per hour, the figure that matters for batch work such as "
          "offline document processing or synthetic data generation.");
    }

    void speed_section() {
        h2("Per-user generation speed", "speed");
        p("How fast text streams into each user's response once it has started (also called "
          "decode speed): one over the time per output token. Requests share the GPU, so it "
          "falls as concurrency rises.");
        fig(context_chart("chart-speed", metric::generation_speed),
            "Mean per-user generation speed against context length, one line per concurrency "
            "level.");
        table t{{"Speed", "Experience", "Cells"}, {}, {align::left, align::left, align::right}, {}};
        const std::vector<std::pair<std::string, std::string>> bands = {
            {"below 15 tok/s", "slow: may trail a reader"},
            {"15–25 tok/s", "acceptable: keeps up with reading"},
            {"25–50 tok/s", "fast: ahead of reading"},
            {"above 50 tok/s", "very fast: text appears almost at once"}};
        std::vector<std::uint64_t> counts(4, 0);
        for (const sweep::cell_result* c : g.cells)
            if (const auto v = value_of(c, metric::generation_speed))
                ++counts[*v < 15.0 ? 0 : *v < 25.0 ? 1 : *v < 50.0 ? 2 : 3];
        for (std::size_t i = 0; i < bands.size(); ++i)
            t.rows.push_back({bands[i].first, bands[i].second, format_count(counts[i])});
        t.caption = "How a streaming speed reads, and how many measured cells fall in each band.";
        doc.add(std::move(t));
        const auto low = extreme(metric::generation_speed, false);
        const auto high1 = extreme(metric::generation_speed, true, 1u);
        if (low)
            p("The slowest measured point is **" + format_rate(low->second) + "** at " +
              where(low->first) +
              (low->second >= 15.0 ? ", still at reading speed or faster."
                                   : ", below reading speed.") +
              (high1 ? " A single user reaches **" + format_rate(high1->second) + "** at " +
                           ctx(high1->first->key.context_tokens) + " context."
                     : std::string()));
    }

    void ttft_section() {
        h2("Time to first token", "ttft");
        p("From when a request was due to start until the first token arrives: what a user "
          "perceives as responsiveness. It has two parts:");
        doc.add(bullet_list{{"**Queue wait**: time spent waiting for the engine to take the "
                             "request; grows with concurrency.",
                             "**Prefill**: time to process the prompt; grows with context "
                             "length."}});
        p("With few requests in flight prefill dominates; under load the queue takes over (see "
          "Queue wait below).");
        fig(context_chart("chart-ttft", metric::ttft),
            "Mean TTFT against context length, one line per concurrency level.");
        table t{{"TTFT", "Experience", "Cells"}, {}, {align::left, align::left, align::right}, {}};
        const std::vector<std::pair<std::string, std::string>> bands = {
            {"under 0.5 s", "instant"},
            {"0.5–2 s", "responsive"},
            {"2–5 s", "noticeable, acceptable"},
            {"5–10 s", "slow; tolerated for long inputs"},
            {"over 10 s", "frustrating; users may retry or leave"}};
        std::vector<std::uint64_t> counts(5, 0);
        for (const sweep::cell_result* c : g.cells)
            if (const auto v = value_of(c, metric::ttft))
                ++counts[*v < 0.5 ? 0 : *v < 2.0 ? 1 : *v < 5.0 ? 2 : *v < 10.0 ? 3 : 4];
        for (std::size_t i = 0; i < bands.size(); ++i)
            t.rows.push_back({bands[i].first, bands[i].second, format_count(counts[i])});
        t.caption = "How a TTFT feels, and how many measured cells fall in each band.";
        doc.add(std::move(t));
        doc.add(note{note_kind::info,
                     "**Prompt caching.** Every prompt here is processed from scratch. A "
                     "conversation or agent that grows its context turn by turn, served with "
                     "prefix caching, only prefills the new tokens: adding 1K tokens to a 64K "
                     "conversation then costs about what a 1K prompt costs here. Real TTFT for "
                     "such workloads is much lower than these worst-case figures."});

        h3("Time to first answer token", "ttfa");
        if (!has_metric(metric::ttfa)) {
            p("No request produced answer content, so the time to first answer token was not "
              "measured.");
        } else if (!reasoning_seen()) {
            p("The first token of every cell was already answer content (no reasoning tokens "
              "came first), so the time to first answer token equals TTFT here.");
        } else {
            p("This model streams reasoning before its answer. The time to first answer token "
              "counts until the first token of the answer itself: what a user waits for when "
              "the reasoning is hidden.");
            fig(context_chart("chart-ttfa", metric::ttfa),
                "Mean time to first answer token against context length, one line per "
                "concurrency level.");
        }
    }

    /// The concurrency levels shown in a use case's table: lowest, around the capacity,
    /// highest.
    [[nodiscard]] static std::vector<const sweep::cell_result*>
    shown_levels(const std::vector<const sweep::cell_result*>& cells,
                 const analysis::capacity_result& cap) {
        if (cells.size() <= 5)
            return cells;
        std::vector<const sweep::cell_result*> out{cells.front()};
        const double x = cap.crossing ? *cap.crossing : static_cast<double>(cap.capacity);
        for (std::size_t i = 1; i + 1 < cells.size(); ++i) {
            const double c = static_cast<double>(cells[i]->key.concurrency);
            const double next = static_cast<double>(cells[i + 1]->key.concurrency);
            const double prev = static_cast<double>(cells[i - 1]->key.concurrency);
            if ((c <= x && next > x) || (c > x && prev <= x))
                out.push_back(cells[i]);
        }
        out.push_back(cells.back());
        return out;
    }

    [[nodiscard]] static std::string use_case_description(const analysis::use_case& uc) {
        const std::string context = format_tokens_short(uc.context_tokens);
        if (uc.name == "code_completion")
            return "Inline suggestions in an editor, as autocomplete. Prompts are short and "
                   "answers shorter (" +
                   format_count(uc.output_tokens) +
                   " output tokens here); the whole suggestion must arrive quickly, so the limit "
                   "is on end-to-end latency rather than TTFT.";
        if (uc.name == "short_form_chatbot")
            return "Quick exchanges such as support questions and simple answers: a system "
                   "prompt and a few turns fit in " +
                   context + " tokens. Readers of a support chat accept a modest streaming speed.";
        if (uc.name == "general_chatbot")
            return "A multi-turn assistant in the style of ChatGPT, with conversations of up to " +
                   context + " tokens. Answers should start within seconds and stream fluently.";
        if (uc.name == "long_document_processing")
            return "Summarising reports, extracting data from contracts and other long "
                   "documents of about " +
                   context +
                   " tokens. Users expect a longer wait before a long input is answered, but "
                   "the answer should still stream at reading speed.";
        if (uc.name == "automated_coding_assistant")
            return "Agents that read a large part of a code base (" + context +
                   " tokens) on every call to answer questions, refactor or implement features, "
                   "chaining many calls. With prefix caching each step only prefills what is "
                   "new; these figures are the uncached worst case.";
        return "A workload of " + context + " context tokens and " +
               format_count(uc.output_tokens) + " output tokens defined for this run.";
    }

    void capacity_section() {
        h2("Capacity analysis", "capacity");
        p("For each workload, how the user-facing metrics change as concurrency grows at its "
          "context length. Dashed lines are the thresholds; the dotted vertical line marks the "
          "capacity, the largest concurrency at which every threshold still holds. Between "
          "measured levels each metric is interpolated, after being made monotone in load.");
        if (r.use_cases.empty())
            p("No use case was analysed in this run.");
        for (const sweep::use_case_result& u : r.use_cases)
            use_case_subsection(u);
    }

    void use_case_subsection(const sweep::use_case_result& u) {
        const analysis::use_case& uc = u.use_case;
        const analysis::capacity_result& cap = u.capacity;
        h3(uc.title + " (" + ctx(uc.context_tokens) + " context)", "use-case-" + uc.name);
        p(use_case_description(uc));
        p("Thresholds: " + thresholds_text(uc) +
          ". Output length: " + format_count(uc.output_tokens) + " tokens.");
        const std::vector<const sweep::cell_result*> cells = use_case_cells(r, uc);
        std::vector<metric> shown;
        for (const analysis::threshold& t : uc.thresholds)
            if (std::find(shown.begin(), shown.end(), t.what) == shown.end())
                shown.push_back(t.what);
        if (std::find(shown.begin(), shown.end(), metric::throughput) == shown.end())
            shown.push_back(metric::throughput);
        std::vector<double> levels;
        for (const sweep::cell_result* c : cells)
            levels.push_back(static_cast<double>(c->key.concurrency));
        for (metric m : shown) {
            const metric_look l = look_of(m);
            line_chart c;
            c.id = "chart-" + uc.name + "-" + std::string(analysis::metric_name(m));
            for (char& ch : c.id)
                if (ch == '_')
                    ch = '-';
            c.title = uc.title + ": " + l.name + " by concurrency";
            c.title[uc.title.size() + 2] = static_cast<char>(
                std::toupper(static_cast<unsigned char>(c.title[uc.title.size() + 2])));
            c.x = make_axis("Concurrent requests", axis_scale::linear, value_style::requests);
            c.x.include_zero = false;
            if (needs_log_scale(levels, 16.0))
                c.x.scale = axis_scale::log;
            c.y = make_axis(l.label, axis_scale::linear, l.style);
            for (const analysis::threshold& t : uc.thresholds) {
                if (t.what != m)
                    continue;
                chart_series s{std::string(t.stat == statistic::mean ? "mean" : ""), {}};
                if (s.name.empty())
                    s.name = describe_threshold(t).substr(0, describe_threshold(t).find(" <"));
                for (const sweep::cell_result* cell : cells)
                    if (const auto v = value_of(cell, m, t.stat))
                        s.points.push_back({static_cast<double>(cell->key.concurrency), *v});
                if (!s.points.empty() &&
                    std::none_of(c.series.begin(), c.series.end(),
                                 [&](const chart_series& o) { return o.name == s.name; }))
                    c.series.push_back(std::move(s));
                c.thresholds.push_back({t.bound, "threshold " + describe_threshold(t)});
            }
            if (c.series.empty()) {
                chart_series s{"mean", {}};
                for (const sweep::cell_result* cell : cells)
                    if (const auto v = value_of(cell, m))
                        s.points.push_back({static_cast<double>(cell->key.concurrency), *v});
                if (!s.points.empty())
                    c.series.push_back(std::move(s));
            }
            if (c.series.empty())
                continue;
            if (cap.kind != analysis::capacity_kind::below_minimum && cap.capacity > 0)
                c.markers.push_back(
                    {static_cast<double>(cap.capacity), "capacity " + capacity_text(cap)});
            fig(std::move(c), "Mean " + l.name + " at " + ctx(uc.context_tokens) +
                                  " context against concurrency" +
                                  (m == metric::throughput ? "." : "; dashed: threshold."));
        }

        // The table at measured levels.
        const std::vector<const sweep::cell_result*> levels_shown = shown_levels(cells, cap);
        if (!levels_shown.empty()) {
            table t{{"Metric"}, {}, {align::left}, {}};
            for (const sweep::cell_result* c : levels_shown) {
                t.header.push_back("@ " + conc(c->key.concurrency));
                t.alignment.push_back(align::right);
            }
            for (metric m : shown) {
                std::vector<std::string> row{look_of(m).name};
                row[0][0] = static_cast<char>(std::toupper(static_cast<unsigned char>(row[0][0])));
                for (const sweep::cell_result* c : levels_shown) {
                    const auto v = value_of(c, m);
                    std::string cell =
                        v ? format_value(*v, look_of(m).style) : std::string(not_available);
                    for (const analysis::threshold& th : uc.thresholds)
                        if (th.what == m)
                            if (const auto tv = value_of(c, m, th.stat); tv && !th.holds(*tv))
                                cell += " (threshold exceeded)";
                    row.push_back(std::move(cell));
                }
                t.rows.push_back(std::move(row));
            }
            t.caption =
                "Means at measured concurrency levels, " + ctx(uc.context_tokens) + " context.";
            doc.add(std::move(t));
        } else {
            p("No cell was measured for this use case.");
        }

        // The verdict.
        const analysis::threshold* b = cap.binding_threshold();
        std::string verdict =
            "**Capacity: " + capacity_text(cap) + " concurrent " +
            (cap.capacity == 1 && cap.kind != analysis::capacity_kind::at_least ? "request"
                                                                                : "requests") +
            "** (" + capacity_kind_text(cap.kind) + ").";
        switch (cap.kind) {
        case analysis::capacity_kind::interpolated:
        case analysis::capacity_kind::exact:
            verdict += " The binding constraint is " + describe_threshold(*b) +
                       (cap.crossing ? ", crossed at " + format_fixed(*cap.crossing, 1) +
                                           " concurrent requests"
                                     : std::string()) +
                       ".";
            break;
        case analysis::capacity_kind::at_least:
            verdict += " Every threshold holds up to the highest level measured (" +
                       conc(cap.highest_concurrency) + "); the real capacity is likely higher.";
            break;
        case analysis::capacity_kind::below_minimum:
            verdict += " " + describe_threshold(*b) + " fails already at " +
                       conc(cap.lowest_concurrency) + ".";
            break;
        }
        p(verdict);
        if (const sweep::cell_result* at = [&]() -> const sweep::cell_result* {
                for (const sweep::cell_result* c : cells)
                    if (c->key.concurrency == cap.capacity)
                        return c;
                return nullptr;
            }()) {
            std::string s = "At " + conc(cap.capacity) + ":";
            bool first = true;
            for (const analysis::threshold& th : uc.thresholds)
                if (const auto v = value_of(at, th.what, th.stat)) {
                    s += std::string(first ? " " : "; ") + look_of(th.what).name + " " +
                         format_value(*v, look_of(th.what).style) + " against a limit of " +
                         bound_text(th);
                    first = false;
                }
            if (!first)
                p(s + ".");
        }
        if (cap.estimate)
            p("A least-squares " + std::string(analysis::fit_model_name(cap.estimate->fit.model)) +
              " fit of " + describe_threshold(cap.thresholds[cap.estimate->binding].limit) +
              " (R² " + format_fixed(cap.estimate->fit.r_squared, 3) +
              ") extrapolates the crossing to about **" + format_fixed(cap.estimate->crossing, 1) +
              "** concurrent requests: an estimate beyond the measurements, not a measurement.");
        if (cap.isotonic_adjusted)
            doc.add(note{note_kind::info,
                         "Some measurements improved with load (noise); they were made monotone "
                         "by isotonic regression before interpolating."});
        std::string search = "Levels measured: ";
        std::vector<std::uint32_t> measured = u.measured_concurrency;
        if (measured.empty())
            for (const sweep::cell_result* c : cells)
                measured.push_back(c->key.concurrency);
        for (std::size_t i = 0; i < measured.size(); ++i)
            search += (i == 0 ? "" : ", ") + format_count(measured[i]);
        search += u.converged ? "; the search converged." : ".";
        if (u.budget_exhausted)
            search += " The search stopped on its cell budget.";
        p(search);
    }

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
        fig(context_chart("chart-queue-wait", metric::queue_wait),
            "Mean server-side queue wait against context length, one line per concurrency "
            "level.");
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
        fig(context_chart("chart-prefill", m),
            std::string(m == metric::prefill_speed ? "Mean per-user prefill speed"
                                                   : "Lower bound on per-user prefill speed") +
                " against context length, one line per concurrency level.");
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

    void itl_section() {
        h2("Inter-token latency", "itl");
        p("The gap between consecutive tokens of one response (pooled over every request of a "
          "cell). Lower gaps stream more smoothly; this is the token-level view behind "
          "generation speed.");
        fig(context_chart("chart-itl", metric::itl),
            "Mean inter-token latency against context length, one line per concurrency level.");
        const auto lo = extreme(metric::itl, false, 1u);
        const auto hi = extreme(metric::itl, true);
        if (lo && hi)
            p("With one request at " + ctx(lo->first->key.context_tokens) +
              " context the gap is **" + format_duration_s(lo->second) +
              "**; the largest mean gap is **" + format_duration_s(hi->second) + "** at " +
              where(hi->first) + ".");
    }

    void scaling_section() {
        h2("Scaling efficiency", "scaling");
        p("Throughput at concurrency c divided by c times the single-request throughput at the "
          "same context length: 100% would mean c requests run as fast as one each. Sharing "
          "the GPU keeps real efficiency below that.");
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

    void power_section() {
        h2("Power and cost", "power");
        bool any = false;
        bool modelled = false;
        for (const sweep::cell_result* c : g.cells) {
            any = any || c->energy.has_value();
            modelled = modelled || (c->energy && c->energy->source == "emulator");
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
        c.title = "Mean GPU power by context length";
        c.x = context_axis();
        c.y = make_axis(power.label, axis_scale::linear, value_style::watts);
        line_chart e = c;
        e.id = "chart-energy-per-token";
        e.title = "Energy per output token by context length";
        e.y = make_axis("Energy per output token (J)", axis_scale::linear, value_style::number);
        std::vector<double> eys;
        for (std::uint32_t n : g.concurrencies) {
            const std::string name = n == 1 ? "1 request" : format_count(n) + " concurrent";
            chart_series s{name, {}};
            chart_series es{name, {}};
            for (std::uint32_t context : g.contexts)
                if (const sweep::cell_result* cell = g.at(context, n); cell && cell->energy) {
                    s.points.push_back({static_cast<double>(context), cell->energy->mean_power_w});
                    if (cell->energy->joules_per_output_token) {
                        es.points.push_back(
                            {static_cast<double>(context), *cell->energy->joules_per_output_token});
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
        fig(std::move(c), "Mean GPU power against context length, one line per concurrency "
                          "level.");
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
            fig(std::move(e), "GPU energy per output token against context length, one line per "
                              "concurrency level: batching spreads the GPU's draw over more "
                              "tokens.");
            table t{{"Context", "Concurrency", "Mean power", "Energy per output token",
                     "Cost per million output tokens"},
                    {},
                    {align::right, align::right, align::right, align::right, align::right},
                    {}};
            for (const sweep::cell_result* cell : g.cells)
                if (cell->energy && cell->energy->joules_per_output_token) {
                    const double j = *cell->energy->joules_per_output_token;
                    t.rows.push_back({ctx(cell->key.context_tokens),
                                      format_count(cell->key.concurrency),
                                      format_watts(cell->energy->mean_power_w), format_joules(j),
                                      format_usd(j * 1e6 / 3.6e6 * opt.usd_per_kwh)});
                }
            std::string source;
            for (const sweep::cell_result* cell : g.cells)
                if (cell->energy && source.empty())
                    source = cell->energy->source + ", " + cell->energy->method;
            t.caption = "Energy source: " + source + "; electricity at " +
                        format_usd(opt.usd_per_kwh) +
                        "/kWh, GPU energy only (no host, cooling or idle share).";
            doc.add(std::move(t));
        }
    }

    void percentiles_section() {
        h2("Percentiles and confidence intervals", "percentiles");
        p("Means hide the tail. For each metric and cell: the sample count, the mean with its "
          "95% confidence interval, and the 50th to 99.9th percentiles. Percentiles from a "
          "few hundred requests or fewer are noisy above P99.");
        std::vector<metric> metrics{metric::ttft, metric::generation_speed, metric::e2e,
                                    metric::itl};
        if (reasoning_seen())
            metrics.insert(metrics.begin() + 1, metric::ttfa);
        if (has_metric(metric::queue_wait))
            metrics.push_back(metric::queue_wait);
        for (metric m : metrics) {
            if (!has_metric(m))
                continue;
            const metric_look l = look_of(m);
            std::string title = l.label;
            h3(title, "percentiles-" + std::string(analysis::metric_name(m)));
            table t{{"Context", "Concurrency", "n", "Mean", "95% CI", "P50", "P90", "P95", "P99",
                     "P99.9", "Max"},
                    {},
                    std::vector<align>(11, align::right),
                    {}};
            for (std::uint32_t context : g.contexts)
                for (std::uint32_t n : g.concurrencies) {
                    const sweep::cell_result* c = g.at(context, n);
                    if (c == nullptr)
                        continue;
                    const auto it = c->summary.metrics.find(m);
                    if (it == c->summary.metrics.end())
                        continue;
                    const analysis::metric_statistics& s = it->second;
                    const auto f = [&](double v) { return format_value(v, l.style); };
                    t.rows.push_back(
                        {ctx(context), format_count(n), format_count(s.count), f(s.mean),
                         s.mean_ci95 ? f(s.mean_ci95->low) + " – " + f(s.mean_ci95->high)
                                     : std::string(not_available),
                         f(s.p50), f(s.p90), f(s.p95), f(s.p99), f(s.p99_9), f(s.max)});
                }
            doc.add(std::move(t));
        }
    }

    void reliability_section() {
        h2("Reliability and measurement checks", "reliability");
        p("Every request is kept, failed or not. A request succeeds when its stream completes. "
          "The checks below say whether the measurements can be trusted: did the server "
          "produce the output length asked for, did prompts have the intended length by the "
          "server's own count, and was the client ever late sending requests (which would "
          "distort latencies).");
        table t{{"Cell", "Started", "Succeeded", "Success rate", "Failures", "Short outputs",
                 "Prompt length (server count)", "Client lag P99"},
                {},
                {align::left, align::right, align::right, align::right, align::left, align::right,
                 align::left, align::right},
                {}};
        std::uint64_t flagged_prompt = 0;
        std::uint64_t flagged_lag = 0;
        std::uint64_t short_total = 0;
        for (const sweep::cell_result& c : r.cells) {
            std::string failures;
            for (const sweep::failure_count& f : c.failures)
                failures += (failures.empty() ? "" : ", ") + std::string(error_name(f.kind)) +
                            " × " + format_count(f.count);
            if (failures.empty())
                failures = "none";
            std::string prompt(not_available);
            if (c.prompt.reported > 0)
                prompt = format_count(c.prompt.exact) + "/" + format_count(c.prompt.reported) +
                         " exact, max error " + format_percent(c.prompt.max_relative_error, 2);
            if (c.prompt.flagged) {
                prompt += " (flagged)";
                ++flagged_prompt;
            }
            std::string lag = format_duration_s(c.client_lag.p99_s);
            if (c.client_lag.flagged) {
                lag += " (flagged)";
                ++flagged_lag;
            }
            short_total += c.short_outputs;
            t.rows.push_back({c.key.id(), format_count(c.requests_started),
                              format_count(c.requests_succeeded),
                              c.requests_started == 0 ? std::string("none ran")
                                                      : format_percent(c.success_rate()),
                              failures, format_count(c.short_outputs), prompt, lag});
        }
        doc.add(std::move(t));
        if (total_started() == 0)
            p("Overall: no measured request ran.");
        else
            p("Overall: " + format_count(total_succeeded()) + " of " +
              format_count(total_started()) + " measured requests succeeded (" +
              format_percent(overall_success()) + "); " + format_count(short_total) +
              " returned fewer tokens than asked.");
        std::uint64_t bursts = 0;
        for (const sweep::cell_result& c : r.cells)
            bursts += c.burst_streams;
        if (bursts > 0)
            doc.add(note{note_kind::warning,
                         format_count(bursts) +
                             " successful request(s) received all their tokens at once (a proxy "
                             "that buffers the stream, or response headers held back): their "
                             "generation speed, TPOT and inter-token latency are not measurable "
                             "and are left out of those statistics (docs/metrics.md, burst "
                             "delivery)."});
        if (flagged_prompt > 0)
            doc.add(note{note_kind::warning,
                         format_count(flagged_prompt) +
                             " cell(s) had prompts more than 1% off the intended length by the "
                             "server's count (or the server did not report prompt tokens); "
                             "context lengths there are approximate."});
        if (flagged_lag > 0)
            doc.add(note{note_kind::warning,
                         format_count(flagged_lag) +
                             " cell(s) had a client lag P99 above 1% of the mean TTFT: the "
                             "client machine may have slowed the measurement there."});
        if (flagged_prompt == 0 && flagged_lag == 0)
            p("No prompt-length or client-lag check was flagged.");
    }

    void roofline_section() {
        h2("Physical bound", "roofline");
        const std::optional<analysis::model_description> md =
            opt.model ? opt.model : known_model(r.run);
        const std::optional<analysis::gpu_description> gd = opt.gpu ? opt.gpu : known_gpu(r.run);
        if (!md || !gd) {
            p("No description of this model and GPU is known to llmcap, so the physical "
              "bound is not computed (pass one through the report options).");
            return;
        }
        p("The fastest any engine could possibly go on this hardware: every byte that must be "
          "read (active weights and KV cache) moves at the GPU's full memory bandwidth and every "
          "operation runs at peak FLOP/s. Model: " +
          md->name + ", GPU: " + gd->name + " (" +
          format_fixed(gd->memory_bandwidth_bytes_per_s / 1e12, 2) + " TB/s, " +
          format_fixed(gd->peak_flops_per_s / 1e12, 0) +
          " dense TFLOP/s). The fraction achieved is the measured mean ÷ the bound.");
        table t{{"Context", "Concurrency", "Decode bound per user", "Measured speed", "Fraction",
                 "Limited by", "Prefill bound", "Measured prefill", "Fraction"},
                {},
                std::vector<align>(9, align::right),
                {}};
        for (std::uint32_t context : g.contexts)
            for (std::uint32_t n : g.concurrencies) {
                const sweep::cell_result* c = g.at(context, n);
                if (c == nullptr)
                    continue;
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
                    {ctx(context), format_count(n), format_rate(rl.decode.tokens_per_s),
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

    document build() {
        header();
        highlights_section();
        summary_section();
        use_case_guidance();
        throughput_section();
        speed_section();
        ttft_section();
        capacity_section();
        queue_section();
        prefill_section();
        itl_section();
        scaling_section();
        power_section();
        percentiles_section();
        reliability_section();
        roofline_section();
        methodology_section();
        return std::move(doc);
    }
};

} // namespace detail

/// Builds the capacity report of `result` (see the namespace comment for its sections).
[[nodiscard]] inline document build_report(const sweep::sweep_result& result,
                                           const report_options& options = {}) {
    detail::report_builder b{result, options, detail::grid_of(result), {}};
    return b.build();
}

} // namespace llmcap::report
