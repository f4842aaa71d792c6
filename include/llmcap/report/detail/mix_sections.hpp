#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // stable_sort
#include <cstddef>   // size_t
#include <optional>  // optional
#include <string>    // string
#include <utility>   // move, pair
#include <vector>    // vector

namespace llmcap::report {

/// The threshold `t` with the value `cell` measured: "TTFT mean < 8 s (9.21 s)".
[[nodiscard]] inline std::string unmet_text(const analysis::threshold& t,
                                            const analysis::cell_summary* cell) {
    std::string s = detail::describe_threshold(t);
    const std::optional<double> v = cell ? cell->value(t.what, t.stat) : std::nullopt;
    return s + (v ? " (" + format_value(*v, detail::look_of(t.what).style) + ")"
                  : std::string(" (no successful request)"));
}

/**
 * The answer of a mix capacity search in one sentence, for the report's headline and the
 * tool's last line: "12 concurrent requests of the mix keep every class within its thresholds;
 * at 16, General Chatbot gives way first (TTFT mean < 8 s (9.2 s))."
 */
[[nodiscard]] inline std::string mix_headline(const sweep::mix_search_result& m,
                                              const std::vector<sweep::cell_result>& cells) {
    const auto load = [](std::uint32_t n) {
        return format_count(n) + (n == 1 ? " concurrent request" : " concurrent requests");
    };
    std::string failing;
    if (m.lowest_failing)
        for (const sweep::mix_level& l : m.levels)
            if (l.concurrency == *m.lowest_failing)
                for (std::size_t k = 0; k < l.classes.size(); ++k)
                    if (l.classes[k].name == m.gives_way_first) {
                        const analysis::cell_summary* summary = nullptr;
                        for (const sweep::cell_result& c : cells)
                            if (c.key.use_case == sweep::mix_cell_name &&
                                c.key.concurrency == l.concurrency && k < c.classes.size() &&
                                c.classes[k].requests_succeeded > 0)
                                summary = &c.classes[k].summary;
                        std::string unmet;
                        for (const analysis::threshold& t : l.classes[k].unmet)
                            unmet += (unmet.empty() ? "" : ", ") + unmet_text(t, summary);
                        failing = analysis::class_title(m.mix, m.gives_way_first) +
                                  " gives way first: " + unmet;
                    }
    if (m.capacity == 0)
        return "No load of the mix keeps every class within its thresholds: at " +
               load(m.lowest_failing.value_or(1)) + ", " + failing + ".";
    std::string s = load(m.capacity) + " of the mix keep every class within its thresholds";
    if (!m.lowest_failing)
        return s + " (the most tried; more capacity is likely).";
    s += "; at " + format_count(*m.lowest_failing) + ", " + failing;
    if (!m.converged)
        s += " (the search stopped before the two loads were adjacent)";
    return s + ".";
}

/// The traffic mix of a run: its mix search's, else its plan's (run.json's options); empty
/// when the run had none.
[[nodiscard]] inline std::optional<analysis::traffic_mix> run_mix(const sweep::sweep_result& r) {
    if (r.mix)
        return r.mix->mix;
    const boost::json::value* v = r.run.options.if_contains("mix");
    analysis::traffic_mix m;
    json_reader in("run.json");
    if (v == nullptr || !analysis::read_traffic_mix(in, *v, "$.options.mix", m))
        return std::nullopt;
    return m;
}

/// The classes of `mix` that mix cell `c` found outside their thresholds, in the mix's order:
/// (title, "E2E latency mean < 2 s (2.49 s)"), every threshold of a class without a successful
/// request.
[[nodiscard]] inline std::vector<std::pair<std::string, std::string>>
failing_classes(const analysis::traffic_mix& mix, const sweep::cell_result& c) {
    std::vector<std::pair<std::string, std::string>> out;
    const std::vector<sweep::mix_class_verdict> verdicts = sweep::class_verdicts(mix, c.classes);
    for (std::size_t k = 0; k < verdicts.size() && k < c.classes.size(); ++k) {
        const sweep::mix_class_cell& mc = c.classes[k];
        const analysis::cell_summary* summary = mc.requests_succeeded > 0 ? &mc.summary : nullptr;
        std::string unmet;
        for (const analysis::threshold& t : verdicts[k].unmet)
            unmet += (unmet.empty() ? "" : ", ") + unmet_text(t, summary);
        if (!unmet.empty())
            out.emplace_back(mix.classes[k].workload.title, unmet);
    }
    return out;
}

/// The mix cell at `rate` (an open-loop one), or nullptr.
[[nodiscard]] inline const sweep::cell_result*
mix_cell_at_rate(const std::vector<sweep::cell_result>& cells, double rate) {
    for (const sweep::cell_result& c : cells)
        if (c.key.use_case == sweep::mix_cell_name && c.key.rate_per_s == rate)
            return &c;
    return nullptr;
}

/**
 * The answer of a rate search over a traffic mix in one sentence: "The mix keeps every class
 * within its thresholds up to 4.5 requests/s; at 5/s, Code Completion gives way first: E2E
 * latency mean < 2 s (2.6 s)." A rate can also fail because the server or the client fell
 * behind, which the sentence then says.
 */
[[nodiscard]] inline std::string mix_rate_headline(const sweep::rate_search_result& r,
                                                   const analysis::traffic_mix& mix,
                                                   const std::vector<sweep::cell_result>& cells) {
    const auto per_s = [](double x) { return format_significant(x, 3) + " requests/s"; };
    std::string why;
    if (r.unsustainable_rate_per_s)
        if (const sweep::cell_result* c = mix_cell_at_rate(cells, *r.unsustainable_rate_per_s)) {
            if (const auto failing = failing_classes(mix, *c); !failing.empty())
                why = failing.front().first + " gives way first: " + failing.front().second;
            if (why.empty())
                why = c->arrivals && c->arrivals->late ? "the client could not keep the schedule"
                      : c->arrivals && c->arrivals->saturated
                          ? "every class held but the server fell behind (saturated)"
                          : "more than 5% of the requests failed";
        }
    if (!r.sustainable_rate_per_s)
        return "No rate tried keeps every class of the mix within its thresholds" +
               (r.unsustainable_rate_per_s
                    ? ": at " + per_s(*r.unsustainable_rate_per_s) + ", " + why + "."
                    : std::string("."));
    std::string s =
        "The mix keeps every class within its thresholds up to " + per_s(*r.sustainable_rate_per_s);
    if (!r.unsustainable_rate_per_s)
        return s + ", the most tried; a higher rate may hold.";
    return s + "; at " + per_s(*r.unsustainable_rate_per_s) + ", " + why + ".";
}

namespace detail {

/// A traffic mix (analysis/traffic_mix.hpp): its capacity as the report's headline, what each
/// class is, and each class's figures on its own requests at every load measured.
struct mix_sections : report_context {
    /// The mix cells by increasing load.
    [[nodiscard]] std::vector<const sweep::cell_result*> mix_cells() const {
        std::vector<const sweep::cell_result*> out;
        for (const sweep::cell_result& c : r.cells)
            if (c.key.use_case == sweep::mix_cell_name && !c.classes.empty())
                out.push_back(&c);
        std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
            return std::pair{a->key.concurrency, rate_of(a->key)} <
                   std::pair{b->key.concurrency, rate_of(b->key)};
        });
        return out;
    }

