// The emulator's in-process endpoint on virtual time, driven by the library's own load driver.
#include <llmcap/emulator/virtual_endpoint.hpp>

#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/virtual_timeline.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/virtual_cell.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/load_shape.hpp>
#include <llmcap/workload/token_counter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace emu = llmcap::emulator;
namespace wl = llmcap::workload;
namespace asio = boost::asio;
using llmcap::request_trace;

namespace {

// Runs `work` on an io_context of its own on `t`'s virtual time.
template <class Work>
void run_virtual(llmcap::client::virtual_timeline& t, Work work) {
    asio::io_context io;
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, work(), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    REQUIRE(t.run(io, [&] { return done; }));
    if (failure)
        std::rethrow_exception(failure);
}

llmcap::openai::completion_request chat(std::uint32_t prompt_tokens, std::uint32_t output) {
    llmcap::openai::completion_request r;
    r.model = "glm";
    // Chat template: 2 tokens per message and 1 for the assistant turn.
    r.messages.push_back({"user", emu::prompt_of_tokens(prompt_tokens - 3)});
    r.max_tokens = output;
    r.ignore_eos = true;
    return r;
}

// Drives `shape` on a fresh endpoint; returns the measured traces in completion order.
template <class Shape>
std::vector<request_trace> drive(const emu::profile& p, Shape& shape,
                                 const llmcap::openai::completion_request& request,
                                 wl::driver_options d, llmcap::client::virtual_timeline& t) {
    emu::virtual_endpoint ep(t, p);
    std::vector<request_trace> out;
    run_virtual(t, [&]() -> asio::awaitable<void> {
        (void)co_await wl::drive(
            ep, shape,
            [&](std::uint64_t) {
                return wl::prepared_request{request, 0};
            },
            [&](const request_trace& tr, bool warmup) {
                if (!warmup)
                    out.push_back(tr);
            },
            d);
    });
    return out;
}

// Requests in flight at instant t, counting each over [intended start, end).
std::size_t in_flight_at(const std::vector<request_trace>& r, llmcap::time_point t) {
    return static_cast<std::size_t>(std::count_if(r.begin(), r.end(), [&](const request_trace& q) {
        return q.intended_start <= t && t < q.end;
    }));
}

bool same_traces(const std::vector<request_trace>& a, const std::vector<request_trace>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const request_trace& x = a[i];
        const request_trace& y = b[i];
        if (x.index != y.index || x.intended_start != y.intended_start || x.send != y.send ||
            x.headers != y.headers || x.end != y.end || x.events.size() != y.events.size() ||
            x.usage != y.usage || x.timings != y.timings)
            return false;
        for (std::size_t k = 0; k < x.events.size(); ++k)
            if (x.events[k].at != y.events[k].at)
                return false;
    }
    return true;
}

} // namespace

TEST_CASE("virtual endpoint: traces look as a streaming client records a vLLM-like server") {
    const emu::profile p = emu::builtin_profile();
    emu::virtual_cell c{.prompt_tokens = 512, .output_tokens = 16, .concurrency = 3};
    c.stop.requests = 6;
    const emu::virtual_cell_result r = emu::run_virtual_cell(p, c);
    REQUIRE(r.traces.size() == 6);
    REQUIRE(r.truths.size() == 6);
    CHECK(r.driven.measured_started == 6);
    CHECK(r.driven.measured_succeeded == 6);
    for (std::size_t i = 0; i < r.traces.size(); ++i) {
        const request_trace& t = r.traces[i];
        const emu::request_truth& truth = r.truths[i];
        CHECK(t.ok());
        CHECK(t.intended_start >= llmcap::virtual_epoch());
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
        }
        CHECK(t.end == t.events.back().at);
        REQUIRE(t.usage);
        CHECK(t.usage->prompt_tokens == 512);
        CHECK(t.usage->completion_tokens == 16);
        CHECK(t.usage->total_tokens == 528);
        REQUIRE(t.timings);
        CHECK(*t.timings->queue_s == doctest::Approx(llmcap::to_seconds(*truth.queue_wait())));
        CHECK(*t.timings->prefill_s == doctest::Approx(llmcap::to_seconds(*truth.prefill_time())));
        CHECK(*t.timings->prefill_s > 0.0);
    }
    // The recorder saw the same requests.
    CHECK(r.recorder.succeeded() == 6);
    CHECK(r.steps > 16);
}

