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
#include <stdexcept>  // invalid_argument, logic_error
#include <string>     // string
#include <utility>    // move
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
 * The capacity search of one use case as a state machine: it names the next concurrency to
 * measure, takes the measured cell, and says when it has converged. The caller measures however
 * it likes (a live server, a simulation, cells already measured by a resumed run) and feeds
 * the cells back; nothing is thrown to ask for a cell.
 *
 * The levels: an exponential probe at 1, 2, 4, … (capped at max_concurrency) until a level
 * fails, then bisection on the integers between the highest passing and the lowest failing
 * level until they are adjacent or max_cells cells were measured. Assumes the thresholds
 * degrade with load. With the default budget it converges in at most ⌈2·log2(max_concurrency)⌉
 * cells.
 *
 *     analysis::capacity_search s(uc, options);
 *     while (const auto c = s.next_level())
 *         s.add(measure(*c));
 *     const analysis::search_result r = s.result();
 */
class capacity_search {
public:
    /// A search for `uc`. Throws std::invalid_argument for max_concurrency 0 or a use case
    /// without thresholds.
    explicit capacity_search(use_case uc, search_options options = {})
        : uc_(std::move(uc)), options_(std::move(options)) {
        if (options_.max_concurrency == 0)
            throw std::invalid_argument("find_capacity: max_concurrency must be >= 1");
        if (uc_.thresholds.empty())
            throw std::invalid_argument("find_capacity: use case '" + uc_.name +
                                        "' has no threshold");
        budget_ = options_.max_cells == 0 ? default_search_budget(options_.max_concurrency)
                                          : options_.max_cells;
    }

    /// The concurrency to measure next; empty once the search is over (converged, or the cell
    /// budget spent).
    [[nodiscard]] std::optional<std::uint32_t> next_level() const noexcept {
        if (cells_.size() >= budget_)
            return std::nullopt;
        if (probing_)
            return probe_;
        if (failing_ != 0 && passing_ != 0 && failing_ - passing_ > 1)
            return passing_ + (failing_ - passing_) / 2;
        return std::nullopt;
    }

    /// Takes the cell measured at next_level() (its concurrency is set to that level). Throws
    /// std::invalid_argument when the cell lacks a threshold's statistic (the search is then
    /// unchanged), std::logic_error when the search is over.
    void add(cell_summary cell) {
        const std::optional<std::uint32_t> level = next_level();
        if (!level)
            throw std::logic_error("capacity_search::add: the search is over");
        cell.concurrency = *level;
        const bool ok = cell_passes(uc_, cell);
        cells_.push_back(std::move(cell));
        (ok ? passing_ : failing_) = *level;
        if (probing_) {
            if (!ok || *level == options_.max_concurrency)
                probing_ = false;
            else
                probe_ =
                    *level > options_.max_concurrency / 2 ? options_.max_concurrency : 2 * *level;
        }
    }

    /// The cells taken so far, in measurement order.
    [[nodiscard]] const std::vector<cell_summary>& cells() const noexcept {
        return cells_;
    }

    /// The use case searched.
    [[nodiscard]] const use_case& searched() const noexcept {
        return uc_;
    }

    /// The outcome from the cells taken so far (final once next_level() is empty).
    [[nodiscard]] search_result result() const {
        search_result r;
        r.capacity = passing_;
        if (failing_ != 0)
            r.lowest_failing = failing_;
        r.converged = (failing_ != 0 && failing_ - passing_ == 1) ||
                      (failing_ == 0 && passing_ == options_.max_concurrency);
        r.budget_exhausted = !r.converged && cells_.size() >= budget_;
        r.cells = cells_;
        r.analysis = compute_capacity(uc_, r.cells, options_.analysis);
        return r;
    }

private:
    use_case uc_;
    search_options options_;
    std::size_t budget_ = 0;
    std::vector<cell_summary> cells_;
    bool probing_ = true;
    std::uint32_t probe_ = 1;   // the next probe level while probing
    std::uint32_t passing_ = 0; // highest passing level measured
    std::uint32_t failing_ = 0; // lowest failing level measured; 0 = none
};

/**
 * Runs a capacity_search to its end, measuring each level it asks for with `measure`. Throws
 * std::invalid_argument for max_concurrency 0, a use case without thresholds, or a cell that
 * lacks a threshold's statistic.
 */
template <cell_measurer Measure>
[[nodiscard]] search_result find_capacity(const use_case& uc, Measure&& measure,
                                          const search_options& options = {}) {
    capacity_search search(uc, options);
    while (const std::optional<std::uint32_t> c = search.next_level())
        search.add(std::invoke(measure, *c));
    return search.result();
}

} // namespace llmcap::analysis
