#include <llmcap/emulator/simulator.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/detail/cell_metrics.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace emu = llmcap::emulator;

namespace {

bool same_traces(const emu::simulation_result& a, const emu::simulation_result& b) {
    if (a.requests.size() != b.requests.size() || a.steps != b.steps)
        return false;
    for (std::size_t i = 0; i < a.requests.size(); ++i) {
        const llmcap::request_trace& x = a.requests[i].trace;
        const llmcap::request_trace& y = b.requests[i].trace;
        if (x.index != y.index || x.intended_start != y.intended_start || x.send != y.send ||
            x.headers != y.headers || x.end != y.end || x.events.size() != y.events.size() ||
            x.usage != y.usage || x.timings != y.timings)
            return false;
        for (std::size_t k = 0; k < x.events.size(); ++k)
            if (x.events[k].at != y.events[k].at || x.events[k].kind != y.events[k].kind)
                return false;
    }
    return true;
}

// Requests in flight at instant t, counting each request over [intended start, end).
std::size_t in_flight_at(const emu::simulation_result& r, llmcap::time_point t) {
    return static_cast<std::size_t>(
        std::count_if(r.requests.begin(), r.requests.end(), [&](const emu::simulated_request& q) {
            return q.trace.intended_start <= t && t < q.trace.end;
        }));
}

} // namespace

TEST_CASE("simulator: traces look as a streaming client records a vLLM-like server") {
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(7);
    const emu::workload w{512, 16, 4};
    const emu::simulation_result r = emu::simulate(
        p, w, emu::closed_loop{.concurrency = 3, .measured_requests = 6, .hold_concurrency = false},
        rng);
    REQUIRE(r.requests.size() == 6);
    CHECK(r.requests_started == 6);
    CHECK(r.requests.front().trace.intended_start == emu::virtual_epoch());
    for (std::size_t i = 0; i < r.requests.size(); ++i) {
        const llmcap::request_trace& t = r.requests[i].trace;
        const emu::request_truth& truth = r.requests[i].truth;
        CHECK(t.index == i);
        CHECK(t.ok());
        CHECK(t.intended_start >= emu::virtual_epoch());
        REQUIRE(t.send);
        CHECK(*t.send == t.intended_start);
        REQUIRE(t.headers);
        CHECK(*t.headers > *t.send);
        CHECK(truth.arrival > *t.send);
        CHECK(t.http_status == 200);
        CHECK(t.done_marker);
        CHECK(t.finish_reason == "length");
        CHECK(t.fixed_output);
        CHECK(t.max_tokens == 16);
        CHECK(t.prompt_tokens_target == 512);
        REQUIRE(t.events.size() == 16);
        CHECK(t.sse_events == 16 + 3);
        for (std::size_t k = 0; k < t.events.size(); ++k) {
            CHECK(t.events[k].at == truth.tokens[k]);
            CHECK(t.events[k].tokens == 1);
            CHECK(t.events[k].kind ==
                  (k < 4 ? llmcap::token_kind::reasoning : llmcap::token_kind::content));
        }
        CHECK(*t.first_answer_time() == t.events[4].at);
        CHECK(t.end == t.events.back().at);
        REQUIRE(t.usage);
        CHECK(t.usage->prompt_tokens == 512);
        CHECK(t.usage->completion_tokens == 16);
        CHECK(t.usage->total_tokens == 528);
        CHECK(t.usage->reasoning_tokens == 4);
        REQUIRE(t.timings);
        CHECK(*t.timings->queue_s == doctest::Approx(llmcap::to_seconds(*truth.queue_wait())));
        CHECK(*t.timings->prefill_s == doctest::Approx(llmcap::to_seconds(*truth.prefill_time())));
        CHECK(*t.timings->queue_s >= 0.0);
        CHECK(*t.timings->prefill_s > 0.0);
    }
}

TEST_CASE("simulator: a closed loop keeps exactly N in flight and restarts at once") {
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(1);
    const emu::simulation_result r = emu::simulate(
        p, {2048, 64, 0},
        emu::closed_loop{.concurrency = 4, .measured_requests = 16, .hold_concurrency = false},
        rng);
    REQUIRE(r.requests.size() == 16);
    for (const emu::simulated_request& q : r.requests)
        CHECK(in_flight_at(r, q.trace.intended_start) == 4);
    // Each request after the first wave starts the moment an earlier one ends.
    for (std::size_t i = 4; i < r.requests.size(); ++i) {
        const llmcap::time_point start = r.requests[i].trace.intended_start;
        const bool follows =
            std::any_of(r.requests.begin(), r.requests.begin() + long(i),
                        [&](const emu::simulated_request& q) { return q.trace.end == start; });
        CHECK(follows);
    }
}

TEST_CASE("simulator: warm-up requests are run but not reported; hold keeps the load") {
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(1);
    const emu::simulation_result r = emu::simulate(
        p, {1024, 32, 0},
        emu::closed_loop{.concurrency = 3, .warmup_requests = 3, .measured_requests = 6}, rng);
    REQUIRE(r.requests.size() == 6);
    CHECK(r.requests.front().trace.index == 3);
    CHECK(r.requests.front().trace.intended_start > emu::virtual_epoch());
    CHECK(r.requests_started > 9); // unreported requests kept the concurrency up to the end
}

