#include <llmcap/analysis/cell_recorder.hpp>

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/stats/exact_quantiles.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace la = llmcap::analysis;

namespace {

const llmcap::time_point t0 = llmcap::time_point{} + 5000s;

// A successful request started at `start`, first token after `ttft`, then `n` − 1 more tokens
// every `gap`, ending 5 ms after the last; usage reports n completion and 1000 prompt tokens.
llmcap::request_trace ok_trace(std::chrono::milliseconds start, std::chrono::milliseconds ttft,
                               std::uint32_t n, std::chrono::milliseconds gap) {
    llmcap::request_trace t;
    t.intended_start = t0 + start;
    t.send = t.intended_start + 1ms;
    t.max_tokens = n;
    t.fixed_output = true;
    for (std::uint32_t i = 0; i < n; ++i)
        t.events.push_back({t.intended_start + ttft + i * gap, 1, llmcap::token_kind::content});
    t.end = t.events.back().at + 5ms;
    t.done_marker = true;
    t.usage =
        llmcap::usage_info{.prompt_tokens = 1000, .completion_tokens = n, .total_tokens = 1000 + n};
    return t;
}

// The cell used below: three successes (TTFT 100, 200, 300 ms), one idle timeout, one short
// output (asked 10, got 4), one refused connection.
std::vector<llmcap::request_trace> cell_traces() {
    std::vector<llmcap::request_trace> v;
    v.push_back(ok_trace(0ms, 100ms, 10, 10ms));  // ends 0 + 100 + 90 + 5 = 195 ms
    v.push_back(ok_trace(10ms, 200ms, 10, 20ms)); // ends 10 + 200 + 180 + 5 = 395 ms
    v.push_back(ok_trace(20ms, 300ms, 10, 30ms)); // ends 20 + 300 + 270 + 5 = 595 ms
    llmcap::request_trace timeout = ok_trace(30ms, 150ms, 3, 10ms);
    timeout.usage.reset();
    timeout.end = t0 + 700ms;
    timeout.fail(llmcap::error::idle_timeout, "no event for 0.5 s");
    v.push_back(timeout);
    llmcap::request_trace shortened = ok_trace(40ms, 120ms, 4, 10ms);
    shortened.max_tokens = 10;
    shortened.fail(llmcap::error::short_output, "4 of 10 tokens");
    v.push_back(shortened); // ends 40 + 120 + 30 + 5 = 195 ms
    llmcap::request_trace refused;
    refused.intended_start = t0 + 50ms;
    refused.end = t0 + 51ms;
    refused.fail(llmcap::error::connect_failed, "connection refused");
    v.push_back(refused);
    return v;
}

} // namespace