    void mix_section() {
        const std::optional<analysis::traffic_mix> m = run_mix(r);
        const std::vector<const sweep::cell_result*> cells = mix_cells();
        if (!m || cells.empty())
            return;
        h2("Traffic mix", "traffic-mix");
        if (r.mix)
            p("**" + mix_headline(*r.mix, r.cells) + "**");
        for (const sweep::rate_search_result& s : r.rate_searches)
            if (s.search.mix)
                p("**" + mix_rate_headline(s, *m, r.cells) + "**");
        p("Several use cases share the server: each request of a mix cell belongs to one class, "
          "drawn by its share, and carries that class's prompt and output lengths. Each class is "
          "judged on its own requests against its own thresholds, so a class of long prompts "
          "cannot hide behind a class of short ones. The mix's capacity is the largest load at "
          "which every class holds; the class that gives way first is the one to plan for.");
        table classes{
            {"Class", "Share", "Context", "Output", "Thresholds", "Holds up to"},
            {},
            {align::left, align::right, align::right, align::right, align::left, align::right},
            {}};
        for (std::size_t k = 0; k < m->classes.size(); ++k) {
            const analysis::use_case& uc = m->classes[k].workload;
            std::string up_to(not_available);
            if (r.mix && k < r.mix->class_capacity.size() && r.mix->class_capacity[k])
                up_to = capacity_text(*r.mix->class_capacity[k]);
            classes.rows.push_back({uc.title, format_percent(m->classes[k].share),
                                    ctx(uc.context_tokens), format_count(uc.output_tokens),
                                    thresholds_text(uc), up_to});
        }
        classes.caption = "Share: of the requests. Holds up to: the load of the whole mix at "
                          "which the class's own requests cross a threshold, interpolated "
                          "between the loads measured (+: none crossed).";
        doc.add(std::move(classes));
        totals_table(*m, cells);
        for (std::size_t k = 0; k < m->classes.size(); ++k)
            class_table(*m, k, cells);
    }

private:
    /// The verdict of class `k` in `c` (class_verdicts): "yes", or the thresholds it missed.
    [[nodiscard]] static std::string verdict(const analysis::traffic_mix& m, std::size_t k,
                                             const sweep::cell_result* c) {
        const sweep::mix_class_cell& mc = c->classes[k];
        if (mc.requests_succeeded == 0)
            return "no: no successful request";
        const std::vector<sweep::mix_class_verdict> verdicts = sweep::class_verdicts(m, c->classes);
        std::string unmet;
        for (const analysis::threshold& t : verdicts[k].unmet)
            unmet += (unmet.empty() ? "" : "; ") + unmet_text(t, &mc.summary);
        return unmet.empty() ? "yes" : "no: " + unmet;
    }

