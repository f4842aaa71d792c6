#pragma once

#include <llmcap/analysis/use_case.hpp>
#include <llmcap/sweep/plan.hpp>

#include <algorithm>    // find, none_of
#include <charconv>     // to_chars
#include <cmath>        // isfinite
#include <cstdint>      // uint32_t, uint64_t
#include <optional>     // optional
#include <string>       // string, to_string
#include <system_error> // errc
#include <utility>      // move
#include <vector>       // vector

namespace llmcap::sweep {

/// The most users a session use case's capacity search tries unless told otherwise.
inline constexpr std::uint32_t session_search_max_users = 1024;

/// The cap on requests in flight of open-loop cells unless told otherwise: high enough that a
/// served model's queue, not the client, holds what the server cannot take yet.
inline constexpr std::uint32_t default_max_in_flight = 1024;

/**
 * Changes to a plan (a preset, or one read from JSON), as a command line gives them; every
 * member left at its default keeps the plan's own. apply_overrides makes the changes.
 */
struct plan_overrides {
    /// Context lengths of the grid, tokens, in order; empty: the plan's.
    std::vector<std::uint32_t> contexts;
    /// Concurrency levels of the grid, in order; empty: the plan's.
    std::vector<std::uint32_t> concurrency;
    /// Output tokens of every grid request; 0: the plan's.
    std::uint32_t output_tokens = 0;
    /// The use cases whose capacity is searched, in order: empty (no value) keeps the plan's
    /// searches, an empty list removes them all.
    std::optional<std::vector<analysis::use_case>> use_cases;
    /// Highest concurrency of every capacity search; 0: each search's own.
    std::uint32_t max_search_concurrency = 0;
    /// Seed of prompts and arrivals; empty: the plan's.
    std::optional<std::uint64_t> seed;
    /// A session workload: when set, the plan's cells are replaced by session cells, one per
    /// level of `users`, named "sessions" (messages of `turn_tokens`, answers of output_tokens
    /// or the plan's first output length).
    std::optional<analysis::session_workload> sessions;
    /// The users of the session cells, in order (required with `sessions`).
    std::vector<std::uint32_t> users;
    /// Tokens of each new user message of the session cells.
    std::uint32_t turn_tokens = 512;
    /// With `sessions`: also run every level with prefix caching defeated, as cells named
    /// "sessions_nocache", for the cache-on/cache-off comparison.
    bool cache_compare = false;

    // --- datasets ---
    /// A corpus file (plain text, JSON Lines or ShareGPT) whose text generated prompts are cut
    /// from; empty: the plan's.
    std::string dataset_path;
    /// With dataset_path: the grid's cells become dataset cells, one per output length and
    /// concurrency level (or rate), each request a record of the file with its own lengths.
    bool dataset_own_lengths = false;

    // --- trace replay ---
    /// A trace file: when given, the cells give way to one trace cell (its cap on requests in
    /// flight max_in_flight) replaying it.
    std::string trace_path;
    /// Its format ("mooncake", "azure", "burstgpt").
    std::string trace_format;
    /// Trace times are multiplied by this.
    double trace_time_scale = 1.0;

    // --- traffic mix ---
    /// Use cases served together: when given, the cells give way to mix cells (named "mix",
    /// each request a class of the mix), one per level of `concurrency` (or per rate), and,
    /// without rates, a search for the mix's capacity up to max_search_concurrency (64 when 0).
    std::optional<analysis::traffic_mix> mix;

    // --- open loop ---
    /// Arrival rates, requests per second: when given, every grid cell becomes one open-loop
    /// cell per rate (the cell's arrival rate, DESIGN.md §9), its concurrency the cap
    /// max_in_flight. Empty: the plan's load.
    std::vector<double> rates;
    /// Gamma shape of the gaps between arrivals (1: Poisson; below 1 burstier); empty: the
    /// plan's.
    std::optional<double> burstiness;
    /// The open-loop cells' cap on requests in flight.
    std::uint32_t max_in_flight = default_max_in_flight;
    /// Instead of cells: one search for the highest sustainable rate per context and output
    /// length of the grid (or per output length of dataset cells), from rate_start, measuring at
    /// most max_rate_cells cells each (rate_search).
    bool find_rate = false;
    /// The first rate a rate search tries, requests per second.
    double rate_start = 1.0;
    /// The most cells of each rate search.
    std::uint32_t max_rate_cells = 8;

