#pragma once

#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/analysis/use_case_json.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/sweep/rate_search.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/text_source.hpp>
#include <llmcap/workload/trace_file.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm> // max, clamp
#include <cmath>     // isfinite
#include <cstdint>   // uint32_t, uint64_t
#include <optional>  // optional
#include <string>    // string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::sweep {

/// How many requests a cell runs and when it stops.
struct request_policy {
    /// Warm-up requests per cell (excluded from statistics).
    std::uint32_t warmup_requests = 1;
    /// Measured requests per unit of concurrency: a cell at concurrency c runs
    /// max(min_requests, requests_per_concurrency × c).
    std::uint32_t requests_per_concurrency = 2;
    /// The fewest measured requests of a cell (and the floor of the confidence rule).
    std::uint32_t min_requests = 4;
    /// Stop starting requests this long after the first one, seconds.
    std::optional<double> max_duration_s;
    /// Stop once the means of TTFT and generation speed are known to ± this fraction (95%);
    /// then the count above is not used and max_requests caps the cell.
    std::optional<double> ci_relative_half_width;
    /// The most measured requests of a cell; 0 for no cap.
    std::uint32_t max_requests = 0;

    /// The driver's stop rule for a cell at concurrency `c`.
    [[nodiscard]] workload::stop_rule rule_for(std::uint32_t c) const {
        workload::stop_rule r;
        if (ci_relative_half_width) {
            r.ci_relative_half_width = ci_relative_half_width;
            r.min_requests = std::max<std::uint64_t>(min_requests, 2);
            r.max_requests = max_requests > 0 ? max_requests : 100u * std::max(c, 1u);
        } else {
            r.requests =
                std::max<std::uint64_t>(min_requests, std::uint64_t{requests_per_concurrency} * c);
            r.max_requests = max_requests;
        }
        if (max_duration_s)
            r.max_duration = from_seconds(*max_duration_s);
        return r;
    }

    /// The driver's stop rule for a session cell of `users` users and conversations of `turns`
    /// turns: as for concurrency users × turns ÷ requests_per_concurrency, so that by default
    /// (2 per unit) each user holds about one whole conversation and every turn index is
    /// measured about as often as the others.
    [[nodiscard]] workload::stop_rule session_rule_for(std::uint32_t users,
                                                       std::uint32_t turns) const {
        const std::uint64_t per = std::max<std::uint32_t>(requests_per_concurrency, 1);
        const std::uint64_t load = std::uint64_t{users} * turns / per;
        return rule_for(
            static_cast<std::uint32_t>(std::clamp<std::uint64_t>(load, 1, 0xffffffffu)));
    }
};

/// Closed loop (the default: concurrency = requests in flight) or open loop (Poisson or gamma
/// arrivals with the cell's concurrency as the cap).
struct load_options {
    /// False: closed loop. True: open loop.
    bool open = false;
    /// Open loop: mean arrivals per second.
    double rate_per_s = 1.0;
    /// Open loop: gamma shape of the gaps (1 = Poisson).
    double burstiness = 1.0;
};

/// One cell of a plan.
struct planned_cell {
    /// Which cell (use_case names a workload for named cells). With `key.rate_per_s` the cell
    /// runs an open loop at that rate (burstiness from the plan's load_options), its
    /// concurrency the cap on requests in flight.
    cell_key key;
    /// Text of generated prompts.
    workload::text_style style = workload::text_style::prose;
    /// A fixed prompt (the quick suite); empty to generate prompts of key.context_tokens.
    std::string prompt;
    /// Set for a session cell (key.sessions, key.concurrency users): how the conversations go.
    std::optional<analysis::session_workload> sessions;
    /// True for a dataset cell (named "dataset", context 0): each request is a record of the
    /// plan's corpus file with its own prompt and, where the data has one, its own output length
    /// (else key.output_tokens).
    bool dataset = false;
    /// True for a trace replay's cell (named "trace", context and output 0): the plan's trace
    /// file replayed at its times, key.concurrency the cap on requests in flight.
    bool trace = false;
    /// True for a traffic mix's cell (named "mix", context and output 0): each request a class
    /// of the plan's mix (analysis::mix_class_of) with that class's lengths.
    bool mix = false;
};

