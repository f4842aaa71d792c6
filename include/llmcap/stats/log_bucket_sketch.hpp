#pragma once

#include <llmcap/stats/detail/exact_sum.hpp>
#include <llmcap/stats/detail/quantile_ranks.hpp>
#include <llmcap/stats/quantile_sketch.hpp>

#include <algorithm> // fill, min, max
#include <cmath>     // ceil, log, exp
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t, int64_t
#include <cstring>   // memmove
#include <limits>    // numeric_limits
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <vector>    // vector

namespace llmcap::stats {

namespace detail {
struct json_access;
} // namespace detail

/// Precision and size of a log_bucket_sketch.
struct log_bucket_sketch_config {
    /// Guaranteed relative error α of every quantile, in [1e-6, 0.5].
    double relative_error = 0.005;
    /// Most buckets kept, in [2, 2^20]; past that the lowest buckets collapse into one.
    std::size_t max_buckets = 4096;
};

/**
 * A plain logarithmic-bucket sketch (DDSketch's layout) for values with no known range.
 *
 * Bucket i holds (γ^(i-1), γ^i] with γ = (1 + α) / (1 - α), i = ceil(ln x / ln γ), and reports
 * 2γ^i / (γ + 1) (clamped to [min, max]), which is within α of every value in the bucket; as
 * for log_linear_histogram, interpolating two such estimates keeps the answer within α of the
 * exact numpy `linear` quantile. add() costs one logarithm.
 *
 * The counts live in a window of max_buckets consecutive indices allocated once by the
 * constructor; add() never allocates. When a sample's index would make the window span more
 * than max_buckets, every index below hi - max_buckets + 1 (hi: the highest index seen) is
 * collapsed into that lowest bucket. Quantiles whose ranks fall in the collapsed bucket lose
 * the guarantee (within_guarantee() says so); the state is still a function of the sample
 * multiset alone (a sample's final bucket is max(i, hi - max_buckets + 1)), so merges stay
 * exact and order-independent. With the defaults (α = 0.5%, 4096 buckets) the window spans a
 * ratio of about 6e17 before anything collapses.
 *
 * Samples: values below ~2.2e-308 (zero included) are underflow_count() and answer min();
 * finite values above DBL_MAX / γ are overflow_count() and answer max(); NaN, infinities and
 * negatives only increment invalid_count(). sum() is exact (superaccumulator), rounded once.
 *
 * Merge requires the same relative_error and max_buckets (else std::invalid_argument).
 * Not thread-safe: use one sketch per thread and merge.
 */
class log_bucket_sketch {
public:
    /// A sketch with the given precision and bucket limit; throws std::invalid_argument for a
    /// relative error outside [1e-6, 0.5] or max_buckets outside [2, 2^20].
    explicit log_bucket_sketch(const log_bucket_sketch_config& config = {}) : config_(config) {
        if (!(config.relative_error >= 1e-6 && config.relative_error <= 0.5)) {
            throw std::invalid_argument(
                "log_bucket_sketch: relative_error must lie in [1e-6, 0.5]");
        }
        if (config.max_buckets < 2 || config.max_buckets > (std::size_t{1} << 20)) {
            throw std::invalid_argument("log_bucket_sketch: max_buckets must lie in [2, 2^20]");
        }
        gamma_ = (1.0 + config.relative_error) / (1.0 - config.relative_error);
        log_gamma_ = std::log(gamma_);
        inv_log_gamma_ = 1.0 / log_gamma_;
        min_indexable_ = std::numeric_limits<double>::min() * gamma_;
        max_indexable_ = std::numeric_limits<double>::max() / gamma_;
        window_ = static_cast<std::int64_t>(config.max_buckets);
        counts_.assign(config.max_buckets, 0);
    }

    /// Records one sample; never allocates, locks or throws.
    void add(double x) noexcept {
        if (x >= min_indexable_ && x <= max_indexable_) [[likely]] {
            add_to_bucket(index_of(x), 1);
            ++count_;
            sum_.add(x);
            min_ = x < min_ ? x : min_;
            max_ = x > max_ ? x : max_;
        } else {
            add_outside(x);
        }
    }

