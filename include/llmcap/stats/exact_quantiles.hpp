#pragma once

#include <llmcap/stats/detail/exact_sum.hpp>
#include <llmcap/stats/detail/quantile_ranks.hpp>
#include <llmcap/stats/quantile_sketch.hpp>

#include <algorithm> // sort, min, max
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <span>      // span
#include <vector>    // vector

namespace llmcap::stats {

namespace detail {
struct json_access;
} // namespace detail

/**
 * Stores every sample and answers exact quantiles: the test oracle for the other sketches and
 * the right choice for small cells.
 *
 * Quantile definition: linear interpolation between closest ranks, numpy's default `linear`
 * method (Hyndman & Fan type 7). With the n samples sorted as x[0] <= ... <= x[n-1] and
 * h = (n - 1) q, quantile(q) = x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)]),
 * evaluated as numpy does, so results match `numpy.quantile(x, q)` to the last bit.
 *
 * Samples: finite x >= 0 are kept; NaN, infinities and negative values go to invalid_count()
 * (the same rule as every model, so the oracle sees exactly what a sketch sees).
 * Memory: 8 bytes per sample; add() is amortised O(1) and may allocate.
 * Queries sort the stored samples on first use (O(n log n)), then answer in O(1); a const
 * query mutates a cache, so concurrent queries on one object need external synchronisation.
 */
class exact_quantiles {
public:
    /// An empty oracle.
    exact_quantiles() = default;

    /// Reserves room for n samples, so that the next n add() calls do not allocate.
    void reserve(std::size_t n) {
        samples_.reserve(n);
    }

    /// Records one sample (see the class comment for invalid samples).
    void add(double x) {
        if (!detail::is_valid_sample(x)) {
            ++invalid_;
            return;
        }
        if (x == 0.0) {
            x = 0.0; // -0.0 is stored as +0.0 so that equal multisets compare equal bitwise
        }
        samples_.push_back(x);
        sum_.add(x);
        sorted_ = samples_.size() <= 1 || (sorted_ && samples_[samples_.size() - 2] <= x);
    }

    /// Appends another oracle's samples and tallies. Never throws std::invalid_argument: any two
    /// oracles can be merged.
    void merge(const exact_quantiles& other) {
        if (&other == this) {
            const exact_quantiles copy = other;
            merge(copy);
            return;
        }
        samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
        sorted_ = false;
        sum_.merge(other.sum_);
        invalid_ += other.invalid_;
    }

    /// Exact numpy `linear` quantile; NaN when empty; q outside [0, 1] throws
    /// std::invalid_argument.
    [[nodiscard]] double quantile(double q) const {
        double out = 0.0;
        quantiles(std::span<const double>(&q, 1), std::span<double>(&out, 1));
        return out;
    }

    /// quantile() of every q in qs into out (out.size() >= qs.size()).
    void quantiles(std::span<const double> qs, std::span<double> out) const {
        sort();
        detail::quantiles_by_rank(qs, out, count(), min(), max(),
                                  [&](std::span<const std::uint64_t> ranks, std::span<double> v) {
                                      for (std::size_t i = 0; i < ranks.size(); ++i) {
                                          v[i] = samples_[static_cast<std::size_t>(ranks[i])];
                                      }
                                  });
    }

    /// Always true when non-empty: every answer is exact.
    [[nodiscard]] bool within_guarantee(double q) const noexcept {
        return !samples_.empty() && q >= 0.0 && q <= 1.0;
    }

    /// 0: the answers are exact.
    [[nodiscard]] double relative_error() const noexcept {
        return 0.0;
    }

    /// Number of valid samples.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return samples_.size();
    }

    /// Always 0: the oracle has no range limit.
    [[nodiscard]] std::uint64_t underflow_count() const noexcept {
        return 0;
    }

    /// Always 0: the oracle has no range limit.
    [[nodiscard]] std::uint64_t overflow_count() const noexcept {
        return 0;
    }

    /// NaN, infinite and negative samples seen (not stored).
    [[nodiscard]] std::uint64_t invalid_count() const noexcept {
        return invalid_;
    }

    /// Smallest sample; NaN when empty. O(n) before the first sorted query.
    [[nodiscard]] double min() const noexcept {
        if (samples_.empty()) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        return sorted_ ? samples_.front() : *std::min_element(samples_.begin(), samples_.end());
    }

    /// Largest sample; NaN when empty. O(n) before the first sorted query.
    [[nodiscard]] double max() const noexcept {
        if (samples_.empty()) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        return sorted_ ? samples_.back() : *std::max_element(samples_.begin(), samples_.end());
    }

    /// Sum of the samples, computed exactly and rounded once (independent of order); NaN when
    /// empty.
    [[nodiscard]] double sum() const noexcept {
        return samples_.empty() ? std::numeric_limits<double>::quiet_NaN() : sum_.value();
    }

    /// sum() / count(); NaN when empty.
    [[nodiscard]] double mean() const noexcept {
        return sum() / static_cast<double>(count());
    }

    /// The stored samples, sorted ascending.
    [[nodiscard]] std::span<const double> sorted_samples() const {
        sort();
        return samples_;
    }

    /// Same multiset of samples and the same invalid tally.
    [[nodiscard]] friend bool operator==(const exact_quantiles& a, const exact_quantiles& b) {
        if (a.invalid_ != b.invalid_ || a.samples_.size() != b.samples_.size()) {
            return false;
        }
        a.sort();
        b.sort();
        return a.samples_ == b.samples_;
    }

private:
    friend struct detail::json_access;

    void sort() const {
        if (!sorted_) {
            std::sort(samples_.begin(), samples_.end());
            sorted_ = true;
        }
    }

    mutable std::vector<double> samples_;
    mutable bool sorted_ = true;
    detail::exact_sum sum_;
    std::uint64_t invalid_ = 0;
};

static_assert(quantile_sketch<exact_quantiles>);

} // namespace llmcap::stats
