#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/fit.hpp>
#include <llmcap/analysis/interpolation.hpp>
#include <llmcap/analysis/isotonic.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/use_case.hpp>

#include <algorithm>   // sort
#include <cmath>       // floor, abs
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint32_t
#include <optional>    // optional
#include <span>        // span
#include <stdexcept>   // invalid_argument
#include <string>      // string, to_string
#include <string_view> // string_view
#include <tuple>       // tie
#include <vector>      // vector

namespace llmcap::analysis {

/// What kind of answer a capacity is (DESIGN.md §5).
enum class capacity_kind : std::uint8_t {
    /// The binding threshold is crossed between a passing and a failing measured level; the
    /// capacity is the largest integer at or below the interpolated crossing.
    interpolated,
    /// A measured level sits exactly on the binding threshold's bound; it is the capacity.
    exact,
    /// No threshold is crossed up to the highest level measured: capacity is at least that.
    at_least,
    /// A threshold already fails at the lowest level measured: capacity is below it.
    below_minimum,
};

/// The stable name of a capacity kind.
[[nodiscard]] constexpr std::string_view capacity_kind_name(capacity_kind k) noexcept {
    switch (k) {
    case capacity_kind::interpolated:
        return "interpolated";
    case capacity_kind::exact:
        return "exact";
    case capacity_kind::at_least:
        return "at_least";
    case capacity_kind::below_minimum:
        return "below_minimum";
    }
    return "unknown";
}

/// How one threshold fares across the measured levels.
enum class threshold_outcome : std::uint8_t {
    /// Holds at every measured level.
    holds_throughout,
    /// Holds at the lowest levels and stops holding between two measured levels (or on one).
    crossed,
    /// Fails already at the lowest measured level.
    fails_at_minimum,
};

/// Options of compute_capacity.
struct capacity_options {
    /// Interpolation between measured levels (monotone cubic on request).
    interpolation_method method = interpolation_method::linear;
    /// With an `at_least` answer, fit a model per threshold and extrapolate an estimate.
    bool extrapolate = false;
    /// The model fitted to thresholds on metrics where lower is better.
    fit_model latency_model = fit_model::affine;
    /// The model fitted to thresholds on metrics where higher is better.
    fit_model speed_model = fit_model::saturating;
};

/// A least-squares extrapolation of where a threshold would be crossed beyond the measured
/// levels. An estimate, never a measurement.
struct threshold_extrapolation {
    /// The fitted model and its quality.
    fit_result fit;
    /// The concurrency where the fitted model meets the bound; empty when it never does.
    std::optional<double> crossing;
};

/// The analysis of one threshold.
struct threshold_analysis {
    /// The threshold.
    threshold limit;
    /// The measured concurrency levels that carry this threshold's statistic, increasing.
    std::vector<double> concurrency;
    /// The statistic at those levels, as measured.
    std::vector<double> measured;
    /// The values used: `measured` made monotone (worse with load) by isotonic regression.
    std::vector<double> fitted;
    /// True when isotonic regression changed any value (the measurements were not monotone).
    bool isotonic_adjusted = false;
    /// How the threshold fares.
    threshold_outcome outcome = threshold_outcome::holds_throughout;
    /// Where the interpolated metric meets the bound (outcome `crossed` only).
    std::optional<double> crossing;
    /// The extrapolation, when asked for and the outcome is `holds_throughout`.
    std::optional<threshold_extrapolation> extrapolation;
};

/// An extrapolated capacity: labelled an estimate, with the fit it rests on.
struct capacity_estimate {
    /// The estimated fractional crossing concurrency.
    double crossing = 0.0;
    /// The largest integer concurrency at or below `crossing`.
    std::uint32_t capacity = 0;
    /// Index of the threshold whose extrapolated crossing comes first.
    std::size_t binding = 0;
    /// That threshold's fit (model, parameters, R², RMSE).
    fit_result fit;
};

/// The capacity of a use case on a set of measured cells.
struct capacity_result {
    /// What kind of answer `capacity` is.
    capacity_kind kind = capacity_kind::at_least;
    /**
     * Concurrent requests served within every threshold: interpolated → ⌊crossing⌋; exact → the
     * level on the bound; at_least → the highest level measured; below_minimum → 0 (fewer than
     * `lowest_concurrency`).
     */
    std::uint32_t capacity = 0;
    /// The binding threshold's fractional crossing (interpolated and exact only).
    std::optional<double> crossing;
    /// Index into `thresholds` of the binding constraint (all kinds but at_least).
    std::optional<std::size_t> binding;
    /// Lowest concurrency measured.
    std::uint32_t lowest_concurrency = 0;
    /// Highest concurrency measured.
    std::uint32_t highest_concurrency = 0;
    /// The interpolation used.
    interpolation_method method = interpolation_method::linear;
    /// True when isotonic regression changed any threshold's values.
    bool isotonic_adjusted = false;
    /// Per-threshold analysis, in the use case's order.
    std::vector<threshold_analysis> thresholds;
    /// With `at_least` and capacity_options::extrapolate: the extrapolated estimate, if any
    /// threshold's model crosses its bound.
    std::optional<capacity_estimate> estimate;

