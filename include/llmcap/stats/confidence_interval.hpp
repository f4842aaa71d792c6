#pragma once

#include <llmcap/stats/detail/quantile_ranks.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/stats/student_t.hpp>

#include <algorithm> // nth_element, min_element, sort
#include <cmath>     // sqrt, isnan
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <random>    // uniform_int_distribution, uniform_random_bit_generator
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <vector>    // vector

namespace llmcap::stats {

/// A two-sided confidence interval [lower, upper] at a confidence level, in the unit of the
/// statistic it brackets.
struct confidence_interval {
    double lower = std::numeric_limits<double>::quiet_NaN(); ///< lower bound
    double upper = std::numeric_limits<double>::quiet_NaN(); ///< upper bound
    double level = 0.95;                                     ///< confidence level in (0, 1)

    /// (upper - lower) / 2.
    [[nodiscard]] double half_width() const noexcept {
        return 0.5 * (upper - lower);
    }
};

namespace detail {
inline void check_level(double level) {
    if (!(level > 0.0 && level < 1.0)) {
        throw std::invalid_argument("confidence level must lie in (0, 1)");
    }
}
} // namespace detail

/**
 * Confidence interval for a mean from n samples with sample standard deviation s (Student t):
 *   mean ± t(1 - (1 - level) / 2, n - 1) · s / √n.
 * The t quantile comes from student_t_quantile (exact for every df, so small cells get the
 * wider interval they need and large ones converge to the normal 1.96 at 95%).
 * n == 0: both bounds NaN. n == 1: (-infinity, +infinity). Throws std::invalid_argument for a
 * level outside (0, 1).
 */
[[nodiscard]] inline confidence_interval
mean_confidence_interval(double mean, double stddev, std::uint64_t n, double level = 0.95) {
    detail::check_level(level);
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (n == 0) {
        return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN(),
                level};
    }
    if (n == 1) {
        return {-inf, inf, level};
    }
    const double t = student_t_quantile(1.0 - (1.0 - level) / 2.0, static_cast<double>(n - 1));
    const double half = t * stddev / std::sqrt(static_cast<double>(n));
    return {mean - half, mean + half, level};
}

/// mean_confidence_interval(m.mean(), m.stddev(), m.count(), level).
[[nodiscard]] inline confidence_interval mean_confidence_interval(const running_moments& m,
                                                                  double level = 0.95) {
    return mean_confidence_interval(m.mean(), m.stddev(), m.count(), level);
}

/**
 * Percentile-bootstrap confidence interval for the q-quantile (numpy `linear` definition) of
 * samples: `resamples` times, draw samples.size() values with replacement using rng, take the
 * resample's q-quantile; the interval is the (1 - level) / 2 and (1 + level) / 2 quantiles of
 * those estimates. Deterministic for a given rng state and standard library (the index
 * distribution is std::uniform_int_distribution). Cost O(resamples · n); allocates two
 * buffers. Empty samples give NaN bounds. Throws std::invalid_argument for q outside [0, 1],
 * resamples == 0 or a level outside (0, 1).
 */
template <std::uniform_random_bit_generator Rng>
[[nodiscard]] confidence_interval bootstrap_quantile_interval(std::span<const double> samples,
                                                              double q, std::size_t resamples,
                                                              Rng& rng, double level = 0.95) {
    detail::check_quantile_argument(q);
    detail::check_level(level);
    if (resamples == 0) {
        throw std::invalid_argument("bootstrap_quantile_interval: resamples must be > 0");
    }
    if (samples.empty()) {
        return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN(),
                level};
    }
    const std::size_t n = samples.size();
    const detail::rank_position pos = detail::position_of(q, n);
    const auto lower_rank = static_cast<std::ptrdiff_t>(pos.lower);
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    std::vector<double> resample(n);
    std::vector<double> estimates(resamples);
    for (double& estimate : estimates) {
        for (double& x : resample) {
            x = samples[pick(rng)];
        }
        std::nth_element(resample.begin(), resample.begin() + lower_rank, resample.end());
        const double lo = resample[static_cast<std::size_t>(lower_rank)];
        estimate = lo;
        if (pos.weight > 0.0) {
            const double next =
                *std::min_element(resample.begin() + lower_rank + 1, resample.end());
            estimate = detail::lerp(lo, next, pos.weight);
        }
    }
    std::sort(estimates.begin(), estimates.end());
    const auto at = [&](double p) {
        const detail::rank_position r = detail::position_of(p, estimates.size());
        const double lo = estimates[static_cast<std::size_t>(r.lower)];
        return r.weight > 0.0
                   ? detail::lerp(lo, estimates[static_cast<std::size_t>(r.lower + 1)], r.weight)
                   : lo;
    };
    return {at((1.0 - level) / 2.0), at((1.0 + level) / 2.0), level};
}

} // namespace llmcap::stats
