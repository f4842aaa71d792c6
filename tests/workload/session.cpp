// Test that header file is self-contained.
#include <llmcap/workload/session_driver.hpp>

#include "fake_endpoint.hpp" // its chat_tokens: the emulator's chat template

#include <llmcap/client/stop_signal.hpp>
#include <llmcap/client/virtual_timeline.hpp>
#include <llmcap/emulator/tokenizer.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace llmcap;
using namespace std::chrono_literals;

namespace {

// A chat server in virtual time: the first token comes `base + per_token × prompt tokens`
// after the request, then one token every `tpot`; the answer text is " w<index>" per token.
// It records every request it got and can fail chosen turns.
class session_endpoint {
public:
    explicit session_endpoint(client::virtual_timeline& t) : timeline_(&t) {}

    duration base = 20ms;
    duration per_prompt_token = 10us;
    duration tpot = 10ms;
    std::uint64_t context_tokens = 0; // > 0: refuse longer prompts with HTTP 400
    std::set<std::uint64_t> fail_indices;
    std::vector<openai::completion_request> requests;
    std::vector<time_point> arrivals;
    std::map<std::uint64_t, std::string> answers; // by request index
    std::size_t in_flight = 0;
    std::size_t max_in_flight = 0;

    [[nodiscard]] client::virtual_timeline& timeline() noexcept {
        return *timeline_;
    }

    boost::asio::awaitable<request_trace> stream(const openai::completion_request& r,
                                                 client::request_context ctx) {
        const auto ex = co_await boost::asio::this_coro::executor;
        auto timer = timeline_->make_timer(ex);
        const auto sleep = [&](duration d) -> boost::asio::awaitable<void> {
            timer.expires_at(timeline_->now() + d);
            co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        };
        request_trace t;
        t.index = ctx.index;
        t.intended_start = ctx.intended_start;
        t.prompt_tokens_target = ctx.prompt_tokens_target;
        t.max_tokens = r.max_tokens.value_or(0);
        t.fixed_output = r.ignore_eos.value_or(false);
        t.send = timeline_->now();
        requests.push_back(r);
        arrivals.push_back(*t.send);
        max_in_flight = std::max(max_in_flight, ++in_flight);
        const std::uint64_t prompt = test::fake_endpoint::chat_tokens(r);
        if (context_tokens > 0 && prompt + t.max_tokens > context_tokens) {
            t.http_status = 400;
            t.fail(error::http_status, "HTTP 400: too long");
            t.end = *t.send;
            --in_flight;
            co_return t;
        }
        co_await sleep(base + per_prompt_token * prompt);
        t.headers = timeline_->now();
        t.http_status = 200;
        std::string text;
        for (std::uint32_t i = 0; i < t.max_tokens; ++i) {
            if (i > 0)
                co_await sleep(tpot);
            t.events.push_back({timeline_->now(), 1, token_kind::content});
            text += " w" + std::to_string(i % 7);
            if (fail_indices.contains(ctx.index) && i == 1) {
                t.fail(error::truncated_stream, "cut");
                break;
            }
        }
        if (ctx.answer_text != nullptr)
            *ctx.answer_text += text;
        answers[ctx.index] = text;
        if (t.ok()) {
            t.done_marker = true;
            t.finish_reason = "length";
            t.usage =
                usage_info{prompt, t.max_tokens, prompt + t.max_tokens, std::nullopt, std::nullopt};
        }
        t.end = timeline_->now();
        --in_flight;
        co_return t;
    }

private:
    client::virtual_timeline* timeline_;
};

struct session_run {
    workload::session_result result;
    std::vector<request_trace> traces;
    std::vector<bool> warmup;
};

workload::prompt_factory& factory() {
    static workload::prompt_factory f; // built-in prose, nonces on
    return f;
}

workload::calibrated_prompt calibrated(std::uint32_t tokens) {
    workload::calibrated_prompt c;
    c.target_tokens = tokens;
    c.body_bytes = tokens * 4;
    c.exact = false;
    return c;
}

session_run run_sessions(session_endpoint& e, client::virtual_timeline& clock,
                         workload::session_spec spec, workload::driver_options d,
                         std::optional<std::uint32_t> system_tokens = std::nullopt,
                         std::size_t stop_after = 0) {
    workload::request_options o;
    o.model = "m";
    o.extensions.cache_salt = true;
    o.extensions.ignore_eos = true;
    o.extensions.cache_prompt = true;
    std::optional<workload::calibrated_prompt> sys;
    if (system_tokens)
        sys = calibrated(*system_tokens);
    workload::session_source source(factory(), spec, o, calibrated(spec.turn_tokens), sys);
    boost::asio::io_context io;
    session_run out;
    bool finished = false;
    workload::session_driver_options so;
    so.driver = d;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            out.result = co_await workload::drive_sessions(
                e, source,
                [&](const request_trace& t, bool warm) {
                    out.traces.push_back(t);
                    out.warmup.push_back(warm);
                    if (stop_after > 0 && out.traces.size() == stop_after)
                        d.stop_signal->request_stop(); // Ctrl-C
                },
                so);
            finished = true;
        },
        [](std::exception_ptr ex) {
            if (ex)
                std::rethrow_exception(ex);
        });
    REQUIRE(clock.run(io, [&] { return finished; }));
    return out;
}

