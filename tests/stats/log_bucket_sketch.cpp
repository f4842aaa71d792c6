#include <llmcap/stats/log_bucket_sketch.hpp>

#include <llmcap/stats/exact_quantiles.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace stats = llmcap::stats;

namespace {

/// Values spread log-uniformly over 1e-6 .. 1e6 (12 decades).
std::vector<double> wide(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> exponent(-6.0, 6.0);
    std::vector<double> v(n);
    for (double& x : v) {
        x = std::pow(10.0, exponent(rng));
    }
    return v;
}

} // namespace

TEST_CASE("log_bucket_sketch: representatives are within alpha of their bucket") {
    const stats::log_bucket_sketch s({.relative_error = 0.01});
    const double gamma = 1.01 / 0.99;
    for (std::int64_t i = -2000; i <= 2000; i += 37) {
        const double upper = std::pow(gamma, static_cast<double>(i));
        const double lower = upper / gamma;
        const double rep = s.bucket_representative(i);
        CHECK((rep - lower) / lower <= 0.01 * (1 + 1e-12));
        CHECK((upper - rep) / upper <= 0.01 * (1 + 1e-12));
        CHECK(s.index_of(upper * 0.9999) == i);
    }
}

TEST_CASE("log_bucket_sketch: no collapse keeps the guarantee over 12 decades") {
    stats::log_bucket_sketch s; // 4096 buckets of 1% width span far more than 12 decades
    stats::exact_quantiles oracle;
    for (double x : wide(20'000, 1)) {
        s.add(x);
        oracle.add(x);
    }
    CHECK_FALSE(s.collapsed());
    for (double q : {0.0, 0.001, 0.01, 0.5, 0.99, 0.999, 1.0}) {
        const double exact = oracle.quantile(q);
        CHECK(std::abs(s.quantile(q) - exact) <= s.relative_error() * exact * (1 + 1e-12));
    }
}

TEST_CASE("log_bucket_sketch: collapsing the lowest buckets") {
    const stats::log_bucket_sketch_config config{.relative_error = 0.01, .max_buckets = 300};
    const std::vector<double> values = wide(20'000, 2);
    stats::log_bucket_sketch s(config);
    stats::exact_quantiles oracle;
    for (double x : values) {
        s.add(x);
        oracle.add(x);
    }
    // 300 buckets of width ln(1.0202) span a factor ~400: the low ~9 decades collapse.
    CHECK(s.collapsed());
    CHECK(s.count() == values.size());
    CHECK(s.quantile(0.0) == oracle.min());
    CHECK(s.quantile(1.0) == oracle.max());
    CHECK_FALSE(s.within_guarantee(0.1));
    for (double q : {0.9, 0.99, 0.999}) {
        REQUIRE(s.within_guarantee(q));
        const double exact = oracle.quantile(q);
        CHECK(std::abs(s.quantile(q) - exact) <= s.relative_error() * exact * (1 + 1e-12));
    }
    SUBCASE("the collapsed state depends on the samples only, not their order or grouping") {
        std::vector<double> sorted = values;
        std::sort(sorted.begin(), sorted.end());
        stats::log_bucket_sketch ascending(config);
        stats::log_bucket_sketch descending(config);
        for (double x : sorted) {
            ascending.add(x);
        }
        for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
            descending.add(*it);
        }
        CHECK(ascending == s);
        CHECK(descending == s);
        stats::log_bucket_sketch low(config);
        stats::log_bucket_sketch high(config);
        for (double x : sorted) {
            (x < 1.0 ? low : high).add(x);
        }
        stats::log_bucket_sketch merged = low;
        merged.merge(high);
        CHECK(merged == s);
        stats::log_bucket_sketch merged_other_way = high;
        merged_other_way.merge(low);
        CHECK(merged_other_way == s);
    }
}

TEST_CASE("log_bucket_sketch: extreme values") {
    stats::log_bucket_sketch s;
    s.add(5e-324);  // subnormal: underflow
    s.add(1e-300);  // indexable
    s.add(1e300);   // indexable, but 600 decades from 1e-300: collapses
    s.add(std::numeric_limits<double>::max()); // above DBL_MAX / gamma: overflow
    CHECK(s.count() == 4);
    CHECK(s.underflow_count() == 1);
    CHECK(s.overflow_count() == 1);
    CHECK(s.collapsed());
    CHECK(s.quantile(0.0) == 5e-324);
    CHECK(s.quantile(1.0) == std::numeric_limits<double>::max());
    // The exact sum exceeds DBL_MAX, so rounding it to double gives +infinity.
    CHECK(s.sum() == std::numeric_limits<double>::infinity());
}

TEST_CASE("log_bucket_sketch: configuration errors") {
    CHECK_THROWS_AS(stats::log_bucket_sketch({.relative_error = 0.0}), std::invalid_argument);
    CHECK_THROWS_AS(stats::log_bucket_sketch({.relative_error = 0.9}), std::invalid_argument);
    CHECK_THROWS_AS(stats::log_bucket_sketch({.max_buckets = 1}), std::invalid_argument);
    stats::log_bucket_sketch a;
    CHECK_THROWS_AS(a.merge(stats::log_bucket_sketch({.relative_error = 0.01})),
                    std::invalid_argument);
    CHECK_THROWS_AS(a.merge(stats::log_bucket_sketch({.max_buckets = 100})),
                    std::invalid_argument);
}