TEST_CASE("virtual endpoint: a closed loop keeps exactly N in flight and restarts at once") {
    const emu::profile p = emu::builtin_profile();
    emu::virtual_cell c{.prompt_tokens = 2048, .output_tokens = 64, .concurrency = 4};
    c.stop.requests = 16;
    const std::vector<request_trace> r = emu::run_virtual_cell(p, c).traces;
    REQUIRE(r.size() == 16);
    std::size_t full = 0;
    for (const request_trace& q : r)
        if (in_flight_at(r, q.intended_start) == 4)
            ++full;
    // Every request starts with four in flight, but the last ones drain with fewer.
    CHECK(full >= 12);
    for (const request_trace& q : r) {
        if (q.intended_start == llmcap::virtual_epoch())
            continue; // the first wave
        // Each later request starts the moment an earlier one ends.
        CHECK(std::any_of(r.begin(), r.end(),
                          [&](const request_trace& o) { return o.end == q.intended_start; }));
    }
}

TEST_CASE("virtual endpoint: warm-up runs first and is not recorded; a duration ends a cell") {
    const emu::profile p = emu::builtin_profile();
    emu::virtual_cell c{.prompt_tokens = 1024, .output_tokens = 32, .concurrency = 3};
    c.warmup_requests = 3;
    c.stop.requests = 6;
    const emu::virtual_cell_result r = emu::run_virtual_cell(p, c);
    REQUIRE(r.traces.size() == 6);
    for (const request_trace& t : r.traces) {
        CHECK(t.index >= 3);
        CHECK(t.intended_start > llmcap::virtual_epoch());
    }

    emu::virtual_cell long_cell{.prompt_tokens = 1024, .output_tokens = 1024, .concurrency = 2};
    long_cell.stop.requests = 100;
    long_cell.stop.max_duration = std::chrono::seconds(20);
    const emu::virtual_cell_result l = emu::run_virtual_cell(p, long_cell);
    CHECK(l.traces.size() < 100);
    CHECK(l.traces.size() >= 2);
    CHECK(l.driven.stop_reason == wl::stop_reason::duration);
    for (const request_trace& t : l.traces)
        CHECK(t.intended_start - llmcap::virtual_epoch() <= std::chrono::seconds(20));
}

TEST_CASE("virtual endpoint: the same seed gives identical traces, another seed different ones") {
    const emu::profile p = emu::builtin_profile();
    const auto run = [&](std::uint64_t seed) {
        llmcap::client::virtual_timeline t;
        std::mt19937_64 rng(seed);
        wl::open_loop shape(4.0, 1.0, 0, rng, t.now());
        wl::driver_options d;
        d.stop.requests = 30;
        return drive(p, shape, chat(4096, 64), d, t);
    };
    const std::vector<request_trace> a = run(42);
    CHECK(a.size() == 30);
    CHECK(same_traces(a, run(42)));
    CHECK_FALSE(same_traces(a, run(43)));
}

TEST_CASE("virtual endpoint: open loop with a cap sends late but counts from the intended start") {
    const emu::profile p = emu::builtin_profile();
    llmcap::client::virtual_timeline t;
    std::mt19937_64 rng(3);
    wl::open_loop shape(50.0, 1.0, 2, rng, t.now());
    wl::driver_options d;
    d.stop.requests = 40;
    const std::vector<request_trace> r = drive(p, shape, chat(1024, 256), d, t);
    REQUIRE(r.size() == 40);
    bool some_late = false;
    for (const request_trace& q : r) {
        REQUIRE(q.send);
        CHECK(*q.send >= q.intended_start);
        some_late = some_late || *q.send > q.intended_start;
        const auto sent_in_flight = std::count_if(r.begin(), r.end(), [&](const request_trace& o) {
            return *o.send <= *q.send && *q.send < o.end;
        });
        CHECK(sent_in_flight <= 2);
    }
    CHECK(some_late);
}

