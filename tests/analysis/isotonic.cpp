#include <llmcap/analysis/isotonic.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

namespace la = llmcap::analysis;

TEST_CASE("isotonic_regression: monotone input is returned unchanged") {
    const std::vector<double> y{1.0, 2.0, 2.0, 5.0};
    CHECK(la::isotonic_regression(y, la::monotonicity::non_decreasing) == y);
    const std::vector<double> down{9.0, 4.0, 4.0, 1.0};
    CHECK(la::isotonic_regression(down, la::monotonicity::non_increasing) == down);
}

TEST_CASE("isotonic_regression: violators are pooled into their mean") {
    // 3 and 2 violate: pooled to 2.5.
    const std::vector<double> y{1.0, 3.0, 2.0, 4.0};
    const std::vector<double> f = la::isotonic_regression(y, la::monotonicity::non_decreasing);
    REQUIRE(f.size() == 4);
    CHECK(f[0] == doctest::Approx(1.0));
    CHECK(f[1] == doctest::Approx(2.5));
    CHECK(f[2] == doctest::Approx(2.5));
    CHECK(f[3] == doctest::Approx(4.0));
}

TEST_CASE("isotonic_regression: pooling cascades backwards") {
    // 5, 1 → 3, 3; then 4, 3, 3, 0 → ... hand: start 4 | 5 1 → 4 | 3 3 → violates 4>3 →
    // pool 4,5,1 = 10/3; then 0 → pool all four = 10/4 = 2.5.
    const std::vector<double> y{4.0, 5.0, 1.0, 0.0};
    const std::vector<double> f = la::isotonic_regression(y, la::monotonicity::non_decreasing);
    for (double v : f)
        CHECK(v == doctest::Approx(2.5));
}

TEST_CASE("isotonic_regression: non-increasing with weights") {
    // Speeds 100, 60, 70, 20 with weights 1, 1, 3, 1: 60 and 70 pool to (60 + 210) / 4 = 67.5.
    const std::vector<double> y{100.0, 60.0, 70.0, 20.0};
    const std::vector<double> w{1.0, 1.0, 3.0, 1.0};
    const std::vector<double> f = la::isotonic_regression(y, la::monotonicity::non_increasing, w);
    CHECK(f[0] == doctest::Approx(100.0));
    CHECK(f[1] == doctest::Approx(67.5));
    CHECK(f[2] == doctest::Approx(67.5));
    CHECK(f[3] == doctest::Approx(20.0));
}

TEST_CASE("isotonic_regression: bad weights are refused") {
    const std::vector<double> y{1.0, 2.0};
    const std::vector<double> short_w{1.0};
    const std::vector<double> zero_w{1.0, 0.0};
    CHECK_THROWS_AS((void)la::isotonic_regression(y, la::monotonicity::non_decreasing, short_w),
                    std::invalid_argument);
    CHECK_THROWS_AS((void)la::isotonic_regression(y, la::monotonicity::non_decreasing, zero_w),
                    std::invalid_argument);
    CHECK(la::isotonic_regression({}, la::monotonicity::non_decreasing).empty());
}
