#include <llmcap/stats/confidence_interval.hpp>

#include <llmcap/stats/exact_quantiles.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace stats = llmcap::stats;

TEST_CASE("mean_confidence_interval: Student t formula") {
    // n = 11, mean 5, s = 2: half width = t(0.975, 10) * 2 / sqrt(11).
    const stats::confidence_interval ci = stats::mean_confidence_interval(5.0, 2.0, 11);
    const double half = 2.228138851986274 * 2.0 / std::sqrt(11.0);
    CHECK(ci.lower == doctest::Approx(5.0 - half).epsilon(1e-12));
    CHECK(ci.upper == doctest::Approx(5.0 + half).epsilon(1e-12));
    CHECK(ci.half_width() == doctest::Approx(half).epsilon(1e-12));
    CHECK(ci.level == 0.95);
    // Two samples: t(0.975, 1) = 12.706.
    stats::running_moments m;
    m.add(1.0);
    m.add(3.0);
    const stats::confidence_interval two = stats::mean_confidence_interval(m);
    CHECK(two.half_width() ==
          doctest::Approx(12.706204736174707 * std::sqrt(2.0) / std::sqrt(2.0)).epsilon(1e-12));
    // 99% is wider than 95%.
    CHECK(stats::mean_confidence_interval(m, 0.99).half_width() > two.half_width());
}

TEST_CASE("mean_confidence_interval: degenerate counts and bad levels") {
    stats::running_moments m;
    const stats::confidence_interval none = stats::mean_confidence_interval(m);
    CHECK(std::isnan(none.lower));
    CHECK(std::isnan(none.upper));
    m.add(4.0);
    const stats::confidence_interval one = stats::mean_confidence_interval(m);
    CHECK(one.lower == -std::numeric_limits<double>::infinity());
    CHECK(one.upper == std::numeric_limits<double>::infinity());
    CHECK_THROWS_AS((void)stats::mean_confidence_interval(m, 1.0), std::invalid_argument);
    CHECK_THROWS_AS((void)stats::mean_confidence_interval(m, 0.0), std::invalid_argument);
}

TEST_CASE("mean_confidence_interval: covers the true mean about 95% of the time") {
    // 400 experiments of 8 normal samples: coverage of the t interval is 0.95 (the normal
    // 1.96 interval would cover only ~0.92 at n = 8). Binomial sd = 0.011.
    std::mt19937_64 rng(2024);
    std::normal_distribution<double> d(10.0, 3.0);
    int covered = 0;
    for (int e = 0; e < 400; ++e) {
        stats::running_moments m;
        for (int i = 0; i < 8; ++i) {
            m.add(d(rng));
        }
        const stats::confidence_interval ci = stats::mean_confidence_interval(m);
        covered += (ci.lower <= 10.0 && 10.0 <= ci.upper) ? 1 : 0;
    }
    CHECK(covered >= 360); // 0.90
    CHECK(covered <= 396); // 0.99
}

TEST_CASE("bootstrap_quantile_interval: seeded, brackets the sample quantile") {
    const std::vector<double> v = stats::test::lognormal(2'000, 77);
    stats::exact_quantiles oracle;
    for (double x : v) {
        oracle.add(x);
    }
    std::mt19937_64 rng_a(5);
    std::mt19937_64 rng_b(5);
    const auto a = stats::bootstrap_quantile_interval(v, 0.9, 200, rng_a);
    const auto b = stats::bootstrap_quantile_interval(v, 0.9, 200, rng_b);
    CHECK(a.lower == b.lower); // same seed, same interval
    CHECK(a.upper == b.upper);
    CHECK(a.lower < oracle.quantile(0.9));
    CHECK(a.upper > oracle.quantile(0.9));
    // The interval is narrow relative to the value for 2000 samples but not degenerate.
    CHECK(a.half_width() > 0.0);
    CHECK(a.half_width() < 0.2 * oracle.quantile(0.9));
    std::mt19937_64 rng_c(6);
    const auto c = stats::bootstrap_quantile_interval(v, 0.9, 200, rng_c);
    CHECK((c.lower != a.lower || c.upper != a.upper));
    // Constant data: the interval collapses to the value.
    const std::vector<double> same(100, 2.5);
    const auto k = stats::bootstrap_quantile_interval(same, 0.5, 50, rng_c);
    CHECK(k.lower == 2.5);
    CHECK(k.upper == 2.5);
    CHECK(std::isnan(stats::bootstrap_quantile_interval({}, 0.5, 10, rng_c).lower));
    CHECK_THROWS_AS((void)stats::bootstrap_quantile_interval(v, 0.5, 0, rng_c),
                    std::invalid_argument);
    CHECK_THROWS_AS((void)stats::bootstrap_quantile_interval(v, 1.5, 10, rng_c),
                    std::invalid_argument);
}
