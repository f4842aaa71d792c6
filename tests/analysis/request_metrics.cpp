#include <llmcap/analysis/request_metrics.hpp>
// For the burst count, the pooled ITL and their JSON round trip.
#include <llmcap/analysis/cell_recorder.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp> // parse, serialize, object

#include <chrono>  // milliseconds, microseconds
#include <cstdint> // uint32_t, uint64_t
#include <string>  // string
#include <vector>  // vector

using namespace std::chrono_literals;
namespace la = llmcap::analysis;

namespace {

const llmcap::time_point t0 = llmcap::time_point{} + 1000s;

llmcap::token_event ev(std::chrono::milliseconds at, std::uint32_t tokens = 1,
                       llmcap::token_kind kind = llmcap::token_kind::content) {
    return {t0 + at, tokens, kind};
}

// A plain streamed answer: intended at 0, sent at 2 ms, tokens at 100, 110, ..., 190 ms (10
// events), end at 195 ms, usage 10 completion tokens, 1000 prompt tokens.
llmcap::request_trace plain_trace() {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.send = t0 + 2ms;
    for (int i = 0; i < 10; ++i)
        t.events.push_back(ev(100ms + i * 10ms));
    t.end = t0 + 195ms;
    t.done_marker = true;
    t.usage =
        llmcap::usage_info{.prompt_tokens = 1000, .completion_tokens = 10, .total_tokens = 1010};
    return t;
}

double s(std::optional<llmcap::duration> d) {
    REQUIRE(d.has_value());
    return llmcap::to_seconds(*d);
}

} // namespace

TEST_CASE("request metrics: plain stream with usage") {
    const llmcap::request_trace t = plain_trace();
    CHECK(s(la::ttft(t)) == doctest::Approx(0.100));
    CHECK(s(la::ttfa(t)) == doctest::Approx(0.100));
    CHECK(s(la::e2e(t)) == doctest::Approx(0.195));
    CHECK(la::output_tokens(t) == la::output_token_count{10, false});
    // (190 - 100) ms / (10 - 1) = 10 ms
    CHECK(s(la::tpot(t)) == doctest::Approx(0.010));
    CHECK(*la::tpot_s(t) == doctest::Approx(0.010));
    CHECK(*la::generation_speed_tokens_per_s(t) == doctest::Approx(100.0));
    CHECK(s(la::client_lag(t)) == doctest::Approx(0.002));
    // 1000 prompt tokens / 0.1 s
    CHECK(*la::prefill_speed_lower_bound_tokens_per_s(t) == doctest::Approx(10000.0));
    const std::vector<double> gaps = la::itl_gaps_s(t);
    REQUIRE(gaps.size() == 9);
    for (double g : gaps)
        CHECK(g == doctest::Approx(0.010));
    CHECK(*la::mean_itl_s(t) == doctest::Approx(0.010));
    // No server timings: queue wait, prefill time and prefill speed are unknown, not TTFT.
    CHECK_FALSE(la::queue_wait_s(t));
    CHECK_FALSE(la::prefill_time_s(t));
    CHECK_FALSE(la::prefill_speed_tokens_per_s(t));
    CHECK(*la::request_metric_value(la::metric::e2e, t) == doctest::Approx(0.195));
    CHECK_FALSE(la::request_metric_value(la::metric::throughput, t));
}

TEST_CASE("request metrics: reasoning then answer separates TTFT from TTFA") {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.send = t0;
    t.events.push_back(ev(50ms, 1, llmcap::token_kind::reasoning));
    t.events.push_back(ev(60ms, 1, llmcap::token_kind::reasoning));
    t.events.push_back(ev(70ms, 1, llmcap::token_kind::reasoning));
    t.events.push_back(ev(80ms, 1, llmcap::token_kind::content));
    t.events.push_back(ev(90ms, 1, llmcap::token_kind::content));
    t.end = t0 + 100ms;
    t.usage = llmcap::usage_info{.prompt_tokens = 10, .completion_tokens = 5, .total_tokens = 15};
    CHECK(s(la::ttft(t)) == doctest::Approx(0.050));
    CHECK(s(la::ttfa(t)) == doctest::Approx(0.080));
    // Reasoning tokens count as output: (90 - 50) ms / 4 = 10 ms.
    CHECK(*la::tpot_s(t) == doctest::Approx(0.010));
}

