#include <llmcap/prometheus/histogram.hpp>

#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <system_error>

namespace prom = llmcap::prometheus;

namespace {

std::string read_fixture(const std::string& relative) {
    std::ifstream in(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/" + relative, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

prom::scrape parsed(const std::string& text) {
    prom::scrape s;
    const prom::parse_error err = prom::parse(text, s);
    REQUIRE_MESSAGE(!err, err.message());
    return s;
}

constexpr double inf = std::numeric_limits<double>::infinity();

} // namespace

TEST_CASE("histogram: quantile follows PromQL histogram_quantile") {
    prom::histogram h;
    h.buckets = {{0.3, 2}, {0.5, 4}, {0.8, 6}, {1.0, 8}, {2.0, 8}, {inf, 8}};
    h.count = 8;
    h.sum = 4;
    CHECK(h.mean() == doctest::Approx(0.5));
    CHECK(*h.quantile(0.5) == doctest::Approx(0.5));
    CHECK(*h.quantile(0.9) == doctest::Approx(0.92));
    CHECK(*h.quantile(0.25) == doctest::Approx(0.3));
    CHECK(*h.quantile(0.125) == doctest::Approx(0.15)); // first bucket interpolates from 0
    CHECK(*h.quantile(0.0) == doctest::Approx(0.0));
    CHECK(*h.quantile(1.0) == doctest::Approx(1.0));
    CHECK_FALSE(h.quantile(1.5));
    CHECK_FALSE(h.quantile(-0.1));

    // A rank in the +Inf bucket answers the highest finite bound.
    prom::histogram tail;
    tail.buckets = {{1.0, 1}, {2.0, 2}, {inf, 10}};
    tail.count = 10;
    CHECK(*tail.quantile(0.99) == 2.0);

    // A first bucket with a bound <= 0 answers that bound.
    prom::histogram zero;
    zero.buckets = {{0.0, 3}, {0.1, 4}, {inf, 4}};
    zero.count = 4;
    CHECK(*zero.quantile(0.5) == 0.0);
    CHECK(*zero.quantile(1.0) == doctest::Approx(0.1));

    prom::histogram empty;
    empty.buckets = {{1.0, 0}, {inf, 0}};
    CHECK_FALSE(empty.mean());
    CHECK_FALSE(empty.quantile(0.5));
}

TEST_CASE("find_histogram: reads vLLM buckets, sums series, filters by label") {
    const prom::scrape after = parsed(read_fixture("vllm/metrics-after.prom"));
    std::error_code ec;
    const auto q = prom::find_histogram(after, "vllm:request_queue_time_seconds", {}, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(q);
    CHECK(q->buckets.size() == 22);
    CHECK(q->buckets.front() == prom::bucket{0.3, 11});
    CHECK(q->buckets.back().upper_bound == inf);
    CHECK(q->buckets.back().cumulative_count == 18);
    CHECK(q->count == 18);
    CHECK(q->sum == doctest::Approx(5.25));

    const auto same = prom::find_histogram(after, "vllm:request_queue_time_seconds",
                                           {{"model_name", "Qwen/Qwen3-8B"}}, ec);
    REQUIRE(same);
    CHECK(*same == *q);
    CHECK_FALSE(prom::find_histogram(after, "vllm:request_queue_time_seconds",
                                     {{"model_name", "other"}}, ec));
    CHECK(ec == prom::error::metric_not_found);
    CHECK_FALSE(prom::find_histogram(after, "vllm:nothing", {}, ec));
    CHECK(ec == prom::error::metric_not_found);

    // Two series (two models) are added bucket by bucket.
    const prom::scrape two =
        parsed("h_bucket{m=\"a\",le=\"1\"} 1\nh_bucket{m=\"a\",le=\"+Inf\"} 2\n"
               "h_sum{m=\"a\"} 3\nh_count{m=\"a\"} 2\n"
               "h_bucket{m=\"b\",le=\"1\"} 4\nh_bucket{m=\"b\",le=\"+Inf\"} 5\n"
               "h_sum{m=\"b\"} 6\nh_count{m=\"b\"} 5\n");
    const auto both = prom::find_histogram(two, "h", {}, ec);
    REQUIRE(both);
    CHECK(both->buckets == std::vector<prom::bucket>{{1, 5}, {inf, 7}});
    CHECK(both->sum == 9);
    CHECK(both->count == 7);
    const auto b = prom::find_histogram(two, "h", {{"m", "b"}}, ec);
    REQUIRE(b);
    CHECK(b->count == 5);
}

TEST_CASE("find_histogram: malformed histograms are reported") {
    std::error_code ec;
    CHECK_FALSE(prom::find_histogram(parsed("h_bucket{le=\"1\"} 1\nh_count 1\n"), "h", {}, ec));
    CHECK(ec == prom::error::missing_inf_bucket);
    CHECK_FALSE(prom::find_histogram(parsed("h_bucket{x=\"1\"} 1\n"), "h", {}, ec));
    CHECK(ec == prom::error::invalid_bucket_bound);
    CHECK_FALSE(prom::find_histogram(parsed("h_bucket{le=\"abc\"} 1\n"), "h", {}, ec));
    CHECK(ec == prom::error::invalid_bucket_bound);
    CHECK_FALSE(prom::find_histogram(parsed("h_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 3\n"), "h",
                                     {}, ec));
    CHECK(ec == prom::error::non_monotonic_buckets);
    CHECK_FALSE(prom::find_histogram(
        parsed("h_bucket{m=\"a\",le=\"1\"} 1\nh_bucket{m=\"a\",le=\"+Inf\"} 1\n"
               "h_bucket{m=\"b\",le=\"2\"} 1\nh_bucket{m=\"b\",le=\"+Inf\"} 1\n"),
        "h", {}, ec));
    CHECK(ec == prom::error::bucket_layout_mismatch);
    CHECK(ec.message() == "histogram bucket bounds differ");

    // Without _sum and _count, the count comes from the +Inf bucket.
    const auto h = prom::find_histogram(parsed("h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n"),
                                        "h", {}, ec);
    REQUIRE(h);
    CHECK_FALSE(ec);
    CHECK(h->count == 3);
    CHECK(h->sum == 0);
}

TEST_CASE("histogram_delta: vLLM queue time before/after, hand-computed") {
    const prom::scrape before = parsed(read_fixture("vllm/metrics-before.prom"));
    const prom::scrape after = parsed(read_fixture("vllm/metrics-after.prom"));
    std::error_code ec;
    const auto b = prom::find_histogram(before, "vllm:request_queue_time_seconds", {}, ec);
    const auto a = prom::find_histogram(after, "vllm:request_queue_time_seconds", {}, ec);
    REQUIRE(a);
    REQUIRE(b);
    const prom::histogram d = prom::histogram_delta(*b, *a, ec);
    REQUIRE_FALSE(ec);
    CHECK(d.count == 8);
    CHECK(d.sum == doctest::Approx(4.0));
    CHECK(*d.mean() == doctest::Approx(0.5));
    CHECK(d.buckets[0] == prom::bucket{0.3, 2});
    CHECK(d.buckets[1] == prom::bucket{0.5, 4});
    CHECK(d.buckets[2] == prom::bucket{0.8, 6});
    CHECK(d.buckets[3] == prom::bucket{1.0, 8});
    CHECK(d.buckets.back().cumulative_count == 8);
    CHECK(*d.quantile(0.5) == doctest::Approx(0.5));
    CHECK(*d.quantile(0.9) == doctest::Approx(0.92));
}

TEST_CASE("histogram_delta: counter reset and layout change are errors, never clamped") {
    prom::histogram before;
    before.buckets = {{1, 5}, {inf, 10}};
    before.count = 10;
    before.sum = 7;
    prom::histogram restarted;
    restarted.buckets = {{1, 1}, {inf, 2}};
    restarted.count = 2;
    restarted.sum = 1;
    std::error_code ec;
    const prom::histogram d = prom::histogram_delta(before, restarted, ec);
    CHECK(ec == prom::error::counter_reset);
    CHECK(d.buckets.empty());
    CHECK_FALSE(d.mean());

    prom::histogram other = before;
    other.buckets[0].upper_bound = 2;
    (void)prom::histogram_delta(before, other, ec);
    CHECK(ec == prom::error::bucket_layout_mismatch);
    prom::histogram fewer;
    fewer.buckets = {{inf, 10}};
    (void)prom::histogram_delta(before, fewer, ec);
    CHECK(ec == prom::error::bucket_layout_mismatch);

    prom::histogram same = before;
    const prom::histogram none = prom::histogram_delta(before, same, ec);
    CHECK_FALSE(ec);
    CHECK(none.count == 0);
    CHECK_FALSE(none.mean());

    CHECK(prom::counter_delta(10, 15, ec) == 5);
    CHECK_FALSE(ec);
    CHECK(prom::counter_delta(10, 3, ec) == 0);
    CHECK(ec == prom::error::counter_reset);
}