TEST_CASE("virtual endpoint: oversized requests get HTTP 400, bad cells are refused") {
    const emu::profile p = emu::builtin_profile();
    llmcap::client::virtual_timeline t;
    emu::virtual_endpoint ep(t, p);
    request_trace tr;
    run_virtual(
        t, [&]() -> asio::awaitable<void> { tr = co_await ep.stream(chat(202000, 1024), {}); });
    CHECK_FALSE(tr.ok());
    CHECK(tr.failure == llmcap::error::http_status);
    CHECK(tr.http_status == 400);
    CHECK(tr.error_message.find("maximum context length is 202752") != std::string::npos);

    CHECK_THROWS_AS((void)emu::run_virtual_cell(p, {.concurrency = 0}), std::invalid_argument);
    CHECK_THROWS_AS((void)emu::run_virtual_cell(p, {.prompt_tokens = 202000}),
                    std::invalid_argument);
}

TEST_CASE("virtual endpoint: control calls answer as vLLM does") {
    const emu::profile p = emu::builtin_profile();
    llmcap::client::virtual_timeline t;
    emu::virtual_endpoint ep(t, p);
    run_virtual(t, [&]() -> asio::awaitable<void> {
        const llmcap::client::http_response models = co_await ep.get("/v1/models");
        REQUIRE(models.ok());
        const llmcap::openai::dialect_info d = llmcap::openai::detect_dialect(models.body, "", "");
        CHECK(d.kind == llmcap::openai::dialect::vllm);
        CHECK(d.model_id == p.model.name);
        CHECK(d.max_model_len == p.model.max_context_tokens);

        // /tokenize plus the template overhead is what a request's usage reports.
        const llmcap::client::http_response tok =
            co_await ep.post("/tokenize", R"({"model":"glm","prompt":"hello big world"})");
        REQUIRE(tok.ok());
        CHECK(wl::parse_tokenize_response(tok.body).tokens ==
              5u); // "hell", "o", "big", "worl", "d"
        const request_trace tr = co_await ep.stream(chat(100, 4), {});
        REQUIRE(tr.ok());
        CHECK(tr.usage->prompt_tokens == 100);
        const llmcap::client::http_response bad = co_await ep.post("/tokenize", "[1]");
        CHECK(bad.status == 400);
        CHECK_FALSE(bad.ok());
        CHECK((co_await ep.get("/nope")).status == 404);

        const llmcap::client::http_response metrics = co_await ep.get("/metrics");
        REQUIRE(metrics.ok());
        llmcap::prometheus::scrape s;
        REQUIRE_FALSE(llmcap::prometheus::parse(metrics.body, s));
        const std::string body = metrics.body;
        CHECK(body.find("vllm:request_success_total{engine=\"0\",model_name=\"" + p.model.name +
                        "\",finished_reason=\"length\"} 1") != std::string::npos);
    });
}

TEST_CASE("virtual endpoint: a stop signal cancels the requests in flight") {
    const emu::profile p = emu::builtin_profile();
    llmcap::client::virtual_timeline t;
    emu::virtual_endpoint ep(t, p);
    llmcap::client::stop_signal stop;
    std::vector<request_trace> traces;
    run_virtual(t, [&]() -> asio::awaitable<void> {
        wl::closed_loop shape(4);
        wl::driver_options d;
        d.stop.requests = 1000;
        d.stop_signal = &stop;
        std::size_t seen = 0;
        const wl::driver_result r = co_await wl::drive(
            ep, shape,
            [&](std::uint64_t i) {
                // Outputs of different lengths: when the sixth request ends, others are still
                // decoding (equal ones would all end in the same step).
                return wl::prepared_request{
                    chat(1024, 64 + 150 * static_cast<std::uint32_t>(i % 4)), 0};
            },
            [&](const request_trace& tr, bool) {
                traces.push_back(tr);
                if (++seen == 6)
                    stop.request_stop();
            },
            d);
        CHECK(r.stop_reason == wl::stop_reason::cancelled);
    });
    REQUIRE(traces.size() >= 6);
    CHECK(std::count_if(traces.begin(), traces.end(),
                        [](const request_trace& tr) { return tr.ok(); }) == 6);
    CHECK(std::count_if(traces.begin(), traces.end(), [](const request_trace& tr) {
              return tr.failure == llmcap::error::cancelled;
          }) >= 1);
    CHECK(traces.size() < 20);
}

