#pragma once

#include <llmcap/stats/detail/quantile_ranks.hpp>
#include <llmcap/stats/quantile_sketch.hpp>

#include <algorithm> // fill, equal
#include <bit>       // bit_cast
#include <cmath>     // ldexp, ilogb
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t, int64_t
#include <limits>    // numeric_limits
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <vector>    // vector

namespace llmcap::stats {

namespace detail {
struct json_access;
__extension__ typedef unsigned __int128 uint128;
} // namespace detail

/// What a log_linear_histogram must cover and how precisely. The defaults suit durations in
/// seconds (1 µs … 1 h); for a speed in tokens/s use e.g. {0.001, 1e6, 0.005}.
struct log_linear_histogram_config {
    /// Smallest value that must be tracked with the error guarantee (> 0, a normal double).
    double lowest = 1e-6;
    /// Largest value that must be tracked with the error guarantee (finite, > lowest).
    double highest = 3600.0;
    /// Requested bound on the relative error of every quantile, in (0, 0.5].
    double relative_error = 0.005;
};

/**
 * The default quantile sketch: HdrHistogram's layout (power-of-two ranges, each split into
 * 2^p linear sub-buckets) with a guaranteed relative error, in a fixed bucket array.
 *
 * Layout. A positive double's bit pattern, shifted right by 52 - p bits, is its binary exponent
 * followed by the top p mantissa bits: an index that grows with the value, where each power of
 * two [2^e, 2^(e+1)) holds 2^p buckets of equal width 2^(e-p). p is the smallest value whose
 * worst bucket [a, a (1 + 2^-p)) keeps the error within the requested bound (below).
 * insert = one shift, one subtract, one compare, one increment; no allocation, lock or atomic.
 *
 * Guarantee. A quantile reports, for each of the two ranks it interpolates between, the point
 * of that rank's bucket [a, b) that minimises the worst relative error, 2ab / (a + b) (clamped
 * to [min, max]), which is within (b - a) / (a + b) <= 1 / (2^(p+1) + 1) = relative_error() of
 * every value in the bucket. Interpolating two estimates that are each within ε of their
 * samples with the same weights as the exact definition gives a result within ε of the exact
 * interpolated quantile. With the default request (0.5%), p = 7 and relative_error() =
 * 1/257 ≈ 0.389%, over 4,060 buckets (31.7 KiB) covering [9.98e-7 s, 3616 s).
 *
 * Samples outside the buckets (all counted by count(), min(), max(), sum()):
 * - 0 <= x < lowest bucket edge (zero included): underflow_count(). A quantile whose rank falls
 *   among them returns min() (a lower bound; exact when they are all equal, e.g. zeros).
 * - x >= upper edge of the highest bucket: overflow_count(). A quantile whose rank falls among
 *   them returns max() (an upper bound).
 * within_guarantee(q) is false for such quantiles. NaN, ±infinity and negative values only
 * increment invalid_count(). quantile(0) == min() and quantile(1) == max() exactly.
 *
 * Sum. sum() is kept in 128-bit fixed point with resolution sum_resolution() (2^-50 s ≈
 * 8.9e-16 s by default; each sample is truncated to it), so merges are exact and the sum is
 * bit-identical in any merge order. A sample so large that its fixed-point value reaches 2^100
 * saturates the sum: sum() and mean() then return +infinity.
 *
 * Merge. Histograms merge when their layouts agree (same p and bucket range; the requested
 * values may differ as long as they produce the same layout); otherwise merge() throws
 * std::invalid_argument. All state is integer or min/max, so merging is exact, associative and
 * commutative.
 *
 * Cost: add() O(1); quantile() O(buckets between min and max); merge() O(buckets). Memory:
 * 8 bytes per bucket (allocated once by the constructor) + sizeof(log_linear_histogram).
 * Not thread-safe: use one histogram per thread and merge.
 */
class log_linear_histogram {
public:
    /// Covers config.lowest … config.highest within config.relative_error. Throws
    /// std::invalid_argument for a bound that is not a normal positive double, highest <=
    /// lowest, a relative error outside [2^-20, 0.5], or a range wider than 2^48.
    explicit log_linear_histogram(const log_linear_histogram_config& config = {})
        : config_(config) {
        const double lo = config.lowest;
        const double hi = config.highest;
        const double alpha = config.relative_error;
        if (!(lo >= std::numeric_limits<double>::min() &&
              lo <= std::numeric_limits<double>::max())) {
            throw std::invalid_argument(
                "log_linear_histogram: lowest must be a positive normal double");
        }
        if (!(hi > lo && hi <= max_highest)) {
            throw std::invalid_argument(
                "log_linear_histogram: highest must be finite, <= 1e300 and > lowest");
        }
        if (!(alpha >= 0x1p-20 && alpha <= 0.5)) {
            throw std::invalid_argument(
                "log_linear_histogram: relative_error must lie in [2^-20, 0.5]");
        }
        unsigned p = 0;
        while (1.0 / (std::ldexp(1.0, static_cast<int>(p) + 1) + 1.0) > alpha) {
            ++p;
        }
        if (std::ilogb(hi) - std::ilogb(lo) + 1 > max_octaves) {
            throw std::invalid_argument(
                "log_linear_histogram: highest / lowest must not exceed 2^48");
        }
        sub_bucket_bits_ = p;
        shift_ = 52 - p;
        first_key_ = std::bit_cast<std::uint64_t>(lo) >> shift_;
        bucket_count_ = (std::bit_cast<std::uint64_t>(hi) >> shift_) - first_key_ + 1;
        // Every bucketed x is below the top edge, so x * sum_scale_ < 2^62 fits an int64.
        sum_scale_ = std::ldexp(1.0, 62 - (std::ilogb(key_value(first_key_ + bucket_count_)) + 1));
        counts_.assign(static_cast<std::size_t>(bucket_count_), 0);
    }

