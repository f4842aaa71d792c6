#include <llmcap/analysis/fit.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

namespace la = llmcap::analysis;

TEST_CASE("fit: affine least squares by hand") {
    // General chatbot TTFT (reference report, 32K): 1.6 s @ 1, 4.3 s @ 5, 6.7 s @ 12.
    // x̄ = 6, ȳ = 4.2, Sxx = 62, Sxy = 27.9: b = 0.45, a = 4.2 − 0.45·6 = 1.5.
    const std::vector<double> x{1.0, 5.0, 12.0};
    const std::vector<double> y{1.6, 4.3, 6.7};
    const auto f = la::fit(la::fit_model::affine, x, y);
    REQUIRE(f);
    CHECK(f->a == doctest::Approx(1.5));
    CHECK(f->b == doctest::Approx(0.45));
    // Residuals −0.35, 0.55, −0.2: SSE = 0.465, SST = 13.02.
    CHECK(f->r_squared == doctest::Approx(1.0 - 0.465 / 13.02));
    CHECK(f->rmse == doctest::Approx(std::sqrt(0.465 / 3.0)));
    CHECK(*f->solve(8.0) == doctest::Approx(6.5 / 0.45));
    CHECK(f->predict(2.0) == doctest::Approx(2.4));
}

TEST_CASE("fit: saturating model recovers exact parameters") {
    // y = 200 / (1 + 0.25 c)
    const std::vector<double> x{1.0, 2.0, 4.0, 8.0, 16.0};
    std::vector<double> y;
    for (double c : x)
        y.push_back(200.0 / (1.0 + 0.25 * c));
    const auto f = la::fit(la::fit_model::saturating, x, y);
    REQUIRE(f);
    CHECK(f->a == doctest::Approx(200.0));
    CHECK(f->b == doctest::Approx(0.25));
    CHECK(f->r_squared == doctest::Approx(1.0));
    // 200 / (1 + 0.25 c) = 10 → c = 76.
    CHECK(*f->solve(10.0) == doctest::Approx(76.0));
}

TEST_CASE("fit: saturating refinement lowers the error below the linearised start") {
    const std::vector<double> x{1.0, 5.0, 12.0};
    const std::vector<double> y{172.0, 78.0, 42.0};
    const auto f = la::fit(la::fit_model::saturating, x, y);
    REQUIRE(f);
    // The linearised start: 1/y affine in c.
    const std::vector<double> inv{1.0 / 172.0, 1.0 / 78.0, 1.0 / 42.0};
    const auto lin = la::fit(la::fit_model::affine, x, inv);
    REQUIRE(lin);
    la::fit_result start{la::fit_model::saturating, 1.0 / lin->a, lin->b / lin->a};
    double start_sse = 0.0;
    double sse = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        start_sse += std::pow(y[i] - start.predict(x[i]), 2);
        sse += std::pow(y[i] - f->predict(x[i]), 2);
    }
    CHECK(sse <= start_sse);
    CHECK(f->r_squared > 0.99);
}

TEST_CASE("fit: power model recovers exact parameters") {
    const std::vector<double> x{1.0, 4.0, 9.0, 16.0};
    const std::vector<double> y{3.0, 6.0, 9.0, 12.0}; // 3·c^0.5
    const auto f = la::fit(la::fit_model::power, x, y);
    REQUIRE(f);
    CHECK(f->a == doctest::Approx(3.0));
    CHECK(f->b == doctest::Approx(0.5));
    CHECK(*f->solve(15.0) == doctest::Approx(25.0));
}

TEST_CASE("fit: too few or degenerate points give no fit") {
    const std::vector<double> one{1.0};
    const std::vector<double> same_x{2.0, 2.0};
    const std::vector<double> y2{1.0, 3.0};
    const std::vector<double> negative{1.0, -3.0};
    CHECK_FALSE(la::fit(la::fit_model::affine, one, one));
    CHECK_FALSE(la::fit(la::fit_model::affine, same_x, y2));
    CHECK_FALSE(la::fit(la::fit_model::saturating, y2, negative));
    CHECK_FALSE(la::fit(la::fit_model::power, y2, negative));
    // A flat model never crosses.
    const la::fit_result flat{la::fit_model::affine, 1.0, 0.0};
    CHECK_FALSE(flat.solve(2.0));
}