    /// The binding threshold, or nullptr when none binds (at_least).
    [[nodiscard]] const threshold* binding_threshold() const noexcept {
        return binding ? &thresholds[*binding].limit : nullptr;
    }
};

/**
 * Computes the capacity of `uc` from `cells`, the measured cells of that use case (one per
 * concurrency level; cells of other contexts must be filtered out first, see cells_for).
 *
 * For each threshold: the statistic is collected per level, made monotone by isotonic regression
 * (non-decreasing for `less`, non-increasing for `greater`: limits are assumed to degrade with
 * load), interpolated, and its crossing of the bound solved. The smallest crossing binds.
 * Throws std::invalid_argument when there is no cell, a concurrency is 0 or repeated, or no
 * cell carries a threshold's statistic. O(cells × thresholds × log cells).
 */
[[nodiscard]] inline capacity_result compute_capacity(const use_case& uc,
                                                      std::span<const cell_summary> cells,
                                                      const capacity_options& options = {}) {
    if (cells.empty())
        throw std::invalid_argument("capacity: no measured cells for use case '" + uc.name + "'");
    if (uc.thresholds.empty())
        throw std::invalid_argument("capacity: use case '" + uc.name + "' has no threshold");
    std::vector<const cell_summary*> sorted;
    for (const cell_summary& c : cells) {
        if (c.concurrency == 0)
            throw std::invalid_argument("capacity: a cell has concurrency 0");
        sorted.push_back(&c);
    }
    std::sort(sorted.begin(), sorted.end(), [](const cell_summary* a, const cell_summary* b) {
        return a->concurrency < b->concurrency;
    });
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i]->concurrency == sorted[i - 1]->concurrency)
            throw std::invalid_argument("capacity: two cells at concurrency " +
                                        std::to_string(sorted[i]->concurrency));

    capacity_result result;
    result.method = options.method;
    result.lowest_concurrency = sorted.front()->concurrency;
    result.highest_concurrency = sorted.back()->concurrency;

    for (const threshold& limit : uc.thresholds) {
        threshold_analysis a;
        a.limit = limit;
        for (const cell_summary* c : sorted) {
            if (const std::optional<double> v = c->value(limit.what, limit.stat)) {
                a.concurrency.push_back(static_cast<double>(c->concurrency));
                a.measured.push_back(*v);
            }
        }
        if (a.measured.empty())
            throw std::invalid_argument("capacity: no cell has " +
                                        std::string(metric_name(limit.what)) + " " +
                                        std::string(statistic_name(limit.stat)));
        a.fitted = isotonic_regression(a.measured, limit.cmp == comparison::less
                                                       ? monotonicity::non_decreasing
                                                       : monotonicity::non_increasing);
        for (std::size_t i = 0; i < a.measured.size(); ++i)
            if (std::abs(a.fitted[i] - a.measured[i]) >
                1e-12 * std::max(1.0, std::abs(a.measured[i])))
                a.isotonic_adjusted = true;
        // The fitted values are monotone and worsen with load: the passing levels form a prefix.
        std::size_t passing = 0;
        while (passing < a.fitted.size() && limit.holds(a.fitted[passing]))
            ++passing;
        if (passing == 0) {
            a.outcome = threshold_outcome::fails_at_minimum;
        } else if (passing == a.fitted.size()) {
            a.outcome = threshold_outcome::holds_throughout;
            if (options.extrapolate) {
                const fit_model model =
                    limit.cmp == comparison::less ? options.latency_model : options.speed_model;
                if (const std::optional<fit_result> f = fit(model, a.concurrency, a.measured)) {
                    threshold_extrapolation e{*f, f->solve(limit.bound)};
                    // Only a crossing beyond the measured range is an extrapolation.
                    if (e.crossing && *e.crossing <= a.concurrency.back())
                        e.crossing.reset();
                    a.extrapolation = e;
                }
            }
        } else {
            a.outcome = threshold_outcome::crossed;
            const interpolant curve(a.concurrency, a.fitted, options.method);
            a.crossing = curve.solve_on_interval(passing - 1, limit.bound);
        }
        result.isotonic_adjusted = result.isotonic_adjusted || a.isotonic_adjusted;
        result.thresholds.push_back(std::move(a));
    }

    for (std::size_t i = 0; i < result.thresholds.size(); ++i) {
        if (result.thresholds[i].outcome == threshold_outcome::fails_at_minimum) {
            result.kind = capacity_kind::below_minimum;
            result.capacity = 0;
            result.binding = i;
            return result;
        }
    }
    for (std::size_t i = 0; i < result.thresholds.size(); ++i) {
        const threshold_analysis& a = result.thresholds[i];
        if (a.outcome == threshold_outcome::crossed && a.crossing &&
            (!result.crossing || *a.crossing < *result.crossing)) {
            result.crossing = a.crossing;
            result.binding = i;
        }
    }
    if (result.crossing) {
        const double x = *result.crossing;
        const double nearest = std::floor(x + 0.5);
        bool on_level = false;
        for (const cell_summary* c : sorted)
            if (std::abs(x - static_cast<double>(c->concurrency)) <= 1e-9 * std::max(1.0, x))
                on_level = true;
        result.kind = on_level ? capacity_kind::exact : capacity_kind::interpolated;
        // A crossing a rounding error below an integer still reaches that integer.
        result.capacity = static_cast<std::uint32_t>(
            on_level ? nearest : std::floor(x + 1e-9 * std::max(1.0, x)));
        return result;
    }
    result.kind = capacity_kind::at_least;
    // The highest level at which every threshold was judged.
    double highest = static_cast<double>(result.highest_concurrency);
    for (const threshold_analysis& a : result.thresholds)
        highest = std::min(highest, a.concurrency.back());
    result.capacity = static_cast<std::uint32_t>(highest);
    for (std::size_t i = 0; i < result.thresholds.size(); ++i) {
        const threshold_analysis& a = result.thresholds[i];
        if (!a.extrapolation || !a.extrapolation->crossing)
            continue;
        const double x = *a.extrapolation->crossing;
        if (!result.estimate || x < result.estimate->crossing)
            result.estimate = capacity_estimate{x, static_cast<std::uint32_t>(std::floor(x)), i,
                                                a.extrapolation->fit};
    }
    return result;
}