    /// Records one sample; never allocates, locks or throws.
    void add(double x) noexcept {
        const std::uint64_t index = (std::bit_cast<std::uint64_t>(x) >> shift_) - first_key_;
        if (index < bucket_count_) [[likely]] {
            ++counts_[static_cast<std::size_t>(index)];
            // Each update below is a read-modify-write of a member that the next add() reads
            // again; predicted branches keep min, max and the carry off that dependency chain.
            const auto scaled =
                static_cast<std::uint64_t>(static_cast<std::int64_t>(x * sum_scale_));
            sum_low_ += scaled;
            if (sum_low_ < scaled) [[unlikely]] {
                ++sum_high_;
            }
            if (x < min_) [[unlikely]] {
                min_ = x;
            }
            if (x > max_) [[unlikely]] {
                max_ = x;
            }
        } else {
            add_outside(x);
        }
    }

    /// Adds another histogram's samples; throws std::invalid_argument when the layouts differ.
    void merge(const log_linear_histogram& other) {
        if (!same_layout(other)) {
            throw std::invalid_argument(
                "log_linear_histogram: cannot merge histograms with different layouts");
        }
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            counts_[i] += other.counts_[i];
        }
        underflow_ += other.underflow_;
        overflow_ += other.overflow_;
        invalid_ += other.invalid_;
        set_fixed_sum(fixed_sum() + other.fixed_sum());
        sum_saturated_ = sum_saturated_ || other.sum_saturated_;
        min_ = other.min_ < min_ ? other.min_ : min_;
        max_ = other.max_ > max_ ? other.max_ : max_;
    }

    /// Estimated numpy `linear` quantile (see the class comment); NaN when empty; q outside
    /// [0, 1] throws std::invalid_argument.
    [[nodiscard]] double quantile(double q) const {
        double out = 0.0;
        quantiles(std::span<const double>(&q, 1), std::span<double>(&out, 1));
        return out;
    }

    /// quantile() of every q in qs into out (out.size() >= qs.size()) in one pass over the
    /// buckets: the way to get P50, P90, P95, P99 and P99.9 together.
    void quantiles(std::span<const double> qs, std::span<double> out) const {
        const std::uint64_t bucketed = bucketed_count();
        detail::quantiles_by_rank(
            qs, out, underflow_ + bucketed + overflow_, min(), max(),
            [&](std::span<const std::uint64_t> ranks, std::span<double> values) {
                resolve_ranks(ranks, values, bucketed);
            });
    }

