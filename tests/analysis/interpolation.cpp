#include <llmcap/analysis/interpolation.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <stdexcept>
#include <vector>

namespace la = llmcap::analysis;

TEST_CASE("interpolant: linear values and crossing") {
    const la::interpolant f({1.0, 24.0, 30.0}, {0.717, 2.016, 2.051});
    CHECK(*f(1.0) == doctest::Approx(0.717));
    CHECK(*f(24.0) == doctest::Approx(2.016));
    CHECK(*f(27.0) == doctest::Approx(2.0335));
    CHECK_FALSE(f(0.5));
    CHECK_FALSE(f(31.0));
    // 1 + (2 - 0.717) / (2.016 - 0.717) * 23
    CHECK(*f.solve_on_interval(0, 2.0) == doctest::Approx(23.716705157813703));
    CHECK_FALSE(f.solve_on_interval(1, 2.0)); // 2.0 is not between 2.016 and 2.051
    CHECK_FALSE(f.solve_on_interval(2, 2.0)); // no interval 2
}

TEST_CASE("interpolant: monotone cubic reproduces straight lines") {
    const la::interpolant f({1.0, 2.0, 4.0, 8.0}, {3.0, 5.0, 9.0, 17.0},
                            la::interpolation_method::monotone_cubic);
    for (double x = 1.0; x <= 8.0; x += 0.25)
        CHECK(*f(x) == doctest::Approx(1.0 + 2.0 * x));
    CHECK(*f.solve_on_interval(2, 12.0) == doctest::Approx(5.5));
}

TEST_CASE("interpolant: Fritsch-Carlson slopes on the code-completion data") {
    // Secants d0 = 1.299/23, d1 = 0.035/6; interior slope (d0 + d1)/2; interval 1 has
    // α² + β² = 29.5 > 9, so m1 and m2 are scaled by 3/√29.5. The crossing of 2.0 on interval 0
    // then solves the Hermite cubic with m0 = 0.0564783, m1 = 0.0172011: x = 23.19595.
    const la::interpolant f({1.0, 24.0, 30.0}, {0.717, 2.016, 2.051},
                            la::interpolation_method::monotone_cubic);
    CHECK(*f.solve_on_interval(0, 2.0) == doctest::Approx(23.195949862390407).epsilon(1e-9));
}

TEST_CASE("interpolant: monotone cubic never overshoots, even on noisy data") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> value(0.0, 10.0);
    std::uniform_real_distribution<double> step(0.1, 5.0);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<double> xs{0.0};
        std::vector<double> ys{value(rng)};
        for (int i = 1; i < 8; ++i) {
            xs.push_back(xs.back() + step(rng));
            ys.push_back(value(rng));
        }
        const la::interpolant f(xs, ys, la::interpolation_method::monotone_cubic);
        for (std::size_t k = 0; k + 1 < xs.size(); ++k) {
            const double lo = std::min(ys[k], ys[k + 1]);
            const double hi = std::max(ys[k], ys[k + 1]);
            double previous = ys[k];
            for (int j = 1; j <= 20; ++j) {
                const double x = xs[k] + (xs[k + 1] - xs[k]) * j / 20.0;
                const double v = *f(x);
                CHECK(v >= lo - 1e-12);
                CHECK(v <= hi + 1e-12);
                // Monotone within the interval, in the direction of its end points.
                if (ys[k + 1] >= ys[k])
                    CHECK(v >= previous - 1e-12);
                else
                    CHECK(v <= previous + 1e-12);
                previous = v;
            }
        }
    }
}

TEST_CASE("interpolant: a single point and invalid input") {
    const la::interpolant one({4.0}, {7.0});
    CHECK(*one(4.0) == 7.0);
    CHECK_FALSE(one(4.5));
    CHECK_THROWS_AS(la::interpolant({1.0, 1.0}, {1.0, 2.0}), std::invalid_argument);
    CHECK_THROWS_AS(la::interpolant({1.0, 2.0}, {1.0}), std::invalid_argument);
    CHECK_THROWS_AS(la::interpolant({}, {}), std::invalid_argument);
}