TEST_CASE("request metrics: a role-only first chunk is not a token event") {
    // The client records only token events; a role-only chunk raises sse_events alone. The
    // first token then is the first content event at 120 ms, not the role chunk at 30 ms.
    llmcap::request_trace t;
    t.intended_start = t0;
    t.sse_events = 4; // role-only chunk, two content chunks, usage chunk
    t.events.push_back(ev(120ms));
    t.events.push_back(ev(140ms));
    t.end = t0 + 150ms;
    CHECK(s(la::ttft(t)) == doctest::Approx(0.120));
    // No usage: n counted from events and marked estimated; TPOT = 20 ms / (2 - 1).
    CHECK(la::output_tokens(t) == la::output_token_count{2, true});
    CHECK(*la::tpot_s(t) == doctest::Approx(0.020));
    CHECK(*la::generation_speed_tokens_per_s(t) == doctest::Approx(50.0));
}

TEST_CASE("request metrics: multi-token events divide their gap over their tokens") {
    // Continuous usage: events carry 1, 3 and 2 tokens at 100, 130 and 150 ms.
    llmcap::request_trace t;
    t.intended_start = t0;
    t.exact_event_tokens = true;
    t.events.push_back(ev(100ms, 1));
    t.events.push_back(ev(130ms, 3));
    t.events.push_back(ev(150ms, 2));
    t.end = t0 + 160ms;
    t.usage = llmcap::usage_info{.prompt_tokens = 100, .completion_tokens = 6, .total_tokens = 106};
    // 30 ms over 3 tokens, then 20 ms over 2 tokens: five gaps of 10 ms.
    const std::vector<double> gaps = la::itl_gaps_s(t);
    REQUIRE(gaps.size() == 5);
    for (double g : gaps)
        CHECK(g == doctest::Approx(0.010));
    CHECK(*la::mean_itl_s(t) == doctest::Approx(0.010));
    // TPOT = (150 - 100) ms / (6 - 1) = 10 ms.
    CHECK(*la::tpot_s(t) == doctest::Approx(0.010));
    CHECK(la::output_tokens(t) == la::output_token_count{6, false});
}

TEST_CASE("request metrics: events sharing a read give zero gaps") {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.events.push_back(ev(100ms));
    t.events.push_back(ev(100ms));
    t.events.push_back(ev(130ms));
    t.end = t0 + 130ms;
    const std::vector<double> gaps = la::itl_gaps_s(t);
    REQUIRE(gaps.size() == 2);
    CHECK(gaps[0] == 0.0);
    CHECK(gaps[1] == doctest::Approx(0.030));
    CHECK(*la::mean_itl_s(t) == doctest::Approx(0.015));
}

TEST_CASE("request metrics: a single-token output has TTFT and E2E but no TPOT") {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.events.push_back(ev(70ms));
    t.end = t0 + 75ms;
    t.usage = llmcap::usage_info{.prompt_tokens = 5, .completion_tokens = 1, .total_tokens = 6};
    CHECK(s(la::ttft(t)) == doctest::Approx(0.070));
    CHECK(s(la::e2e(t)) == doctest::Approx(0.075));
    CHECK_FALSE(la::tpot(t));
    CHECK_FALSE(la::generation_speed_tokens_per_s(t));
    CHECK(la::itl_gaps_s(t).empty());
    CHECK_FALSE(la::mean_itl_s(t));
}

TEST_CASE("request metrics: all tokens in one event give no TPOT") {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.events.push_back(ev(70ms, 4));
    t.end = t0 + 75ms;
    t.usage = llmcap::usage_info{.prompt_tokens = 5, .completion_tokens = 4, .total_tokens = 9};
    CHECK_FALSE(la::tpot(t));
    // Four tokens with no time between them: delivered in a burst.
    CHECK(la::delivered_in_burst(t));
}

