#pragma once

#include <cstddef>   // size_t
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <vector>    // vector

namespace llmcap::analysis {

/// The order an isotonic fit imposes on its values.
enum class monotonicity {
    /// Each value ≥ the one before (latencies as load grows).
    non_decreasing,
    /// Each value ≤ the one before (speeds as load grows).
    non_increasing,
};

/**
 * Weighted isotonic regression by pool-adjacent-violators: the monotone sequence closest to `y`
 * in weighted least squares. Adjacent values that violate the order are pooled into their
 * weighted mean until none does. `weights` is empty (all 1) or as long as `y`, each > 0.
 * O(n) amortised; throws std::invalid_argument on a weight count mismatch or a weight ≤ 0.
 */
[[nodiscard]] inline std::vector<double> isotonic_regression(std::span<const double> y,
                                                             monotonicity order,
                                                             std::span<const double> weights = {}) {
    if (!weights.empty() && weights.size() != y.size())
        throw std::invalid_argument("isotonic_regression: weights and values differ in length");
    const double sign = order == monotonicity::non_decreasing ? 1.0 : -1.0;
    struct block {
        double sum_wy; // Σ w·(sign·y)
        double sum_w;
        std::size_t length;
        [[nodiscard]] double mean() const noexcept {
            return sum_wy / sum_w;
        }
    };
    std::vector<block> blocks;
    blocks.reserve(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double w = weights.empty() ? 1.0 : weights[i];
        if (!(w > 0.0))
            throw std::invalid_argument("isotonic_regression: weights must be > 0");
        blocks.push_back({w * sign * y[i], w, 1});
        while (blocks.size() > 1 && blocks[blocks.size() - 2].mean() > blocks.back().mean()) {
            const block last = blocks.back();
            blocks.pop_back();
            blocks.back().sum_wy += last.sum_wy;
            blocks.back().sum_w += last.sum_w;
            blocks.back().length += last.length;
        }
    }
    std::vector<double> fitted;
    fitted.reserve(y.size());
    for (const block& b : blocks)
        fitted.insert(fitted.end(), b.length, sign * b.mean());
    return fitted;
}

} // namespace llmcap::analysis