/**
 * The cells of `all` that belong to `uc`, one per concurrency level, by increasing concurrency:
 * ready for compute_capacity. A cell belongs when its context length is the use case's and its
 * output length is too, or either says none (0).
 *
 * `measured_for` is empty or names, per cell of `all`, the use case whose capacity search
 * measured it (empty for a grid cell), like sweep::cell_key::use_case. Where several cells
 * belong at one level, the first in this order wins: labelled `uc.name`, then unlabelled, then
 * labelled with another use case; then an exact output length before an unspecified one; then
 * the earlier in `all`. O(n log n) for n cells; copies only the cells chosen. Throws
 * std::invalid_argument when `measured_for` is neither empty nor as long as `all`.
 */
[[nodiscard]] inline std::vector<cell_summary>
cells_for(const use_case& uc, std::span<const cell_summary> all,
          std::span<const std::string> measured_for = {}) {
    if (!measured_for.empty() && measured_for.size() != all.size())
        throw std::invalid_argument("cells_for: " + std::to_string(measured_for.size()) +
                                    " use case labels for " + std::to_string(all.size()) +
                                    " cells");
    struct candidate {
        std::uint32_t concurrency;
        std::uint8_t label_rank;  // 0: this use case's, 1: a grid cell, 2: another use case's
        std::uint8_t output_rank; // 0: same output length, 1: unspecified on either side
        std::size_t index;
    };
    std::vector<candidate> found;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const cell_summary& c = all[i];
        if (c.context_tokens != uc.context_tokens ||
            (c.output_tokens != 0 && uc.output_tokens != 0 && c.output_tokens != uc.output_tokens))
            continue;
        const std::string_view label =
            measured_for.empty() ? std::string_view() : std::string_view(measured_for[i]);
        const std::uint8_t label_rank = label == uc.name ? 0 : label.empty() ? 1 : 2;
        const std::uint8_t output_rank =
            c.output_tokens != 0 && c.output_tokens == uc.output_tokens ? 0 : 1;
        found.push_back({c.concurrency, label_rank, output_rank, i});
    }
    std::sort(found.begin(), found.end(), [](const candidate& a, const candidate& b) {
        return std::tie(a.concurrency, a.label_rank, a.output_rank, a.index) <
               std::tie(b.concurrency, b.label_rank, b.output_rank, b.index);
    });
    std::vector<cell_summary> out;
    for (std::size_t k = 0; k < found.size(); ++k)
        if (k == 0 || found[k].concurrency != found[k - 1].concurrency)
            out.push_back(all[found[k].index]);
    return out;
}

} // namespace llmcap::analysis