    /// Adds another sketch's samples; throws std::invalid_argument when the configurations
    /// differ.
    void merge(const log_bucket_sketch& other) {
        if (config_.relative_error != other.config_.relative_error ||
            config_.max_buckets != other.config_.max_buckets) {
            throw std::invalid_argument(
                "log_bucket_sketch: cannot merge sketches with different configurations");
        }
        if (&other == this) {
            const log_bucket_sketch copy = other;
            merge(copy);
            return;
        }
        if (other.bucketed_ != 0) {
            for (std::int64_t j = other.hi_; j >= other.lo_; --j) {
                if (const std::uint64_t c = other.counts_[other.position(j)]; c != 0) {
                    add_to_bucket(j, c);
                }
            }
        }
        collapsed_ = collapsed_ || other.collapsed_;
        count_ += other.count_;
        underflow_ += other.underflow_;
        overflow_ += other.overflow_;
        invalid_ += other.invalid_;
        sum_.merge(other.sum_);
        min_ = other.min_ < min_ ? other.min_ : min_;
        max_ = other.max_ > max_ ? other.max_ : max_;
    }

    /// Estimated numpy `linear` quantile; NaN when empty; q outside [0, 1] throws
    /// std::invalid_argument.
    [[nodiscard]] double quantile(double q) const {
        double out = 0.0;
        quantiles(std::span<const double>(&q, 1), std::span<double>(&out, 1));
        return out;
    }

    /// quantile() of every q in qs into out (out.size() >= qs.size()) in one pass.
    void quantiles(std::span<const double> qs, std::span<double> out) const {
        detail::quantiles_by_rank(qs, out, count_, min(), max(),
                                  [&](std::span<const std::uint64_t> ranks,
                                      std::span<double> values) { resolve_ranks(ranks, values); });
    }

    /// True when quantile(q) is within relative_error() of the exact quantile: every rank it
    /// uses is in a bucket that was never collapsed, or is the exact min or max.
    [[nodiscard]] bool within_guarantee(double q) const noexcept {
        if (bucketed_ == 0) {
            return detail::ranks_within(q, count_, 1, 0);
        }
        const std::uint64_t first =
            underflow_ + (collapsed_ ? counts_[position(lo_)] : std::uint64_t{0});
        const std::uint64_t last = underflow_ + bucketed_ - 1;
        return first > last ? detail::ranks_within(q, count_, 1, 0)
                            : detail::ranks_within(q, count_, first, last);
    }

    /// α, the guaranteed relative error.
    [[nodiscard]] double relative_error() const noexcept {
        return config_.relative_error;
    }

    /// Valid samples recorded.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return count_;
    }

    /// Valid samples too small to index (below ~2.2e-308, zero included).
    [[nodiscard]] std::uint64_t underflow_count() const noexcept {
        return underflow_;
    }

    /// Finite samples too large to index (above DBL_MAX / γ).
    [[nodiscard]] std::uint64_t overflow_count() const noexcept {
        return overflow_;
    }

    /// NaN, infinite and negative samples (not part of count()).
    [[nodiscard]] std::uint64_t invalid_count() const noexcept {
        return invalid_;
    }

