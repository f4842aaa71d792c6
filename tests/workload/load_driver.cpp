#include <llmcap/workload/load_driver.hpp>

#include "fake_endpoint.hpp"

#include <llmcap/client/stop_signal.hpp>
#include <llmcap/workload/load_shape.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

using namespace llmcap;
using namespace std::chrono_literals;

namespace {

struct collected {
    std::vector<request_trace> traces;
    std::vector<bool> warmup;
};

template <class Shape>
workload::driver_result run(test::fake_endpoint& e, Shape& shape, workload::driver_options o,
                            collected& out, std::uint32_t max_tokens = 8) {
    boost::asio::io_context io;
    std::optional<workload::driver_result> result;
    auto make = [max_tokens](std::uint64_t index) {
        workload::prepared_request p;
        p.request.model = "m";
        p.request.messages.push_back({"user", "prompt " + std::to_string(index)});
        p.request.max_tokens = max_tokens;
        p.prompt_tokens_target = 4;
        return p;
    };
    boost::asio::co_spawn(io,
                          workload::drive(
                              e, shape, make,
                              [&](const request_trace& t, bool w) {
                                  out.traces.push_back(t);
                                  out.warmup.push_back(w);
                              },
                              o),
                          [&](std::exception_ptr ex, workload::driver_result r) {
                              if (ex)
                                  std::rethrow_exception(ex);
                              result = r;
                          });
    io.run();
    REQUIRE(result.has_value());
    return *result;
}

} // namespace

TEST_CASE("closed_loop: exactly N in flight, a new request as soon as one ends") {
    for (std::uint32_t n : {1u, 3u, 8u}) {
        CAPTURE(n);
        test::fake_endpoint e;
        workload::closed_loop shape(n);
        workload::driver_options o;
        o.warmup_requests = n;
        o.stop.requests = 5 * n;
        o.first_index = 100;
        collected out;
        const auto r = run(e, shape, o, out, 64);
        CHECK(r.warmup_started == n);
        CHECK(r.measured_started == 5 * n);
        CHECK(r.measured_succeeded == 5 * n);
        CHECK(r.stop_reason == workload::stop_reason::request_count);
        CHECK(r.next_index == 100 + 6 * n);
        CHECK(e.max_in_flight == n);
        // Until the last request has started, n are in flight at (nearly) every token event:
        // only requests ending in the same executor turn leave a momentary gap.
        std::size_t full = 0;
        std::size_t before_last = 0;
        for (const auto& [inflight, started] : e.in_flight_at_event) {
            CHECK(inflight <= n);
            if (started < 6 * n) {
                ++before_last;
                if (inflight == n)
                    ++full;
            }
        }
        CHECK(before_last > 0);
        CHECK(static_cast<double>(full) >= 0.9 * static_cast<double>(before_last));
        for (std::size_t i = n; i < e.in_flight_at_start.size(); ++i)
            CHECK(e.in_flight_at_start[i] < n);
        REQUIRE(out.traces.size() == 6 * n);
        std::size_t warm = 0;
        for (std::size_t i = 0; i < out.traces.size(); ++i) {
            if (out.warmup[i]) {
                ++warm;
                CHECK(out.traces[i].index < 100 + n);
            } else {
                CHECK(out.traces[i].index >= 100 + n);
            }
            CHECK(out.traces[i].ok());
            CHECK(out.traces[i].send >= out.traces[i].intended_start);
        }
        CHECK(warm == n);
    }
}

TEST_CASE("closed_loop: concurrency 0 is a programmer error") {
    CHECK_THROWS_AS(workload::closed_loop(0), std::invalid_argument);
}

TEST_CASE("open_loop: gamma gaps have mean 1/rate and the burstiness sets their spread") {
    for (double k : {1.0, 0.25, 4.0}) {
        CAPTURE(k);
        std::mt19937_64 rng(42);
        const time_point origin{};
        workload::open_loop shape(50.0, k, 0, rng, origin);
        std::vector<double> gaps;
        time_point prev = origin;
        for (int i = 0; i < 20000; ++i) {
            const time_point t = *shape.next_start(origin, 0);
            gaps.push_back(to_seconds(t - prev));
            prev = t;
            shape.started();
        }
        double mean = 0;
        for (double g : gaps)
            mean += g;
        mean /= static_cast<double>(gaps.size());
        double var = 0;
        for (double g : gaps)
            var += (g - mean) * (g - mean);
        var /= static_cast<double>(gaps.size() - 1);
        CHECK(mean == doctest::Approx(0.02).epsilon(0.04));
        // Coefficient of variation of a gamma(k) gap: 1/sqrt(k).
        CHECK(std::sqrt(var) / mean == doctest::Approx(1.0 / std::sqrt(k)).epsilon(0.06));
    }
    std::mt19937_64 rng(1);
    CHECK_THROWS_AS(workload::open_loop(0.0, 1.0, 0, rng, time_point{}), std::invalid_argument);
    CHECK_THROWS_AS(workload::open_loop(1.0, 0.0, 0, rng, time_point{}), std::invalid_argument);
}

TEST_CASE("open_loop: the same seed gives the same arrivals") {
    std::mt19937_64 a(9), b(9);
    workload::open_loop sa(10.0, 1.0, 0, a, time_point{});
    workload::open_loop sb(10.0, 1.0, 0, b, time_point{});
    for (int i = 0; i < 100; ++i) {
        CHECK(sa.next_start(time_point{}, 0) == sb.next_start(time_point{}, 0));
        sa.started();
        sb.started();
    }
}

