#pragma once

#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/mix_sections.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <cmath>   // isfinite
#include <cstddef> // size_t
#include <string>  // string
#include <utility> // move
#include <vector>  // vector

namespace llmcap::report::detail {

/// What load reached the server besides a grid's synthetic prompts. Arrivals: for open-loop
/// cells, the rate asked for against the rate the client sent at, and how late requests went on
/// the wire against their schedule. Dataset: for dataset cells, the records used and skipped.
struct arrival_sections : report_context {
    void rate_search_section() {
        if (r.rate_searches.empty())
            return;
        h2("Sustainable rate", "sustainable-rate");
        p("A rate search looks for the highest arrival rate the server keeps up with: it doubles "
          "the rate from where it starts until a cell saturates the server (its backlog and "
          "TTFT grow through the cell), misses its schedule, or fails more than 5% of its "
          "requests, then halves the bracket geometrically until its ends are within 10%. "
          "Every rate tried is a cell of the Arrivals table.");
        table t{{"Prompt", "Output", "Sustainable", "Not sustained", "Why not", "Rates tried",
                 "Converged"},
                {},
                {align::left, align::right, align::right, align::right, align::left, align::left,
                 align::left},
                {}};
        const auto per_s = [](const std::optional<double>& x) {
            return x ? format_significant(*x, 3) + "/s" : std::string(not_available);
        };
        for (const sweep::rate_search_result& s : r.rate_searches) {
            std::string tried;
            for (const auto& [rate, kept_up] : s.measured)
                tried += (tried.empty() ? "" : ", ") + format_significant(rate, 3) +
                         (kept_up ? " ✓" : " ✗");
            t.rows.push_back({s.search.mix       ? std::string("traffic mix")
                              : s.search.dataset ? std::string("dataset")
                                                 : ctx(s.search.context_tokens),
                              format_count(s.search.output_tokens), per_s(s.sustainable_rate_per_s),
                              per_s(s.unsustainable_rate_per_s), why_not_sustained(s), tried,
                              s.converged                   ? "yes"
                              : !s.sustainable_rate_per_s   ? "no: no rate tried was kept up"
                              : !s.unsustainable_rate_per_s ? "no: every rate tried was kept up"
                                                            : "no: cell budget spent"});
        }
        t.caption = "Sustainable: the highest rate kept up. Not sustained: the lowest rate that "
                    "was not; why not: what its cell showed. Rates tried in order, ✓ kept up, ✗ "
                    "not.";
        doc.add(std::move(t));
    }

    /// Why the lowest rate a search did not sustain was not kept up, from its cell: the client
    /// late, the server saturated, requests failed, and for a traffic mix the classes outside
    /// their thresholds; "—" when every rate was kept up.
    [[nodiscard]] std::string why_not_sustained(const sweep::rate_search_result& s) const {
        if (!s.unsustainable_rate_per_s)
            return "—";
        const sweep::rate_search& q = s.search;
        const sweep::cell_result* c = nullptr;
        for (const sweep::cell_result& x : r.cells)
            if (x.key.rate_per_s == s.unsustainable_rate_per_s &&
                x.key.concurrency == q.max_in_flight &&
                (q.mix       ? x.key.use_case == sweep::mix_cell_name
                 : q.dataset ? x.key.use_case == "dataset" && x.key.output_tokens == q.output_tokens
                             : x.key.use_case.empty() && x.key.context_tokens == q.context_tokens &&
                                   x.key.output_tokens == q.output_tokens))
                c = &x;
        if (c == nullptr)
            return std::string(not_available);
        std::string why;
        const auto add = [&why](const std::string& part) {
            why += (why.empty() ? "" : "; ") + part;
        };
        if (c->measured_nothing())
            add("nothing measured");
        if (c->arrivals && c->arrivals->late)
            add("client late (send lag P99 " +
                format_value(c->arrivals->lag_p99_s, value_style::seconds) + ")");
        if (c->arrivals && c->arrivals->saturated)
            add("server saturated");
        if (!c->measured_nothing() && 1.0 - c->success_rate() > sweep::rate_search_max_failures)
            add(format_percent(1.0 - c->success_rate()) + " failed");
        if (q.mix)
            if (const std::optional<analysis::traffic_mix> m = run_mix(r))
                for (const auto& [title, unmet] : failing_classes(*m, *c))
                    add(title + ": " + unmet);
        return why.empty() ? std::string(not_available) : why;
    }