namespace {

// The slow_headers case: headers held for 150 ms while the 10 tokens were generated, then every
// event in the same read (one stamp) or in back-to-back reads `apart` from each other.
llmcap::request_trace burst_trace(std::chrono::nanoseconds apart) {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.send = t0 + 1ms;
    t.headers = t0 + 151ms;
    for (int i = 0; i < 10; ++i)
        t.events.push_back({t0 + 151ms + i * apart, 1, llmcap::token_kind::content});
    t.end = t.events.back().at + 20us;
    t.done_marker = true;
    t.usage =
        llmcap::usage_info{.prompt_tokens = 100, .completion_tokens = 10, .total_tokens = 110};
    return t;
}

} // namespace

TEST_CASE("request metrics: token events sharing one timestamp are a burst, with no speed") {
    const llmcap::request_trace t = burst_trace(0ns);
    CHECK(la::delivered_in_burst(t));
    // Before: TPOT 0 s was recorded; now neither TPOT, speed nor mean ITL is measurable.
    CHECK_FALSE(la::tpot(t));
    CHECK_FALSE(la::tpot_s(t));
    CHECK_FALSE(la::generation_speed_tokens_per_s(t));
    CHECK_FALSE(la::mean_itl_s(t));
    CHECK_FALSE(la::request_metric_value(la::metric::tpot, t));
    CHECK_FALSE(la::request_metric_value(la::metric::generation_speed, t));
    CHECK_FALSE(la::request_metric_value(la::metric::request_itl, t));
    // What the user did see is still measured.
    CHECK(s(la::ttft(t)) == doctest::Approx(0.151));
    CHECK(s(la::ttfa(t)) == doctest::Approx(0.151));
    CHECK(s(la::e2e(t)) == doctest::Approx(0.15102));
    CHECK(la::output_tokens(t) == la::output_token_count{10, false});
    // The raw gaps are still given (nine zeros); cell_recorder does not pool them.
    CHECK(la::itl_gaps_s(t) == std::vector<double>(9, 0.0));
}

TEST_CASE("request metrics: events microseconds apart after late headers are a burst") {
    // The reported case: 2.8 us per token, which read as 355,000 tokens/s per user.
    const llmcap::request_trace t = burst_trace(2816ns);
    CHECK(la::delivered_in_burst(t));
    CHECK_FALSE(la::generation_speed_tokens_per_s(t));
    CHECK_FALSE(la::tpot_s(t));
    // A failed stream is judged on what arrived.
    llmcap::request_trace cut = t;
    cut.usage.reset();
    cut.fail(llmcap::error::truncated_stream, "cut");
    CHECK(la::delivered_in_burst(cut));
}

TEST_CASE("request metrics: the burst boundary is min_measurable_tpot per token") {
    CHECK(la::min_measurable_tpot == 50us);
    // 9 gaps of exactly 50 us: measurable, 20,000 tokens/s.
    const llmcap::request_trace at = burst_trace(50us);
    CHECK_FALSE(la::delivered_in_burst(at));
    CHECK(*la::tpot_s(at) == doctest::Approx(50e-6));
    CHECK(*la::generation_speed_tokens_per_s(at) == doctest::Approx(20000.0));
    CHECK(*la::mean_itl_s(at) == doctest::Approx(50e-6));
    // 49 us per token: a burst.
    CHECK(la::delivered_in_burst(burst_trace(49us)));
    // The floor applies per output token: 3 events 1 ms apart carrying 1000 tokens (usage) are
    // 2 us per token.
    llmcap::request_trace few = plain_trace();
    few.events.resize(3);
    few.usage->completion_tokens = 1000;
    CHECK(la::delivered_in_burst(few));
    few.usage->completion_tokens = 10;
    CHECK_FALSE(la::delivered_in_burst(few));
    // An ordinary stream, a single token and no token at all are no burst.
    CHECK_FALSE(la::delivered_in_burst(plain_trace()));
    llmcap::request_trace one;
    one.events.push_back(ev(70ms));
    CHECK_FALSE(la::delivered_in_burst(one));
    CHECK_FALSE(la::delivered_in_burst(llmcap::request_trace{}));
    // A server claiming an absurd token count does not overflow the check.
    llmcap::request_trace huge = plain_trace();
    huge.usage->completion_tokens = ~std::uint64_t{0};
    CHECK(la::delivered_in_burst(huge));
}

