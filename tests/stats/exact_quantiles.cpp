#include <llmcap/stats/exact_quantiles.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

namespace stats = llmcap::stats;

TEST_CASE("exact_quantiles: numpy linear method") {
    // numpy.quantile([10, 1, 7, 3], q) for q = 0, 0.25, 0.3, 0.5, 0.9, 1:
    // sorted [1, 3, 7, 10], h = 3q -> 1, 2.5, 2.8, 5, 9.1, 10.
    stats::exact_quantiles e;
    for (double x : {10.0, 1.0, 7.0, 3.0}) {
        e.add(x);
    }
    CHECK(e.quantile(0.0) == 1.0);
    CHECK(e.quantile(0.25) == 2.5);
    CHECK(e.quantile(0.3) == doctest::Approx(2.8).epsilon(1e-15));
    CHECK(e.quantile(0.5) == 5.0);
    CHECK(e.quantile(0.9) == doctest::Approx(9.1).epsilon(1e-15));
    CHECK(e.quantile(1.0) == 10.0);
    // numpy evaluates from the nearer sample: at weight 0.9, b - (b - a) * 0.1.
    CHECK(e.quantile(0.9) == 10.0 - (10.0 - 7.0) * (1.0 - (3.0 * 0.9 - 2.0)));
    CHECK(e.sum() == 21.0);
    CHECK(e.mean() == 5.25);
}

TEST_CASE("exact_quantiles: sum is exact whatever the order") {
    stats::exact_quantiles a;
    stats::exact_quantiles b;
    // 1e16 + 1 + 1 - naive left-to-right double sums lose the ones in one order only.
    const std::vector<double> v = {1e16, 1.0, 1.0};
    for (double x : v) {
        a.add(x);
    }
    for (auto it = v.rbegin(); it != v.rend(); ++it) {
        b.add(*it);
    }
    CHECK(a.sum() == 1e16 + 2.0);
    CHECK(b.sum() == 1e16 + 2.0);
    CHECK(a == b);
    CHECK(a.sorted_samples().size() == 3);
    CHECK(a.sorted_samples()[0] == 1.0);
}
