#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/interpolation.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/turn_recorder.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <algorithm> // none_of, sort
#include <cmath>     // isfinite
#include <cstdint>   // uint32_t, uint64_t
#include <map>       // map
#include <optional>  // optional
#include <string>    // string
#include <utility>   // move, pair
#include <vector>    // vector

namespace llmcap::report::detail {

/// Conversations: the cells of session workloads (users holding multi-turn conversations), by
/// scenario: users held with users per request slot, TTFT and cached fraction by turn, and the
/// prefix cache's worth where a scenario ran with it defeated too.
struct session_sections : report_context {
    /// Scenario name → its session cells, in increasing users.
    [[nodiscard]] std::map<std::string, std::vector<const sweep::cell_result*>>
    session_cells() const {
        std::map<std::string, std::vector<const sweep::cell_result*>> out;
        for (const sweep::cell_result& c : r.cells)
            if (c.key.sessions && c.sessions && !c.measured_nothing()) {
                auto& v = out[c.key.use_case.empty() ? std::string("sessions") : c.key.use_case];
                if (std::none_of(v.begin(), v.end(),
                                 [&](const sweep::cell_result* o) { return o->key == c.key; }))
                    v.push_back(&c);
            }
        for (auto& [name, v] : out)
            std::sort(v.begin(), v.end(),
                      [](const sweep::cell_result* a, const sweep::cell_result* b) {
                          return a->key.concurrency < b->key.concurrency;
                      });
        return out;
    }

    void conversations_section() {
        const auto scenarios = session_cells();
        if (scenarios.empty())
            return;
        h2("Conversations", "conversations");
        p("Users who hold a conversation resend its whole history each turn, with the answers "
          "they were given, and pause between turns. The server can keep the history's KV "
          "cache (prefix caching), so a later turn prefills only its new message; and a user "
          "who is reading or typing holds no request slot. These cells count **users**, not "
          "requests in flight: users per slot is the users of a cell divided by the mean "
          "requests it had in flight (Little's law over the cell).");
        for (const auto& [name, cells] : scenarios)
            scenario_table(name, cells);
        users_held(scenarios);
        ttft_by_turn(scenarios);
        cache_by_turn(scenarios);
        cache_comparison(scenarios);
    }

private:
    [[nodiscard]] static std::string value_or_dash(std::optional<double> v,
                                                   std::string (*fmt)(double)) {
        return v && std::isfinite(*v) ? fmt(*v) : "—";
    }

    static std::string seconds(double s) {
        return format_duration_s(s);
    }
    static std::string rate(double v) {
        return format_rate(v);
    }
    static std::string percent(double f) {
        return format_percent(f);
    }
    static std::string number(double v) {
        return format_significant(v, 3);
    }

    void scenario_table(const std::string& name,
                        const std::vector<const sweep::cell_result*>& cells) {
        const sweep::cell_result& first = *cells.front();
        const sweep::session_record& s = *first.sessions;
        h3(name, "conversations-" + name);
        p("Conversations of " + format_count(s.turns_per_conversation) + " turns: messages of " +
          ctx(first.key.context_tokens) + " tokens, answers of " + ctx(first.key.output_tokens) +
          " tokens.");
        table t{{"Users", "Mean in flight", "Users per slot", "TTFT, later turns P95",
                 "Generation speed", "Cached prompt", "Server hit rate", "Conversation time",
                 "Conversations done", "Ended early"},
                {},
                std::vector<align>(10, align::right),
                {}};
        for (const sweep::cell_result* c : cells) {
            const auto v = [&](metric m, statistic st) { return c->summary.value(m, st); };
            const std::optional<double> in_flight = v(metric::mean_in_flight, statistic::mean);
            std::optional<double> per_slot;
            if (in_flight && *in_flight > 0.0)
                per_slot = static_cast<double>(c->key.concurrency) / *in_flight;
            const sweep::session_record& sr = *c->sessions;
            t.rows.push_back(
                {format_count(c->key.concurrency), value_or_dash(in_flight, number),
                 value_or_dash(per_slot, number),
                 value_or_dash(v(metric::ttft_later_turns, statistic::p95), seconds),
                 value_or_dash(v(metric::generation_speed, statistic::mean), rate),
                 c->cache.reported() > 0
                     ? value_or_dash(v(metric::cached_prompt_fraction, statistic::mean), percent)
                     : "not reported",
                 server_hit_rate(*c),
                 sr.conversation_time_s.count > 0 ? seconds(sr.conversation_time_s.mean) : "—",
                 format_count(sr.conversations_completed),
                 sr.ended_by_context + sr.ended_by_failure == 0
                     ? "0"
                     : format_count(sr.ended_by_context) + " context, " +
                           format_count(sr.ended_by_failure) + " failed"});
        }
        t.caption = "Cached prompt: the share of prompt tokens the server reported served from "
                    "its prefix cache; \"not reported\" when it reported none. Server hit rate: "
                    "the same from the server's /metrics counters over the cell, where it exports "
                    "them. Conversation time: mean, first turn's intended start to last answer, "
                    "of the conversations whose turns all succeeded. Ended early: "
                    "conversations ended because the next turn would not fit the model's "
                    "context (a new user took the slot, nothing was truncated) or because a "
                    "turn failed.";
        doc.add(std::move(t));
    }