TEST_CASE("cell_recorder: a burst stream is counted, not sampled for TPOT, speed or ITL") {
    la::cell_recorder<> r({1024, 10, 2});
    r.record(plain_trace());
    r.record(burst_trace(0ns));
    r.record(burst_trace(2816ns));
    CHECK(r.started() == 3);
    CHECK(r.succeeded() == 3);
    CHECK(r.burst_streams() == 2);
    CHECK(r.statistics(la::metric::ttft).count == 3);
    CHECK(r.statistics(la::metric::e2e).count == 3);
    CHECK(r.statistics(la::metric::tpot).count == 1);
    CHECK(r.statistics(la::metric::generation_speed).count == 1);
    CHECK(r.statistics(la::metric::request_itl).count == 1);
    CHECK(r.statistics(la::metric::itl).count == 9); // the plain stream's gaps only
    CHECK(r.statistics(la::metric::generation_speed).max == doctest::Approx(100.0).epsilon(0.01));
    // Throughput still counts every token.
    CHECK(r.output_tokens_total() == 30);

    la::cell_recorder<> other({1024, 10, 2});
    other.record(burst_trace(0ns));
    la::cell_recorder<> merged = r;
    merged.merge(other);
    CHECK(merged.burst_streams() == 3);

    const boost::json::value v = r.to_json();
    CHECK(v.at("burst_streams").to_number<int>() == 2);
    const auto back = la::cell_recorder<>::from_json(boost::json::parse(boost::json::serialize(v)));
    REQUIRE_MESSAGE(back.has_value(), back.error().message());
    CHECK(*back == r);
    // Written before the count existed: read as 0.
    boost::json::value old = v;
    old.as_object().erase("burst_streams");
    const auto older = la::cell_recorder<>::from_json(old);
    REQUIRE_MESSAGE(older.has_value(), older.error().message());
    CHECK(older->burst_streams() == 0);
    boost::json::value bad = v;
    bad.as_object()["burst_streams"] = 4;
    CHECK(la::cell_recorder<>::from_json(bad).error().message() ==
          "cell_recorder json: $.burst_streams: exceeds succeeded");
    bad.as_object()["burst_streams"] = -1;
    CHECK(la::cell_recorder<>::from_json(bad).error().message().starts_with(
        "cell_recorder json: $.burst_streams: expected a non-negative integer"));
}

TEST_CASE("request metrics: a failed request keeps its first-token metrics only") {
    llmcap::request_trace t = plain_trace();
    t.usage.reset();
    t.events.resize(4); // cut after 4 events (100..130 ms)
    t.end = t0 + 500ms;
    t.fail(llmcap::error::idle_timeout, "no event for 0.37 s");
    CHECK(s(la::ttft(t)) == doctest::Approx(0.100));
    CHECK(s(la::client_lag(t)) == doctest::Approx(0.002));
    CHECK(la::itl_gaps_s(t).size() == 3);
    CHECK_FALSE(la::e2e(t));
    CHECK_FALSE(la::tpot(t));
    CHECK_FALSE(la::generation_speed_tokens_per_s(t));
    CHECK_FALSE(la::request_metric_value(la::metric::e2e, t));
}

TEST_CASE("request metrics: a request never sent has no client lag and no TTFT") {
    llmcap::request_trace t;
    t.intended_start = t0;
    t.end = t0 + 3ms;
    t.fail(llmcap::error::connect_failed, "connection refused");
    CHECK_FALSE(la::client_lag(t));
    CHECK_FALSE(la::ttft(t));
    CHECK_FALSE(la::ttfa(t));
    CHECK_FALSE(la::prefill_speed_lower_bound_tokens_per_s(t));
}

TEST_CASE("request metrics: server timings give queue wait, prefill time and prefill speed") {
    llmcap::request_trace t = plain_trace();
    t.timings = llmcap::server_timings{};
    t.timings->queue_s = 0.03;
    t.timings->prefill_s = 0.05;
    CHECK(*la::queue_wait_s(t) == doctest::Approx(0.03));
    CHECK(*la::prefill_time_s(t) == doctest::Approx(0.05));
    CHECK(*la::prefill_speed_tokens_per_s(t) == doctest::Approx(20000.0)); // 1000 / 0.05

    // llama.cpp: prompt_ms with the evaluated (uncached) prompt tokens.
    llmcap::request_trace l = plain_trace();
    l.timings = llmcap::server_timings{};
    l.timings->prompt_tokens_evaluated = 600;
    l.timings->prompt_ms = 40.0;
    CHECK(*la::prefill_time_s(l) == doctest::Approx(0.04));
    CHECK(*la::prefill_speed_tokens_per_s(l) == doctest::Approx(15000.0)); // 600 / 0.04
}

