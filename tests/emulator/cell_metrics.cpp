#include <llmcap/emulator/detail/cell_metrics.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A request started at t0 + start whose n tokens arrive every `gap` from t0 + first.
llmcap::request_trace trace(llmcap::time_point t0, llmcap::duration start, llmcap::duration first,
                            llmcap::duration gap, unsigned n, double queue_s, double prefill_s) {
    llmcap::request_trace t;
    t.intended_start = t0 + start;
    for (unsigned i = 0; i < n; ++i)
        t.events.push_back({t0 + first + i * gap, 1, llmcap::token_kind::content});
    t.end = t.events.back().at;
    t.usage =
        llmcap::usage_info{.prompt_tokens = 1000, .completion_tokens = n, .total_tokens = 1000 + n};
    llmcap::server_timings s;
    s.queue_s = queue_s;
    s.prefill_s = prefill_s;
    t.timings = s;
    return t;
}

} // namespace

TEST_CASE("cell_metrics: means and throughput as DESIGN.md §4 defines them") {
    const llmcap::time_point t0 = llmcap::time_point{} + 1h;
    const std::vector<llmcap::request_trace> traces = {
        // TTFT 1 s, 11 tokens 100 ms apart: 10 tok/s, E2E 2 s.
        trace(t0, 0s, 1s, 100ms, 11, 0.5, 0.25),
        // TTFT 2 s, 5 tokens 50 ms apart: 20 tok/s, E2E 2.2 s.
        trace(t0, 1s, 3s, 50ms, 5, 1.5, 0.5),
    };
    const auto m = llmcap::emulator::detail::measure_cell(traces);
    CHECK(m.requests == 2);
    CHECK(m.ttft_s == doctest::Approx(1.5));
    CHECK(m.per_user_tokens_per_s == doctest::Approx(15.0));
    CHECK(m.e2e_s == doctest::Approx(2.1));
    // 16 tokens from the first intended start (t0) to the last end (t0 + 3.2 s).
    CHECK(m.throughput_tokens_per_s == doctest::Approx(16.0 / 3.2));
    CHECK(m.queue_wait_s == doctest::Approx(1.0));
    CHECK(m.prefill_tokens_per_s == doctest::Approx((1000.0 / 0.25 + 1000.0 / 0.5) / 2.0));
    CHECK(llmcap::emulator::detail::measure_cell({}).requests == 0);
}