// A session spec of `users` users, `turns` turns, 32-token messages, 4-token answers and the
// think time `think`.
workload::session_spec spec_of(std::uint32_t users, std::uint32_t turns, const char* think = "0") {
    workload::session_spec s;
    s.users = users;
    s.turns = turns;
    s.turn_tokens = 32;
    s.output_tokens = 4;
    std::string error;
    s.think = *parse_think_time(think, error);
    return s;
}

} // namespace

TEST_CASE("parse_think_time: the documented forms, read back by to_string") {
    std::string error;
    for (const char* text :
         {"0", "fixed:5s", "exponential:10s", "lognormal:10s", "lognormal:2500ms:0.5"}) {
        const auto t = parse_think_time(text, error);
        REQUIRE_MESSAGE(t.has_value(), text << ": " << error);
        const auto again = parse_think_time(t->to_string(), error);
        REQUIRE(again.has_value());
        CHECK(*again == *t);
    }
    const auto plain = parse_think_time("3s", error);
    REQUIRE(plain.has_value());
    CHECK(plain->shape == think_time::family::fixed);
    CHECK(plain->mean == 3s);
    const auto exp = parse_think_time("exp:1.5m", error);
    REQUIRE(exp.has_value());
    CHECK(exp->mean == 90s);
    CHECK(parse_think_time("lognormal:10s:0.5", error)->sigma == 0.5);
}

TEST_CASE("parse_think_time: what does not parse says why, naming the text") {
    std::string error;
    for (const char* text : {"", "gamma:5s", "lognormal:", "lognormal:10s:0", "lognormal:10s:x",
                             "fixed:5s:1", "-3s", "10 s", "exponential:abc", "lognormal:10s:5"}) {
        error.clear();
        CHECK_MESSAGE(!parse_think_time(text, error).has_value(), text);
        CHECK(error.find("think time \"" + std::string(text) + "\"") == 0);
    }
}

TEST_CASE("think_time: draws have the mean asked for") {
    std::mt19937_64 rng(7);
    std::string error;
    for (const char* text : {"exponential:10s", "lognormal:10s", "lognormal:10s:0.5"}) {
        const auto t = parse_think_time(text, error);
        REQUIRE(t.has_value());
        double sum = 0;
        const int n = 40000;
        for (int i = 0; i < n; ++i)
            sum += to_seconds(t->draw(rng));
        CHECK_MESSAGE(sum / n == doctest::Approx(10.0).epsilon(0.04), text);
    }
    CHECK(parse_think_time("fixed:4s", error)->draw(rng) == 4s);
    CHECK(parse_think_time("0", error)->draw(rng) == duration::zero());
}

TEST_CASE("drive_sessions: each turn resends the history with the server's own answers") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec;
    spec.users = 1;
    spec.turns = 4;
    spec.turn_tokens = 64;
    spec.output_tokens = 8;
    spec.system_prompt_tokens = 100;
    workload::driver_options d;
    d.stop.requests = 4;
    const session_run r = run_sessions(e, clock, spec, d, 100u);
    REQUIRE(e.requests.size() == 4);
    for (std::size_t n = 0; n < 4; ++n) {
        const auto& m = e.requests[n].messages;
        REQUIRE(m.size() == 2 + 2 * n);
        CHECK(m[0].role == "system");
        CHECK(m[0].content == e.requests[0].messages[0].content);
        for (std::size_t k = 0; k < n; ++k) {
            CHECK(m[1 + 2 * k].content == e.requests[k].messages[1 + 2 * k].content);
            CHECK(m[2 + 2 * k].role == "assistant");
            CHECK(m[2 + 2 * k].content == e.answers.at(k));
        }
        CHECK(m.back().role == "user");
        CHECK(r.traces[n].conversation == 1);
        CHECK(r.traces[n].turn == n + 1);
        // History grows: each prompt is longer than the last by the answer and a message.
        if (n > 0)
            CHECK(test::fake_endpoint::chat_tokens(e.requests[n]) >
                  test::fake_endpoint::chat_tokens(e.requests[n - 1]) + 8);
    }
    CHECK(r.result.conversations_started == 1);
    CHECK(r.result.conversations_completed == 1);
    CHECK(r.result.requests.measured_started == 4);
    // Cache on: no per-request salt or cache_prompt; the users' texts differ from the start.
    CHECK(!e.requests[0].cache_salt.has_value());
    CHECK(!e.requests[0].extra.contains("cache_prompt"));
}

