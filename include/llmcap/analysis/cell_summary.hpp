#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/stats/summary.hpp>

#include <cmath>    // isnan, isfinite
#include <cstdint>  // uint32_t, uint64_t
#include <limits>   // numeric_limits
#include <map>      // map
#include <optional> // optional

namespace llmcap::analysis {

/// A two-sided confidence interval, in the unit of the quantity it bounds.
struct confidence_interval {
    /// Lower end.
    double low = 0.0;
    /// Upper end.
    double high = 0.0;

    friend bool operator==(const confidence_interval&, const confidence_interval&) = default;
};

/**
 * The statistics of one metric within one cell (DESIGN.md §4): P50, P90, P95, P99, P99.9, mean,
 * min, max, standard deviation and sample count, in the metric's unit. Statistics that were not
 * measured are NaN (a tool that reports only means leaves the percentiles NaN).
 */
struct metric_statistics {
    /// Number of samples behind the statistics.
    std::uint64_t count = 0;
    /// Arithmetic mean.
    double mean = std::numeric_limits<double>::quiet_NaN();
    /// Sample standard deviation (n − 1 denominator).
    double stddev = std::numeric_limits<double>::quiet_NaN();
    /// Smallest sample.
    double min = std::numeric_limits<double>::quiet_NaN();
    /// Largest sample.
    double max = std::numeric_limits<double>::quiet_NaN();
    /// Median.
    double p50 = std::numeric_limits<double>::quiet_NaN();
    /// 90th percentile.
    double p90 = std::numeric_limits<double>::quiet_NaN();
    /// 95th percentile.
    double p95 = std::numeric_limits<double>::quiet_NaN();
    /// 99th percentile.
    double p99 = std::numeric_limits<double>::quiet_NaN();
    /// 99.9th percentile.
    double p99_9 = std::numeric_limits<double>::quiet_NaN();
    /// 95% confidence interval of the mean; empty with fewer than two samples or when unknown.
    std::optional<confidence_interval> mean_ci95;

    /// The value of one statistic (NaN when not measured).
    [[nodiscard]] constexpr double get(statistic s) const noexcept {
        switch (s) {
        case statistic::mean:
            return mean;
        case statistic::p50:
            return p50;
        case statistic::p90:
            return p90;
        case statistic::p95:
            return p95;
        case statistic::p99:
            return p99;
        case statistic::p99_9:
            return p99_9;
        case statistic::min:
            return min;
        case statistic::max:
            return max;
        }
        return std::numeric_limits<double>::quiet_NaN();
    }

    /// Sets one statistic.
    constexpr void set(statistic s, double v) noexcept {
        switch (s) {
        case statistic::mean:
            mean = v;
            return;
        case statistic::p50:
            p50 = v;
            return;
        case statistic::p90:
            p90 = v;
            return;
        case statistic::p95:
            p95 = v;
            return;
        case statistic::p99:
            p99 = v;
            return;
        case statistic::p99_9:
            p99_9 = v;
            return;
        case statistic::min:
            min = v;
            return;
        case statistic::max:
            max = v;
            return;
        }
    }

    /// Statistics of a single value (a cell-level quantity such as throughput): every
    /// statistic equals `v`, the count is 1 and the standard deviation 0.
    [[nodiscard]] static constexpr metric_statistics single(double v) noexcept {
        metric_statistics s;
        s.count = 1;
        s.stddev = 0.0;
        for (statistic st : all_statistics)
            s.set(st, v);
        return s;
    }

    /// Same count, interval and statistics, a statistic that is NaN (not measured) on both
    /// sides counting as equal.
    friend bool operator==(const metric_statistics& a, const metric_statistics& b) noexcept {
        const auto same = [](double x, double y) {
            return x == y || (std::isnan(x) && std::isnan(y));
        };
        if (a.count != b.count || a.mean_ci95 != b.mean_ci95 || !same(a.stddev, b.stddev))
            return false;
        for (statistic st : all_statistics)
            if (!same(a.get(st), b.get(st)))
                return false;
        return true;
    }
};

/// A stats::summary (95% interval) as metric_statistics: a summary of no sample gives a count
/// of 0 and every statistic NaN.
[[nodiscard]] inline metric_statistics statistics_of(const stats::summary& s) noexcept {
    metric_statistics out;
    out.count = s.count;
    if (s.count == 0)
        return out;
    out.mean = s.mean;
    out.stddev = s.stddev;
    out.min = s.min;
    out.max = s.max;
    out.p50 = s.p50;
    out.p90 = s.p90;
    out.p95 = s.p95;
    out.p99 = s.p99;
    out.p99_9 = s.p999;
    if (std::isfinite(s.mean_ci.lower) && std::isfinite(s.mean_ci.upper))
        out.mean_ci95 = confidence_interval{s.mean_ci.lower, s.mean_ci.upper};
    return out;
}

/**
 * What was measured in one cell of a sweep: a context length, an output length and a
 * concurrency, with statistics per metric. This is the input of capacity analysis, scaling
 * efficiency and grid interpolation, so measurements from other tools can be fed in by filling
 * one per cell.
 */
struct cell_summary {
    /// Prompt length of the cell's requests, tokens.
    std::uint32_t context_tokens = 0;
    /// Output length asked for, tokens.
    std::uint32_t output_tokens = 0;
    /// Requests in flight (closed loop), ≥ 1.
    std::uint32_t concurrency = 0;
    /// Statistics per metric; a metric not measured is absent.
    std::map<metric, metric_statistics> metrics;

    /// One statistic of one metric; empty when the metric is absent or the statistic is NaN.
    [[nodiscard]] std::optional<double> value(metric m, statistic s) const {
        const auto it = metrics.find(m);
        if (it == metrics.end())
            return std::nullopt;
        const double v = it->second.get(s);
        if (std::isnan(v)) // not measured
            return std::nullopt;
        return v;
    }

    /// Sets one statistic of one metric (adding the metric if absent); returns *this so cells
    /// can be written in one expression.
    cell_summary& set(metric m, statistic s, double v) {
        metrics[m].set(s, v);
        return *this;
    }

    friend bool operator==(const cell_summary&, const cell_summary&) = default;
};

} // namespace llmcap::analysis