/// A use case whose capacity is searched for (DESIGN.md §5).
struct use_case_search {
    /// The use case.
    analysis::use_case use_case;
    /// Highest concurrency the search may try.
    std::uint32_t max_concurrency = 64;
    /// Most cells it may measure; 0 for the default budget.
    std::uint32_t max_cells = 0;
    /// Text of its prompts.
    workload::text_style style = workload::text_style::prose;
};

/// The capacity search of a plan's traffic mix: loads 1, 2, 4, … then bisection, each a mix
/// cell judged class by class (analysis::level_search).
struct mix_search_plan {
    /// Highest concurrency the search may try.
    std::uint32_t max_concurrency = 64;
    /// Most cells it may measure; 0 for the default budget.
    std::uint32_t max_cells = 0;

    friend bool operator==(const mix_search_plan&, const mix_search_plan&) = default;
};

/// A whole sweep: which server and model, how requests look, and which cells to run.
struct sweep_plan {
    /// Preset name, or a name for a custom plan.
    std::string name;
    /// Model to request; empty: the first model the server lists.
    std::string model;
    /// "chat_completions" or "completions".
    std::string api = "chat_completions";
    /// Ask for exactly the output length (`ignore_eos`, `min_tokens`).
    bool fixed_output = true;
    /// Defeat prefix caching (nonce first, `cache_salt`).
    bool cache_busting = true;
    /// Seed of prompts and arrivals.
    std::uint64_t seed = 1;
    /// A corpus file: the text of generated prompts (cut to each cell's length) and the records
    /// of dataset cells; empty for built-in text.
    std::string corpus_path;
    /// A production trace replayed by trace cells; empty for none.
    std::string trace_path;
    /// Its format: "mooncake", "azure" or "burstgpt" (workload::trace_format_name).
    std::string trace_format;
    /// Trace times are multiplied by this (0.5: twice as fast).
    double trace_time_scale = 1.0;
    /// Requests per cell.
    request_policy requests;
    /// Load shape.
    load_options load;
    /// Grid and named cells, run in this order.
    std::vector<planned_cell> cells;
    /// Capacity searches, run after the cells.
    std::vector<use_case_search> searches;
    /// Searches for the highest sustainable arrival rate, run after the cells and before the
    /// capacity searches.
    std::vector<rate_search> rate_searches;
    /// Use cases served together (mix cells draw each request's class from it); empty for
    /// none.
    std::optional<analysis::traffic_mix> mix;
    /// The mix's capacity search, run after the rate searches; empty for none.
    std::optional<mix_search_plan> mix_search;
};

/// Appends the cells contexts × outputs × concurrencies (in that nesting order) to `plan`.
inline void add_grid(sweep_plan& plan, const std::vector<std::uint32_t>& contexts,
                     const std::vector<std::uint32_t>& outputs,
                     const std::vector<std::uint32_t>& concurrencies,
                     workload::text_style style = workload::text_style::prose,
                     const std::string& name = {}) {
    for (std::uint32_t ctx : contexts)
        for (std::uint32_t out : outputs)
            for (std::uint32_t c : concurrencies)
                plan.cells.push_back({cell_key{ctx, out, c, name}, style, {}, std::nullopt, false});
}