    void totals_table(const analysis::traffic_mix& m,
                      const std::vector<const sweep::cell_result*>& cells) {
        table t{{"Load", "Requests", "Success", "Throughput", "TTFT mean", "Every class holds"},
                {},
                {align::right, align::right, align::right, align::right, align::right, align::left},
                {}};
        for (const sweep::cell_result* c : cells) {
            std::string failing;
            const std::vector<sweep::mix_class_verdict> verdicts =
                sweep::class_verdicts(m, c->classes);
            for (std::size_t k = 0; k < verdicts.size(); ++k)
                if (!verdicts[k].unmet.empty())
                    failing += (failing.empty() ? "" : ", ") + m.classes[k].workload.title;
            const auto tput = value_of(c, metric::throughput);
            const auto ttft = value_of(c, metric::ttft);
            t.rows.push_back(
                {load_column(c), format_count(c->requests_started),
                 format_percent(c->success_rate()),
                 tput ? format_value(*tput, value_style::tokens_per_s) : std::string(not_available),
                 ttft ? format_value(*ttft, value_style::seconds) : std::string(not_available),
                 failing.empty() ? "yes" : "no: " + failing});
        }
        t.caption = "The mix as a whole at each load measured; the tables below split it by "
                    "class.";
        doc.add(std::move(t));
    }

    void class_table(const analysis::traffic_mix& mix, std::size_t k,
                     const std::vector<const sweep::cell_result*>& cells) {
        const analysis::use_case& uc = mix.classes[k].workload;
        h3(uc.title, "mix-" + uc.name);
        table t{{"Load", "Requests", "TTFT mean", "Speed mean", "E2E mean", "Within thresholds"},
                {},
                {align::right, align::right, align::right, align::right, align::right, align::left},
                {}};
        for (const sweep::cell_result* c : cells) {
            if (k >= c->classes.size())
                continue;
            const sweep::mix_class_cell& mc = c->classes[k];
            const auto show = [&mc](metric m) {
                const std::optional<double> v = mc.requests_succeeded > 0
                                                    ? mc.summary.value(m, analysis::statistic::mean)
                                                    : std::nullopt;
                return v ? format_value(*v, look_of(m).style) : std::string(not_available);
            };
            t.rows.push_back(
                {load_column(c),
                 format_count(mc.requests_succeeded) + " of " + format_count(mc.requests_started),
                 show(metric::ttft), show(metric::generation_speed), show(metric::e2e),
                 verdict(mix, k, c)});
        }
        t.caption = "Requests: this class's that succeeded, of those started; every figure is "
                    "over them alone. Thresholds: " +
                    thresholds_text(uc) + ".";
        doc.add(std::move(t));
    }
};

} // namespace detail

} // namespace llmcap::report