TEST_CASE("request metrics: prompt tokens fall back to the workload target") {
    llmcap::request_trace t = plain_trace();
    t.usage.reset();
    t.prompt_tokens_target = 500;
    CHECK(*la::prompt_tokens(t) == 500);
    CHECK(*la::prefill_speed_lower_bound_tokens_per_s(t) == doctest::Approx(5000.0));
    t.prompt_tokens_target = 0;
    CHECK_FALSE(la::prompt_tokens(t));
}

TEST_CASE("metric names round-trip") {
    for (la::metric m : la::all_metrics)
        CHECK(la::metric_from_name(la::metric_name(m)) == m);
    for (la::statistic st : la::all_statistics)
        CHECK(la::statistic_from_name(la::statistic_name(st)) == st);
    CHECK(la::metric_name(la::metric::generation_speed) == "generation_speed_tokens_per_s");
    CHECK(la::statistic_from_name("p99.9") == la::statistic::p99_9);
    CHECK_FALSE(la::metric_from_name("ttft"));
    CHECK(la::comparison_from_name("<") == la::comparison::less);
    CHECK(la::satisfies(2.0, la::comparison::less, 2.0));
    CHECK_FALSE(la::satisfies(2.0001, la::comparison::less, 2.0));
    CHECK(la::satisfies(15.0, la::comparison::greater, 15.0));
    CHECK_FALSE(la::satisfies(14.9, la::comparison::greater, 15.0));
}

TEST_CASE("cached prompt tokens: read from usage, else llama.cpp's cache_n, else not reported") {
    llmcap::request_trace t = plain_trace();
    CHECK(!la::cached_prompt_tokens(t).has_value()); // not reported is not zero
    CHECK(!la::uncached_prompt_tokens(t).has_value());
    CHECK(!la::cached_exceeds_prompt(t));

    t.usage->cached_tokens = 768;
    const auto c = la::cached_prompt_tokens(t);
    REQUIRE(c.has_value());
    CHECK(c->tokens == 768);
    CHECK(c->source == la::cache_report::usage_cached_tokens);
    CHECK(la::cache_report_name(c->source) == "usage.prompt_tokens_details.cached_tokens");
    CHECK(*la::uncached_prompt_tokens(t) == 232);
    CHECK(*la::request_metric_value(la::metric::cached_prompt_tokens, t) == 768.0);
    CHECK(*la::request_metric_value(la::metric::uncached_prompt_tokens, t) == 232.0);

    llmcap::request_trace llama = plain_trace();
    llama.usage.reset(); // llama.cpp's timings carry the counts
    llama.prompt_tokens_target = 1000;
    llama.timings = llmcap::server_timings{};
    llama.timings->prompt_tokens_cached = 900;
    llama.timings->prompt_tokens_evaluated = 100;
    llama.timings->prompt_ms = 50.0;
    const auto lc = la::cached_prompt_tokens(llama);
    REQUIRE(lc.has_value());
    CHECK(lc->source == la::cache_report::timings_cache_n);
    CHECK(lc->tokens == 900);
    // 100 uncached tokens in 50 ms
    CHECK(*la::effective_prefill_speed_tokens_per_s(llama) == doctest::Approx(2000.0));
}

TEST_CASE("cached prompt tokens: a count above the prompt is refused, not used") {
    llmcap::request_trace t = plain_trace();
    t.usage->cached_tokens = 1001;
    CHECK(!la::cached_prompt_tokens(t).has_value());
    CHECK(la::cached_exceeds_prompt(t));
    CHECK(!la::uncached_prompt_tokens(t).has_value());
    t.usage->cached_tokens = 1000; // a whole prompt cached can be reported
    CHECK(la::cached_prompt_tokens(t)->tokens == 1000);
    CHECK(*la::uncached_prompt_tokens(t) == 0);
}