/// The plan as JSON (stored in `run.json`; read back on resume).
[[nodiscard]] inline boost::json::object to_json(const sweep_plan& p) {
    boost::json::array cells;
    for (const planned_cell& c : p.cells) {
        boost::json::object cell{{"context_tokens", c.key.context_tokens},
                                 {"output_tokens", c.key.output_tokens},
                                 {"concurrency", c.key.concurrency},
                                 {"name", c.key.use_case},
                                 {"style", workload::text_style_name(c.style)},
                                 {"prompt", c.prompt}};
        if (c.sessions) // users holding conversations: "concurrency" counts users
            cell["sessions"] = analysis::to_json(*c.sessions);
        if (c.key.rate_per_s) // an open-loop cell: "concurrency" is the cap on requests in flight
            cell["rate_per_s"] = *c.key.rate_per_s;
        if (c.dataset) // the corpus file's records, each with its own lengths
            cell["dataset"] = true;
        if (c.trace) // the trace file's requests at their times
            cell["trace"] = true;
        if (c.mix) // each request a class of the plan's mix
            cell["mix"] = true;
        cells.push_back(std::move(cell));
    }
    boost::json::array searches;
    for (const use_case_search& s : p.searches)
        searches.push_back(boost::json::object{{"use_case", analysis::to_json(s.use_case)},
                                               {"max_concurrency", s.max_concurrency},
                                               {"max_cells", s.max_cells},
                                               {"style", workload::text_style_name(s.style)}});
    const request_policy& r = p.requests;
    boost::json::object out{
        {"name", p.name},
        {"model", p.model},
        {"api", p.api},
        {"fixed_output", p.fixed_output},
        {"cache_busting", p.cache_busting},
        {"seed", p.seed},
        {"corpus_path", p.corpus_path},
        {"requests", boost::json::object{{"warmup_requests", r.warmup_requests},
                                         {"requests_per_concurrency", r.requests_per_concurrency},
                                         {"min_requests", r.min_requests},
                                         {"max_duration_s", json_number_or_null(r.max_duration_s)},
                                         {"ci_relative_half_width",
                                          json_number_or_null(r.ci_relative_half_width)},
                                         {"max_requests", r.max_requests}}},
        {"load", boost::json::object{{"open", p.load.open},
                                     {"rate_per_s", p.load.rate_per_s},
                                     {"burstiness", p.load.burstiness}}},
        {"cells", std::move(cells)},
        {"searches", std::move(searches)}};
    if (!p.trace_path.empty()) { // absent: no trace
        out["trace_path"] = p.trace_path;
        out["trace_format"] = p.trace_format;
        out["trace_time_scale"] = p.trace_time_scale;
    }
    if (p.mix) // absent: no traffic mix
        out["mix"] = analysis::to_json(*p.mix);
    if (p.mix_search) // absent: no mix capacity search
        out["mix_search"] = boost::json::object{{"max_concurrency", p.mix_search->max_concurrency},
                                                {"max_cells", p.mix_search->max_cells}};
    if (!p.rate_searches.empty()) { // absent: no rate search
        boost::json::array rates;
        for (const rate_search& s : p.rate_searches)
            rates.push_back(to_json(s));
        out["rate_searches"] = std::move(rates);
    }
    return out;
}

namespace detail {

inline bool read_style(json_reader& in, const boost::json::object& o, const std::string& path,
                       workload::text_style& out) {
    std::string s;
    if (!in.field(o, "style", path, s))
        return false;
    if (s == "prose")
        out = workload::text_style::prose;
    else if (s == "code")
        out = workload::text_style::code;
    else
        return in.fail(path + ".style", "expected \"prose\" or \"code\", got \"" + s + "\"");
    return true;
}

} // namespace detail