    /// Backlog and TTFT through each scheduled cell (arrival_check::timeline), one line a cell:
    /// a server that keeps up draws flat lines after the first moments, one that does not
    /// draws lines that climb to the end.
    void timeline_figures(const std::vector<const sweep::cell_result*>& cells) {
        line_chart backlog, ttft;
        backlog.id = "timeline-backlog";
        backlog.title = "Backlog through each cell";
        backlog.x = make_axis("Seconds since the cell's first arrival");
        backlog.y = make_axis("Requests arrived and not finished");
        ttft.id = "timeline-ttft";
        ttft.title = "TTFT through each cell";
        ttft.x = make_axis("Seconds since the cell's first arrival");
        ttft.y = make_axis("TTFT (s)", axis_scale::linear, value_style::seconds);
        for (const sweep::cell_result* c : cells) {
            chart_series b{where(c), {}}, f{where(c), {}};
            for (const sweep::timeline_point& pt : c->arrivals->timeline) {
                b.points.push_back({pt.at_s, pt.backlog});
                f.points.push_back({pt.at_s, pt.ttft_s});
            }
            if (b.points.size() < 2)
                continue;
            backlog.series.push_back(std::move(b));
            ttft.series.push_back(std::move(f));
        }
        if (backlog.series.empty())
            return;
        const std::string caption =
            " Each point is the median over the requests that arrived in one " +
            std::string("slice of the cell (") + format_count(sweep::timeline_slices) +
            " slices of its arrivals).";
        doc.add(figure{std::move(backlog),
                       "Requests arrived and not yet finished when a request arrived, whether "
                       "sent or held by the cap." +
                           caption});
        doc.add(figure{std::move(ttft),
                       "TTFT counted from the scheduled arrival: it climbs when requests wait." +
                           caption});
    }

    void dataset_section() {
        std::vector<const sweep::cell_result*> cells;
        for (const sweep::cell_result* c : table_cells())
            if (c->dataset)
                cells.push_back(c);
        if (cells.empty())
            return;
        h2("Dataset", "dataset");
        p("Dataset cells send the records of a dataset file as they are: each request is one "
          "record's prompt, and its output length is the record's own (a stated length, or its "
          "answer counted by the server's tokenizer) or else the cell's. Records are counted on "
          "the server in file order and used in turn; a record whose prompt and answer do not "
          "fit the model's context, or that has no prompt, is skipped.");
        table t{{"Cell", "File", "Records", "Used", "Own output length", "Prompt tokens mean",
                 "Max", "Skipped"},
                {},
                {align::left, align::left, align::right, align::right, align::right, align::right,
                 align::right, align::left},
                {}};
        for (const sweep::cell_result* c : cells) {
            const sweep::dataset_record& d = *c->dataset;
            std::string skipped;
            for (const auto& [why, n] : d.skipped)
                skipped += (skipped.empty() ? "" : "; ") + format_count(n) + " " + why;
            t.rows.push_back({where(c), d.file, format_count(d.records), format_count(d.used),
                              format_count(d.outputs_from_data),
                              std::isfinite(d.prompt_tokens_mean)
                                  ? format_significant(d.prompt_tokens_mean, 4)
                                  : std::string(not_available),
                              format_count(d.prompt_tokens_max),
                              skipped.empty() ? std::string("none") : skipped});
        }
        t.caption = "Records: records of the file with a prompt. Used: records counted and sent "
                    "in turn (request i takes record i mod used). Own output length: used records "
                    "whose output length came from the data. Skipped: over the file as read and "
                    "counted so far.";
        doc.add(std::move(t));
    }

