#pragma once

#include <llmcap/analysis/use_case.hpp>
#include <llmcap/sweep/plan.hpp>

#include <algorithm> // find
#include <cstdint>   // uint32_t, uint64_t
#include <optional>  // optional
#include <string>    // string, to_string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::sweep {

/// The most users a session use case's capacity search tries unless told otherwise.
inline constexpr std::uint32_t session_search_max_users = 1024;

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
};

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
 *   defaults of use_case_search (a session use case: up to session_search_max_users users). Then
 * max_search_concurrency, when given, replaces every search's highest concurrency.
 * - Sessions: when given, the cells are session cells instead (see plan_overrides::sessions);
 *   contexts and concurrency are then not used.
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
