#include <llmcap/stats/log_bucket_sketch.hpp>

#include <llmcap/stats/exact_quantiles.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
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

TEST_CASE("log_bucket_sketch: matches a reference model of collapsing") {
    // Reference: a sample with bucket index i ends in bucket max(i, hi - max_buckets + 1),
    // where hi is the highest index of all samples, whatever the insertion or merge order.
    constexpr std::size_t max_buckets = 64;
    const stats::log_bucket_sketch_config config{.relative_error = 0.02,
                                                 .max_buckets = max_buckets};
    std::mt19937_64 rng(17);
    for (int round = 0; round < 40; ++round) {
        CAPTURE(round);
        const stats::log_bucket_sketch probe(config);
        std::uniform_int_distribution<int> span_pick(10, 300);
        const int span = span_pick(rng);
        std::uniform_real_distribution<double> log_value(-0.04 * span, 0.04 * span);
        std::vector<double> values(200 + static_cast<std::size_t>(round) * 20);
        for (double& x : values) {
            x = std::exp(log_value(rng));
        }
        std::map<std::int64_t, std::uint64_t> expected;
        std::int64_t hi = std::numeric_limits<std::int64_t>::min();
        for (double x : values) {
            hi = std::max(hi, probe.index_of(x));
        }
        const std::int64_t floor = hi - static_cast<std::int64_t>(max_buckets) + 1;
        for (double x : values) {
            ++expected[std::max(probe.index_of(x), floor)];
        }
        // Insert in random order into three sketches, merge them in random order.
        std::shuffle(values.begin(), values.end(), rng);
        std::vector<stats::log_bucket_sketch> parts(3, stats::log_bucket_sketch(config));
        for (std::size_t i = 0; i < values.size(); ++i) {
            parts[rng() % 3].add(values[i]);
        }
        std::shuffle(parts.begin(), parts.end(), rng);
        stats::log_bucket_sketch merged = parts[0];
        merged.merge(parts[1]);
        merged.merge(parts[2]);
        stats::log_bucket_sketch direct(config);
        for (double x : values) {
            direct.add(x);
        }
        CHECK(merged == direct);
        CHECK(direct.lowest_index() == expected.begin()->first);
        CHECK(direct.highest_index() == hi);
        CHECK(direct.collapsed() == (expected.begin()->first == floor && [&] {
                  for (double x : values) {
                      if (probe.index_of(x) < floor) {
                          return true;
                      }
                  }
                  return false;
              }()));
        for (std::int64_t i = floor - 3; i <= hi + 3; ++i) {
            const auto it = expected.find(i);
            REQUIRE(direct.bucket(i) == (it == expected.end() ? 0 : it->second));
        }
    }
}

TEST_CASE("log_bucket_sketch: extreme values") {
    stats::log_bucket_sketch s;
    s.add(5e-324);                             // subnormal: underflow
    s.add(1e-300);                             // indexable
    s.add(1e300);                              // indexable, but 600 decades from 1e-300: collapses
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
    CHECK_THROWS_AS(a.merge(stats::log_bucket_sketch({.max_buckets = 100})), std::invalid_argument);
}
