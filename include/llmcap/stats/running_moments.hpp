#pragma once

#include <bit> // bit_cast

#include <cmath>   // sqrt, isfinite
#include <cstdint> // uint64_t
#include <limits>  // numeric_limits

namespace llmcap::stats {

namespace detail {
struct json_access;
} // namespace detail

/**
 * Count, mean, variance, min and max of a stream of samples in one pass (Welford's update),
 * mergeable with Chan, Golub and LeVeque's pairwise formula:
 *   n = na + nb, δ = mean_b - mean_a, mean = mean_a + δ nb / n, M2 = M2a + M2b + δ² na nb / n.
 * Any finite value is accepted (negative values too, unlike the quantile sketches); NaN and
 * infinities only increment invalid_count(). Merging is exact in count, min and max; mean and
 * variance are floating-point and agree across merge orders to rounding (~1e-15 relative),
 * not bit for bit. 48 bytes; add() is O(1) and never allocates.
 */
class running_moments {
public:
    /// Records one sample.
    void add(double x) noexcept {
        if (!std::isfinite(x)) {
            ++invalid_;
            return;
        }
        ++count_;
        const double delta = x - mean_;
        mean_ += delta / static_cast<double>(count_);
        m2_ += delta * (x - mean_);
        min_ = x < min_ ? x : min_;
        max_ = x > max_ ? x : max_;
    }

    /// Adds another accumulator's samples (Chan et al.).
    void merge(const running_moments& other) noexcept {
        invalid_ += other.invalid_;
        if (other.count_ == 0) {
            return;
        }
        if (count_ == 0) {
            const std::uint64_t invalid = invalid_;
            *this = other;
            invalid_ = invalid;
            return;
        }
        const double na = static_cast<double>(count_);
        const double nb = static_cast<double>(other.count_);
        const double n = na + nb;
        const double delta = other.mean_ - mean_;
        mean_ += delta * (nb / n);
        m2_ += other.m2_ + delta * delta * (na * nb / n);
        count_ += other.count_;
        min_ = other.min_ < min_ ? other.min_ : min_;
        max_ = other.max_ > max_ ? other.max_ : max_;
    }

    /// Finite samples recorded.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return count_;
    }

    /// NaN and infinite samples seen (not part of count()).
    [[nodiscard]] std::uint64_t invalid_count() const noexcept {
        return invalid_;
    }

    /// Arithmetic mean; NaN when empty.
    [[nodiscard]] double mean() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : mean_;
    }

    /// Sample variance Σ(x - mean)² / (n - 1); NaN when n < 2.
    [[nodiscard]] double variance() const noexcept {
        return count_ < 2 ? std::numeric_limits<double>::quiet_NaN()
                          : m2_ / static_cast<double>(count_ - 1);
    }

    /// Population variance Σ(x - mean)² / n; NaN when empty.
    [[nodiscard]] double population_variance() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                           : m2_ / static_cast<double>(count_);
    }

    /// Sample standard deviation sqrt(variance()); NaN when n < 2.
    [[nodiscard]] double stddev() const noexcept {
        return std::sqrt(variance());
    }

    /// Standard error of the mean, stddev() / sqrt(n); NaN when n < 2.
    [[nodiscard]] double standard_error() const noexcept {
        return stddev() / std::sqrt(static_cast<double>(count_));
    }

    /// Σ(x - mean)², the second central moment times n.
    [[nodiscard]] double m2() const noexcept {
        return m2_;
    }

    /// Smallest sample; NaN when empty.
    [[nodiscard]] double min() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : min_;
    }

    /// Largest sample; NaN when empty.
    [[nodiscard]] double max() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : max_;
    }

    /// Bitwise-equal state.
    [[nodiscard]] friend bool operator==(const running_moments& a,
                                         const running_moments& b) noexcept {
        return a.count_ == b.count_ && a.invalid_ == b.invalid_ &&
               std::bit_cast<std::uint64_t>(a.mean_) == std::bit_cast<std::uint64_t>(b.mean_) &&
               std::bit_cast<std::uint64_t>(a.m2_) == std::bit_cast<std::uint64_t>(b.m2_) &&
               std::bit_cast<std::uint64_t>(a.min_) == std::bit_cast<std::uint64_t>(b.min_) &&
               std::bit_cast<std::uint64_t>(a.max_) == std::bit_cast<std::uint64_t>(b.max_);
    }

private:
    friend struct detail::json_access;

    std::uint64_t count_ = 0;
    std::uint64_t invalid_ = 0;
    double mean_ = 0.0;
    double m2_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

} // namespace llmcap::stats