TEST_CASE("effective prefill speed: uncached tokens over the server's prefill time") {
    llmcap::request_trace t = plain_trace();
    t.timings = llmcap::server_timings{};
    t.timings->prefill_s = 0.02;
    CHECK(!la::effective_prefill_speed_tokens_per_s(t).has_value()); // no cache report
    t.usage->cached_tokens = 600;
    CHECK(*la::effective_prefill_speed_tokens_per_s(t) == doctest::Approx(20000.0));
    CHECK(*la::prefill_speed_tokens_per_s(t) == doctest::Approx(50000.0)); // whole prompt
    t.timings->prefill_s = 0.0;
    CHECK(!la::effective_prefill_speed_tokens_per_s(t).has_value());
}

TEST_CASE("TTFT of later turns: only turn 2 and later of a conversation") {
    llmcap::request_trace t = plain_trace();
    CHECK(!la::request_metric_value(la::metric::ttft_later_turns, t).has_value());
    t.conversation = 3;
    t.turn = 1;
    CHECK(!la::ttft_later_turn(t).has_value());
    t.turn = 2;
    CHECK(*la::request_metric_value(la::metric::ttft_later_turns, t) == doctest::Approx(0.1));
}

TEST_CASE("cell_recorder: cache fraction by reporting field, mean in flight, JSON kept") {
    la::cell_recorder<> r;
    llmcap::request_trace a = plain_trace(); // 1000 prompt, 400 cached
    a.usage->cached_tokens = 400;
    llmcap::request_trace b = plain_trace(); // cache not reported
    llmcap::request_trace c = plain_trace(); // impossible count
    c.usage->cached_tokens = 5000;
    llmcap::request_trace d = plain_trace(); // llama.cpp: 100 of 1000 cached
    d.usage.reset();
    d.prompt_tokens_target = 1000;
    d.timings = llmcap::server_timings{};
    d.timings->prompt_tokens_cached = 100;
    for (const auto* t : {&a, &b, &c, &d})
        r.record(*t);
    CHECK(r.cache_reports(la::cache_report::usage_cached_tokens) == 1);
    CHECK(r.cache_reports(la::cache_report::timings_cache_n) == 1);
    CHECK(r.cache_reported() == 2);
    CHECK(r.cache_impossible() == 1);
    CHECK(r.cached_tokens_total() == 500);
    // b's usage came without a cached count while a's had one: vLLM and SGLang omit the field
    // when nothing was cached, so b counts as 0 cached of 1000: 500 of 3000.
    CHECK(*r.cached_prompt_fraction() == doctest::Approx(500.0 / 3000.0));
    // Four requests of 195 ms each over a 195 ms window: four in flight on average.
    CHECK(*r.mean_in_flight() == doctest::Approx(4.0));
    const la::cell_summary s = r.summary();
    CHECK(*s.value(la::metric::cached_prompt_fraction, la::statistic::mean) ==
          doctest::Approx(500.0 / 3000.0));
    CHECK(*s.value(la::metric::mean_in_flight, la::statistic::mean) == doctest::Approx(4.0));
    CHECK(s.value(la::metric::cached_prompt_tokens, la::statistic::max) == 400.0);

    const auto back =
        la::cell_recorder<>::from_json(boost::json::parse(boost::json::serialize(r.to_json())));
    REQUIRE(back.has_value());
    CHECK(*back == r);

    la::cell_recorder<> none;
    none.record(plain_trace());
    CHECK(!none.cached_prompt_fraction().has_value()); // not reported, never 0
    CHECK(none.summary().metrics.count(la::metric::cached_prompt_fraction) == 0);

    boost::json::value j = r.to_json();
    j.as_object()["cache"].as_object()["cached_tokens"] = 1u << 30;
    const auto bad = la::cell_recorder<>::from_json(j);
    REQUIRE(!bad.has_value());
    CHECK(bad.error().message().find("$.cache.cached_tokens") != std::string::npos);
    boost::json::value old = r.to_json(); // written before sessions existed
    old.as_object().erase("cache");
    old.as_object().erase("busy_ns");
    REQUIRE(la::cell_recorder<>::from_json(old).has_value());
}
