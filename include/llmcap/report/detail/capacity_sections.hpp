#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // find, none_of
#include <cctype>    // toupper
#include <cstddef>   // size_t
#include <cstdint>   // uint32_t
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::report::detail {

/// Capacity per use case: the guidance table and one subsection per use case with its charts,
/// its table at measured levels and its verdict.
struct capacity_sections : report_context {
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
        // A session use case's load is users holding conversations, not requests in flight.
        const auto load = [&u](std::uint32_t n) {
            if (u.use_case.sessions)
                return format_count(n) + (n == 1 ? " user" : " users");
            return conc(n);
        };
        switch (c.kind) {
        case analysis::capacity_kind::at_least:
            return "Every threshold holds up to " + load(c.capacity) +
                   ", the most measured; more capacity is likely.";
        case analysis::capacity_kind::below_minimum:
            return "Already outside a threshold at " + load(c.lowest_concurrency) +
                   ": not suited to this workload as configured.";
        case analysis::capacity_kind::exact:
        case analysis::capacity_kind::interpolated:
            break;
        }
        if (c.capacity <= 1)
            return "Suited to a single user at a time.";
        return "Serves " + load(c.capacity) + " within the thresholds.";
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
        if (uc.sessions)
            return "Users holding conversations of " + format_count(uc.sessions->turns) +
                   " turns: each turn resends the history with the answers and adds a message "
                   "of " +
                   context + " tokens, then the user pauses (" + uc.sessions->think.to_string() +
                   ")" +
                   (uc.sessions->system_prompt_tokens > 0
                        ? " after a shared system prompt of " +
                              format_tokens_short(uc.sessions->system_prompt_tokens) + " tokens"
                        : std::string()) +
                   ". The capacity is a number of users, searched over users; the conversations "
                   "section gives the requests in flight at each load.";
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
        // A session use case's load is users; its context is each new message.
        const bool users = uc.sessions.has_value();
        h3(uc.title + " (" + ctx(uc.context_tokens) + (users ? " per message)" : " context)"),
           "use-case-" + uc.name);
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
            c.title = uc.title + ": " + l.name + (users ? " by users" : " by concurrency");
            c.title[uc.title.size() + 2] = static_cast<char>(
                std::toupper(static_cast<unsigned char>(c.title[uc.title.size() + 2])));
            c.x = make_axis(users ? "Users" : "Concurrent requests", axis_scale::linear,
                            value_style::requests);
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
            fig(std::move(c),
                "Mean " + l.name + " at " + ctx(uc.context_tokens) +
                    (users ? " per message against users" : " context against concurrency") +
                    (m == metric::throughput ? "." : "; dashed: threshold."));
        }

        // The table at measured levels.
        const std::vector<const sweep::cell_result*> levels_shown = shown_levels(cells, cap);
        if (!levels_shown.empty()) {
            table t{{"Metric"}, {}, {align::left}, {}};
            for (const sweep::cell_result* c : levels_shown) {
                t.header.push_back("@ " + (users ? format_count(c->key.concurrency) + " users"
                                                 : conc(c->key.concurrency)));
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
};

} // namespace llmcap::report::detail