TEST_CASE("drive: open loop with a concurrency cap, latencies from the arrival") {
    test::fake_endpoint e;
    std::mt19937_64 rng(7);
    // A very high rate: arrivals come faster than requests finish, so the cap binds.
    workload::open_loop shape(1e6, 1.0, 4, rng, stamp());
    workload::driver_options o;
    o.stop.requests = 40;
    collected out;
    const auto r = run(e, shape, o, out, 16);
    CHECK(r.measured_started == 40);
    CHECK(e.max_in_flight == 4);
    // Intended starts are the arrivals, in order, and strictly increasing.
    std::vector<time_point> intended;
    for (const auto& t : out.traces)
        intended.push_back(t.intended_start);
    std::sort(intended.begin(), intended.end());
    for (std::size_t i = 1; i < intended.size(); ++i)
        CHECK(intended[i] > intended[i - 1]);
    // Held by the cap, late requests were sent well after they arrived: the lag shows.
    std::size_t lagging = 0;
    for (const auto& t : out.traces)
        if (*t.send - t.intended_start > 0ns)
            ++lagging;
    CHECK(lagging > 30);
}

TEST_CASE("linear_ramp: the level rises evenly and the next start is when it passes") {
    const time_point o{};
    workload::linear_ramp ramp(1, 5, 4s, o);
    CHECK(ramp.level(o) == 1);
    CHECK(ramp.level(o + 1s) == 2);
    CHECK(ramp.level(o + 3500ms) == 4);
    CHECK(ramp.level(o + 10s) == 5);
    CHECK(ramp.next_start(o + 1s, 1) == o + 1s);
    CHECK(ramp.next_start(o + 1s, 2) == o + 2s);
    CHECK_FALSE(ramp.next_start(o + 9s, 5));
    CHECK(ramp.cap() == 5);
    CHECK_THROWS_AS(workload::linear_ramp(0, 2, 1s, o), std::invalid_argument);
    CHECK_THROWS_AS(workload::linear_ramp(1, 2, 0s, o), std::invalid_argument);
}

TEST_CASE("drive: the confidence rule stops between its floor and its cap") {
    test::fake_endpoint e;
    workload::closed_loop shape(2);
    workload::driver_options o;
    o.stop.ci_relative_half_width = 0.5; // loose: met soon after the floor
    o.stop.min_requests = 12;
    o.stop.max_requests = 400;
    collected out;
    const auto r = run(e, shape, o, out, 32);
    CHECK(r.stop_reason == workload::stop_reason::confidence);
    CHECK(r.measured_started >= 12);
    CHECK(r.measured_started < 400);
    CHECK(r.measured_started == out.traces.size()); // drained, none abandoned

    test::fake_endpoint e2;
    workload::closed_loop shape2(2);
    o.stop.ci_relative_half_width = 1e-9; // never met
    o.stop.max_requests = 30;
    collected out2;
    const auto r2 = run(e2, shape2, o, out2, 8);
    CHECK(r2.stop_reason == workload::stop_reason::max_requests);
    CHECK(r2.measured_started == 30);
    CHECK(out2.traces.size() == 30);
}

TEST_CASE("drive: a duration rule stops starting once the time is up") {
    test::fake_endpoint e;
    workload::closed_loop shape(2);
    workload::driver_options o;
    o.stop.max_duration = duration::zero();
    collected out;
    const auto r = run(e, shape, o, out);
    CHECK(r.stop_reason == workload::stop_reason::duration);
    // The first request started the clock; the time was up at once, and it was drained.
    CHECK(r.measured_started == 1);
    CHECK(out.traces.size() == 1);
}

TEST_CASE("drive: the stop signal cancels the requests in flight and reports them") {
    test::fake_endpoint e;
    workload::closed_loop shape(3);
    client::stop_signal stop;
    workload::driver_options o;
    o.stop.requests = 1000;
    o.stop_signal = &stop;
    collected out;
    boost::asio::io_context io;
    std::optional<workload::driver_result> result;
    std::size_t seen = 0;
    auto make = [](std::uint64_t) {
        workload::prepared_request p;
        p.request.max_tokens = 64;
        return p;
    };
    boost::asio::co_spawn(io,
                          workload::drive(
                              e, shape, make,
                              [&](const request_trace& t, bool w) {
                                  out.traces.push_back(t);
                                  out.warmup.push_back(w);
                                  if (++seen == 5)
                                      stop.request_stop();
                              },
                              o),
                          [&](std::exception_ptr ex, workload::driver_result r) {
                              if (ex)
                                  std::rethrow_exception(ex);
                              result = r;
                          });
    io.run();
    REQUIRE(result.has_value());
    CHECK(result->stop_reason == workload::stop_reason::cancelled);
    CHECK(result->measured_started == out.traces.size());
    std::size_t cancelled = 0;
    for (const auto& t : out.traces)
        if (t.failure == error::cancelled)
            ++cancelled;
    CHECK(cancelled == 2); // the two still in flight when the fifth ended
}

TEST_CASE("drive: an exception from the request maker ends the cell after draining") {
    test::fake_endpoint e;
    workload::closed_loop shape(2);
    workload::driver_options o;
    o.stop.requests = 10;
    boost::asio::io_context io;
    bool threw = false;
    std::size_t reported = 0;
    auto make = [](std::uint64_t i) {
        if (i == 3)
            throw std::runtime_error("no prompt");
        workload::prepared_request p;
        p.request.max_tokens = 4;
        return p;
    };
    boost::asio::co_spawn(
        io,
        workload::drive(
            e, shape, make, [&](const request_trace&, bool) { ++reported; }, o),
        [&](std::exception_ptr ex, workload::driver_result) { threw = ex != nullptr; });
    io.run();
    CHECK(threw);
    CHECK(reported == 3);
}
