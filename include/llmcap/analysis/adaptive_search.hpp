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
 * The load levels of a capacity search as a state machine, apart from how a level is judged:
 * an exponential probe at 1, 2, 4, … (capped at max_level) until a level fails, then bisection
 * on the integers between the highest passing and the lowest failing level until they are
 * adjacent or max_cells levels were measured. Assumes a level passes only if every lower one
 * does. capacity_search judges a level by one use case's thresholds; a traffic mix's search by
 * every class's.
 */
class level_search {
public:
    /// A search up to `max_level` (≥ 1) measuring at most `max_cells` levels (0: the default
    /// budget). Throws std::invalid_argument for max_level 0.
    explicit level_search(std::uint32_t max_level, std::size_t max_cells = 0)
        : max_level_(max_level) {
        if (max_level_ == 0)
            throw std::invalid_argument("find_capacity: max_concurrency must be >= 1");
        budget_ = max_cells == 0 ? default_search_budget(max_level_) : max_cells;
    }

    /// The level to measure next; empty once the search is over (converged, or the budget
    /// spent).
    [[nodiscard]] std::optional<std::uint32_t> next_level() const noexcept {
        if (measured_.size() >= budget_)
            return std::nullopt;
        if (probing_)
            return probe_;
        if (failing_ != 0 && passing_ != 0 && failing_ - passing_ > 1)
            return passing_ + (failing_ - passing_) / 2;
        return std::nullopt;
    }

    /// Takes the verdict on next_level(). Throws std::logic_error when the search is over.
    void add(bool passes) {
        const std::optional<std::uint32_t> level = next_level();
        if (!level)
            throw std::logic_error("capacity_search::add: the search is over");
        measured_.push_back(*level);
        (passes ? passing_ : failing_) = *level;
        if (probing_) {
            if (!passes || *level == max_level_)
                probing_ = false;
            else
                probe_ = *level > max_level_ / 2 ? max_level_ : 2 * *level;
        }
    }

    /// The levels measured, in measurement order.
    [[nodiscard]] const std::vector<std::uint32_t>& measured() const noexcept {
        return measured_;
    }
    /// The highest passing level measured; 0 when none passed.
    [[nodiscard]] std::uint32_t passing() const noexcept {
        return passing_;
    }
    /// The lowest failing level measured; empty when none failed.
    [[nodiscard]] std::optional<std::uint32_t> lowest_failing() const noexcept {
        return failing_ == 0 ? std::nullopt : std::optional<std::uint32_t>(failing_);
    }
    /// True when the passing and failing levels are adjacent (or level 1 failed, or max_level
    /// passed).
    [[nodiscard]] bool converged() const noexcept {
        return (failing_ != 0 && failing_ - passing_ == 1) ||
               (failing_ == 0 && passing_ == max_level_);
    }
    /// True when the budget ended the search before it converged.
    [[nodiscard]] bool budget_exhausted() const noexcept {
        return !converged() && measured_.size() >= budget_;
    }

private:
    std::uint32_t max_level_;
    std::size_t budget_ = 0;
    std::vector<std::uint32_t> measured_;
    bool probing_ = true;
    std::uint32_t probe_ = 1;   // the next probe level while probing
    std::uint32_t passing_ = 0; // highest passing level measured
    std::uint32_t failing_ = 0; // lowest failing level measured; 0 = none
};

/**
 * The capacity search of one use case as a state machine: it names the next concurrency to
 * measure, takes the measured cell, and says when it has converged. The caller measures however
 * it likes (a live server, a simulation, cells already measured by a resumed run) and feeds
 * the cells back; nothing is thrown to ask for a cell.
 *
 * The levels are level_search's. With the default budget it converges in at most
 * ⌈2·log2(max_concurrency)⌉ cells.
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
        : uc_(std::move(uc)), options_(std::move(options)),
          levels_(options_.max_concurrency, options_.max_cells) {
        if (uc_.thresholds.empty())
            throw std::invalid_argument("find_capacity: use case '" + uc_.name +
                                        "' has no threshold");
    }

    /// The concurrency to measure next; empty once the search is over (converged, or the cell
    /// budget spent).
    [[nodiscard]] std::optional<std::uint32_t> next_level() const noexcept {
        return levels_.next_level();
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
        levels_.add(ok);
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
        r.capacity = levels_.passing();
        r.lowest_failing = levels_.lowest_failing();
        r.converged = levels_.converged();
        r.budget_exhausted = levels_.budget_exhausted();
        r.cells = cells_;
        r.analysis = compute_capacity(uc_, r.cells, options_.analysis);
        return r;
    }

private:
    use_case uc_;
    search_options options_;
    level_search levels_;
    std::vector<cell_summary> cells_;
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
