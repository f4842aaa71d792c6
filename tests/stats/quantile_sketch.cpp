#include <llmcap/stats/quantile_sketch.hpp>

#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>

#include "sketch_data.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

// The property suite every quantile_sketch model must pass.
//
// "Within the guarantee": the exact answer is numpy's `linear` quantile
// e = (1 - w) x[r] + w x[r + 1] of the sorted samples (r = floor((n - 1) q), w its fraction).
// A sketch that answers e' = (1 - w) y + w z with |y - x[r]| <= ε x[r] and
// |z - x[r + 1]| <= ε x[r + 1] has |e' - e| <= (1 - w) ε x[r] + w ε x[r + 1] = ε e. So the
// check is |e' - e| <= ε e against the exact interpolated value, which implies (and is
// stricter than) "within ε of the samples at that rank". A relative slack of 1e-12 covers the
// rounding of the interpolation itself.

namespace stats = llmcap::stats;

namespace {

constexpr double report_quantiles[] = {0.0, 0.001, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
constexpr std::size_t property_samples = 100'000;

bool within(double estimate, double exact, double epsilon) {
    return std::abs(estimate - exact) <= epsilon * exact * (1.0 + 1e-12) + 1e-300;
}

template <class Sketch>
Sketch sketch_of(const std::vector<double>& values) {
    Sketch s;
    for (double x : values) {
        s.add(x);
    }
    return s;
}

/// Like a sketch, but without merge(): must not model quantile_sketch.
struct no_merge_sketch {
    void add(double) {}
    std::uint64_t count() const {
        return 0;
    }
    std::uint64_t underflow_count() const {
        return 0;
    }
    std::uint64_t overflow_count() const {
        return 0;
    }
    std::uint64_t invalid_count() const {
        return 0;
    }
    double quantile(double) const {
        return 0.0;
    }
    bool within_guarantee(double) const {
        return false;
    }
    double relative_error() const {
        return 0.0;
    }
    double min() const {
        return 0.0;
    }
    double max() const {
        return 0.0;
    }
    double sum() const {
        return 0.0;
    }
    double mean() const {
        return 0.0;
    }
    friend bool operator==(const no_merge_sketch&, const no_merge_sketch&) = default;
};

/// quantile() returning float: must not model quantile_sketch.
struct float_quantile_sketch : no_merge_sketch {
    void merge(const float_quantile_sketch&) {}
    float quantile(double) const {
        return 0.0f;
    }
};

/// The complete set of members: models quantile_sketch (the near-misses differ by one).
struct minimal_sketch : no_merge_sketch {
    void merge(const minimal_sketch&) {}
};

} // namespace

TEST_CASE("quantile_sketch: models and near-misses") {
    static_assert(stats::quantile_sketch<stats::exact_quantiles>);
    static_assert(stats::quantile_sketch<stats::log_linear_histogram>);
    static_assert(stats::quantile_sketch<stats::log_bucket_sketch>);
    static_assert(stats::quantile_sketch<minimal_sketch>);
    static_assert(!stats::sketch_mergeable<no_merge_sketch>);
    static_assert(!stats::quantile_sketch<no_merge_sketch>);
    static_assert(!stats::sketch_query<float_quantile_sketch>);
    static_assert(!stats::quantile_sketch<float_quantile_sketch>);
    static_assert(!stats::quantile_sketch<double>);
    CHECK(stats::quantile_sketch<minimal_sketch>);
}

#define LLMCAP_SKETCH_MODELS                                                                       \
    stats::exact_quantiles, stats::log_linear_histogram, stats::log_bucket_sketch

namespace {

/// One data set in one order, with the oracle's answers (which do not depend on the order).
struct property_case {
    std::string name;
    std::vector<double> values;
    std::vector<double> exact; // oracle quantile for each of report_quantiles
    double min = 0.0;
    double max = 0.0;
    double mean = 0.0;
};

/// Built once and shared by every model's run (the oracle sorts once per data set).
const std::vector<property_case>& property_cases() {
    static const std::vector<property_case> cases = [] {
        std::vector<property_case> out;
        for (const auto& data : stats::test::property_data(property_samples)) {
            stats::exact_quantiles oracle;
            oracle.reserve(data.values.size());
            for (double x : data.values) {
                oracle.add(x);
            }
            std::vector<double> exact;
            for (double q : report_quantiles) {
                exact.push_back(oracle.quantile(q));
            }
            for (auto& ordered : stats::test::orders_of(data)) {
                out.push_back({std::move(ordered.name), std::move(ordered.values), exact,
                               oracle.min(), oracle.max(), oracle.mean()});
            }
        }
        return out;
    }();
    return cases;
}

} // namespace

TEST_CASE_TEMPLATE("quantile_sketch: every quantile within the guarantee", Sketch,
                   LLMCAP_SKETCH_MODELS) {
    for (const property_case& c : property_cases()) {
        CAPTURE(c.name);
        const Sketch s = sketch_of<Sketch>(c.values);
        REQUIRE(s.count() == c.values.size());
        CHECK(s.min() == c.min);
        CHECK(s.max() == c.max);
        CHECK(s.quantile(0.0) == c.min);
        CHECK(s.quantile(1.0) == c.max);
        const double eps = s.relative_error();
        CHECK(eps <= 0.005);
        std::vector<double> batch(std::size(report_quantiles));
        s.quantiles(report_quantiles, batch);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const double q = report_quantiles[i];
            CAPTURE(q);
            const double estimate = s.quantile(q);
            CHECK(s.within_guarantee(q));
            CHECK_MESSAGE(within(estimate, c.exact[i], eps),
                          "estimate " << estimate << " exact " << c.exact[i] << " eps " << eps);
            CHECK(batch[i] == estimate); // the one-pass batch gives the same answers
        }
        CHECK(std::abs(s.mean() - c.mean) <= 1e-9 * c.mean);
    }
}