    // The server's own prefix-cache hit rate over the cell, or why there is none.
    [[nodiscard]] static std::string server_hit_rate(const sweep::cell_result& c) {
        if (!c.server)
            return "not scraped";
        const auto it = c.server->values.find("prefix_cache_hit_rate");
        if (it == c.server->values.end() || !it->second.value)
            return "not reported";
        return format_percent(*it->second.value);
    }

    // Users held by each session use case: its capacity and the mean requests in flight there.
    void users_held(const std::map<std::string, std::vector<const sweep::cell_result*>>& sc) {
        table t{{"Use case", "Users held", "Mean in flight there", "Users per slot", "Bound by"},
                {},
                {align::left, align::right, align::right, align::right, align::left},
                {}};
        for (const sweep::use_case_result& u : r.use_cases) {
            if (!u.use_case.sessions)
                continue;
            const analysis::capacity_result& cap = u.capacity;
            std::vector<double> users_at, in_flight_at; // increasing users
            if (const auto cells = sc.find(u.use_case.name); cells != sc.end())
                for (const sweep::cell_result* c : cells->second)
                    if (const auto f = c->summary.value(metric::mean_in_flight, statistic::mean)) {
                        users_at.push_back(static_cast<double>(c->key.concurrency));
                        in_flight_at.push_back(*f);
                    }
            std::optional<double> in_flight;
            if (!users_at.empty())
                in_flight = analysis::interpolant(std::move(users_at), std::move(in_flight_at))(
                    cap.crossing ? *cap.crossing : static_cast<double>(cap.capacity));
            std::optional<double> per_slot;
            if (in_flight && *in_flight > 0.0 && cap.capacity > 0)
                per_slot = static_cast<double>(cap.capacity) / *in_flight;
            const analysis::threshold* b = cap.binding_threshold();
            t.rows.push_back({u.use_case.title,
                              (cap.kind == analysis::capacity_kind::at_least ? "at least " : "") +
                                  format_count(cap.capacity),
                              value_or_dash(in_flight, number), value_or_dash(per_slot, number),
                              b != nullptr ? b->describe() : "no threshold crossed"});
        }
        if (t.rows.empty())
            return;
        t.caption = "Users held: the most users whose conversations meet every threshold of the "
                    "use case (capacity search over users). Users per slot: the users held "
                    "divided by the requests in flight at that load, measured rather than "
                    "assumed.";
        doc.add(std::move(t));
    }

