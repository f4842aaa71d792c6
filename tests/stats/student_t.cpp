#include <llmcap/stats/student_t.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace stats = llmcap::stats;

TEST_CASE("normal_quantile: known values") {
    CHECK(stats::normal_quantile(0.5) == doctest::Approx(0.0).epsilon(1e-15));
    CHECK(stats::normal_quantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-14));
    CHECK(stats::normal_quantile(0.025) == doctest::Approx(-1.959963984540054).epsilon(1e-14));
    CHECK(stats::normal_quantile(0.999) == doctest::Approx(3.090232306167814).epsilon(1e-14));
    CHECK(stats::normal_quantile(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-13));
    CHECK(stats::normal_quantile(0.0) == -std::numeric_limits<double>::infinity());
    CHECK(stats::normal_quantile(1.0) == std::numeric_limits<double>::infinity());
    CHECK_THROWS_AS((void)stats::normal_quantile(1.5), std::invalid_argument);
}

TEST_CASE("student_t_quantile: known values") {
    // Reference values from R's qt() / standard tables.
    struct row {
        double p, df, t;
    };
    const row rows[] = {
        {0.975, 1, 12.706204736174707},   {0.975, 2, 4.302652729749464},
        {0.975, 3, 3.182446305284263},    {0.975, 4, 2.776445105197793},
        {0.975, 5, 2.570581835636314},    {0.975, 10, 2.228138851986274},
        {0.975, 30, 2.042272456301238},   {0.975, 100, 1.983971518523552},
        {0.975, 1000, 1.962339080825676}, {0.995, 5, 4.032142983557536},
        {0.995, 1, 63.65674116287399},    {0.9, 3, 1.637744353696210},
        {0.95, 20, 1.724718242920787},    {0.025, 10, -2.228138851986274},
    };
    for (const row& r : rows) {
        CAPTURE(r.p);
        CAPTURE(r.df);
        CHECK(stats::student_t_quantile(r.p, r.df) == doctest::Approx(r.t).epsilon(1e-10));
    }
    CHECK(stats::student_t_quantile(0.975, std::numeric_limits<double>::infinity()) ==
          doctest::Approx(1.959963984540054).epsilon(1e-14));
    CHECK(stats::student_t_quantile(0.975, 1e7) == doctest::Approx(1.959964).epsilon(1e-6));
    // Continuous across the switch from Newton iteration to the expansion alone at df = 2000.
    CHECK(stats::student_t_quantile(0.975, 2000.0) ==
          doctest::Approx(stats::student_t_quantile(0.975, 2000.000001)).epsilon(1e-12));
    CHECK(stats::student_t_quantile(0.975, 3000) == doctest::Approx(1.960755055322).epsilon(1e-12));
    CHECK(stats::student_t_quantile(0.5, 7.0) == 0.0);
}

TEST_CASE("student_t_quantile: inverts the CDF for real df, no gap between df values") {
    double previous = std::numeric_limits<double>::infinity();
    for (double df = 0.5; df <= 200.0; df *= 1.07) {
        CAPTURE(df);
        for (double p : {0.6, 0.9, 0.975, 0.995, 0.9999}) {
            const double t = stats::student_t_quantile(p, df);
            CHECK(stats::student_t_cdf(t, df) == doctest::Approx(p).epsilon(1e-11));
            CHECK(stats::student_t_quantile(1.0 - p, df) == doctest::Approx(-t).epsilon(1e-9));
        }
        // t(0.975, df) decreases continuously towards the normal quantile.
        const double t975 = stats::student_t_quantile(0.975, df);
        CHECK(t975 < previous);
        CHECK(t975 > 1.959963984540054);
        previous = t975;
    }
}

TEST_CASE("student_t: argument errors") {
    CHECK_THROWS_AS((void)stats::student_t_quantile(0.5, 0.0), std::invalid_argument);
    CHECK_THROWS_AS((void)stats::student_t_quantile(-0.1, 3.0), std::invalid_argument);
    CHECK_THROWS_AS((void)stats::student_t_cdf(1.0, -1.0), std::invalid_argument);
    CHECK(stats::student_t_quantile(1.0, 3.0) == std::numeric_limits<double>::infinity());
    CHECK(stats::student_t_quantile(0.0, 3.0) == -std::numeric_limits<double>::infinity());
    CHECK(stats::student_t_cdf(0.0, 4.0) == 0.5);
}