    /// True when quantile(q) is within relative_error() of the exact quantile: every rank it
    /// uses is bucketed, or is the exact min or max.
    [[nodiscard]] bool within_guarantee(double q) const noexcept {
        const std::uint64_t bucketed = bucketed_count();
        const std::uint64_t n = underflow_ + bucketed + overflow_;
        return bucketed == 0 ? detail::ranks_within(q, n, 1, 0)
                             : detail::ranks_within(q, n, underflow_, underflow_ + bucketed - 1);
    }

    /// The guaranteed relative error, 1 / (2^(p+1) + 1) (<= the requested one).
    [[nodiscard]] double relative_error() const noexcept {
        return 1.0 / (std::ldexp(1.0, static_cast<int>(sub_bucket_bits_) + 1) + 1.0);
    }

    /// Valid samples recorded (bucketed + underflow + overflow). O(buckets): add() keeps no
    /// running total, so that it updates one counter less.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return underflow_ + bucketed_count() + overflow_;
    }

    /// Samples in the buckets (count() minus underflow and overflow). O(buckets).
    [[nodiscard]] std::uint64_t bucketed_count() const noexcept {
        std::uint64_t total = 0;
        for (std::uint64_t c : counts_) {
            total += c;
        }
        return total;
    }

    /// Valid samples below the lowest bucket edge (zero included).
    [[nodiscard]] std::uint64_t underflow_count() const noexcept {
        return underflow_;
    }

    /// Valid samples at or above the highest bucket edge.
    [[nodiscard]] std::uint64_t overflow_count() const noexcept {
        return overflow_;
    }

    /// NaN, infinite and negative samples (not part of count()).
    [[nodiscard]] std::uint64_t invalid_count() const noexcept {
        return invalid_;
    }

    /// Smallest valid sample, exact; NaN when empty.
    [[nodiscard]] double min() const noexcept {
        return min_ > max_ ? std::numeric_limits<double>::quiet_NaN() : min_;
    }

    /// Largest valid sample, exact; NaN when empty.
    [[nodiscard]] double max() const noexcept {
        return min_ > max_ ? std::numeric_limits<double>::quiet_NaN() : max_;
    }

    /// Sum of the valid samples to sum_resolution(); NaN when empty, +inf when saturated.
    [[nodiscard]] double sum() const noexcept {
        if (min_ > max_) { // empty
            return std::numeric_limits<double>::quiet_NaN();
        }
        if (sum_saturated_) {
            return std::numeric_limits<double>::infinity();
        }
        return static_cast<double>(fixed_sum()) / sum_scale_;
    }

    /// sum() / count(); NaN when empty. O(buckets).
    [[nodiscard]] double mean() const noexcept {
        return sum() / static_cast<double>(count());
    }

    /// The fixed-point step of sum(), in the samples' unit.
    [[nodiscard]] double sum_resolution() const noexcept {
        return 1.0 / sum_scale_;
    }

    /// The configuration this histogram was built from.
    [[nodiscard]] const log_linear_histogram_config& config() const noexcept {
        return config_;
    }

    /// p: each power of two is split into 2^p buckets.
    [[nodiscard]] unsigned sub_bucket_bits() const noexcept {
        return sub_bucket_bits_;
    }

    /// Number of buckets.
    [[nodiscard]] std::size_t bucket_count() const noexcept {
        return counts_.size();
    }

    /// Samples in bucket i (i < bucket_count()).
    [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept {
        return counts_[i];
    }

    /// Lower edge (inclusive) of bucket i; bucket_lower(bucket_count()) is the top edge.
    [[nodiscard]] double bucket_lower(std::size_t i) const noexcept {
        return key_value(first_key_ + i);
    }

    /// The value reported for a rank in bucket i: 2ab / (a + b) for the bucket [a, b).
    [[nodiscard]] double bucket_representative(std::size_t i) const noexcept {
        const double a = bucket_lower(i);
        const double b = bucket_lower(i + 1);
        return a * (2.0 * b / (a + b));
    }

    /// Memory used by this histogram in bytes (object plus bucket array).
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return sizeof(*this) + counts_.size() * sizeof(std::uint64_t);
    }

    /// Forgets every sample; keeps the layout and the bucket array.
    void clear() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        underflow_ = overflow_ = invalid_ = 0;
        sum_low_ = sum_high_ = 0;
        sum_saturated_ = false;
        min_ = std::numeric_limits<double>::infinity();
        max_ = -std::numeric_limits<double>::infinity();
    }

    /// True when other can be merged into this one.
    [[nodiscard]] bool same_layout(const log_linear_histogram& other) const noexcept {
        return sub_bucket_bits_ == other.sub_bucket_bits_ && first_key_ == other.first_key_ &&
               bucket_count_ == other.bucket_count_;
    }

    /// Same layout and the same recorded state (bucket counts, tallies, min, max, sum).
    [[nodiscard]] friend bool operator==(const log_linear_histogram& a,
                                         const log_linear_histogram& b) noexcept {
        return a.same_layout(b) && a.underflow_ == b.underflow_ && a.overflow_ == b.overflow_ &&
               a.invalid_ == b.invalid_ && a.sum_low_ == b.sum_low_ && a.sum_high_ == b.sum_high_ &&
               a.sum_saturated_ == b.sum_saturated_ &&
               std::bit_cast<std::uint64_t>(a.min_) == std::bit_cast<std::uint64_t>(b.min_) &&
               std::bit_cast<std::uint64_t>(a.max_) == std::bit_cast<std::uint64_t>(b.max_) &&
               a.counts_ == b.counts_;
    }