    /// Smallest valid sample, exact; NaN when empty.
    [[nodiscard]] double min() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : min_;
    }

    /// Largest valid sample, exact; NaN when empty.
    [[nodiscard]] double max() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : max_;
    }

    /// Exact sum of the valid samples rounded to double; NaN when empty.
    [[nodiscard]] double sum() const noexcept {
        return count_ == 0 ? std::numeric_limits<double>::quiet_NaN() : sum_.value();
    }

    /// sum() / count(); NaN when empty.
    [[nodiscard]] double mean() const noexcept {
        return sum() / static_cast<double>(count_);
    }

    /// True when some samples were collapsed into the lowest bucket.
    [[nodiscard]] bool collapsed() const noexcept {
        return collapsed_;
    }

    /// The configuration this sketch was built from.
    [[nodiscard]] const log_bucket_sketch_config& config() const noexcept {
        return config_;
    }

    /// Index of the bucket holding x (x must be indexable).
    [[nodiscard]] std::int64_t index_of(double x) const noexcept {
        return static_cast<std::int64_t>(std::ceil(std::log(x) * inv_log_gamma_));
    }

    /// The value reported for a rank in bucket i: 2γ^i / (γ + 1).
    [[nodiscard]] double bucket_representative(std::int64_t i) const noexcept {
        return std::exp(static_cast<double>(i) * log_gamma_) * (2.0 / (gamma_ + 1.0));
    }

    /// Samples in bucket i (0 outside [lowest_index(), highest_index()]).
    [[nodiscard]] std::uint64_t bucket(std::int64_t i) const noexcept {
        return bucketed_ == 0 || i < lo_ || i > hi_ ? 0 : counts_[position(i)];
    }

    /// Lowest non-empty bucket index (the collapsed bucket when collapsed()); 0 when no sample
    /// is bucketed.
    [[nodiscard]] std::int64_t lowest_index() const noexcept {
        return bucketed_ == 0 ? 0 : lo_;
    }

    /// Highest non-empty bucket index; 0 when no sample is bucketed.
    [[nodiscard]] std::int64_t highest_index() const noexcept {
        return bucketed_ == 0 ? 0 : hi_;
    }

    /// Memory used by this sketch in bytes (object plus bucket window).
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return sizeof(*this) + counts_.size() * sizeof(std::uint64_t);
    }

    /// Same configuration and recorded state (bucket contents, tallies, min, max, sum).
    [[nodiscard]] friend bool operator==(const log_bucket_sketch& a,
                                         const log_bucket_sketch& b) noexcept {
        if (a.config_.relative_error != b.config_.relative_error ||
            a.config_.max_buckets != b.config_.max_buckets || a.count_ != b.count_ ||
            a.underflow_ != b.underflow_ || a.overflow_ != b.overflow_ ||
            a.invalid_ != b.invalid_ || a.bucketed_ != b.bucketed_ ||
            a.collapsed_ != b.collapsed_ || !(a.sum_ == b.sum_) ||
            std::bit_cast<std::uint64_t>(a.min_) != std::bit_cast<std::uint64_t>(b.min_) ||
            std::bit_cast<std::uint64_t>(a.max_) != std::bit_cast<std::uint64_t>(b.max_)) {
            return false;
        }
        if (a.bucketed_ == 0) {
            return true;
        }
        if (a.lo_ != b.lo_ || a.hi_ != b.hi_) {
            return false;
        }
        for (std::int64_t j = a.lo_; j <= a.hi_; ++j) {
            if (a.counts_[a.position(j)] != b.counts_[b.position(j)]) {
                return false;
            }
        }
        return true;
    }