TEST_CASE("cell_recorder: counts, tokens, window and exact statistics") {
    la::cell_recorder<llmcap::stats::exact_quantiles> r({1024, 10, 4});
    for (const llmcap::request_trace& t : cell_traces())
        r.record(t);
    CHECK(r.started() == 6);
    CHECK(r.succeeded() == 3);
    CHECK(r.failed() == 3);
    CHECK(r.failures(llmcap::error::idle_timeout) == 1);
    CHECK(r.failures(llmcap::error::short_output) == 1);
    CHECK(r.failures(llmcap::error::connect_failed) == 1);
    CHECK(r.failures(llmcap::error::http_status) == 0);
    CHECK(r.success_rate() == doctest::Approx(0.5));
    CHECK(r.short_outputs() == 1);
    // The timeout (no usage) and the refused request (no usage) are estimated.
    CHECK(r.estimated_outputs() == 2);
    // 10 + 10 + 10 + 3 (events of the timeout) + 4 + 0 tokens.
    CHECK(r.output_tokens_total() == 37);
    // Usage of the three successes and the short output; the timeout and the refused request
    // have neither usage nor a target.
    CHECK(r.prompt_tokens_total() == 4000);
    // Window: first intended start 0 ms, last end 700 ms.
    CHECK(llmcap::to_seconds(*r.window()) == doctest::Approx(0.7));
    CHECK(*r.throughput_tokens_per_s() == doctest::Approx(37.0 / 0.7));

    // TTFT of the three successes: 0.1, 0.2, 0.3 s.
    const la::metric_statistics ttft = r.statistics(la::metric::ttft);
    CHECK(ttft.count == 3);
    CHECK(ttft.mean == doctest::Approx(0.2));
    CHECK(ttft.p50 == doctest::Approx(0.2));
    CHECK(ttft.p90 == doctest::Approx(0.28)); // numpy linear: 0.2 + 0.8 · 0.1
    CHECK(ttft.min == doctest::Approx(0.1));
    CHECK(ttft.max == doctest::Approx(0.3));
    CHECK(ttft.stddev == doctest::Approx(0.1));
    // 95% CI: 0.2 ± t(0.975, 2) · 0.1 / √3 = 0.2 ± 4.302653 · 0.057735.
    REQUIRE(ttft.mean_ci95);
    CHECK(ttft.mean_ci95->low == doctest::Approx(0.2 - 0.2484138));
    CHECK(ttft.mean_ci95->high == doctest::Approx(0.2 + 0.2484138));
    // Generation speed: 100, 50, 33.3 tokens/s.
    CHECK(r.statistics(la::metric::generation_speed).mean ==
          doctest::Approx((100.0 + 50.0 + 100.0 / 3.0) / 3.0));
    // Pooled ITL: 9 gaps each of 10, 20, 30 ms; per-request means 10, 20, 30 ms.
    CHECK(r.statistics(la::metric::itl).count == 27);
    CHECK(r.statistics(la::metric::itl).mean == doctest::Approx(0.020));
    CHECK(r.statistics(la::metric::request_itl).count == 3);
    // Client lag of every sent request (the refused one was never sent): five 1 ms lags.
    CHECK(r.statistics(la::metric::client_lag).count == 5);
    CHECK(r.statistics(la::metric::client_lag).mean == doctest::Approx(0.001));
    // No server timings: no queue wait, never replaced by TTFT.
    CHECK(r.statistics(la::metric::queue_wait).count == 0);
    CHECK(r.statistics(la::metric::throughput).mean == doctest::Approx(37.0 / 0.7));

    const la::cell_summary s = r.summary();
    CHECK(s.concurrency == 4);
    CHECK(s.context_tokens == 1024);
    CHECK_FALSE(s.metrics.contains(la::metric::queue_wait));
    CHECK(*s.value(la::metric::e2e, la::statistic::max) == doctest::Approx(0.575));
    CHECK(*s.value(la::metric::throughput, la::statistic::mean) == doctest::Approx(37.0 / 0.7));
}

TEST_CASE("cell_recorder: merging per-worker recorders equals recording in one") {
    const std::vector<llmcap::request_trace> traces = cell_traces();
    la::cell_recorder<> all({1024, 10, 4});
    la::cell_recorder<> workers[3] = {la::cell_recorder<>({1024, 10, 4}),
                                      la::cell_recorder<>({1024, 10, 4}),
                                      la::cell_recorder<>({1024, 10, 4})};
    for (std::size_t i = 0; i < traces.size(); ++i) {
        all.record(traces[i]);
        workers[i % 3].record(traces[i]);
    }
    la::cell_recorder<> merged({1024, 10, 4});
    merged.merge(workers[2]);
    merged.merge(workers[0]);
    merged.merge(workers[1]);
    CHECK(merged.started() == all.started());
    CHECK(merged.succeeded() == all.succeeded());
    CHECK(merged.failures(llmcap::error::idle_timeout) == 1);
    CHECK(merged.short_outputs() == all.short_outputs());
    CHECK(merged.output_tokens_total() == all.output_tokens_total());
    CHECK(merged.window() == all.window());
    for (la::metric m : la::all_metrics) {
        CAPTURE(la::metric_name(m));
        CHECK(merged.samples(m).sketch() == all.samples(m).sketch()); // exact
        const la::metric_statistics a = all.statistics(m);
        const la::metric_statistics b = merged.statistics(m);
        CHECK(a.count == b.count);
        if (a.count > 0) {
            CHECK(a.p99 == b.p99); // quantiles come from identical sketches
            CHECK(a.min == b.min);
            CHECK(a.mean == doctest::Approx(b.mean));
        }
    }
    CHECK_THROWS_AS(merged.merge(la::cell_recorder<>({1024, 10, 8})), std::invalid_argument);
}