private:
    friend struct detail::json_access;

    static constexpr int max_octaves = 48;
    static constexpr double max_highest = 1e300;

    [[nodiscard]] double key_value(std::uint64_t key) const noexcept {
        return std::bit_cast<double>(key << shift_);
    }

    [[nodiscard]] detail::uint128 fixed_sum() const noexcept {
        return (static_cast<detail::uint128>(sum_high_) << 64) | sum_low_;
    }

    void set_fixed_sum(detail::uint128 s) noexcept {
        sum_low_ = static_cast<std::uint64_t>(s);
        sum_high_ = static_cast<std::uint64_t>(s >> 64);
    }

    [[gnu::noinline]] void add_outside(double x) noexcept {
        if (!detail::is_valid_sample(x)) {
            ++invalid_;
            return;
        }
        x = x + 0.0; // -0.0 becomes +0.0
        min_ = x < min_ ? x : min_;
        max_ = x > max_ ? x : max_;
        if (x < key_value(first_key_)) {
            ++underflow_;
        } else {
            ++overflow_;
        }
        const double scaled = x * sum_scale_;
        if (scaled < 0x1p100) {
            set_fixed_sum(fixed_sum() + static_cast<detail::uint128>(scaled));
        } else {
            sum_saturated_ = true;
        }
    }

    void resolve_ranks(std::span<const std::uint64_t> ranks, std::span<double> values,
                       std::uint64_t bucketed) const {
        std::size_t r = 0;
        const std::uint64_t bucketed_end = underflow_ + bucketed;
        while (r < ranks.size() && ranks[r] < underflow_) {
            values[r++] = min_;
        }
        std::uint64_t cumulative = underflow_; // samples in the buckets before i
        std::size_t i = 0;
        if (min_ >= key_value(first_key_)) { // skip empty buckets below min
            i = static_cast<std::size_t>((std::bit_cast<std::uint64_t>(min_) >> shift_) -
                                         first_key_);
        }
        while (r < ranks.size() && ranks[r] < bucketed_end) {
            while (cumulative + counts_[i] <= ranks[r]) {
                cumulative += counts_[i++];
            }
            const double rep = bucket_representative(i);
            while (r < ranks.size() && ranks[r] < cumulative + counts_[i]) {
                values[r++] = rep;
            }
        }
        while (r < ranks.size()) {
            values[r++] = max_;
        }
    }

    log_linear_histogram_config config_;
    unsigned sub_bucket_bits_ = 0;
    unsigned shift_ = 0;
    std::uint64_t first_key_ = 0;
    std::uint64_t bucket_count_ = 0;
    double sum_scale_ = 1.0;
    std::vector<std::uint64_t> counts_;
    std::uint64_t underflow_ = 0;
    std::uint64_t overflow_ = 0;
    std::uint64_t invalid_ = 0;
    std::uint64_t sum_low_ = 0;  // fixed-point sum, low 64 bits
    std::uint64_t sum_high_ = 0; // fixed-point sum, high 64 bits
    bool sum_saturated_ = false;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

static_assert(quantile_sketch<log_linear_histogram>);

} // namespace llmcap::stats
