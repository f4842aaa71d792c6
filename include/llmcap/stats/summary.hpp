#pragma once

#include <llmcap/stats/confidence_interval.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/quantile_sketch.hpp>
#include <llmcap/stats/running_moments.hpp>

#include <array>     // array
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <limits>    // numeric_limits
#include <span>      // span
#include <stdexcept> // invalid_argument
#include <utility>   // move, declval

namespace llmcap::stats {

/// The percentiles every report shows (DESIGN.md §4): P50, P90, P95, P99, P99.9, as fractions.
inline constexpr std::array<double, 5> report_percentiles = {0.5, 0.9, 0.95, 0.99, 0.999};

/// Everything reported for one metric of one cell, in the metric's unit.
struct summary {
    std::uint64_t count = 0;   ///< valid samples
    std::uint64_t invalid = 0; ///< NaN / infinite / negative samples, not in count
    double mean = std::numeric_limits<double>::quiet_NaN();   ///< arithmetic mean
    double stddev = std::numeric_limits<double>::quiet_NaN(); ///< sample standard deviation
    double min = std::numeric_limits<double>::quiet_NaN();    ///< smallest sample, exact
    double max = std::numeric_limits<double>::quiet_NaN();    ///< largest sample, exact
    double p50 = std::numeric_limits<double>::quiet_NaN();    ///< median
    double p90 = std::numeric_limits<double>::quiet_NaN();    ///< 90th percentile
    double p95 = std::numeric_limits<double>::quiet_NaN();    ///< 95th percentile
    double p99 = std::numeric_limits<double>::quiet_NaN();    ///< 99th percentile
    double p999 = std::numeric_limits<double>::quiet_NaN();   ///< 99.9th percentile
    confidence_interval mean_ci;                              ///< Student t interval for the mean
    double relative_error = 0.0;              ///< the percentiles' guaranteed relative error
    bool percentiles_within_guarantee = true; ///< false if a percentile hit under/overflow
};

/// Answers report_percentiles from any sketch (one pass when the sketch has quantiles()).
template <quantile_sketch Sketch>
[[nodiscard]] std::array<double, report_percentiles.size()> percentiles_of(const Sketch& s) {
    std::array<double, report_percentiles.size()> out{};
    if constexpr (requires(std::span<const double> qs, std::span<double> o) {
                      s.quantiles(qs, o);
                  }) {
        s.quantiles(report_percentiles, out);
    } else {
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i] = s.quantile(report_percentiles[i]);
        }
    }
    return out;
}

/**
 * A metric's accumulator for one cell: a quantile sketch for the percentiles plus running
 * moments for mean, standard deviation and the mean's confidence interval. add() feeds both;
 * invalid samples (NaN, infinite, negative) are tallied once and fed to neither, so both see
 * the same samples. Merge merges both (the sketch's merge rules apply).
 */
template <quantile_sketch Sketch = log_linear_histogram>
class sample_statistics {
public:
    /// Empty statistics around a default-configured sketch.
    sample_statistics() = default;

    /// Empty statistics around the given (empty or not) sketch.
    explicit sample_statistics(Sketch sketch) : sketch_(std::move(sketch)) {}

    /// Records one sample, in the metric's unit.
    void add(double x) noexcept(noexcept(std::declval<Sketch&>().add(x))) {
        if (!(x >= 0.0 && x <= std::numeric_limits<double>::max())) {
            ++invalid_;
            return;
        }
        sketch_.add(x);
        moments_.add(x);
    }

    /// Adds another accumulator's samples.
    void merge(const sample_statistics& other) {
        sketch_.merge(other.sketch_);
        moments_.merge(other.moments_);
        invalid_ += other.invalid_;
    }

    /// Statistics rebuilt from their parts (as read from JSON); the caller guarantees that the
    /// sketch and the moments saw the same samples.
    [[nodiscard]] static sample_statistics from_parts(Sketch sketch, const running_moments& moments,
                                                      std::uint64_t invalid) {
        sample_statistics s(std::move(sketch));
        s.moments_ = moments;
        s.invalid_ = invalid;
        return s;
    }

    /// The quantile sketch.
    [[nodiscard]] const Sketch& sketch() const noexcept {
        return sketch_;
    }

    /// The running moments.
    [[nodiscard]] const running_moments& moments() const noexcept {
        return moments_;
    }

    /// Invalid samples seen.
    [[nodiscard]] std::uint64_t invalid_count() const noexcept {
        return invalid_;
    }

    /// The report line: count, mean and its CI at `level`, stddev, min, max, P50…P99.9.
    [[nodiscard]] summary summarize(double level = 0.95) const {
        summary s;
        s.count = sketch_.count();
        s.invalid = invalid_;
        s.mean = moments_.mean();
        s.stddev = moments_.stddev();
        s.min = sketch_.min();
        s.max = sketch_.max();
        const auto p = percentiles_of(sketch_);
        s.p50 = p[0];
        s.p90 = p[1];
        s.p95 = p[2];
        s.p99 = p[3];
        s.p999 = p[4];
        s.mean_ci = mean_confidence_interval(moments_, level);
        s.relative_error = sketch_.relative_error();
        for (double q : report_percentiles) {
            s.percentiles_within_guarantee =
                s.percentiles_within_guarantee && sketch_.within_guarantee(q);
        }
        return s;
    }

    /// Same sketch, moments and invalid tally.
    [[nodiscard]] friend bool operator==(const sample_statistics&,
                                         const sample_statistics&) = default;

private:
    Sketch sketch_;
    running_moments moments_;
    std::uint64_t invalid_ = 0;
};

} // namespace llmcap::stats
