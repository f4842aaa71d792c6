#pragma once

#include <llmcap/prometheus/error.hpp>
#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/scrape.hpp>

#include <cmath>            // isinf, isnan
#include <cstddef>          // size_t
#include <cstdint>          // uint32_t
#include <initializer_list> // initializer_list
#include <limits>           // numeric_limits
#include <optional>         // optional
#include <span>             // span
#include <string>           // string
#include <string_view>      // string_view
#include <system_error>     // error_code
#include <vector>           // vector

namespace llmcap::prometheus {

/// One cumulative bucket: observations less than or equal to `upper_bound`.
struct bucket {
    /// The `le` bound, in the histogram's unit; +infinity for the last bucket.
    double upper_bound = 0;
    /// Observations at or below the bound (cumulative, as exposed).
    double cumulative_count = 0;

    friend bool operator==(const bucket&, const bucket&) = default;
};

/**
 * A Prometheus histogram: cumulative buckets sorted by bound (the last one `+Inf`), the sum
 * and the count of observations. Read from a scrape with find_histogram(), or the difference
 * of two with histogram_delta().
 */
struct histogram {
    /// Buckets in increasing bound order; the last has bound +infinity.
    std::vector<bucket> buckets;
    /// Sum of the observations, in the histogram's unit (seconds for `*_seconds`).
    double sum = 0;
    /// Number of observations.
    double count = 0;

    /// sum ÷ count; empty when there are no observations.
    [[nodiscard]] std::optional<double> mean() const noexcept {
        if (!(count > 0))
            return std::nullopt;
        return sum / count;
    }

    /**
     * The q-quantile estimated as PromQL's `histogram_quantile`: find the bucket holding rank
     * q × count and interpolate linearly inside it (from 0 for the first bucket when its bound
     * is positive); a rank in the `+Inf` bucket gives the highest finite bound. Empty when there
     * are no observations, fewer than two buckets, or q is outside [0, 1]. O(buckets).
     */
    [[nodiscard]] std::optional<double> quantile(double q) const noexcept {
        if (!(q >= 0.0 && q <= 1.0) || buckets.size() < 2)
            return std::nullopt;
        const double observations = buckets.back().cumulative_count;
        if (!(observations > 0))
            return std::nullopt;
        double rank = q * observations;
        std::size_t b = 0;
        while (b < buckets.size() && buckets[b].cumulative_count < rank)
            ++b;
        if (b >= buckets.size() - 1)
            return buckets[buckets.size() - 2].upper_bound;
        if (b == 0 && buckets[0].upper_bound <= 0)
            return buckets[0].upper_bound;
        double start = 0;
        const double end = buckets[b].upper_bound;
        double in_bucket = buckets[b].cumulative_count;
        if (b > 0) {
            start = buckets[b - 1].upper_bound;
            in_bucket -= buckets[b - 1].cumulative_count;
            rank -= buckets[b - 1].cumulative_count;
        }
        if (!(in_bucket > 0))
            return end;
        return start + (end - start) * (rank / in_bucket);
    }