    void arrivals_section() {
        std::vector<const sweep::cell_result*> cells;
        for (const sweep::cell_result* c : table_cells())
            if (c->arrivals && !c->measured_nothing())
                cells.push_back(c);
        if (cells.empty())
            return;
        h2("Arrivals", "arrivals");
        p(std::string(
              "In an open loop requests arrive on a schedule (a mean rate, gaps drawn from a gamma "
              "distribution, or a trace's times), whether or not the server has finished the "
              "earlier ones. A cell "
              "measures the load it was asked for only if the client kept that schedule: the "
              "achieved rate is the measured requests sent per second, and the send lag is how "
              "late "
              "each went on the wire. A P99 lag above ") +
          format_duration_s(sweep::open_loop_lag_tolerance_s) +
          " marks the cell: the cap on requests in flight was reached, or the client was too "
          "busy, and the latencies count from the scheduled times.");
        table t{{"Cell", "Offered", "Achieved", "Send lag P50", "P99", "Max", "Schedule", "Backlog",
                 "Time in system", "TTFT", "Server"},
                {},
                {align::left, align::right, align::right, align::right, align::right, align::right,
                 align::left, align::right, align::right, align::right, align::left},
                {}};
        std::size_t late = 0;
        std::size_t saturated = 0;
        std::string first_saturated;
        for (const sweep::cell_result* c : cells) {
            const sweep::arrival_check& a = *c->arrivals;
            const auto per_s = [](double per_second) {
                return std::isfinite(per_second) ? format_significant(per_second, 3) + "/s"
                                                 : std::string(not_available);
            };
            late += a.late ? 1 : 0;
            if (a.saturated && saturated++ == 0)
                first_saturated = where(c);
            const bool assessed = std::isfinite(a.backlog_late);
            const auto change = [](const std::string& from, const std::string& to) {
                return from + " → " + to;
            };
            t.rows.push_back({where(c), per_s(a.offered_rate_per_s), per_s(a.achieved_rate_per_s),
                              format_duration_s(a.lag_p50_s), format_duration_s(a.lag_p99_s),
                              format_duration_s(a.lag_max_s),
                              a.late ? "late (" + format_count(a.late_requests) + " requests > " +
                                           format_duration_s(sweep::open_loop_lag_tolerance_s) + ")"
                                     : std::string("kept"),
                              assessed ? change(format_significant(a.backlog_early, 3),
                                                format_significant(a.backlog_late, 3))
                                       : std::string(not_available),
                              assessed ? change(format_duration_s(a.e2e_early_s),
                                                format_duration_s(a.e2e_late_s))
                                       : std::string(not_available),
                              assessed ? change(format_duration_s(a.ttft_early_s),
                                                format_duration_s(a.ttft_late_s))
                                       : std::string(not_available),
                              a.saturated   ? "saturated"
                              : a.late      ? "not kept up (late)"
                              : !assessed   ? "too few requests"
                              : a.too_short ? "cell too short to tell"
                                            : "kept up"});
        }
        t.caption = "Offered: the cell's arrival rate (a trace's: its requests over its span). "
                    "Achieved: (measured requests sent − 1) ÷ "
                    "(last send − first send); random gaps make it differ from the offered rate "
                    "by chance in short cells. Send lag: send time − scheduled time. Backlog: "
                    "requests arrived and not finished when a request arrived; Backlog, time in "
                    "the system (end − scheduled arrival) and TTFT (from the scheduled arrival) "
                    "are medians over the second quarter of the cell's requests → over its last "
                    "quarter. Server: saturated when backlog and time in the system both grew " +
                    format_significant(sweep::saturation_growth, 2) +
                    "-fold or more (the backlog by at least 2): the queue was still growing when "
                    "the cell ended; not kept up when the schedule was late (arrivals waited for "
                    "the cap, whatever the cell's length); too short when the arrivals spanned "
                    "under " +
                    format_significant(sweep::saturation_min_span, 1) +
                    " times the first requests' time in the system.";
        doc.add(std::move(t));
        timeline_figures(cells);
        if (saturated > 0)
            doc.add(note{note_kind::warning,
                         format_count(saturated) + " of " + format_count(cells.size()) +
                             " open-loop cells saturated the server, the first " + first_saturated +
                             ": arrivals outpaced completions and the queue grew through the "
                             "cell, so their latencies depend on how long the cell ran, not on "
                             "the rate alone. The highest rate that kept up is the sustainable "
                             "one."});
        if (late > 0)
            doc.add(note{note_kind::warning,
                         format_count(late) + " of " + format_count(cells.size()) +
                             " open-loop cells did not keep their schedule (P99 send lag above " +
                             format_duration_s(sweep::open_loop_lag_tolerance_s) +
                             "): the load applied was lower than the load offered."});
    }
};

} // namespace llmcap::report::detail
