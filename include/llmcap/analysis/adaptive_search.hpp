#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/use_case.hpp>

#include <cmath>      // ceil, log2
#include <concepts>   // convertible_to, invocable
#include <cstddef>    // size_t
#include <cstdint>    // uint32_t
#include <functional> // invoke
#include <optional>   // optional
#include <stdexcept>  // invalid_argument
#include <string>     // string
#include <vector>     // vector

namespace llmcap::analysis {

/// \concept cell_measurer
/// Measures one cell at a given concurrency: `m(c)` runs (or simulates) the use case's
/// workload with c requests in flight and returns the cell's statistics.
template <class M>
concept cell_measurer = std::invocable<M&, std::uint32_t> &&
    std::convertible_to<std::invoke_result_t<M&, std::uint32_t>, cell_summary>;

/// Options of find_capacity.
struct search_options {
    /// The highest concurrency the search may measure (≥ 1).
    std::uint32_t max_concurrency = 256;
    /// The most cells the search may measure; 0 means ⌈2·log2(max_concurrency)⌉ + 2, enough
    /// to converge.
    std::size_t max_cells = 0;
    /// Options of the final capacity analysis of the measured cells.
    capacity_options analysis;
};

/// The outcome of find_capacity.
struct search_result {
    /// The highest measured concurrency at which every threshold held; 0 when level 1 failed.
    std::uint32_t capacity = 0;
    /// The lowest measured concurrency at which a threshold failed; empty when none did.
    std::optional<std::uint32_t> lowest_failing;
    /// True when the passing and failing levels are adjacent (the integer capacity is
    /// measured), or when level 1 failed, or max_concurrency passed.
    bool converged = false;
    /// True when the search stopped because it had measured max_cells cells.
    bool budget_exhausted = false;
    /// The cells measured, in measurement order.
    std::vector<cell_summary> cells;
    /// compute_capacity on the measured cells: kind, fractional crossing, binding constraint.
    capacity_result analysis;
};

/// ⌈2·log2(max_concurrency)⌉ + 2: the default cell budget of find_capacity.
[[nodiscard]] inline std::size_t default_search_budget(std::uint32_t max_concurrency) {
    if (max_concurrency <= 1)
        return 2;
    return static_cast<std::size_t>(
               std::ceil(2.0 * std::log2(static_cast<double>(max_concurrency)))) +
           2;
}

/// True when every threshold of `uc` holds in `cell`. Throws std::invalid_argument when the
/// cell lacks a threshold's statistic.
[[nodiscard]] inline bool cell_passes(const use_case& uc, const cell_summary& cell) {
    for (const threshold& t : uc.thresholds) {
        const std::optional<double> v = cell.value(t.what, t.stat);
        if (!v)
            throw std::invalid_argument("find_capacity: the cell at concurrency " +
                                        std::to_string(cell.concurrency) + " has no " +
                                        std::string(metric_name(t.what)) + " " +
                                        std::string(statistic_name(t.stat)));
        if (!t.holds(*v))
            return false;
    }
    return true;
}

/**
 * Finds the capacity of `uc` with few measured cells: an exponential probe at 1, 2, 4, …
 * (capped at max_concurrency) until a level fails, then bisection on the integers between the
 * highest passing and the lowest failing level until they are adjacent or max_cells cells were
 * measured. Assumes the thresholds degrade with load. With the default budget it converges in
 * at most ⌈2·log2(max_concurrency)⌉ cells. Throws std::invalid_argument for max_concurrency 0
 * or a use case without thresholds.
 */
template <cell_measurer Measure>
[[nodiscard]] search_result find_capacity(const use_case& uc, Measure&& measure,
                                          const search_options& options = {}) {
    if (options.max_concurrency == 0)
        throw std::invalid_argument("find_capacity: max_concurrency must be >= 1");
    if (uc.thresholds.empty())
        throw std::invalid_argument("find_capacity: use case '" + uc.name + "' has no threshold");
    const std::size_t budget =
        options.max_cells == 0 ? default_search_budget(options.max_concurrency) : options.max_cells;
    search_result result;
    std::uint32_t passing = 0; // highest passing level measured
    std::uint32_t failing = 0; // lowest failing level measured; 0 = none
    const auto probe = [&](std::uint32_t c) {
        cell_summary cell = std::invoke(measure, c);
        cell.concurrency = c;
        const bool ok = cell_passes(uc, cell);
        result.cells.push_back(std::move(cell));
        if (ok)
            passing = c;
        else
            failing = c;
        return ok;
    };

    for (std::uint32_t c = 1; result.cells.size() < budget;) {
        if (!probe(c) || c == options.max_concurrency)
            break;
        c = c > options.max_concurrency / 2 ? options.max_concurrency : 2 * c;
    }
    while (failing != 0 && passing != 0 && failing - passing > 1 && result.cells.size() < budget)
        probe(passing + (failing - passing) / 2);

    result.capacity = passing;
    if (failing != 0)
        result.lowest_failing = failing;
    result.converged = (failing != 0 && failing - passing == 1) ||
                       (failing == 0 && passing == options.max_concurrency);
    result.budget_exhausted = !result.converged && result.cells.size() >= budget;
    result.analysis = compute_capacity(uc, result.cells, options.analysis);
    return result;
}

} // namespace llmcap::analysis