    // --- request counts (request_policy) ---
    /// Measured requests of every cell, whatever its concurrency.
    std::optional<std::uint32_t> requests_per_cell;
    /// Measured requests per unit of concurrency (×1, ×5, ×10 in the standard scenarios):
    /// a cell at concurrency c runs K × c.
    std::optional<std::uint32_t> requests_per_concurrency;
    /// Stop starting requests this long after a cell's first, seconds. Alone, it replaces the
    /// counts; with a count, whichever comes first ends the cell.
    std::optional<double> duration_s;
    /// Warm-up requests per cell.
    std::optional<std::uint32_t> warmup_requests;
    /// Sample each cell until the 95% confidence intervals of its mean TTFT and generation speed
    /// are within ± this fraction (0.05: ±5%), instead of a count.
    std::optional<double> ci_half_width;
    /// The most measured requests of a cell; 0 for no cap.
    std::optional<std::uint32_t> max_requests;
};

namespace detail {

/// A number for a message: "2.5", "nan", "-inf".
[[nodiscard]] inline std::string number_for_message(double x) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

} // namespace detail

/// Applies the request-count members of `o` to `r` (see apply_overrides); false with `why`
/// for a combination that cannot hold.
[[nodiscard]] inline bool apply_request_counts(request_policy& r, const plan_overrides& o,
                                               std::string& why) {
    const bool count = o.requests_per_cell || o.requests_per_concurrency;
    if (o.requests_per_cell && o.requests_per_concurrency) {
        why = "requests per cell and requests per concurrency both given (choose one)";
        return false;
    }
    if (o.ci_half_width) {
        if (count) {
            why = "a confidence target beside a request count (the target decides how many "
                  "requests a cell runs; bound it with the most requests per cell)";
            return false;
        }
        if (!(*o.ci_half_width > 0.0 && *o.ci_half_width < 1.0)) {
            why = std::string("a confidence half-width of ") +
                  detail::number_for_message(*o.ci_half_width) +
                  " (it must be a fraction between 0 and 1)";
            return false;
        }
    }
    if (o.duration_s && !(*o.duration_s > 0.0 && std::isfinite(*o.duration_s))) {
        why = std::string("a cell duration of ") + detail::number_for_message(*o.duration_s) +
              " s (it must be positive)";
        return false;
    }
    if ((o.requests_per_cell && *o.requests_per_cell == 0) ||
        (o.requests_per_concurrency && *o.requests_per_concurrency == 0)) {
        why = "a request count of 0 (it must be at least 1)";
        return false;
    }
    request_policy out = r;
    if (o.requests_per_cell) {
        out.requests_per_concurrency = 0;
        out.min_requests = *o.requests_per_cell;
    } else if (o.requests_per_concurrency) {
        out.requests_per_concurrency = *o.requests_per_concurrency;
        out.min_requests = 1;
    } else if (o.duration_s && !o.ci_half_width) {
        out.requests_per_concurrency = 0; // the duration alone ends a cell
        out.min_requests = 0;
    }
    if (count || o.duration_s || o.ci_half_width)
        out.ci_relative_half_width = o.ci_half_width;
    if (o.duration_s)
        out.max_duration_s = o.duration_s;
    if (o.warmup_requests)
        out.warmup_requests = *o.warmup_requests;
    if (o.max_requests)
        out.max_requests = *o.max_requests;
    r = out;
    return true;
}

/**
 * Applies `o` to `plan`. Returns false, with `why` saying what was wrong and `plan` unchanged,
 * for a context length or concurrency level of 0, for a grid change on a plan without cells to
 * take the other dimensions from, and for one that keeps the context lengths of a plan with
 * fixed-prompt cells (they have none).
 *
 * - Grid: when contexts, concurrency or output_tokens is given, the plan's cells are replaced
 *   by the grid contexts × outputs × concurrency (add_grid's order, generated prose prompts,
 *   no cell name). A dimension not given takes the distinct values of the plan's cells, in
 *   order of first appearance; named cells, fixed prompts and code-style cells become plain
 *   grid cells.
 * - Searches: a use case the plan already searches keeps that search's settings (highest
 *   concurrency, cell budget, text style) with the given definition; another gets the
 *   defaults of use_case_search (a session use case: up to session_search_max_users users).
 * Then max_search_concurrency, when given, replaces every search's highest concurrency.
 * - Sessions: when given, the cells are session cells instead (see plan_overrides::sessions);
 *   contexts and concurrency are then not used.
 * - Trace: with trace_path, the cells give way to one trace cell (context and output 0, named
 *   "trace", capped at max_in_flight); refused beside sessions, rates, a rate search or a
 *   dataset's own lengths, or with an unknown format or a time scale that is not positive.
 * - Rate search: with find_rate, the cells give way to one rate_search per distinct context
 *   and output length (dataset cells: per output length), from rate_start, capped at
 *   max_in_flight, at most max_rate_cells cells; refused beside rates or sessions.
 * - Dataset: dataset_path replaces the plan's corpus file; with dataset_own_lengths the cells
 *   become dataset cells (context 0, named "dataset", one per output length and concurrency
 *   level), refused with sessions, with context lengths or without a file.
 * - Traffic mix: with mix, the cells give way to mix cells (context and output 0, named "mix")
 *   at each concurrency level given (or one per rate), and without rates a mix capacity search
 *   (mix_search_plan) up to max_search_concurrency, or with find_rate one rate search over the
 *   mix (rate_search::mix) instead; refused beside sessions, a dataset's own lengths, a trace,
 *   context lengths or output tokens, or for a mix check_mix refuses.
 * - Open loop: with rates, each grid cell (not a session cell) becomes one cell per rate,
 *   concurrency max_in_flight, named by its rate; burstiness replaces the plan's. A rate or
 *   burstiness that is not a positive finite number, a cap of 0, or rates with sessions are
 *   refused.
 * - Request counts: requests_per_cell (every cell runs that many), requests_per_concurrency
 *   (K × concurrency, no floor), duration_s (alone: cells run that long), ci_half_width (a
 *   fraction in (0, 1); refused beside a count, which it would make unused), warmup_requests
 * and max_requests replace the plan's request_policy.
 * - Seed: replaced when given.
 *
 * Cost: O(cells × distinct values) for the grid, O(use cases × searches) for the searches.
 */
[[nodiscard]] inline bool apply_overrides(sweep_plan& plan, const plan_overrides& o,
                                          std::string& why) {
    for (const auto& [values, what] :
         {std::pair{&o.contexts, "context length"}, std::pair{&o.concurrency, "concurrency level"}})
        if (std::find(values->begin(), values->end(), 0u) != values->end()) {
            why = std::string("a ") + what + " of 0 (each must be at least 1)";
            return false;
        }
    sweep_plan out = plan;
    if (!o.sessions && (!o.contexts.empty() || !o.concurrency.empty() || o.output_tokens != 0)) {
        std::vector<std::uint32_t> contexts, outputs, levels;
        for (const planned_cell& c : out.cells)
            for (auto [v, list] :
                 {std::pair{c.key.context_tokens, &contexts},
                  std::pair{c.key.output_tokens, &outputs}, std::pair{c.key.concurrency, &levels}})
                if (std::find(list->begin(), list->end(), v) == list->end())
                    list->push_back(v);
        if (!o.contexts.empty())
            contexts = o.contexts;
        if (!o.concurrency.empty())
            levels = o.concurrency;
        if (o.output_tokens != 0)
            outputs = {o.output_tokens};
        // A fixed-prompt cell (the quick preset's) has no context length to keep.
        if (std::find(contexts.begin(), contexts.end(), 0u) != contexts.end()) {
            why = "plan \"" + out.name +
                  "\" has fixed-prompt cells, whose context length is not a grid dimension "
                  "(give context lengths)";
            return false;
        }
        if (contexts.empty() || outputs.empty() || levels.empty()) {
            why = "plan \"" + out.name +
                  "\" has no grid to adjust (give context lengths, concurrency levels and "
                  "output tokens)";
            return false;
        }
        out.cells.clear();
        add_grid(out, contexts, outputs, levels);
    }
    if (o.sessions) {
        if (o.users.empty() || std::find(o.users.begin(), o.users.end(), 0u) != o.users.end()) {
            why = "session cells need user counts of at least 1";
            return false;
        }
        if (o.turn_tokens == 0) {
            why = "session cells need turn tokens of at least 1";
            return false;
        }
        std::uint32_t output = o.output_tokens;
        if (output == 0)
            output = out.cells.empty() ? 256 : out.cells.front().key.output_tokens;
        out.cells.clear();
        for (const bool caching : {true, false}) {
            if (!caching && !o.cache_compare)
                break;
            analysis::session_workload w = *o.sessions;
            w.prefix_caching = caching && o.sessions->prefix_caching;
            for (std::uint32_t u : o.users) {
                planned_cell c;
                c.key =
                    cell_key{o.turn_tokens, output, u, caching ? "sessions" : "sessions_nocache"};
                c.key.sessions = true;
                c.sessions = w;
                out.cells.push_back(std::move(c));
            }
        }
    }
    if (!o.dataset_path.empty())
        out.corpus_path = o.dataset_path;
    if (o.dataset_own_lengths) {
        if (o.dataset_path.empty()) {
            why = "a dataset's own lengths without a dataset file";
            return false;
        }
        if (o.sessions) {
            why = "session cells build their own messages, not a dataset's";
            return false;
        }
        if (!o.contexts.empty()) {
            why = "context lengths beside a dataset's own lengths (each record has its own)";
            return false;
        }
        std::vector<planned_cell> own;
        for (const planned_cell& c : out.cells) {
            planned_cell d;
            d.key = cell_key{0, c.key.output_tokens, c.key.concurrency, "dataset"};
            d.dataset = true;
            if (std::none_of(own.begin(), own.end(),
                             [&](const planned_cell& x) { return x.key == d.key; }))
                own.push_back(std::move(d));
        }
        if (own.empty()) {
            why = "plan \"" + out.name + "\" has no cells to take concurrency levels from";
            return false;
        }
        out.cells = std::move(own);
    }
    if (o.mix) {
        if (o.sessions || o.dataset_own_lengths || !o.trace_path.empty()) {
            why = "a traffic mix beside sessions, a dataset's own lengths or a trace (a mix "
                  "brings its own requests)";
            return false;
        }
        if (!o.contexts.empty() || o.output_tokens != 0) {
            why = "context lengths or output tokens beside a traffic mix (each class has its "
                  "use case's)";
            return false;
        }
        analysis::traffic_mix m = *o.mix;
        if (const std::string bad = analysis::check_mix(m); !bad.empty()) {
            why = "a traffic mix with " + bad;
            return false;
        }
        std::vector<std::uint32_t> levels = o.concurrency;
        if (levels.empty() && !o.rates.empty())
            levels = {1}; // one cell per rate, whatever its level
        out.cells.clear();
        for (const std::uint32_t c : levels) {
            planned_cell mc;
            mc.key = cell_key{0, 0, c, std::string(mix_cell_name)};
            mc.mix = true;
            out.cells.push_back(std::move(mc));
        }
        out.mix = std::move(m);
        out.mix_search.reset();
        if (o.rates.empty() && !o.find_rate) {
            mix_search_plan ms;
            if (o.max_search_concurrency != 0)
                ms.max_concurrency = o.max_search_concurrency;
            out.mix_search = ms;
        }
    }
    if (!o.rates.empty()) {
        if (o.sessions) {
            why = "session cells have users, not an arrival rate";
            return false;
        }
        if (o.max_in_flight == 0) {
            why = "a cap of 0 requests in flight (it must be at least 1)";
            return false;
        }
        std::vector<planned_cell> open;
        for (const planned_cell& c : out.cells)
            for (const double r : o.rates) {
                if (!(r > 0.0 && std::isfinite(r))) {
                    why = std::string("an arrival rate of ") + detail::number_for_message(r) +
                          " requests/s (each must be a positive number)";
                    return false;
                }
                planned_cell oc = c;
                oc.key.concurrency = o.max_in_flight;
                oc.key.rate_per_s = r;
                // Grid cells differing only in concurrency become the same open-loop cell.
                if (std::none_of(open.begin(), open.end(),
                                 [&](const planned_cell& x) { return x.key == oc.key; }))
                    open.push_back(std::move(oc));
            }
        out.cells = std::move(open);
    }
    if (!o.trace_path.empty()) {
        if (!workload::trace_format_from_name(o.trace_format)) {
            why =
                "a trace format \"" + o.trace_format + "\" (expected mooncake, azure or burstgpt)";
            return false;
        }
        if (!(o.trace_time_scale > 0.0 && std::isfinite(o.trace_time_scale))) {
            why = std::string("a trace time scale of ") +
                  detail::number_for_message(o.trace_time_scale) +
                  " (it must be a positive number)";
            return false;
        }
        if (o.sessions || !o.rates.empty() || o.find_rate || o.dataset_own_lengths) {
            why = "a trace beside sessions, rates or a dataset's own lengths (a trace brings its "
                  "own arrivals and lengths)";
            return false;
        }
        if (o.max_in_flight == 0) {
            why = "a cap of 0 requests in flight (it must be at least 1)";
            return false;
        }
        planned_cell t;
        t.key = cell_key{0, 0, o.max_in_flight, std::string(trace_cell_name)};
        t.trace = true;
        out.cells = {std::move(t)};
        out.trace_path = o.trace_path;
        out.trace_format = o.trace_format;
        out.trace_time_scale = o.trace_time_scale;
    }
    if (o.find_rate) {
        if (!o.rates.empty() || o.sessions) {
            why = o.sessions ? "session cells have users, not an arrival rate"
                             : "a rate search beside fixed rates (choose one)";
            return false;
        }
        if (!(o.rate_start > 0.0 && std::isfinite(o.rate_start))) {
            why = std::string("a rate search starting at ") +
                  detail::number_for_message(o.rate_start) +
                  " requests/s (it must be a positive number)";
            return false;
        }
        if (o.max_rate_cells == 0 || o.max_in_flight == 0) {
            why = o.max_in_flight == 0 ? "a cap of 0 requests in flight (it must be at least 1)"
                                       : "a rate search of 0 cells (it needs at least 1)";
            return false;
        }
        std::vector<rate_search> searches;
        if (o.mix) { // one search over the whole mix
            rate_search s;
            s.context_tokens = 0;
            s.output_tokens = 0;
            s.start_rate_per_s = o.rate_start;
            s.max_in_flight = o.max_in_flight;
            s.max_cells = o.max_rate_cells;
            s.mix = true;
            searches.push_back(s);
        }
        for (const planned_cell& c : out.cells) {
            if (c.mix)
                continue;
            rate_search s;
            s.context_tokens = c.key.context_tokens;
            s.output_tokens = c.key.output_tokens;
            s.start_rate_per_s = o.rate_start;
            s.max_in_flight = o.max_in_flight;
            s.max_cells = o.max_rate_cells;
            s.dataset = c.dataset;
            if (std::find(searches.begin(), searches.end(), s) == searches.end())
                searches.push_back(s);
        }
        if (searches.empty()) {
            why = "plan \"" + out.name + "\" has no cells to take lengths from";
            return false;
        }
        out.cells.clear();
        out.rate_searches = std::move(searches);
    }
    if (o.burstiness) {
        if (!(*o.burstiness > 0.0 && std::isfinite(*o.burstiness))) {
            why = std::string("a burstiness of ") + detail::number_for_message(*o.burstiness) +
                  " (the gamma shape must be a positive number; 1 is Poisson)";
            return false;
        }
        out.load.burstiness = *o.burstiness;
    }
    if (!apply_request_counts(out.requests, o, why))
        return false;
    if (o.use_cases) {
        std::vector<use_case_search> searches;
        for (const analysis::use_case& uc : *o.use_cases) {
            use_case_search s;
            if (uc.sessions) // users pause between turns: many more users than slots
                s.max_concurrency = session_search_max_users;
            for (const use_case_search& existing : out.searches)
                if (existing.use_case.name == uc.name)
                    s = existing;
            s.use_case = uc;
            searches.push_back(std::move(s));
        }
        out.searches = std::move(searches);
    }
    if (o.max_search_concurrency != 0)
        for (use_case_search& s : out.searches)
            s.max_concurrency = o.max_search_concurrency;
    if (o.seed)
        out.seed = *o.seed;
    plan = std::move(out);
    return true;
}

} // namespace llmcap::sweep