TEST_CASE("cell_recorder: JSON round trip and errors") {
    la::cell_recorder<> r({32768, 1024, 12});
    for (const llmcap::request_trace& t : cell_traces())
        r.record(t);
    const boost::json::value v = r.to_json();
    CHECK(v.at("failures").at("idle_timeout").to_number<int>() == 1);
    const std::string text = boost::json::serialize(v);
    const auto back = la::cell_recorder<>::from_json(boost::json::parse(text));
    REQUIRE_MESSAGE(back.has_value(), back.error().message());
    CHECK(*back == r);
    CHECK(back->summary() == r.summary());

    // A scenario's recorder keeps its whole key.
    la::cell_recorder<> named(la::cell_key{1024, 64, 4, "chat", 2.5});
    const auto named_back = la::cell_recorder<>::from_json(named.to_json());
    REQUIRE_MESSAGE(named_back.has_value(), named_back.error().message());
    CHECK(named_back->key() == named.key());

    const auto bad = [&](const std::string& field, boost::json::value value) {
        boost::json::value copy = v;
        copy.as_object()[field] = std::move(value);
        const auto read = la::cell_recorder<>::from_json(copy);
        CHECK_FALSE(read.has_value());
        return read ? std::string() : read.error().message();
    };
    CHECK(bad("kind", "histogram") == "cell_recorder json: $.kind: expected \"cell_recorder\"");
    CHECK(bad("succeeded", 99) == "cell_recorder json: $.succeeded: exceeds started");
    CHECK(bad("failures", boost::json::object{{"idle_timeout", 1}}) ==
          "cell_recorder json: $.failures: do not add up to started - succeeded");
    CHECK(bad("failures", boost::json::object{{"gremlins", 3}}) ==
          "cell_recorder json: $.failures.gremlins: unknown failure kind");
    CHECK(bad("metrics", boost::json::object{{"ttft", boost::json::object{}}}) ==
          "cell_recorder json: $.metrics.ttft: unknown metric");
    CHECK(bad("concurrency", "four") ==
          "cell_recorder json: $.concurrency: expected a non-negative integer, got a string");
    CHECK(bad("concurrency", 5000000000) ==
          "cell_recorder json: $.concurrency: integer 5000000000 exceeds 4294967295");
    CHECK(bad("use_case", "") == "cell_recorder json: $.use_case: expected a non-empty string");
    CHECK(bad("rate_per_s", -1) == "cell_recorder json: $.rate_per_s: expected a positive number");
    CHECK(bad("metrics", boost::json::object{{"ttft_s", boost::json::object{}}})
              .rfind("cell_recorder json: $.metrics.ttft_s: stats json:", 0) == 0);
    CHECK(la::cell_recorder<>::from_json(boost::json::array{}).error().message() ==
          "cell_recorder json: $: expected an object, got an array");
}

TEST_CASE("cell_recorder: summaries feed capacity analysis") {
    // Three cells of a synthetic server whose TTFT grows 0.1 s per user.
    std::vector<la::cell_summary> cells;
    for (std::uint32_t c : {1u, 2u, 4u}) {
        la::cell_recorder<> r({1024, 10, c});
        for (std::uint32_t i = 0; i < c; ++i)
            r.record(ok_trace(std::chrono::milliseconds(i), std::chrono::milliseconds(100 * c), 10,
                              10ms));
        cells.push_back(r.summary());
    }
    const la::use_case uc{
        "t", "t", 1024, 10, {{la::metric::ttft, la::statistic::p50, la::comparison::less, 0.3}}};
    const la::capacity_result cap = la::compute_capacity(uc, cells);
    // TTFT 0.1, 0.2, 0.4 s (within the sketch's 0.39%): 0.3 s is crossed at 3 users.
    CHECK(cap.kind == la::capacity_kind::interpolated);
    CHECK(*cap.crossing == doctest::Approx(3.0).epsilon(0.01));
}
