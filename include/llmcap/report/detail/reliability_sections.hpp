#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <cstdint> // uint32_t, uint64_t
#include <string>  // string
#include <utility> // move
#include <vector>  // vector

namespace llmcap::report::detail {

/// Whether the figures can be trusted: percentiles with confidence intervals per cell, and
/// the success, failure and measurement checks of every cell.
struct reliability_sections : report_context {
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
            table t{{cell_headers()[0], cell_headers()[1], "n", "Mean", "95% CI", "P50", "P90",
                     "P95", "P99", "P99.9", "Max"},
                    {},
                    std::vector<align>(11, align::right),
                    {}};
            if (!g.by_context)
                t.alignment[0] = align::left;
            for (const sweep::cell_result* c : table_cells()) {
                const auto it = c->summary.metrics.find(m);
                if (it == c->summary.metrics.end())
                    continue;
                const analysis::metric_statistics& s = it->second;
                const auto f = [&](double v) { return format_value(v, l.style); };
                t.rows.push_back({cell_columns(c)[0], cell_columns(c)[1], format_count(s.count),
                                  f(s.mean),
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
};

} // namespace llmcap::report::detail