    template <class Value>
    void by_turn_chart(const std::map<std::string, std::vector<const sweep::cell_result*>>& sc,
                       const std::string& id, const std::string& title, axis y, Value value,
                       const std::string& caption) {
        line_chart c;
        c.id = id;
        c.title = title;
        c.x = make_axis("Turn", axis_scale::linear, value_style::requests); // whole numbers
        c.y = std::move(y);
        for (const auto& [name, cells] : sc)
            for (const sweep::cell_result* cell : cells) {
                const std::uint32_t users = cell->key.concurrency;
                chart_series s{
                    name + ", " + format_count(users) + (users == 1 ? " user" : " users"), {}};
                for (const analysis::turn_statistics& t : cell->sessions->turns)
                    if (const std::optional<double> v = value(t))
                        s.points.push_back({static_cast<double>(t.turn), *v});
                if (!s.points.empty())
                    c.series.push_back(std::move(s));
            }
        if (!c.series.empty())
            fig(std::move(c), caption);
    }

    void ttft_by_turn(const std::map<std::string, std::vector<const sweep::cell_result*>>& sc) {
        by_turn_chart(
            sc, "chart-ttft-by-turn", "TTFT by turn",
            make_axis("Mean TTFT (s)", axis_scale::linear, value_style::seconds),
            [](const analysis::turn_statistics& t) -> std::optional<double> {
                return std::isfinite(t.ttft.mean) ? std::optional<double>(t.ttft.mean)
                                                  : std::nullopt;
            },
            "Mean time to first token by turn. Turn 1 prefills the system prompt and the first "
            "message; with prefix caching a later turn prefills only what is new, so its TTFT "
            "stays low while the history grows.");
    }

    void cache_by_turn(const std::map<std::string, std::vector<const sweep::cell_result*>>& sc) {
        bool any = false;
        for (const auto& [name, cells] : sc)
            for (const sweep::cell_result* c : cells)
                any = any || c->cache.reported() > 0;
        if (!any) {
            doc.add(note{note_kind::info,
                         "The server reported no cached prompt tokens (no "
                         "usage.prompt_tokens_details.cached_tokens, no timings.cache_n): how "
                         "much of each turn its prefix cache served is not known."});
            return;
        }
        by_turn_chart(
            sc, "chart-cached-by-turn", "Cached share of the prompt by turn",
            make_axis("Cached prompt (%)", axis_scale::linear, value_style::percent),
            [](const analysis::turn_statistics& t) -> std::optional<double> {
                if (!t.cached_prompt_fraction)
                    return std::nullopt;
                return *t.cached_prompt_fraction * 100.0;
            },
            "Share of each turn's prompt tokens the server reported served from its prefix "
            "cache.");
    }

    // Cache on against cache off: scenario X and X_nocache at the same users.
    void cache_comparison(const std::map<std::string, std::vector<const sweep::cell_result*>>& sc) {
        table t{{"Scenario", "Users", "TTFT later turns, cache on", "Cache off", "Ratio",
                 "Speed, cache on", "Cache off"},
                {},
                {align::left, align::right, align::right, align::right, align::right, align::right,
                 align::right},
                {}};
        for (const auto& [name, cells] : sc) {
            const auto off = sc.find(name + "_nocache");
            if (off == sc.end())
                continue;
            for (const sweep::cell_result* on : cells)
                for (const sweep::cell_result* o : off->second) {
                    if (o->key.concurrency != on->key.concurrency)
                        continue;
                    const auto a = on->summary.value(metric::ttft_later_turns, statistic::mean);
                    const auto b = o->summary.value(metric::ttft_later_turns, statistic::mean);
                    std::optional<double> ratio;
                    if (a && b && *a > 0.0)
                        ratio = *b / *a;
                    t.rows.push_back(
                        {name, format_count(on->key.concurrency), value_or_dash(a, seconds),
                         value_or_dash(b, seconds), ratio ? format_ratio(*ratio) : std::string("—"),
                         value_or_dash(on->summary.value(metric::generation_speed, statistic::mean),
                                       rate),
                         value_or_dash(o->summary.value(metric::generation_speed, statistic::mean),
                                       rate)});
                }
        }
        if (t.rows.empty())
            return;
        h3("What prefix caching is worth", "conversations-cache");
        t.caption = "The same conversations with the server's prefix cache defeated (every "
                    "request's prefix made unique, cache_salt and cache_prompt set): mean TTFT "
                    "of the later turns and generation speed. Ratio: cache off ÷ cache on.";
        doc.add(std::move(t));
    }
};

} // namespace llmcap::report::detail