    friend bool operator==(const histogram&, const histogram&) = default;
};

namespace detail {

inline constexpr char bucket_suffix[] = "_bucket";
inline constexpr char sum_suffix[] = "_sum";
inline constexpr char count_suffix[] = "_count";

} // namespace detail

/**
 * Reads histogram `name` (the family name, without `_bucket`) from a scrape: every series whose
 * labels match `matchers` is added up bucket by bucket, as PromQL `sum by (le)`. With
 * vLLM's `model_name` label, pass `{{"model_name", "..."}}` to select one model, or nothing to
 * total them.
 *
 * Errors (the result is then empty): metric_not_found (no `_bucket` sample matches),
 * invalid_bucket_bound, missing_inf_bucket, non_monotonic_buckets, bucket_layout_mismatch
 * (the matched series do not share one set of bounds). When `_count` or `_sum` is absent, the
 * count is taken from the `+Inf` bucket and the sum is 0. Cost: O(samples + series × buckets).
 */
[[nodiscard]] inline std::optional<histogram> find_histogram(const scrape& s, std::string_view name,
                                                             std::span<const label> matchers,
                                                             std::error_code& ec) {
    ec.clear();
    histogram h;
    std::vector<std::uint32_t> series_per_bound;
    std::string key;
    key.reserve(name.size() + 8);
    key.assign(name).append(detail::bucket_suffix);
    bool bad_bound = false;
    s.for_each(key, matchers, [&](const sample_view& v) {
        const std::optional<std::string_view> le = v.labels().get("le");
        double bound = 0;
        if (!le || !detail::parse_sample_value(*le, bound) || std::isnan(bound)) {
            bad_bound = true;
            return;
        }
        std::size_t i = 0;
        while (i < h.buckets.size() && h.buckets[i].upper_bound < bound)
            ++i;
        if (i < h.buckets.size() && h.buckets[i].upper_bound == bound) {
            h.buckets[i].cumulative_count += v.value();
            ++series_per_bound[i];
            return;
        }
        h.buckets.insert(h.buckets.begin() + static_cast<std::ptrdiff_t>(i),
                         bucket{bound, v.value()});
        series_per_bound.insert(series_per_bound.begin() + static_cast<std::ptrdiff_t>(i), 1u);
    });
    if (bad_bound) {
        ec = error::invalid_bucket_bound;
        return std::nullopt;
    }
    if (h.buckets.empty()) {
        ec = error::metric_not_found;
        return std::nullopt;
    }
    for (std::uint32_t n : series_per_bound) {
        if (n != series_per_bound.front()) {
            ec = error::bucket_layout_mismatch;
            return std::nullopt;
        }
    }
    if (!std::isinf(h.buckets.back().upper_bound) || h.buckets.back().upper_bound < 0) {
        ec = error::missing_inf_bucket;
        return std::nullopt;
    }
    for (std::size_t i = 1; i < h.buckets.size(); ++i) {
        if (h.buckets[i].cumulative_count < h.buckets[i - 1].cumulative_count) {
            ec = error::non_monotonic_buckets;
            return std::nullopt;
        }
    }
    key.assign(name).append(detail::count_suffix);
    h.count = s.sum(key, matchers).value_or(h.buckets.back().cumulative_count);
    key.assign(name).append(detail::sum_suffix);
    h.sum = s.sum(key, matchers).value_or(0.0);
    return h;
}

/// As find_histogram(s, name, matchers, ec), matchers given inline.
[[nodiscard]] inline std::optional<histogram> find_histogram(const scrape& s, std::string_view name,
                                                             std::initializer_list<label> matchers,
                                                             std::error_code& ec) {
    return find_histogram(s, name, std::span<const label>(matchers.begin(), matchers.size()), ec);
}

/**
 * What was observed between two scrapes of one histogram: `after − before`, bucket by bucket,
 * with sum and count. Its mean() is the mean of the observations made in between (delta-sum ÷
 * delta-count) and its quantile() estimates their quantiles.
 *
 * Errors (the result is then empty): bucket_layout_mismatch when the bounds differ;
 * counter_reset when the count, the sum or any bucket decreased (the server restarted between
 * the scrapes, so the delta is unknown; it is never clamped to zero).
 */
[[nodiscard]] inline histogram histogram_delta(const histogram& before, const histogram& after,
                                               std::error_code& ec) {
    ec.clear();
    if (before.buckets.size() != after.buckets.size()) {
        ec = error::bucket_layout_mismatch;
        return {};
    }
    histogram d;
    d.buckets.resize(after.buckets.size());
    for (std::size_t i = 0; i < after.buckets.size(); ++i) {
        if (before.buckets[i].upper_bound != after.buckets[i].upper_bound) {
            ec = error::bucket_layout_mismatch;
            return {};
        }
        const double n = after.buckets[i].cumulative_count - before.buckets[i].cumulative_count;
        if (n < 0) {
            ec = error::counter_reset;
            return {};
        }
        d.buckets[i] = {after.buckets[i].upper_bound, n};
    }
    d.count = after.count - before.count;
    d.sum = after.sum - before.sum;
    if (d.count < 0 || d.sum < 0) {
        ec = error::counter_reset;
        return {};
    }
    return d;
}

/// `after − before` of a counter; counter_reset (and 0) when it decreased.
[[nodiscard]] inline double counter_delta(double before, double after,
                                          std::error_code& ec) noexcept {
    ec.clear();
    if (after < before) {
        ec = error::counter_reset;
        return 0;
    }
    return after - before;
}

} // namespace llmcap::prometheus
