// Test that header file is self-contained.
#include <llmcap/analysis/turn_recorder.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

using namespace std::chrono_literals;
namespace la = llmcap::analysis;

namespace {

const llmcap::time_point t0 = llmcap::time_point{} + 1000s;

// Turn `turn` of conversation `id`: intended at `start`, first token `ttft` later, 10 tokens
// 10 ms apart, `prompt` tokens of which `cached` were cached (absent: not reported).
llmcap::request_trace turn(std::uint64_t id, std::uint32_t n, llmcap::duration start,
                           llmcap::duration ttft, std::uint64_t prompt,
                           std::optional<std::uint64_t> cached) {
    llmcap::request_trace t;
    t.conversation = id;
    t.turn = n;
    t.intended_start = t0 + start;
    t.send = t.intended_start;
    for (int i = 0; i < 10; ++i)
        t.events.push_back({t.intended_start + ttft + i * 10ms, 1, llmcap::token_kind::content});
    t.end = t.events.back().at;
    t.done_marker = true;
    t.usage = llmcap::usage_info{prompt, 10, prompt + 10, std::nullopt, cached};
    return t;
}

} // namespace

TEST_CASE("turn_recorder: statistics by turn, the cached share, whole conversations") {
    la::turn_recorder r(3);
    // Two conversations of three turns; the second one's second turn fails.
    r.record(turn(1, 1, 0s, 200ms, 1000, 0));
    r.record(turn(1, 2, 5s, 50ms, 2000, 1500));
    r.record(turn(1, 3, 10s, 60ms, 3000, 2500));
    r.record(turn(2, 1, 1s, 300ms, 1000, std::nullopt)); // usage without the field: 0 cached
    llmcap::request_trace failed = turn(2, 2, 6s, 70ms, 2000, 1500);
    failed.fail(llmcap::error::truncated_stream, "cut");
    r.record(failed);
    r.record(turn(3, 1, 2s, 100ms, 1000, 500));
    llmcap::request_trace single = turn(9, 0, 0s, 1s, 10, std::nullopt); // not a session turn
    r.record(single);

    const std::vector<la::turn_statistics> s = r.statistics();
    REQUIRE(s.size() == 3);
    CHECK(s[0].turn == 1);
    CHECK(s[0].requests == 3);
    CHECK(s[0].succeeded == 3);
    CHECK(s[0].ttft.count == 3);
    CHECK(s[0].ttft.mean == doctest::Approx(0.2));
    CHECK(s[0].ttft.max == doctest::Approx(0.3).epsilon(0.006));
    // 500 cached of 3000 (the request without the field counts as 0 of its 1000)
    REQUIRE(s[0].cached_prompt_fraction.has_value());
    CHECK(*s[0].cached_prompt_fraction == doctest::Approx(500.0 / 3000.0));
    CHECK(s[0].prompt_tokens_mean == doctest::Approx(1000.0));
    CHECK(s[1].requests == 2);
    CHECK(s[1].succeeded == 1); // the failed turn is counted, not measured
    CHECK(s[1].ttft.mean == doctest::Approx(0.05));
    CHECK(*s[1].cached_prompt_fraction == doctest::Approx(0.75));
    CHECK(s[1].generation_speed_mean == doctest::Approx(100.0));
    CHECK(s[2].ttfa_mean_s == doctest::Approx(0.06));
    // Only conversation 1 had all three turns: 10 s + 60 ms + 90 ms from its first intent.
    const la::metric_statistics conv = r.conversation_time();
    CHECK(conv.count == 1);
    CHECK(conv.mean == doctest::Approx(10.15));
}

TEST_CASE("turn_recorder: no cached count anywhere is not reported, never 0") {
    la::turn_recorder r(2);
    r.record(turn(1, 1, 0s, 100ms, 500, std::nullopt));
    r.record(turn(1, 2, 1s, 100ms, 900, std::nullopt));
    for (const la::turn_statistics& t : r.statistics())
        CHECK(!t.cached_prompt_fraction.has_value());
    la::turn_recorder unknown; // turns not known: no conversation time
    unknown.record(turn(1, 1, 0s, 100ms, 500, std::nullopt));
    CHECK(unknown.conversation_time().count == 0);
    CHECK(unknown.statistics().size() == 1);
}