TEST_CASE("virtual endpoint: energy is idle power between steps and each step's power in it") {
    const emu::profile p = emu::builtin_profile();
    llmcap::client::virtual_timeline t;
    struct step {
        llmcap::time_point start, end;
        double power_w;
    };
    std::vector<step> steps;
    emu::virtual_endpoint_options o;
    o.on_step = [&](const emu::step_result& s, double w) { steps.push_back({s.start, s.end, w}); };
    emu::virtual_endpoint ep(t, p, o);
    emu::virtual_endpoint::meter meter(ep);
    llmcap::telemetry::energy_result e;
    run_virtual(t, [&]() -> asio::awaitable<void> {
        auto timer = t.make_timer(co_await asio::this_coro::executor);
        timer.expires_at(t.now() + std::chrono::seconds(2)); // two idle seconds first
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        CHECK(ep.energy_j() == doctest::Approx(2.0 * 90.0));
        (void)meter.start();
        wl::closed_loop shape(4);
        wl::driver_options d;
        d.stop.requests = 8;
        (void)co_await wl::drive(
            ep, shape,
            [&](std::uint64_t) {
                return wl::prepared_request{chat(4096, 64), 0};
            },
            [](const request_trace&, bool) {}, d);
        timer.expires_at(t.now() + std::chrono::seconds(1)); // and one after
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        e = meter.stop();
    });
    REQUIRE(e.ok());
    REQUIRE(steps.size() > 64);
    double busy_s = 0.0, step_j = 0.0, peak = 0.0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        CHECK(steps[i].power_w >= 90.0);
        CHECK(steps[i].power_w <= 700.0);
        if (i > 0)
            CHECK(steps[i].start >= steps[i - 1].end); // one step at a time
        busy_s += llmcap::to_seconds(steps[i].end - steps[i].start);
        step_j += steps[i].power_w * llmcap::to_seconds(steps[i].end - steps[i].start);
        peak = std::max(peak, steps[i].power_w);
    }
    const double span_s = llmcap::to_seconds(e.reading->elapsed);
    CHECK(span_s > 1.0); // the load, then one idle second
    CHECK(span_s > busy_s);
    CHECK(e.reading->energy_j == doctest::Approx(step_j + 90.0 * (span_s - busy_s)).epsilon(1e-9));
    CHECK(e.reading->mean_power_w == doctest::Approx(e.reading->energy_j / span_s));
    CHECK(e.reading->peak_power_w == peak);
    CHECK(e.reading->source == llmcap::telemetry::energy_source::emulator);
    CHECK(e.reading->method == llmcap::telemetry::energy_method::power_model);
}

TEST_CASE("virtual endpoint: the full default GLM sweep runs") {
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
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t steps = 0;
    double previous_ttft = 0.0;
    for (const cell& k : cells) {
        emu::virtual_cell c{
            .prompt_tokens = k.prompt, .output_tokens = k.output, .concurrency = k.concurrency};
        c.stop.requests = k.concurrency;
        const emu::virtual_cell_result r = emu::run_virtual_cell(p, c);
        REQUIRE(r.traces.size() == k.concurrency);
        steps += r.steps;
        const llmcap::analysis::cell_summary s = r.recorder.summary();
        CHECK(s.value(llmcap::analysis::metric::generation_speed,
                      llmcap::analysis::statistic::mean) > 0.0);
        if (k.concurrency == 1 && k.output == 1024) {
            const double ttft =
                *s.value(llmcap::analysis::metric::ttft, llmcap::analysis::statistic::mean);
            CHECK(ttft > previous_ttft); // TTFT grows with context
            previous_ttft = ttft;
        }
    }
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    MESSAGE(cells.size() << " cells, " << steps << " engine steps simulated in " << wall_s << " s");
}