TEST_CASE("drive_sessions: a turn is sent a think time after the answer, latencies from then") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(1, 3, "fixed:2s");
    workload::driver_options d;
    d.stop.requests = 3;
    const session_run r = run_sessions(e, clock, spec, d);
    REQUIRE(r.traces.size() == 3);
    for (std::size_t n = 1; n < 3; ++n) {
        CHECK(r.traces[n].intended_start == r.traces[n - 1].end + 2s);
        CHECK(*r.traces[n].send == r.traces[n].intended_start);
    }
    // The first user starts within one mean think time of the cell's start.
    CHECK(r.traces[0].intended_start - virtual_epoch() < 2s);
}

TEST_CASE("drive_sessions: users leave after their turns and new users keep the population") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(5, 3, "exponential:1s");
    workload::driver_options d;
    d.warmup_requests = 5;
    d.stop.requests = 60;
    const session_run r = run_sessions(e, clock, spec, d);
    CHECK(r.result.requests.warmup_started == 5);
    CHECK(r.result.requests.measured_started == 60);
    CHECK(r.traces.size() == 65);
    CHECK(e.max_in_flight <= 5);
    CHECK(r.result.conversations_started >= 65 / 3);
    CHECK(r.result.conversations_completed + r.result.in_progress_at_stop ==
          r.result.conversations_started);
    std::map<std::uint64_t, std::uint32_t> turns;
    for (const request_trace& t : r.traces) {
        CHECK(t.turn == ++turns[t.conversation]); // turns in order, none skipped
        CHECK(t.turn <= 3);
        CHECK(t.ok());
    }
    std::size_t warm = 0;
    for (bool w : r.warmup)
        warm += w ? 1 : 0;
    CHECK(warm == 5);
}

TEST_CASE("drive_sessions: a conversation that would outgrow the context ends; a new one starts") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    e.context_tokens = 400;
    workload::session_spec spec;
    spec.users = 2;
    spec.turns = 50;
    spec.turn_tokens = 64;
    spec.output_tokens = 16;
    spec.max_context_tokens = 400;
    workload::driver_options d;
    d.stop.requests = 30;
    const session_run r = run_sessions(e, clock, spec, d);
    CHECK(r.result.ended_by_context > 0);
    CHECK(r.result.ended_by_failure == 0);
    for (const request_trace& t : r.traces) {
        CHECK(t.ok()); // never sent a turn that did not fit
        CHECK(t.usage->prompt_tokens + 16 <= 400);
    }
}

TEST_CASE("drive_sessions: a failed turn ends its conversation, counted, and is reported") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    e.fail_indices = {1};
    workload::session_spec spec = spec_of(1, 4);
    workload::driver_options d;
    d.stop.requests = 6;
    const session_run r = run_sessions(e, clock, spec, d);
    REQUIRE(r.traces.size() == 6);
    CHECK(!r.traces[1].ok());
    CHECK(r.traces[1].turn == 2);
    CHECK(r.result.ended_by_failure == 1);
    CHECK(r.traces[2].conversation == 2);
    CHECK(r.traces[2].turn == 1);
    CHECK(r.result.requests.measured_succeeded == 5);
}

TEST_CASE("drive_sessions: once the count is reached, users in a pause leave at once") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(3, 4, "fixed:600s");
    workload::driver_options d;
    d.stop.requests = 4;
    const session_run r = run_sessions(e, clock, spec, d);
    CHECK(r.result.requests.measured_started == 4);
    CHECK(r.result.requests.stop_reason == workload::stop_reason::request_count);
    time_point last_end{};
    for (const request_trace& t : r.traces)
        last_end = std::max(last_end, t.end);
    CHECK(clock.now() == last_end); // nobody waited out a 600 s pause
    CHECK(r.result.in_progress_at_stop == r.result.conversations_started);
}

