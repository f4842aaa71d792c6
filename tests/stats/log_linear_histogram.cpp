#include <llmcap/stats/log_linear_histogram.hpp>

#include <llmcap/stats/exact_quantiles.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace stats = llmcap::stats;

TEST_CASE("log_linear_histogram: default layout fits 32 KiB and covers 1 us .. 1 h") {
    const stats::log_linear_histogram h;
    CHECK(h.sub_bucket_bits() == 7);
    CHECK(h.relative_error() == 1.0 / 257.0);
    CHECK(h.relative_error() <= 0.005);
    CHECK(h.bucket_count() == 4060);
    CHECK(h.memory_bytes() <= 32 * 1024);
    CHECK(h.bucket_lower(0) <= 1e-6);
    CHECK(h.bucket_lower(1) > 1e-6);
    CHECK(h.bucket_lower(h.bucket_count()) > 3600.0);
    CHECK(h.bucket_lower(h.bucket_count() - 1) <= 3600.0);
    CHECK(h.sum_resolution() == std::ldexp(1.0, -50));
}

TEST_CASE("log_linear_histogram: sub-bucket count follows the requested error") {
    const auto bits = [](double alpha) {
        return stats::log_linear_histogram({.relative_error = alpha}).sub_bucket_bits();
    };
    CHECK(bits(0.5) == 0);   // 1/3 <= 0.5
    CHECK(bits(0.01) == 6);  // 1/129
    CHECK(bits(0.005) == 7); // 1/257
    CHECK(bits(0.001) == 9); // 1/1025
    for (double alpha : {0.3, 0.02, 0.004, 0.0007}) {
        const stats::log_linear_histogram h({.relative_error = alpha});
        CHECK(h.relative_error() <= alpha);
        CHECK(h.relative_error() > alpha / 2.0); // the smallest sufficient p, not more
    }
}

TEST_CASE("log_linear_histogram: every bucket's representative is within the error of its edges") {
    for (double alpha : {0.005, 0.05}) {
        const stats::log_linear_histogram h(
            {.lowest = 1e-3, .highest = 1e6, .relative_error = alpha});
        const double eps = h.relative_error() * (1.0 + 1e-12);
        for (std::size_t i = 0; i < h.bucket_count(); ++i) {
            const double a = h.bucket_lower(i);
            const double b = h.bucket_lower(i + 1);
            const double rep = h.bucket_representative(i);
            REQUIRE(a < rep);
            REQUIRE(rep < b);
            REQUIRE((rep - a) / a <= eps);
            REQUIRE((b - rep) / b <= eps);
        }
    }
}

TEST_CASE("log_linear_histogram: a tokens/s configuration keeps the guarantee") {
    stats::log_linear_histogram h({.lowest = 0.01, .highest = 1e6});
    stats::exact_quantiles oracle;
    std::mt19937_64 rng(99);
    std::lognormal_distribution<double> speed(std::log(40.0), 0.8);
    for (int i = 0; i < 20'000; ++i) {
        const double x = speed(rng);
        h.add(x);
        oracle.add(x);
    }
    for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) {
        const double exact = oracle.quantile(q);
        CHECK(std::abs(h.quantile(q) - exact) <= h.relative_error() * exact * (1 + 1e-12));
        CHECK(h.within_guarantee(q));
    }
}

TEST_CASE("log_linear_histogram: out-of-range samples are tallied and reported as bounds") {
    stats::log_linear_histogram h; // [~1e-6, ~3616)
    for (int i = 0; i < 10; ++i) {
        h.add(1e-9 * (i + 1)); // underflow: 1e-9 .. 1e-8
    }
    for (int i = 0; i < 80; ++i) {
        h.add(0.5);
    }
    for (int i = 0; i < 10; ++i) {
        h.add(5000.0 + i); // overflow
    }
    CHECK(h.count() == 100);
    CHECK(h.underflow_count() == 10);
    CHECK(h.overflow_count() == 10);
    CHECK(h.invalid_count() == 0);
    CHECK(h.quantile(0.05) == 1e-9); // ranks in the underflow answer min()
    CHECK_FALSE(h.within_guarantee(0.05));
    CHECK(h.quantile(0.95) == 5009.0); // ranks in the overflow answer max()
    CHECK_FALSE(h.within_guarantee(0.95));
    CHECK(h.within_guarantee(0.5));
    CHECK(h.quantile(0.5) == doctest::Approx(0.5).epsilon(h.relative_error()));
    CHECK(h.quantile(0.0) == 1e-9);
    CHECK(h.quantile(1.0) == 5009.0);
    // Sums include out-of-range samples, to the fixed-point resolution.
    const double expected = 55e-9 + 40.0 + 50045.0;
    CHECK(std::abs(h.sum() - expected) <= 100 * h.sum_resolution() + 1e-12 * expected);
}

TEST_CASE("log_linear_histogram: sum is exact to its resolution and saturates visibly") {
    stats::log_linear_histogram h;
    for (int i = 0; i < 1000; ++i) {
        h.add(0.001);
    }
    CHECK(std::abs(h.sum() - 1.0) <= 1000 * h.sum_resolution());
    CHECK(h.mean() == doctest::Approx(0.001).epsilon(1e-12));
    h.add(1e200); // overflow sample far beyond the fixed-point range
    CHECK(h.overflow_count() == 1);
    CHECK(h.sum() == std::numeric_limits<double>::infinity());
    CHECK(h.mean() == std::numeric_limits<double>::infinity());
    CHECK(h.max() == 1e200);
    h.clear();
    CHECK(h.count() == 0);
    CHECK(std::isnan(h.sum()));
    h.add(2.0);
    CHECK(h.sum() == 2.0);
}

TEST_CASE("log_linear_histogram: configuration errors") {
    using cfg = stats::log_linear_histogram_config;
    const auto make = [](cfg c) { return stats::log_linear_histogram(c); };
    CHECK_THROWS_AS(make({.lowest = 0.0}), std::invalid_argument);
    CHECK_THROWS_AS(make({.lowest = -1.0}), std::invalid_argument);
    CHECK_THROWS_AS(make({.lowest = std::numeric_limits<double>::quiet_NaN()}),
                    std::invalid_argument);
    CHECK_THROWS_AS(make({.lowest = 1e-310}), std::invalid_argument); // subnormal
    CHECK_THROWS_AS(make({.lowest = 2.0, .highest = 1.0}), std::invalid_argument);
    CHECK_THROWS_AS(make({.highest = std::numeric_limits<double>::infinity()}),
                    std::invalid_argument);
    CHECK_THROWS_AS(make({.relative_error = 0.0}), std::invalid_argument);
    CHECK_THROWS_AS(make({.relative_error = 0.6}), std::invalid_argument);
    CHECK_THROWS_AS(make({.lowest = 1e-9, .highest = 1e9}), std::invalid_argument); // 2^60
    CHECK_NOTHROW(make({.lowest = 1e-9, .highest = 1e4}));
}

TEST_CASE("log_linear_histogram: merging different layouts is a programmer error") {
    stats::log_linear_histogram a;
    const stats::log_linear_histogram b({.relative_error = 0.01});
    const stats::log_linear_histogram c({.lowest = 1e-3});
    CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
    CHECK_THROWS_AS(a.merge(c), std::invalid_argument);
    // A different request that yields the same layout merges.
    const stats::log_linear_histogram d({.lowest = 1.0000001e-6, .relative_error = 0.0045});
    CHECK(a.same_layout(d));
    CHECK_NOTHROW(a.merge(d));
}