TEST_CASE("simulator: a start window limits how many requests a long cell runs") {
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(1);
    emu::closed_loop shape{.concurrency = 2, .measured_requests = 100, .hold_concurrency = false};
    shape.start_window = std::chrono::seconds(20);
    const emu::simulation_result r = emu::simulate(p, {1024, 1024, 0}, shape, rng);
    CHECK(r.requests.size() < 100);
    CHECK(r.requests.size() >= 2);
    for (const emu::simulated_request& q : r.requests)
        CHECK(q.trace.intended_start - emu::virtual_epoch() <= std::chrono::seconds(20));
}

TEST_CASE("simulator: the same seed gives identical traces, another seed different ones") {
    const emu::profile p = emu::builtin_profile();
    const emu::load_shape shape = emu::poisson_arrivals{.rate_per_s = 4.0, .measured_requests = 30};
    std::mt19937_64 a(42), b(42), c(43);
    const emu::simulation_result ra = emu::simulate(p, {4096, 64, 0}, shape, a);
    const emu::simulation_result rb = emu::simulate(p, {4096, 64, 0}, shape, b);
    const emu::simulation_result rc = emu::simulate(p, {4096, 64, 0}, shape, c);
    CHECK(ra.requests.size() == 30);
    CHECK(same_traces(ra, rb));
    CHECK_FALSE(same_traces(ra, rc));

    std::mt19937_64 d(42), e(42);
    const emu::load_shape closed = emu::closed_loop{.concurrency = 5, .measured_requests = 10};
    CHECK(same_traces(emu::simulate(p, {1000, 50, 0}, closed, d),
                      emu::simulate(p, {1000, 50, 0}, closed, e)));
}

TEST_CASE("simulator: Poisson arrivals with a concurrency cap send late but count from arrival") {
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(3);
    const emu::simulation_result r = emu::simulate(
        p, {1024, 256, 0},
        emu::poisson_arrivals{.rate_per_s = 50.0, .measured_requests = 40, .max_concurrency = 2},
        rng);
    REQUIRE(r.requests.size() == 40);
    bool some_late = false;
    for (const emu::simulated_request& q : r.requests) {
        CHECK(*q.trace.send >= q.trace.intended_start);
        some_late = some_late || *q.trace.send > q.trace.intended_start;
        // At most two sent and unfinished at any send.
        const auto sent_in_flight = std::count_if(
            r.requests.begin(), r.requests.end(), [&](const emu::simulated_request& o) {
                return *o.trace.send <= *q.trace.send && *q.trace.send < o.trace.end;
            });
        CHECK(sent_in_flight <= 2);
    }
    CHECK(some_late);
    // Intended starts are increasing (arrival order) and their gaps average about 1/rate.
    const double span = llmcap::to_seconds(r.requests.back().trace.intended_start -
                                           r.requests.front().trace.intended_start);
    CHECK(span / 39.0 == doctest::Approx(0.02).epsilon(0.5));
}

TEST_CASE("simulator: invalid shapes and oversized requests are refused") {
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(1);
    CHECK_THROWS_AS((void)emu::simulate(p, {1024, 16, 0}, emu::closed_loop{.concurrency = 0}, rng),
                    std::invalid_argument);
    CHECK_THROWS_AS(
        (void)emu::simulate(p, {1024, 16, 0}, emu::poisson_arrivals{.rate_per_s = 0.0}, rng),
        std::invalid_argument);
    CHECK_THROWS_AS((void)emu::simulate(p, {202000, 1024, 0}, emu::closed_loop{}, rng),
                    std::invalid_argument);
}

TEST_CASE("simulator: the full default GLM sweep runs") {
    // Contexts 1K..200K at concurrency 1..4 with 1,024 output tokens, plus the use-case ranges;
    // one wave of requests per cell here (the benchmark runs three and reports the time).
    struct cell {
        std::uint32_t prompt, output, concurrency;
    };
    std::vector<cell> cells;
    for (std::uint32_t ctx :
         {1024u, 2048u, 4096u, 8192u, 16384u, 32768u, 65536u, 98304u, 131072u, 200000u})
        for (std::uint32_t c = 1; c <= 4; ++c)
            cells.push_back({ctx, 1024, c});
    for (std::uint32_t c : {8u, 16u, 24u, 32u})
        cells.push_back({1024, 128, c});
    for (std::uint32_t c : {8u, 32u, 75u, 125u})
        cells.push_back({8192, 1024, c});
    for (std::uint32_t c : {5u, 8u, 12u})
        cells.push_back({32768, 1024, c});
    for (std::uint32_t c : {6u, 8u})
        cells.push_back({65536, 1024, c});
    const emu::profile p = emu::builtin_profile();
    std::mt19937_64 rng(1);
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t steps = 0;
    double previous_ttft = 0.0;
    for (const cell& k : cells) {
        const emu::simulation_result r =
            emu::simulate(p, {k.prompt, k.output, 0},
                          emu::closed_loop{.concurrency = k.concurrency,
                                           .measured_requests = k.concurrency,
                                           .hold_concurrency = false},
                          rng);
        REQUIRE(r.requests.size() == k.concurrency);
        steps += r.steps;
        const auto m = emu::detail::measure_cell(r.traces());
        CHECK(m.per_user_tokens_per_s > 0.0);
        if (k.concurrency == 1 && k.output == 1024) {
            CHECK(m.ttft_s > previous_ttft); // TTFT grows with context
            previous_ttft = m.ttft_s;
        }
    }
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    MESSAGE(cells.size() << " cells, " << steps << " engine steps simulated in " << wall_s << " s");
}