TEST_CASE_TEMPLATE("quantile_sketch: merge of k splits equals the whole, in any order", Sketch,
                   LLMCAP_SKETCH_MODELS) {
    const std::vector<double> values = stats::test::pareto(property_samples / 2, 21);
    const Sketch whole = sketch_of<Sketch>(values);
    for (std::size_t k : {2U, 3U, 7U}) {
        CAPTURE(k);
        // Interleaved splits: part i gets samples i, i + k, i + 2k, ...
        std::vector<Sketch> parts(k);
        for (std::size_t i = 0; i < values.size(); ++i) {
            parts[i % k].add(values[i]);
        }
        Sketch forward;
        for (const Sketch& p : parts) {
            forward.merge(p);
        }
        Sketch backward;
        for (std::size_t i = k; i-- > 0;) {
            backward.merge(parts[i]);
        }
        // Tree-shaped: ((p0 + p1) + (p2 + ...)).
        Sketch left = parts[0];
        left.merge(parts[1]);
        Sketch right;
        for (std::size_t i = 2; i < k; ++i) {
            right.merge(parts[i]);
        }
        left.merge(right);
        CHECK(forward == whole);
        CHECK(backward == whole);
        CHECK(left == whole);
        for (double q : report_quantiles) {
            CHECK(std::bit_cast<std::uint64_t>(forward.quantile(q)) ==
                  std::bit_cast<std::uint64_t>(whole.quantile(q)));
            CHECK(std::bit_cast<std::uint64_t>(left.quantile(q)) ==
                  std::bit_cast<std::uint64_t>(whole.quantile(q)));
        }
        CHECK(std::bit_cast<std::uint64_t>(forward.sum()) ==
              std::bit_cast<std::uint64_t>(whole.sum()));
        CHECK(std::bit_cast<std::uint64_t>(backward.mean()) ==
              std::bit_cast<std::uint64_t>(whole.mean()));
    }
    // A sketch differs from one that saw one more sample.
    Sketch more = whole;
    more.add(0.5);
    CHECK_FALSE(more == whole);
    // Merging with itself doubles every count.
    Sketch twice = whole;
    twice.merge(twice);
    CHECK(twice.count() == 2 * whole.count());
    CHECK(twice.quantile(0.5) == whole.quantile(0.5));
}

TEST_CASE_TEMPLATE("quantile_sketch: edge values have defined outcomes", Sketch,
                   LLMCAP_SKETCH_MODELS) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();

    SUBCASE("empty") {
        const Sketch s;
        CHECK(s.count() == 0);
        CHECK(std::isnan(s.quantile(0.5)));
        CHECK(std::isnan(s.min()));
        CHECK(std::isnan(s.max()));
        CHECK(std::isnan(s.mean()));
        CHECK_FALSE(s.within_guarantee(0.5));
    }
    SUBCASE("NaN, infinities and negatives are only tallied as invalid") {
        Sketch s;
        for (double x : {nan, inf, -inf, -1.0, -1e-300, -std::numeric_limits<double>::min()}) {
            s.add(x);
        }
        CHECK(s.count() == 0);
        CHECK(s.invalid_count() == 6);
        CHECK(std::isnan(s.quantile(0.5)));
        s.add(0.125);
        CHECK(s.count() == 1);
        CHECK(s.quantile(0.0) == 0.125);
        CHECK(s.quantile(0.5) == 0.125);
        CHECK(s.quantile(1.0) == 0.125);
        CHECK(s.mean() == 0.125);
    }
    SUBCASE("zero is a valid sample; -0.0 counts as 0") {
        Sketch s;
        s.add(0.0);
        s.add(-0.0);
        s.add(0.0);
        s.add(1.0);
        CHECK(s.count() == 4);
        CHECK(s.invalid_count() == 0);
        CHECK(s.min() == 0.0);
        CHECK_FALSE(std::signbit(s.min()));
        CHECK(s.quantile(0.0) == 0.0);
        CHECK(s.quantile(0.5) == 0.0); // ranks 1 and 2 are zeros
        CHECK(s.quantile(1.0) == 1.0);
        CHECK(s.sum() == 1.0);
    }
    SUBCASE("quantile argument outside [0, 1] is a programmer error") {
        Sketch s;
        s.add(1.0);
        CHECK_THROWS_AS((void)s.quantile(-0.01), std::invalid_argument);
        CHECK_THROWS_AS((void)s.quantile(1.01), std::invalid_argument);
        CHECK_THROWS_AS((void)s.quantile(nan), std::invalid_argument);
        CHECK_FALSE(s.within_guarantee(nan));
    }
    SUBCASE("two samples interpolate linearly") {
        Sketch s;
        s.add(1.0);
        s.add(3.0);
        CHECK(s.quantile(0.5) == doctest::Approx(2.0).epsilon(s.relative_error() + 1e-12));
        CHECK(s.quantile(0.0) == 1.0);
        CHECK(s.quantile(1.0) == 3.0);
    }
}
