#pragma once

#include <algorithm> // sort, unique, lower_bound, clamp
#include <cmath>     // floor, isnan
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <vector>    // vector

namespace llmcap::stats::detail {

/// Throws std::invalid_argument unless 0 <= q <= 1.
inline void check_quantile_argument(double q) {
    if (!(q >= 0.0 && q <= 1.0)) {
        throw std::invalid_argument("llmcap::stats: quantile argument must lie in [0, 1]");
    }
}

/// numpy's `_lerp`: a + (b - a) t, computed from the nearer end so that t = 1 gives b exactly.
[[nodiscard]] constexpr double lerp(double a, double b, double t) noexcept {
    const double diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

/// The two closest ranks of quantile q among n samples (numpy `linear`: virtual index
/// h = (n - 1) q): lower rank floor(h) and the weight of the next rank.
struct rank_position {
    std::uint64_t lower = 0; ///< floor(h), 0-based
    double weight = 0.0;     ///< h - floor(h), in [0, 1)
};

/// Rank position of q in [0, 1] among n > 0 samples.
[[nodiscard]] inline rank_position position_of(double q, std::uint64_t n) noexcept {
    const double h = static_cast<double>(n - 1) * q;
    const double lower = std::floor(h);
    rank_position p{static_cast<std::uint64_t>(lower), h - lower};
    if (p.lower >= n - 1) { // h rounds up to the last rank
        p.lower = n - 1;
        p.weight = 0.0;
    }
    return p;
}

/**
 * Answers quantiles qs into out for a sketch of n samples whose value at a rank is found by
 * `resolve(ranks, values)`: ranks is sorted ascending and unique, values receives one estimate
 * per rank. Rank 0 is min and rank n - 1 is max exactly; results are clamped to [min, max].
 * Throws std::invalid_argument for a q outside [0, 1]; out[i] is NaN when n == 0.
 */
template <class Resolve>
void quantiles_by_rank(std::span<const double> qs, std::span<double> out, std::uint64_t n,
                       double min, double max, Resolve&& resolve) {
    if (out.size() < qs.size()) {
        throw std::invalid_argument("llmcap::stats: quantiles output span is too short");
    }
    for (double q : qs) {
        check_quantile_argument(q);
    }
    if (n == 0) {
        std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(qs.size()),
                  std::numeric_limits<double>::quiet_NaN());
        return;
    }
    std::vector<std::uint64_t> ranks;
    ranks.reserve(2 * qs.size());
    for (double q : qs) {
        const rank_position p = position_of(q, n);
        ranks.push_back(p.lower);
        if (p.weight > 0.0) {
            ranks.push_back(p.lower + 1);
        }
    }
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    std::vector<double> values(ranks.size());
    resolve(std::span<const std::uint64_t>(ranks), std::span<double>(values));
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        if (ranks[i] == 0) {
            values[i] = min;
        } else if (ranks[i] == n - 1) {
            values[i] = max;
        } else {
            values[i] = std::clamp(values[i], min, max);
        }
    }
    const auto value_at = [&](std::uint64_t r) {
        const auto it = std::lower_bound(ranks.begin(), ranks.end(), r);
        return values[static_cast<std::size_t>(it - ranks.begin())];
    };
    for (std::size_t i = 0; i < qs.size(); ++i) {
        if (qs[i] == 0.0) {
            out[i] = min;
        } else if (qs[i] == 1.0) {
            out[i] = max;
        } else {
            const rank_position p = position_of(qs[i], n);
            const double lo = value_at(p.lower);
            out[i] = p.weight > 0.0
                         ? std::clamp(lerp(lo, value_at(p.lower + 1), p.weight), min, max)
                         : lo;
        }
    }
}

/// True when every rank quantile q needs lies in [first, last] (0-based, inclusive) or is the
/// exact rank 0 / n - 1.
[[nodiscard]] inline bool ranks_within(double q, std::uint64_t n, std::uint64_t first,
                                       std::uint64_t last) noexcept {
    if (n == 0 || !(q >= 0.0 && q <= 1.0)) {
        return false;
    }
    const auto ok = [&](std::uint64_t r) {
        return r == 0 || r == n - 1 || (r >= first && r <= last);
    };
    if (q == 0.0 || q == 1.0) {
        return true;
    }
    const rank_position p = position_of(q, n);
    return ok(p.lower) && (p.weight == 0.0 || ok(p.lower + 1));
}

/// Sample classification shared by every model: finite and >= 0 is valid (-0.0 counts as 0).
[[nodiscard]] inline bool is_valid_sample(double x) noexcept {
    return x >= 0.0 && x <= std::numeric_limits<double>::max();
}

} // namespace llmcap::stats::detail