TEST_CASE("drive_sessions: a duration rule ends the cell at the deadline") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(4, 100, "fixed:1s");
    workload::driver_options d;
    d.stop.max_duration = 30s;
    const session_run r = run_sessions(e, clock, spec, d);
    CHECK(r.result.requests.stop_reason == workload::stop_reason::duration);
    const time_point first = r.traces.front().intended_start;
    for (const request_trace& t : r.traces)
        CHECK(t.intended_start < first + 30s);
    CHECK(r.traces.size() > 80);
}

TEST_CASE("drive_sessions: cache off gives every request a unique first token and salt") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(2, 3);
    spec.system_prompt_tokens = 50;
    spec.prefix_caching = false;
    workload::driver_options d;
    d.stop.requests = 6;
    (void)run_sessions(e, clock, spec, d, 50u);
    std::set<std::string> firsts, salts;
    for (const auto& r : e.requests) {
        firsts.insert(r.messages.front().content.substr(0, 8));
        REQUIRE(r.cache_salt.has_value());
        salts.insert(*r.cache_salt);
        CHECK(r.extra.at("cache_prompt") == false);
    }
    CHECK(firsts.size() == e.requests.size());
    CHECK(salts.size() == e.requests.size());
}

TEST_CASE("drive_sessions: cache on shares each group's system prompt and a run salt") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(4, 1);
    spec.system_prompt_tokens = 50;
    spec.groups = 2;
    spec.cache_salt = "run-42";
    workload::driver_options d;
    d.stop.requests = 8;
    (void)run_sessions(e, clock, spec, d, 50u);
    std::set<std::string> systems, users;
    for (const auto& r : e.requests) {
        systems.insert(r.messages.front().content);
        users.insert(r.messages.back().content.substr(0, 7));
        CHECK(r.cache_salt == "run-42");
    }
    CHECK(systems.size() == 2);
    CHECK(users.size() == e.requests.size()); // every user message starts with its own nonce
}

TEST_CASE("session_source: drawn turn lengths vary around the mean") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec;
    spec.users = 1;
    spec.turns = 1;
    spec.turn_tokens = 200;
    spec.turn_tokens_sigma = 0.5;
    spec.output_tokens = 1;
    workload::driver_options d;
    d.stop.requests = 400;
    (void)run_sessions(e, clock, spec, d);
    double sum = 0;
    std::set<std::uint64_t> lengths;
    for (const auto& r : e.requests) {
        const auto n = emulator::tokenizer::count(r.messages.back().content);
        lengths.insert(n);
        sum += static_cast<double>(n);
    }
    CHECK(lengths.size() > 50);
    CHECK(sum / 400 == doctest::Approx(200.0).epsilon(0.1));
}

TEST_CASE("session_source: an invalid spec or a completions API is refused") {
    workload::request_options o;
    workload::session_spec spec;
    spec.users = 0;
    CHECK_THROWS_AS(workload::session_source(factory(), spec, o, calibrated(10)),
                    std::invalid_argument);
    spec.users = 1;
    spec.system_prompt_tokens = 10;
    CHECK_THROWS_AS(workload::session_source(factory(), spec, o, calibrated(10)),
                    std::invalid_argument);
    spec.system_prompt_tokens = 0;
    o.kind = openai::api::completions;
    CHECK_THROWS_AS(workload::session_source(factory(), spec, o, calibrated(10)),
                    std::invalid_argument);
    CHECK(workload::validate(spec).empty());
    spec.turn_tokens_sigma = -1;
    CHECK(!workload::validate(spec).empty());
}

TEST_CASE("drive_sessions: the stop signal wakes users in a pause; the cell ends cancelled") {
    client::virtual_timeline clock;
    session_endpoint e(clock);
    workload::session_spec spec = spec_of(3, 4, "fixed:600s");
    client::stop_signal stop;
    workload::driver_options d;
    d.stop.requests = 100;
    d.stop_signal = &stop;
    const session_run r = run_sessions(e, clock, spec, d, std::nullopt, 3);
    CHECK(r.result.requests.stop_reason == workload::stop_reason::cancelled);
    CHECK(r.traces.size() == 3);
    CHECK(clock.now() == r.traces.back().end); // nobody waited out the pause
    CHECK(stop.in_flight() == 0);
}
