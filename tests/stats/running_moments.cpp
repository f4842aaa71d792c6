#include <llmcap/stats/running_moments.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace stats = llmcap::stats;

namespace {

struct two_pass {
    double mean;
    double variance;
};

two_pass reference_moments(const std::vector<double>& v) {
    long double sum = 0.0L;
    for (double x : v) {
        sum += x;
    }
    const long double mean = sum / static_cast<long double>(v.size());
    long double ss = 0.0L;
    for (double x : v) {
        ss += (x - mean) * (x - mean);
    }
    return {static_cast<double>(mean),
            static_cast<double>(ss / static_cast<long double>(v.size() - 1))};
}

} // namespace

TEST_CASE("running_moments: matches a two-pass computation") {
    const std::vector<double> v = stats::test::lognormal(50'000, 5);
    stats::running_moments m;
    for (double x : v) {
        m.add(x);
    }
    const two_pass ref = reference_moments(v);
    CHECK(m.count() == v.size());
    CHECK(m.mean() == doctest::Approx(ref.mean).epsilon(1e-13));
    CHECK(m.variance() == doctest::Approx(ref.variance).epsilon(1e-12));
    CHECK(m.population_variance() ==
          doctest::Approx(ref.variance * static_cast<double>(v.size() - 1) /
                          static_cast<double>(v.size()))
              .epsilon(1e-12));
    CHECK(m.stddev() == doctest::Approx(std::sqrt(ref.variance)).epsilon(1e-12));
    CHECK(m.standard_error() ==
          doctest::Approx(std::sqrt(ref.variance / static_cast<double>(v.size()))).epsilon(1e-12));
    CHECK(m.min() == *std::min_element(v.begin(), v.end()));
    CHECK(m.max() == *std::max_element(v.begin(), v.end()));
}

TEST_CASE("running_moments: Welford stays accurate with a large offset") {
    // Naive sum-of-squares loses every digit here; Welford keeps them.
    stats::running_moments m;
    for (int i = 0; i < 1000; ++i) {
        m.add(1e9 + static_cast<double>(i % 10));
    }
    CHECK(m.mean() == doctest::Approx(1e9 + 4.5).epsilon(1e-15));
    // Values 0..9 repeated 100 times: variance = 8.25 * 1000 / 999.
    CHECK(m.variance() == doctest::Approx(8.25 * 1000.0 / 999.0).epsilon(1e-6));
}

TEST_CASE("running_moments: Chan merge of splits agrees with the whole") {
    const std::vector<double> v = stats::test::pareto(30'000, 9);
    stats::running_moments whole;
    for (double x : v) {
        whole.add(x);
    }
    for (std::size_t k : {2U, 5U, 13U}) {
        std::vector<stats::running_moments> parts(k);
        for (std::size_t i = 0; i < v.size(); ++i) {
            parts[(i * 7919) % k].add(v[i]);
        }
        stats::running_moments merged;
        for (const auto& p : parts) {
            merged.merge(p);
        }
        CHECK(merged.count() == whole.count());
        CHECK(merged.mean() == doctest::Approx(whole.mean()).epsilon(1e-13));
        CHECK(merged.variance() == doctest::Approx(whole.variance()).epsilon(1e-11));
        CHECK(merged.min() == whole.min());
        CHECK(merged.max() == whole.max());
    }
}

TEST_CASE("running_moments: edge cases") {
    stats::running_moments m;
    CHECK(std::isnan(m.mean()));
    CHECK(std::isnan(m.variance()));
    CHECK(std::isnan(m.min()));
    m.add(std::numeric_limits<double>::quiet_NaN());
    m.add(std::numeric_limits<double>::infinity());
    m.add(-std::numeric_limits<double>::infinity());
    CHECK(m.count() == 0);
    CHECK(m.invalid_count() == 3);
    m.add(-2.0); // negative values are fine for moments
    CHECK(m.mean() == -2.0);
    CHECK(std::isnan(m.variance()));
    CHECK(m.population_variance() == 0.0);
    m.add(2.0);
    CHECK(m.mean() == 0.0);
    CHECK(m.variance() == 8.0);
    stats::running_moments empty;
    stats::running_moments copy = m;
    copy.merge(empty);
    CHECK(copy == m);
    empty.merge(m);
    CHECK(empty == m);
}
