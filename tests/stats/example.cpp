// The example shown in docs/stats.md, compiled and checked.

#include <llmcap/stats.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <random>
#include <string>

TEST_CASE("docs/stats.md example") {
    // [example]
    namespace stats = llmcap::stats;

    // One accumulator per metric and cell: TTFT in seconds.
    stats::sample_statistics<> ttft_s; // log_linear_histogram: 1 us .. 1 h, <= 0.5% error
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> latency_s(-1.0, 0.5);
    for (int i = 0; i < 10'000; ++i) {
        ttft_s.add(latency_s(rng));
    }

    const stats::summary s = ttft_s.summarize(); // P50..P99.9, mean with its 95% CI, ...
    // s.p50, s.p90, s.p95, s.p99, s.p999, s.mean, s.mean_ci.lower, s.mean_ci.upper, s.stddev

    // Save the cell, read it back in another process, merge it into a sweep-wide total.
    const std::string text = boost::json::serialize(stats::to_json(ttft_s));
    stats::sample_statistics<> total;
    auto cell = stats::from_json<stats::sample_statistics<>>(boost::json::parse(text), total);
    if (!cell) {
        // e.g. "stats json: $.sketch.buckets[3][1]: negative count"
        FAIL(cell.error().message());
    }
    total.merge(*cell);
    // [example]

    CHECK(total == ttft_s);
    CHECK(s.count == 10'000);
    CHECK(s.p50 == doctest::Approx(0.3679).epsilon(0.02)); // e^-1
    CHECK(s.mean_ci.lower < s.mean);
    CHECK(s.mean < s.mean_ci.upper);
    CHECK(s.percentiles_within_guarantee);
}