private:
    friend struct detail::json_access;

    [[nodiscard]] std::size_t position(std::int64_t i) const noexcept {
        return static_cast<std::size_t>(i - offset_);
    }

    void add_to_bucket(std::int64_t i, std::uint64_t n) noexcept {
        if (bucketed_ != 0 && i >= lo_ && i <= hi_) [[likely]] {
            counts_[position(i)] += n;
            bucketed_ += n;
        } else {
            place(i, n);
        }
    }

    // Adds n samples at index i when i is outside [lo_, hi_] or the sketch holds no bucket,
    // moving the window and collapsing the lowest buckets as needed.
    void place(std::int64_t i, std::uint64_t n) noexcept {
        if (bucketed_ == 0) {
            offset_ = i - window_ / 2;
            lo_ = hi_ = i;
        } else if (i > hi_) {
            if (i - offset_ >= window_) {
                const std::int64_t floor = i - window_ + 1;
                std::uint64_t folded = 0;
                if (lo_ < floor) {
                    const std::int64_t end = std::min(hi_, floor - 1);
                    for (std::int64_t j = lo_; j <= end; ++j) {
                        folded += counts_[position(j)];
                        counts_[position(j)] = 0;
                    }
                    collapsed_ = true;
                    if (hi_ < floor) { // everything folded: the window is all zero
                        lo_ = hi_ = floor;
                        offset_ = floor;
                    } else {
                        lo_ = floor;
                    }
                }
                move_window(lo_, i);
                if (folded != 0) { // lo_ == floor then, inside the new window
                    counts_[position(floor)] += folded;
                }
            }
            hi_ = i;
        } else { // i < lo_
            const std::int64_t floor = hi_ - window_ + 1;
            if (i < floor) {
                collapsed_ = true;
                i = floor;
            }
            if (i < offset_) {
                move_window(i, hi_);
            }
            lo_ = std::min(lo_, i);
        }
        counts_[position(i)] += n;
        bucketed_ += n;
    }

    // Re-centres the window on [new_lo, new_hi] (which contains [lo_, hi_] and spans at most
    // window_ indices), moving the counts of [lo_, hi_].
    void move_window(std::int64_t new_lo, std::int64_t new_hi) noexcept {
        const std::int64_t slack = window_ - (new_hi - new_lo + 1);
        const std::int64_t new_offset = new_lo - slack / 2;
        if (new_offset == offset_) {
            return;
        }
        const auto length = static_cast<std::size_t>(hi_ - lo_ + 1);
        const auto from = static_cast<std::size_t>(lo_ - offset_);
        const auto to = static_cast<std::size_t>(lo_ - new_offset);
        std::memmove(counts_.data() + to, counts_.data() + from, length * sizeof(std::uint64_t));
        std::fill(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(to), 0);
        std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(to + length), counts_.end(), 0);
        offset_ = new_offset;
    }

    void add_outside(double x) noexcept {
        if (!detail::is_valid_sample(x)) {
            ++invalid_;
            return;
        }
        x = x + 0.0; // -0.0 becomes +0.0
        ++count_;
        sum_.add(x);
        min_ = x < min_ ? x : min_;
        max_ = x > max_ ? x : max_;
        if (x < min_indexable_) {
            ++underflow_;
        } else {
            ++overflow_;
        }
    }

    void resolve_ranks(std::span<const std::uint64_t> ranks, std::span<double> values) const {
        std::size_t r = 0;
        const std::uint64_t bucketed_end = underflow_ + bucketed_;
        while (r < ranks.size() && ranks[r] < underflow_) {
            values[r++] = min_;
        }
        std::uint64_t cumulative = underflow_;
        std::int64_t j = lo_;
        while (r < ranks.size() && ranks[r] < bucketed_end) {
            while (cumulative + counts_[position(j)] <= ranks[r]) {
                cumulative += counts_[position(j++)];
            }
            const double rep = bucket_representative(j);
            while (r < ranks.size() && ranks[r] < cumulative + counts_[position(j)]) {
                values[r++] = rep;
            }
        }
        while (r < ranks.size()) {
            values[r++] = max_;
        }
    }

    log_bucket_sketch_config config_;
    double gamma_ = 1.0;
    double log_gamma_ = 0.0;
    double inv_log_gamma_ = 0.0;
    double min_indexable_ = 0.0;
    double max_indexable_ = 0.0;
    std::int64_t window_ = 0;
    std::vector<std::uint64_t> counts_;
    std::int64_t offset_ = 0; // index of counts_[0]
    std::int64_t lo_ = 0;     // lowest non-empty index (when bucketed_ != 0)
    std::int64_t hi_ = 0;     // highest non-empty index (when bucketed_ != 0)
    std::uint64_t bucketed_ = 0;
    bool collapsed_ = false;
    std::uint64_t count_ = 0;
    std::uint64_t underflow_ = 0;
    std::uint64_t overflow_ = 0;
    std::uint64_t invalid_ = 0;
    detail::exact_sum sum_;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

static_assert(quantile_sketch<log_bucket_sketch>);

} // namespace llmcap::stats
