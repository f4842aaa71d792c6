#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/interpolation.hpp>
#include <llmcap/analysis/metric.hpp>

#include <algorithm> // sort, lower_bound
#include <cmath>     // log
#include <cstddef>   // size_t
#include <cstdint>   // uint32_t
#include <map>       // map
#include <optional>  // optional
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <string>    // string, to_string
#include <utility>   // move
#include <vector>    // vector

namespace llmcap::analysis {

/**
 * One statistic of one metric over a sweep's grid of (context, concurrency) cells, readable at
 * any point inside the grid: "what is the mean TTFT at 48K context and 3 users?".
 *
 * The value is interpolated first along concurrency within each of the two measured context
 * lengths that bracket the query (piecewise linear, or monotone cubic on request), then linearly
 * in log(context) between them: bilinear in log(context) × concurrency on a full grid, and
 * well defined on a ragged one. Nothing is extrapolated: a point outside the measured contexts,
 * or outside the concurrency range measured at either bracketing context, gives no value.
 */
class grid_interpolation {
public:
    /// Builds the grid from `cells` (cells lacking the statistic are skipped). Throws
    /// std::invalid_argument when two cells share a (context, concurrency) or a context or
    /// concurrency is 0. O(cells · log cells).
    grid_interpolation(std::span<const cell_summary> cells, metric what,
                       statistic stat = statistic::mean,
                       interpolation_method method = interpolation_method::linear)
        : what_(what), stat_(stat) {
        std::map<std::uint32_t, std::map<std::uint32_t, double>> by_context;
        for (const cell_summary& c : cells) {
            if (c.context_tokens == 0 || c.concurrency == 0)
                throw std::invalid_argument(
                    "grid_interpolation: a cell has context or concurrency 0");
            const std::optional<double> v = c.value(what, stat);
            if (!v)
                continue;
            if (!by_context[c.context_tokens].emplace(c.concurrency, *v).second)
                throw std::invalid_argument("grid_interpolation: two cells at context " +
                                            std::to_string(c.context_tokens) + ", concurrency " +
                                            std::to_string(c.concurrency));
        }
        for (const auto& [context, row] : by_context) {
            std::vector<double> xs;
            std::vector<double> ys;
            for (const auto& [concurrency, value] : row) {
                xs.push_back(static_cast<double>(concurrency));
                ys.push_back(value);
            }
            contexts_.push_back(static_cast<double>(context));
            rows_.emplace_back(std::move(xs), std::move(ys), method);
        }
    }

    /// The metric read.
    [[nodiscard]] metric what() const noexcept {
        return what_;
    }
    /// The statistic read.
    [[nodiscard]] statistic stat() const noexcept {
        return stat_;
    }
    /// The measured context lengths, increasing, tokens.
    [[nodiscard]] const std::vector<double>& contexts() const noexcept {
        return contexts_;
    }

    /// The interpolated value at (context_tokens, concurrency); empty outside the measured
    /// grid. O(log cells).
    [[nodiscard]] std::optional<double> at(double context_tokens, double concurrency) const {
        if (contexts_.empty() || !(context_tokens >= contexts_.front()) ||
            !(context_tokens <= contexts_.back()))
            return std::nullopt;
        const auto it = std::lower_bound(contexts_.begin(), contexts_.end(), context_tokens);
        const std::size_t hi = static_cast<std::size_t>(it - contexts_.begin());
        if (contexts_[hi] == context_tokens)
            return rows_[hi](concurrency);
        const std::size_t lo = hi - 1;
        const std::optional<double> v_lo = rows_[lo](concurrency);
        const std::optional<double> v_hi = rows_[hi](concurrency);
        if (!v_lo || !v_hi)
            return std::nullopt;
        const double t = (std::log(context_tokens) - std::log(contexts_[lo])) /
                         (std::log(contexts_[hi]) - std::log(contexts_[lo]));
        return *v_lo + t * (*v_hi - *v_lo);
    }

private:
    metric what_;
    statistic stat_;
    std::vector<double> contexts_;
    std::vector<interpolant> rows_;
};

} // namespace llmcap::analysis
