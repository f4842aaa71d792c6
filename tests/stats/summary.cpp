#include <llmcap/stats/summary.hpp>

#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace stats = llmcap::stats;

TEST_CASE("sample_statistics: summary of a metric") {
    const std::vector<double> v = stats::test::lognormal(20'000, 3);
    stats::sample_statistics<> s; // log_linear_histogram
    stats::sample_statistics<stats::exact_quantiles> exact;
    for (double x : v) {
        s.add(x);
        exact.add(x);
    }
    s.add(-1.0);
    s.add(std::numeric_limits<double>::quiet_NaN());
    const stats::summary r = s.summarize();
    const stats::summary e = exact.summarize();
    CHECK(r.count == v.size());
    CHECK(r.invalid == 2);
    CHECK(s.moments().count() == v.size());
    CHECK(r.min == e.min);
    CHECK(r.max == e.max);
    CHECK(r.mean == e.mean);
    CHECK(r.stddev == e.stddev);
    CHECK(r.mean_ci.lower == e.mean_ci.lower);
    CHECK(r.mean_ci.lower < r.mean);
    CHECK(r.mean_ci.upper > r.mean);
    const double eps = r.relative_error;
    CHECK(eps < 0.005);
    CHECK(r.p50 == doctest::Approx(e.p50).epsilon(eps));
    CHECK(r.p90 == doctest::Approx(e.p90).epsilon(eps));
    CHECK(r.p95 == doctest::Approx(e.p95).epsilon(eps));
    CHECK(r.p99 == doctest::Approx(e.p99).epsilon(eps));
    CHECK(r.p999 == doctest::Approx(e.p999).epsilon(eps));
    CHECK(r.p50 < r.p90);
    CHECK(r.p99 < r.p999);
    CHECK(r.percentiles_within_guarantee);
    CHECK(e.relative_error == 0.0);
}

TEST_CASE("sample_statistics: merge and out-of-range flag") {
    stats::sample_statistics<stats::log_bucket_sketch> a;
    stats::sample_statistics<stats::log_bucket_sketch> b;
    a.add(1.0);
    b.add(3.0);
    a.merge(b);
    CHECK(a.summarize().count == 2);
    CHECK(a.summarize().mean == 2.0);
    stats::sample_statistics<> h;
    for (int i = 0; i < 100; ++i) {
        h.add(i < 50 ? 0.0 : 1.0); // half the samples underflow the histogram (zeros)
    }
    const stats::summary r = h.summarize();
    CHECK(r.p50 == doctest::Approx(0.5)); // ranks 49 (0) and 50 (1.0 = exact min of upper half)
    CHECK_FALSE(r.percentiles_within_guarantee);
    CHECK(std::isnan(stats::sample_statistics<>{}.summarize().mean));
}
