#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <cstddef> // size_t
#include <cstdint> // uint32_t, uint64_t
#include <string>  // string
#include <utility> // pair
#include <vector>  // vector

namespace llmcap::report::detail {

/// What users feel: system throughput, per-user generation speed, time to first (answer) token
/// and inter-token latency.
struct speed_sections : report_context {
    void throughput_section() {
        h2("System throughput", "throughput");
        p("Output tokens produced per second by all requests of a cell together (prompt tokens "
          "are not counted): the sum of output tokens over the span from the first request's "
          "intended start to the last request's end.");
        fig(metric_chart("chart-throughput", metric::throughput),
            "Mean system throughput " + lines_text() + ".");
        const auto peak = extreme(metric::throughput, true);
        if (!peak)
            return;
        table t{{"Condition", "Throughput"}, {}, {align::left, align::right}, {}};
        t.rows.push_back({"Peak (" + where(peak->first) + ")", format_rate(peak->second)});
        if (!g.by_context) {
            for (const scenario& s : g.scenarios) {
                const std::vector<const sweep::cell_result*> cells = g.of(s);
                if (const auto v = value_of(cells.back(), metric::throughput))
                    t.rows.push_back({s.label() + ", " + load_text(cells.back()), format_rate(*v)});
            }
        } else if (!g.concurrencies.empty() && g.contexts.size() > 1) {
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
        fig(metric_chart("chart-speed", metric::generation_speed),
            "Mean per-user generation speed " + lines_text() + ".");
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
              (high1 ? " A single user reaches **" + format_rate(high1->second) + "** " +
                           in_scenario(high1->first) + "."
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
        fig(metric_chart("chart-ttft", metric::ttft), "Mean TTFT " + lines_text() + ".");
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
            fig(metric_chart("chart-ttfa", metric::ttfa),
                "Mean time to first answer token " + lines_text() + ".");
        }
    }

    void itl_section() {
        h2("Inter-token latency", "itl");
        p("The gap between consecutive tokens of one response (pooled over every request of a "
          "cell). Lower gaps stream more smoothly; this is the token-level view behind "
          "generation speed.");
        fig(metric_chart("chart-itl", metric::itl),
            "Mean inter-token latency " + lines_text() + ".");
        const auto lo = extreme(metric::itl, false, 1u);
        const auto hi = extreme(metric::itl, true);
        if (lo && hi)
            p("With one request " + in_scenario(lo->first) + " the gap is **" +
              format_duration_s(lo->second) + "**; the largest mean gap is **" +
              format_duration_s(hi->second) + "** at " + where(hi->first) + ".");
    }
};

} // namespace llmcap::report::detail