/// Reads a plan written by to_json(const sweep_plan&) or by hand. Every field is required
/// except `cells`/`searches` (default empty); errors name the field by JSONPath. A plan with no
/// cell and no search, a concurrency of 0, an output of 0, an unknown API or a non-positive
/// rate is rejected.
[[nodiscard]] inline json_result<sweep_plan> plan_from_json(const boost::json::value& v) {
    json_reader in("results json");
    sweep_plan p;
    const std::string path = "$";
    const boost::json::object* o = in.object(v, path);
    if (o != nullptr) {
        in.field(*o, "name", path, p.name);
        in.field(*o, "model", path, p.model);
        in.field(*o, "api", path, p.api);
        if (in.ok() && p.api != "chat_completions" && p.api != "completions")
            in.fail(path + ".api", "expected \"chat_completions\" or \"completions\"");
        in.field(*o, "fixed_output", path, p.fixed_output);
        in.field(*o, "cache_busting", path, p.cache_busting);
        in.field(*o, "seed", path, p.seed);
        in.field(*o, "corpus_path", path, p.corpus_path);
        in.optional_field(*o, "trace_path", path, p.trace_path);
        in.optional_field(*o, "trace_format", path, p.trace_format);
        in.optional_field(*o, "trace_time_scale", path, p.trace_time_scale);
        if (in.ok() && !p.trace_path.empty() && !workload::trace_format_from_name(p.trace_format))
            in.fail(path + ".trace_format", "expected \"mooncake\", \"azure\" or \"burstgpt\"");
        if (in.ok() && !(p.trace_time_scale > 0.0 && std::isfinite(p.trace_time_scale)))
            in.fail(path + ".trace_time_scale", "must be a positive number");
        if (const boost::json::value* mv = o->if_contains("mix"); mv && in.ok())
            analysis::read_traffic_mix(in, *mv, path + ".mix", p.mix.emplace());
        if (const boost::json::value* sv = o->if_contains("mix_search"); sv && in.ok()) {
            const std::string sp = path + ".mix_search";
            if (const boost::json::object* so = in.object(*sv, sp)) {
                mix_search_plan& m = p.mix_search.emplace();
                in.field(*so, "max_concurrency", sp, m.max_concurrency);
                in.optional_field(*so, "max_cells", sp, m.max_cells);
                if (in.ok() && m.max_concurrency == 0)
                    in.fail(sp + ".max_concurrency", "must be at least 1");
                if (in.ok() && !p.mix)
                    in.fail(sp, "a mix search needs the plan's mix");
            }
        }
        if (const boost::json::value* rv = in.member(*o, "requests", path)) {
            const std::string rp = path + ".requests";
            if (const boost::json::object* ro = in.object(*rv, rp)) {
                request_policy& r = p.requests;
                in.field(*ro, "warmup_requests", rp, r.warmup_requests);
                in.field(*ro, "requests_per_concurrency", rp, r.requests_per_concurrency);
                in.field(*ro, "min_requests", rp, r.min_requests);
                in.field(*ro, "max_duration_s", rp, r.max_duration_s);
                in.field(*ro, "ci_relative_half_width", rp, r.ci_relative_half_width);
                in.field(*ro, "max_requests", rp, r.max_requests);
                if (in.ok() && r.requests_per_concurrency == 0 && r.min_requests == 0 &&
                    !r.ci_relative_half_width && !r.max_duration_s)
                    in.fail(rp, "no rule ends a cell (all request counts are 0)");
                if (in.ok() && r.ci_relative_half_width && !(*r.ci_relative_half_width > 0.0))
                    in.fail(rp + ".ci_relative_half_width", "must be positive");
            }
        }
        if (const boost::json::value* lv = in.member(*o, "load", path)) {
            const std::string lp = path + ".load";
            if (const boost::json::object* lo = in.object(*lv, lp)) {
                in.field(*lo, "open", lp, p.load.open);
                in.field(*lo, "rate_per_s", lp, p.load.rate_per_s);
                in.field(*lo, "burstiness", lp, p.load.burstiness);
                if (in.ok() && !(p.load.rate_per_s > 0.0))
                    in.fail(lp + ".rate_per_s", "must be positive");
                if (in.ok() && !(p.load.burstiness > 0.0))
                    in.fail(lp + ".burstiness", "must be positive");
            }
        }
        if (const boost::json::value* cv = o->if_contains("cells"); cv && in.ok()) {
            if (const boost::json::array* ca = in.array(*cv, path + ".cells")) {
                for (std::size_t i = 0; i < ca->size() && in.ok(); ++i) {
                    const std::string cp = path + ".cells[" + std::to_string(i) + "]";
                    const boost::json::object* co = in.object((*ca)[i], cp);
                    if (co == nullptr)
                        break;
                    planned_cell c;
                    in.field(*co, "context_tokens", cp, c.key.context_tokens);
                    in.field(*co, "output_tokens", cp, c.key.output_tokens);
                    in.field(*co, "concurrency", cp, c.key.concurrency);
                    in.optional_field(*co, "name", cp, c.key.use_case);
                    in.optional_field(*co, "prompt", cp, c.prompt);
                    if (co->contains("style"))
                        detail::read_style(in, *co, cp, c.style);
                    if (const boost::json::value* sv = co->if_contains("sessions"); sv && in.ok()) {
                        analysis::session_workload w;
                        if (analysis::read_session_workload(in, *sv, cp + ".sessions", w)) {
                            c.sessions = w;
                            c.key.sessions = true;
                        }
                    }
                    in.optional_field(*co, "dataset", cp, c.dataset);
                    in.optional_field(*co, "trace", cp, c.trace);
                    in.optional_field(*co, "mix", cp, c.mix);
                    if (in.ok() && c.mix && !p.mix)
                        in.fail(cp + ".mix", "a mix cell needs the plan's mix");
                    if (in.ok() && c.mix && (c.sessions || c.dataset || c.trace))
                        in.fail(cp + ".mix", "a mix cell is not a session, dataset or trace cell");
                    if (in.ok() && c.trace && p.trace_path.empty())
                        in.fail(cp + ".trace", "a trace cell needs the plan's trace_path");
                    if (in.ok() && c.dataset && c.sessions)
                        in.fail(cp + ".dataset", "a session cell has no dataset records");
                    if (in.ok() && c.dataset && p.corpus_path.empty())
                        in.fail(cp + ".dataset", "a dataset cell needs the plan's corpus_path");
                    if (co->contains("rate_per_s") && in.ok()) {
                        in.optional_field(*co, "rate_per_s", cp, c.key.rate_per_s);
                        if (in.ok() && !(c.key.rate_per_s && *c.key.rate_per_s > 0.0 &&
                                         std::isfinite(*c.key.rate_per_s)))
                            in.fail(cp + ".rate_per_s", "must be a positive number");
                        if (in.ok() && c.sessions)
                            in.fail(cp + ".rate_per_s", "a session cell has no arrival rate");
                    }
                    if (in.ok() && c.key.concurrency == 0)
                        in.fail(cp + ".concurrency", "must be at least 1");
                    if (in.ok() && c.key.output_tokens == 0 && !c.trace && !c.mix)
                        in.fail(cp + ".output_tokens", "must be at least 1");
                    if (in.ok() && c.key.context_tokens == 0 && c.prompt.empty() && !c.dataset &&
                        !c.trace && !c.mix)
                        in.fail(cp + ".context_tokens",
                                "must be at least 1 without a fixed prompt or a dataset");
                    p.cells.push_back(std::move(c));
                }
            }
        }
        if (const boost::json::value* sv = o->if_contains("searches"); sv && in.ok()) {
            if (const boost::json::array* sa = in.array(*sv, path + ".searches")) {
                for (std::size_t i = 0; i < sa->size() && in.ok(); ++i) {
                    const std::string sp = path + ".searches[" + std::to_string(i) + "]";
                    const boost::json::object* so = in.object((*sa)[i], sp);
                    if (so == nullptr)
                        break;
                    use_case_search s;
                    if (const boost::json::value* uv = in.member(*so, "use_case", sp)) {
                        analysis::read_use_case(in, *uv, sp + ".use_case", s.use_case);
                    }
                    in.field(*so, "max_concurrency", sp, s.max_concurrency);
                    in.optional_field(*so, "max_cells", sp, s.max_cells);
                    if (so->contains("style"))
                        detail::read_style(in, *so, sp, s.style);
                    if (in.ok() && s.max_concurrency == 0)
                        in.fail(sp + ".max_concurrency", "must be at least 1");
                    p.searches.push_back(std::move(s));
                }
            }
        }
        if (const boost::json::value* rv = o->if_contains("rate_searches"); rv && in.ok()) {
            if (const boost::json::array* ra = in.array(*rv, path + ".rate_searches"))
                for (std::size_t i = 0; i < ra->size() && in.ok(); ++i) {
                    rate_search s;
                    const std::string rp = path + ".rate_searches[" + std::to_string(i) + "]";
                    if (read_rate_search(in, (*ra)[i], rp, s))
                        p.rate_searches.push_back(s);
                    if (in.ok() && s.mix && !p.mix)
                        in.fail(rp + ".mix", "a mix rate search needs the plan's mix");
                }
        }
        if (in.ok() && p.cells.empty() && p.searches.empty() && p.rate_searches.empty() &&
            !p.mix_search)
            in.fail(path, "the plan has no cell and no search");
    }
    return in.result(std::move(p));
}

} // namespace llmcap::sweep
