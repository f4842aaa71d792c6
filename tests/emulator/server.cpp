#include <llmcap/emulator/server.hpp>
// Test that header file is self-contained.
#include <llmcap/emulator/server.hpp>

#include "conversation.hpp"
#include "stream_accuracy.hpp"

#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/emulator/virtual_cell.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <algorithm> // sort, max, count
#include <array>     // array
#include <chrono>    // milliseconds
#include <cmath>     // abs
#include <cstddef>   // ptrdiff_t
#include <cstdint>   // uint32_t, int64_t
#include <exception> // exception_ptr
#include <map>       // map
#include <random>    // mt19937_64
#include <string>    // string
#include <vector>    // vector

namespace {

namespace asio = boost::asio;
namespace emu = llmcap::emulator;
using namespace std::chrono_literals;
using llmcap::error;
using llmcap::request_trace;
using llmcap::client::http_endpoint;
using llmcap::openai::completion_request;
using llmcap_test::chat;
using llmcap_test::quick;
using llmcap_test::stream_all;
using llmcap_test::words;

/// Closed loop: `concurrency` workers each send `per_worker` copies of `r` one after another,
/// each with a `cache_salt` of its own (as run_virtual_cell's requests and the built-in
/// workloads': no request finds another's blocks in the prefix cache).
asio::awaitable<std::vector<request_trace>> closed_loop(http_endpoint& ep, completion_request r,
                                                        std::size_t concurrency,
                                                        std::size_t per_worker) {
    const auto ex = co_await asio::this_coro::executor;
    std::vector<request_trace> out;
    std::size_t left = concurrency;
    asio::steady_timer done(ex, llmcap::time_point::max());
    for (std::size_t w = 0; w < concurrency; ++w)
        asio::co_spawn(
            ex,
            [&, w]() -> asio::awaitable<void> {
                for (std::size_t i = 0; i < per_worker; ++i) {
                    completion_request q = r;
                    q.cache_salt = "worker-" + std::to_string(w) + "-" + std::to_string(i);
                    out.push_back(co_await ep.stream(q, llmcap::client::request_context()));
                }
                if (--left == 0)
                    done.cancel();
            },
            asio::detached);
    co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return out;
}

/// An emulator on an ephemeral loopback port, sharing the test's io_context.
struct harness {
    asio::io_context io;
    emu::server srv;
    std::vector<emu::request_record> records;
    std::vector<emu::step_record> steps;
    std::vector<std::string> log;

    explicit harness(emu::server_options o = {}, emu::profile p = emu::builtin_profile())
        : srv(io, p, with_log(std::move(o), log)) {
        srv.on_request([this](const emu::request_record& r) { records.push_back(r); });
        srv.on_step([this](const emu::step_record& s) { steps.push_back(s); });
        srv.start();
    }

    static emu::server_options with_log(emu::server_options o, std::vector<std::string>& log) {
        o.log = [&log](std::string_view line) { log.emplace_back(line); };
        return o;
    }

    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(srv.port());
    }

    /// Runs `body` (an awaitable) on the io_context, then stops the server; rethrows what the
    /// body threw. Bounded: the io_context runs at most 60 s.
    template <class Body>
    void run(Body body) {
        std::exception_ptr failure;
        asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
            failure = e;
            srv.stop();
        });
        io.run_for(60s);
        REQUIRE(srv.stopped());
        if (failure)
            std::rethrow_exception(failure);
    }

    [[nodiscard]] const emu::request_record* record(std::string_view id) const {
        for (const emu::request_record& r : records)
            if (r.response_id == id)
                return &r;
        return nullptr;
    }
};

llmcap::prometheus::scrape parse_metrics(const std::string& body) {
    llmcap::prometheus::scrape page;
    const llmcap::prometheus::parse_error err = llmcap::prometheus::parse(body, page);
    REQUIRE_MESSAGE(!err, err.message());
    return page;
}

double metric(const llmcap::prometheus::scrape& page, std::string_view name) {
    const auto v = page.find(name);
    REQUIRE_MESSAGE(v.has_value(), name);
    return v->value();
}

/// True when `a` is within `relative` (a fraction) of `b`.
bool within(double a, double b, double relative) {
    return std::abs(a - b) <= relative * std::abs(b);
}

double mean(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v)
        s += x;
    return s / static_cast<double>(v.size());
}

/// The body of a `/tokenize` request for the messages of turn `turn` (from 0) of `c`, as
/// llmcap_test::converse() sent them (built here: GCC 12 miscompiles brace-initialised JSON
/// with string literals inside a coroutine).
std::string tokenize_turn(const std::vector<llmcap_test::conversation_turn>& c, std::size_t turn,
                          std::size_t system_words, std::size_t user_words) {
    const auto message = [](std::string_view role, std::string_view text) {
        return boost::json::object{{"role", role}, {"content", text}};
    };
    boost::json::array history{message("system", llmcap_test::user_message(1000, system_words))};
    for (std::size_t n = 0; n <= turn; ++n) {
        history.push_back(message("user", llmcap_test::user_message(n, user_words)));
        if (n < turn)
            history.push_back(message("assistant", c[n].answer));
    }
    return boost::json::serialize(boost::json::object{{"messages", history}});
}

/// A completions request with a batch of two prompts that share their first 800 tokens.
completion_request shared_prefix_batch() {
    completion_request batch;
    batch.kind = llmcap::openai::api::completions;
    batch.model = "glm";
    batch.max_tokens = 2;
    batch.ignore_eos = true;
    batch.extra["prompt"] =
        boost::json::array{words(800) + "only here", words(800) + "and here too"};
    batch.extra["cache_salt"] = "batch";
    return batch;
}

/// The body of a `/tokenize` request for `text` as a completions prompt.
std::string tokenize_text(const std::string& text) {
    return boost::json::serialize(boost::json::object{{"prompt", text}});
}

} // namespace

TEST_CASE("emulator tokenizer: one token per piece of at most 4 bytes of each word") {
    CHECK(emu::tokenizer::count("") == 0);
    CHECK(emu::tokenizer::count("   \n") == 0);
    CHECK(emu::tokenizer::count("hello world") == 4);
    CHECK(emu::tokenizer::count("abcd") == 1);
    CHECK(emu::tokenizer::count("abcde") == 2);
    CHECK(emu::tokenizer::count("  a\tbb\r\nccccccccc ") == 5);
    std::vector<std::string> pieces;
    emu::tokenizer::pieces("hello world", pieces);
    CHECK(pieces == std::vector<std::string>{"hell", "o", "worl", "d"});
    const emu::tokenizer t;
    std::vector<std::uint32_t> ids;
    t.encode("hello hello", ids);
    REQUIRE(ids.size() == 4);
    CHECK(ids[0] == ids[2]);
    CHECK(ids[0] != ids[1]);
    CHECK(ids[0] >= 3);
    // Generated text tokenizes back to one token per piece.
    std::string text;
    for (std::uint64_t i = 0; i < 200; ++i)
        text += emu::tokenizer::output_piece(42, i);
    CHECK(emu::tokenizer::count(text) == 200);
}

TEST_CASE("emulator fault: the header syntax parses, prints back and names bad items") {
    std::string error;
    const auto f = emu::parse_fault(" stall_first=200, cut@10,status=503 ", error);
    REQUIRE(f);
    CHECK(f->stall_first == 200ms);
    CHECK(f->cut_after == 10u);
    CHECK(f->status == 503);
    CHECK(emu::to_string(*f) == "status=503,stall_first=200,cut@10");
    const auto g =
        emu::parse_fault("stall_mid=0@3,malformed,error_event@7,slow_headers=50,refuse", error);
    REQUIRE(g);
    CHECK(g->stall_mid_after == 3u);
    CHECK(g->stall_mid == llmcap::duration{});
    CHECK(g->malformed_after == 1u);
    CHECK(g->error_after == 7u);
    CHECK(g->slow_headers == 50ms);
    CHECK(g->refuse);
    CHECK(emu::parse_fault(emu::to_string(*g), error).has_value());
    CHECK_FALSE(emu::parse_fault("cutt@3", error));
    CHECK(error == "fault: unknown item \"cutt@3\"");
    CHECK_FALSE(emu::parse_fault("status=200", error));
    CHECK(error == "fault: bad value in \"status=200\"");
    CHECK_FALSE(emu::parse_fault("stall_first=100@2", error));
    CHECK(error == "fault: \"stall_first\" takes no token position");
    CHECK_FALSE(emu::parse_fault("cut@x", error));
    const auto none = emu::parse_fault("", error);
    REQUIRE(none);
    CHECK_FALSE(none->any());
    // Durations are exact in whole milliseconds (2010 once read back as 2009: a fuzz finding).
    const auto exact = emu::parse_fault("stall_first=2010,slow_headers=4097", error);
    REQUIRE(exact);
    CHECK(exact->stall_first == 2010ms);
    CHECK(emu::to_string(*exact) == "stall_first=2010,slow_headers=4097");
    const auto overlong = emu::parse_fault("overlong=100", error);
    REQUIRE(overlong);
    CHECK(overlong->overlong == 100u);
    CHECK(emu::to_string(*overlong) == "overlong=100");
    CHECK_FALSE(emu::parse_fault("overlong=1", error));
    CHECK(error == "fault: bad value in \"overlong=1\"");
}

TEST_CASE("emulator server: streams vLLM-shaped chat chunks that match its ground truth") {
    emu::server_options o;
    o.time_scale = 20.0;
    o.reasoning_tokens = 3;
    o.reasoning_as = emu::reasoning_field::reasoning_content;
    harness h(o);
    std::vector<request_trace> traces;
    std::vector<request_trace> continuous;
    request_trace completions;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        // Named vectors: g++ 12 miscompiles braced lists inside co_await expressions.
        std::vector<completion_request> three{chat(100, 12), chat(300, 20), chat(50, 1)};
        traces = co_await stream_all(ep, std::move(three));
        std::vector<completion_request> one(1, chat(200, 9));
        one[0].continuous_usage_stats = true;
        continuous = co_await stream_all(ep, std::move(one));
        completion_request p;
        p.kind = llmcap::openai::api::completions;
        p.model = "glm";
        p.prompt = words(64);
        p.max_tokens = 7;
        p.ignore_eos = true;
        const llmcap::client::request_context ctx;
        completions = co_await ep.stream(p, ctx);
    });
    REQUIRE(traces.size() == 3);
    const std::uint32_t prompts[] = {100, 300, 50};
    const std::uint32_t outputs[] = {12, 20, 1};
    for (std::size_t i = 0; i < traces.size(); ++i) {
        const request_trace& t = traces[i];
        CAPTURE(i);
        REQUIRE_MESSAGE(t.ok(), t.error_message);
        CHECK(t.http_status == 200);
        CHECK(t.done_marker);
        CHECK(t.finish_reason == "length");
        CHECK(t.server_model == "GLM-4.7-Flash");
        REQUIRE(t.usage);
        CHECK(t.usage->prompt_tokens == prompts[i]);
        CHECK(t.usage->completion_tokens == outputs[i]);
        CHECK(t.usage->reasoning_tokens == std::min<std::uint64_t>(3, outputs[i]));
        REQUIRE(t.events.size() == outputs[i]);
        for (std::size_t k = 0; k < t.events.size(); ++k)
            CHECK(t.events[k].kind ==
                  (k < 3 ? llmcap::token_kind::reasoning : llmcap::token_kind::content));
        // role + tokens + usage + [DONE]
        CHECK(t.sse_events == outputs[i] + 3);
        const emu::request_record* r = h.record(t.response_id);
        REQUIRE(r != nullptr);
        CHECK(r->truth.prompt_tokens == prompts[i]);
        CHECK(r->truth.tokens.size() == outputs[i]);
        CHECK_FALSE(r->client_lost);
        REQUIRE(r->truth.scheduled);
        CHECK(*r->truth.scheduled >= r->truth.arrival);
        CHECK(r->truth.arrival >= r->received);
        // The client saw each token after the engine emitted it.
        for (std::size_t k = 0; k < t.events.size(); ++k)
            CHECK(t.events[k].at >= h.srv.to_wall(r->truth.tokens[k]));
    }
    REQUIRE(continuous.size() == 1);
    CHECK(continuous[0].ok());
    CHECK(continuous[0].exact_event_tokens);
    CHECK(continuous[0].event_tokens() == 9);
    REQUIRE_MESSAGE(completions.ok(), completions.error_message);
    CHECK(completions.events.size() == 7);
    CHECK(completions.events[0].kind == llmcap::token_kind::text);
    REQUIRE(completions.usage);
    CHECK(completions.usage->prompt_tokens == 64);
    CHECK(completions.response_id.starts_with("cmpl-"));
    CHECK(h.records.size() == 5);
    CHECK(h.log.size() == 5);
}

TEST_CASE("emulator server: /v1/models, /tokenize, /health, /metrics and non-streaming calls") {
    emu::server_options o;
    o.time_scale = 20.0;
    o.served_model_name = "zai-org/GLM-4.7-Flash";
    o.mean_output_tokens = 8.0;
    o.seed = 7;
    harness h(o);
    llmcap::client::http_response models, tok_chat, tok_prompt, health, missing, metrics, bad;
    request_trace non_stream, sampled, min_tokens, too_long;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        models = co_await ep.get("/v1/models");
        tok_chat = co_await ep.post(
            "/tokenize",
            R"({"model":"m","messages":[{"role":"user","content":"hello world"}],"return_token_strs":true})");
        tok_prompt = co_await ep.post("/tokenize", R"({"model":"m","prompt":"hello world"})");
        health = co_await ep.get("/health");
        missing = co_await ep.get("/nope");
        bad = co_await ep.post("/v1/chat/completions", "{not json");
        completion_request r = chat(40, 6);
        r.stream = false;
        const llmcap::client::request_context ctx;
        non_stream = co_await ep.stream(r, ctx);
        // Without ignore_eos the length is drawn (mean 8) and bounded by max_tokens.
        sampled = co_await ep.stream(chat(40, 3, false), ctx);
        completion_request m = chat(40, 50, false);
        m.min_tokens = 40;
        min_tokens = co_await ep.stream(m, ctx);
        too_long = co_await ep.stream(chat(1000, 202000), ctx);
        metrics = co_await ep.get("/metrics");
    });
    REQUIRE(models.ok());
    const auto mj = boost::json::parse(models.body);
    CHECK(mj.at("data").at(0).at("id").as_string() == "zai-org/GLM-4.7-Flash");
    CHECK(mj.at("data").at(0).at("max_model_len").as_int64() == 202752);
    REQUIRE(tok_chat.ok());
    const auto tc = boost::json::parse(tok_chat.body);
    CHECK(tc.at("count").as_int64() == 7); // 4 + 2 markers + generation prompt
    CHECK(tc.at("tokens").as_array().size() == 7);
    CHECK(tc.at("token_strs").as_array().size() == 7);
    CHECK(tc.at("max_model_len").as_int64() == 202752);
    REQUIRE(tok_prompt.ok());
    CHECK(boost::json::parse(tok_prompt.body).at("count").as_int64() == 4);
    CHECK(boost::json::parse(tok_prompt.body).at("token_strs").is_null());
    CHECK(health.ok());
    CHECK(missing.status == 404);
    CHECK_FALSE(bad.ok());
    CHECK(bad.status == 400);

    REQUIRE_MESSAGE(non_stream.ok(), non_stream.error_message);
    REQUIRE(non_stream.usage);
    CHECK(non_stream.usage->completion_tokens == 6);
    CHECK(non_stream.usage->prompt_tokens == 40);
    CHECK(non_stream.finish_reason == "length");
    REQUIRE_MESSAGE(sampled.ok(), sampled.error_message);
    CHECK(sampled.output_tokens() >= 1);
    CHECK(sampled.output_tokens() <= 3);
    CHECK(sampled.finish_reason == (sampled.output_tokens() < 3 ? "stop" : "length"));
    REQUIRE_MESSAGE(min_tokens.ok(), min_tokens.error_message);
    CHECK(min_tokens.output_tokens() >= 40);
    CHECK(min_tokens.output_tokens() <= 50);
    CHECK(too_long.failure == error::http_status);
    CHECK(too_long.http_status == 400);
    CHECK(too_long.error_message.find("maximum context length is 202752") != std::string::npos);

    REQUIRE(metrics.ok());
    const auto page = parse_metrics(metrics.body);
    std::uint64_t prompt = 0;
    std::uint64_t generated = 0;
    double ttft_sum = 0.0;
    for (const emu::request_record& r : h.records) {
        prompt += r.truth.prompt_tokens;
        generated += r.truth.tokens.size();
        ttft_sum += llmcap::to_seconds(r.truth.tokens.front() - r.received);
    }
    CHECK(h.records.size() == 3);
    CHECK(metric(page, "vllm:prompt_tokens_total") == static_cast<double>(prompt));
    CHECK(metric(page, "vllm:generation_tokens_total") == static_cast<double>(generated));
    CHECK(metric(page, "vllm:time_to_first_token_seconds_count") == 3.0);
    CHECK(within(metric(page, "vllm:time_to_first_token_seconds_sum"), ttft_sum, 1e-9));
    CHECK(metric(page, "vllm:e2e_request_latency_seconds_count") == 3.0);
    CHECK(metric(page, "vllm:request_queue_time_seconds_count") == 3.0);
    CHECK(metric(page, "vllm:request_prefill_time_seconds_count") == 3.0);
    CHECK(metric(page, "vllm:request_decode_time_seconds_count") == 3.0);
    CHECK(metric(page, "vllm:inter_token_latency_seconds_count") ==
          static_cast<double>(generated - 3));
    CHECK(metric(page, "vllm:num_requests_running") == 0.0);
    CHECK(metric(page, "vllm:num_requests_waiting") == 0.0);
    CHECK(metric(page, "vllm:kv_cache_usage_perc") == 0.0);
    CHECK(metric(page, "llmcap_emulator_schedule_lag_seconds_count") > 0.0);
    CHECK(metric(page, "llmcap_emulator_time_scale") == 20.0);
    CHECK(page.find("vllm:time_to_first_token_seconds_bucket",
                    {{"model_name", "zai-org/GLM-4.7-Flash"}, {"le", "+Inf"}})
              ->value() == 3.0);
    CHECK(page.find("DCGM_FI_DEV_POWER_USAGE", {{"gpu", "0"}})->value() == 90.0);
}

TEST_CASE("emulator server: no client stamp precedes the ground truth at 64 streams") {
    // The 1 ms timing bound is checked on optimised code by tests/timing/ (a test binary
    // built without sanitizers, run alone); here the functional side holds in any build:
    // every token the client saw matches one the engine emitted, none is stamped before the
    // engine emitted it, and the client's TTFT (from its send) is never shorter than the
    // server's (from the request's receipt).
    const llmcap_test::stream_accuracy a = llmcap_test::measure_stream_accuracy(64, 24);
    MESSAGE("client - truth P99: token times ", a.token_p99_ms, " ms, first tokens ",
            a.first_token_p99_ms, " ms, |TTFT difference| ", a.ttft_p99_ms,
            " ms; server schedule lag P99 ", a.lag_p99_ms, " ms, emission lag P99 ", a.emit_p99_ms,
            " ms");
    CHECK(a.tokens == 64 * 24);
    CHECK(a.min_token_ms >= 0.0);
    CHECK(a.min_ttft_ms >= 0.0);
}

TEST_CASE("emulator server: /v1/completions serves a batch of prompts as vLLM does") {
    emu::server_options o;
    o.time_scale = 20.0;
    harness h(o);
    llmcap::client::http_response whole, streamed, tok;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        whole = co_await ep.post(
            "/v1/completions",
            R"({"model":"m","prompt":["abcd abcd","abcd",[1,2,3]],"max_tokens":3,"ignore_eos":true})");
        streamed = co_await ep.post(
            "/v1/completions",
            R"({"model":"m","prompt":["abcd abcd","abcd"],"max_tokens":4,"ignore_eos":true,)"
            R"("stream":true,"stream_options":{"include_usage":true}})");
        tok = co_await ep.post("/tokenize", R"({"model":"m","prompt":["abcd","abcd"]})");
    });
    // Not streamed: one choice per prompt, in order, usage summed over them.
    REQUIRE_MESSAGE(whole.ok(), whole.error_message);
    const auto w = boost::json::parse(whole.body);
    const auto& choices = w.at("choices").as_array();
    REQUIRE(choices.size() == 3);
    for (std::size_t i = 0; i < choices.size(); ++i) {
        CHECK(choices[i].at("index").to_number<std::size_t>() == i);
        CHECK(choices[i].at("finish_reason").as_string() == "length");
        CHECK(emu::tokenizer::count(choices[i].at("text").as_string()) == 3);
    }
    CHECK(w.at("usage").at("prompt_tokens").to_number<int>() == 2 + 1 + 3);
    CHECK(w.at("usage").at("completion_tokens").to_number<int>() == 9);
    // Streamed: the choices' chunks carry their index; one usage chunk and one [DONE] at the
    // end, after the last choice's last token.
    REQUIRE_MESSAGE(streamed.ok(), streamed.error_message);
    std::map<std::int64_t, int> tokens_of;
    int usage_chunks = 0;
    std::vector<std::string> datas;
    for (std::size_t at = streamed.body.find("data: "); at != std::string::npos;
         at = streamed.body.find("data: ", at + 1)) {
        const std::size_t end = streamed.body.find("\n\n", at);
        REQUIRE(end != std::string::npos);
        datas.push_back(streamed.body.substr(at + 6, end - at - 6));
    }
    REQUIRE(datas.size() >= 2);
    CHECK(datas.back() == "[DONE]");
    for (std::size_t i = 0; i + 1 < datas.size(); ++i) {
        const auto chunk = boost::json::parse(datas[i]);
        const auto& cs = chunk.at("choices").as_array();
        if (cs.empty()) {
            ++usage_chunks;
            CHECK(i + 2 == datas.size()); // the usage chunk comes last
            CHECK(chunk.at("usage").at("prompt_tokens").to_number<int>() == 3);
            CHECK(chunk.at("usage").at("completion_tokens").to_number<int>() == 8);
            continue;
        }
        REQUIRE(cs.size() == 1);
        ++tokens_of[cs[0].at("index").to_number<std::int64_t>()];
    }
    CHECK(usage_chunks == 1);
    CHECK(tokens_of == std::map<std::int64_t, int>{{0, 4}, {1, 4}});
    // /tokenize takes one prompt.
    CHECK(tok.status == 400);
    // One engine request, and one record, per prompt, sharing the response's id.
    REQUIRE(h.records.size() == 5);
    std::map<std::string, int> per_response;
    for (const emu::request_record& r : h.records)
        ++per_response[r.response_id];
    CHECK(per_response.size() == 2);
}

TEST_CASE("emulator server: with check_model, another model name gets vLLM's 404") {
    emu::server_options o;
    o.time_scale = 20.0;
    o.served_model_name = "glm-x";
    o.check_model = true;
    harness h(o);
    llmcap::client::http_response other, served, unnamed;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        other = co_await ep.post("/v1/completions",
                                 R"({"model":"other","prompt":"abcd","max_tokens":2})");
        served = co_await ep.post("/v1/completions",
                                  R"({"model":"glm-x","prompt":"abcd","max_tokens":2})");
        unnamed =
            co_await ep.post("/v1/chat/completions",
                             R"({"messages":[{"role":"user","content":"abcd"}],"max_tokens":2})");
    });
    CHECK(other.status == 404);
    const auto body = boost::json::parse(other.body);
    CHECK(body.at("error").at("message").as_string() == "The model `other` does not exist.");
    CHECK(body.at("error").at("type").as_string() == "NotFoundError");
    CHECK(body.at("error").at("code").as_int64() == 404);
    CHECK(served.status == 200);
    CHECK(unnamed.status == 200); // no model field: the served one, as in vLLM
    CHECK(h.records.size() == 2);
}

TEST_CASE("emulator server: a client that disconnects is aborted in the engine") {
    harness h; // real time: a 4,000-token response would take about 20 s
    std::vector<double> running_before, running_after, aborted_total;
    h.run([&]() -> asio::awaitable<void> {
        const auto ex = co_await asio::this_coro::executor;
        http_endpoint ep(ex, h.url(), quick());
        const auto scrape = [&]() -> asio::awaitable<llmcap::prometheus::scrape> {
            const llmcap::client::http_response m = co_await ep.get("/metrics");
            REQUIRE(m.ok());
            co_return parse_metrics(m.body);
        };
        asio::steady_timer pause(ex);
        for (const bool stream : {true, false}) {
            CAPTURE(stream);
            asio::ip::tcp::socket sock(ex);
            co_await sock.async_connect(
                asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), h.srv.port()),
                asio::use_awaitable);
            const std::string body =
                std::string(R"({"model":"glm","max_tokens":4000,"ignore_eos":true,"stream":)") +
                (stream ? "true" : "false") +
                R"(,"messages":[{"role":"user","content":"abcd abcd abcd"}]})";
            const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nhost: emulator\r\n"
                                        "content-type: application/json\r\ncontent-length: " +
                                        std::to_string(body.size()) + "\r\n\r\n" + body;
            co_await asio::async_write(sock, asio::buffer(request), asio::use_awaitable);
            if (stream) { // read until a few token events have arrived
                std::string got;
                std::array<char, 4096> buf{};
                while (std::count(got.begin(), got.end(), '\n') < 20) {
                    const std::size_t n =
                        co_await sock.async_read_some(asio::buffer(buf), asio::use_awaitable);
                    got.append(buf.data(), n);
                }
            } else { // nothing arrives before the end: let the engine start on it
                pause.expires_after(100ms);
                co_await pause.async_wait(asio::use_awaitable);
            }
            running_before.push_back(metric(co_await scrape(), "vllm:num_requests_running"));
            sock.close();
            pause.expires_after(50ms);
            co_await pause.async_wait(asio::use_awaitable);
            const llmcap::prometheus::scrape page = co_await scrape();
            running_after.push_back(metric(page, "vllm:num_requests_running"));
            aborted_total.push_back(
                page.find("vllm:request_success_total", {{"finished_reason", "abort"}})->value());
        }
    });
    CHECK(running_before == std::vector<double>{1.0, 1.0});
    CHECK(running_after == std::vector<double>{0.0, 0.0});
    CHECK(aborted_total == std::vector<double>{1.0, 2.0});
    REQUIRE(h.records.size() == 2);
    for (const emu::request_record& r : h.records) {
        CAPTURE(r.stream);
        CHECK(r.finish_reason == "abort");
        CHECK(r.client_lost);
        REQUIRE(r.truth.aborted);
        CHECK_FALSE(r.truth.finish);
        CHECK(r.truth.scheduled);
        CHECK(r.truth.tokens.size() < r.truth.output_tokens);
        if (!r.truth.tokens.empty())
            CHECK(*r.truth.aborted > r.truth.tokens.back());
    }
    // The aborted requests' records say so in the truth file too.
    CHECK(emu::truth_json_line(h.records.front(), h.srv.epoch(), 1.0).find("\"aborted_ns\":") !=
          std::string::npos);
}

TEST_CASE("emulator server: agrees with the simulator on TTFT and per-user speed") {
    const emu::profile p = emu::builtin_profile();
    // Slower than real time: wall-clock delays of a crowded machine (a few ms) shrink four
    // times in emulated terms instead of growing.
    const double scale = 0.25;
    for (std::uint32_t concurrency : {1u, 4u}) {
        CAPTURE(concurrency);
        const std::size_t per_worker = 3;
        emu::virtual_cell cell{
            .prompt_tokens = 1024, .output_tokens = 64, .concurrency = concurrency};
        cell.stop.requests = concurrency * per_worker;
        const emu::virtual_cell_result sim = emu::run_virtual_cell(p, cell);
        std::vector<double> sim_ttft, sim_speed;
        for (const request_trace& r : sim.traces) {
            sim_ttft.push_back(llmcap::to_seconds(*r.first_token_time() - r.intended_start));
            sim_speed.push_back(63.0 /
                                llmcap::to_seconds(*r.last_token_time() - *r.first_token_time()));
        }

        emu::server_options o;
        o.time_scale = scale;
        // Requests a client sends together reach the server spread over a few ms of wall
        // time (more under sanitizers); the idle engine waits for all of them, as the
        // simulator's requests, sent at the same instant, are scheduled together.
        o.idle_gather = 20ms;
        harness h(o, p);
        std::vector<request_trace> traces;
        h.run([&]() -> asio::awaitable<void> {
            http_endpoint ep(h.io.get_executor(), h.url(), quick());
            co_await ep.warm_up(concurrency);
            traces = co_await closed_loop(ep, chat(1024, 64), concurrency, per_worker);
        });
        std::vector<double> ttft, speed, truth_ttft, truth_speed;
        for (const request_trace& t : traces) {
            REQUIRE_MESSAGE(t.ok(), t.error_message);
            REQUIRE(t.events.size() == 64);
            // Wall durations times the scale are emulated durations.
            ttft.push_back(llmcap::to_seconds(*t.first_token_time() - t.intended_start) * scale);
            speed.push_back(
                63.0 / (llmcap::to_seconds(*t.last_token_time() - *t.first_token_time()) * scale));
        }
        for (const emu::request_record& r : h.records) {
            truth_ttft.push_back(llmcap::to_seconds(r.truth.tokens.front() - r.received));
            truth_speed.push_back(
                63.0 / llmcap::to_seconds(r.truth.tokens.back() - r.truth.tokens.front()));
        }
        MESSAGE("concurrency ", concurrency, ": TTFT client ", mean(ttft) * 1000,
                " ms, server truth ", mean(truth_ttft) * 1000, " ms, simulator ",
                mean(sim_ttft) * 1000, " ms; speed client ", mean(speed), " tok/s, truth ",
                mean(truth_speed), " tok/s, simulator ", mean(sim_speed), " tok/s");
        REQUIRE(h.records.size() == traces.size());
        CHECK(within(mean(ttft), mean(sim_ttft), 0.05));
        CHECK(within(mean(speed), mean(sim_speed), 0.05));
        CHECK(within(mean(truth_ttft), mean(sim_ttft), 0.05));
        CHECK(within(mean(truth_speed), mean(sim_speed), 0.05));
    }
}

TEST_CASE("emulator server: energy per token from the DCGM counter matches the step truth") {
    emu::server_options o;
    o.time_scale = 20.0;
    harness h(o);
    llmcap::client::http_response before, after;
    std::vector<request_trace> traces;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        before = co_await ep.get("/metrics");
        std::vector<completion_request> four{chat(500, 40), chat(2000, 30), chat(100, 50),
                                             chat(800, 20)};
        traces = co_await stream_all(ep, std::move(four));
        after = co_await ep.get("/metrics");
    });
    REQUIRE(before.ok());
    REQUIRE(after.ok());
    const auto p1 = parse_metrics(before.body);
    const auto p2 = parse_metrics(after.body);
    const double measured_j = (metric(p2, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION") -
                               metric(p1, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION")) /
                              1000.0;
    const double t1 = metric(p1, "llmcap_emulator_time_seconds");
    const double t2 = metric(p2, "llmcap_emulator_time_seconds");
    double steps_j = 0.0;
    double busy_s = 0.0;
    for (const emu::step_record& s : h.steps) {
        const double start = llmcap::to_seconds(s.start - h.srv.epoch());
        const double end = llmcap::to_seconds(s.end - h.srv.epoch());
        REQUIRE(start >= t1);
        REQUIRE(end <= t2);
        steps_j += s.energy_j;
        busy_s += end - start;
        CHECK(s.power_w >= 90.0);
        CHECK(s.power_w <= 700.0);
    }
    const double truth_j = steps_j + 90.0 * (t2 - t1 - busy_s);
    std::uint64_t tokens = 0;
    for (const request_trace& t : traces) {
        REQUIRE(t.ok());
        tokens += t.output_tokens();
    }
    REQUIRE(tokens == 140);
    MESSAGE("energy: ", measured_j, " J measured, ", truth_j, " J truth (", steps_j,
            " J in steps), ", measured_j / 140.0, " J/token");
    CHECK(steps_j > 0.0);
    CHECK(within(measured_j / 140.0, truth_j / 140.0, 0.01));
}

TEST_CASE("emulator server: every fault is injected as asked") {
    emu::server_options o;
    o.time_scale = 20.0;
    harness h(o);
    std::map<std::string, request_trace> t;
    h.run([&]() -> asio::awaitable<void> {
        const auto one = [&](std::string fault, llmcap::client::endpoint_options opt,
                             completion_request r) -> asio::awaitable<request_trace> {
            if (!fault.empty())
                opt.headers = {{"x-llmcap-fault", fault}};
            http_endpoint ep(h.io.get_executor(), h.url(), opt);
            const llmcap::client::request_context ctx;
            co_return co_await ep.stream(r, ctx);
        };
        const completion_request r = chat(100, 10);
        for (const char* f :
             {"status=429", "status=500", "status=503", "refuse", "cut@5", "malformed@4",
              "error_event@2", "stall_mid=150@3", "slow_headers=150", "stall_first=150", "bogus"})
            t[f] = co_await one(f, quick(), r);
        auto short_first = quick();
        short_first.timeouts.first_token = 50ms;
        t["first_token_timeout"] = co_await one("stall_first=400", short_first, r);
        auto short_idle = quick();
        short_idle.timeouts.idle = 50ms;
        t["idle_timeout"] = co_await one("stall_mid=0@3", short_idle, r);
        auto short_headers = quick();
        short_headers.timeouts.headers = 50ms;
        t["headers_timeout"] = co_await one("slow_headers=400", short_headers, r);
        // Faults by option, for every request (and, for refuse, every connection).
        emu::fault f;
        f.status = 503;
        h.srv.set_faults(f);
        t["option status"] = co_await one(std::string(), quick(), r);
        f = {};
        f.refuse = true;
        h.srv.set_faults(f);
        t["option refuse"] = co_await one(std::string(), quick(), r);
        h.srv.set_faults({});
        t["none"] = co_await one(std::string(), quick(), r);
    });
    for (int status : {429, 500, 503}) {
        const request_trace& s = t["status=" + std::to_string(status)];
        CHECK(s.failure == error::http_status);
        CHECK(s.http_status == status);
        CHECK(s.error_message.find("emulated failure") != std::string::npos);
    }
    CHECK(t["option status"].failure == error::http_status);
    CHECK(t["option status"].http_status == 503);
    for (const char* k : {"refuse", "option refuse"}) {
        CAPTURE(k);
        CHECK_FALSE(t[k].ok());
        CHECK(t[k].http_status == 0);
        CHECK(t[k].events.empty());
    }
    CHECK(t["cut@5"].failure == error::truncated_stream);
    CHECK(t["cut@5"].events.size() == 5);
    CHECK(t["malformed@4"].failure == error::malformed_stream);
    CHECK(t["malformed@4"].events.size() == 4);
    CHECK(t["error_event@2"].failure == error::server_error_event);
    CHECK(t["error_event@2"].events.size() == 2);
    CHECK(t["error_event@2"].error_message.find("emulated engine failure") != std::string::npos);
    const request_trace& mid = t["stall_mid=150@3"];
    REQUIRE_MESSAGE(mid.ok(), mid.error_message);
    REQUIRE(mid.events.size() == 10);
    CHECK(mid.events[3].at - mid.events[2].at >= 150ms);
    const request_trace& slow = t["slow_headers=150"];
    REQUIRE_MESSAGE(slow.ok(), slow.error_message);
    CHECK(*slow.headers - *slow.send >= 140ms);
    // The tokens were generated while the headers were held back, then arrived together: no
    // generation speed can be read from them (docs/metrics.md, "Burst delivery"), where
    // before the client reported hundreds of thousands of tokens/s.
    CHECK(slow.events.size() == 10);
    CHECK(llmcap::analysis::delivered_in_burst(slow));
    CHECK_FALSE(llmcap::analysis::generation_speed_tokens_per_s(slow));
    CHECK_FALSE(llmcap::analysis::tpot_s(slow));
    CHECK(llmcap::analysis::ttft(slow).has_value());
    CHECK(llmcap::analysis::e2e(slow).has_value());
    const request_trace& stall = t["stall_first=150"];
    REQUIRE_MESSAGE(stall.ok(), stall.error_message);
    CHECK(*stall.first_token_time() - *stall.send >= 150ms);
    CHECK(t["bogus"].http_status == 400);
    CHECK(t["bogus"].error_message.find("unknown item") != std::string::npos);
    CHECK(t["first_token_timeout"].failure == error::first_token_timeout);
    CHECK(t["idle_timeout"].failure == error::idle_timeout);
    CHECK(t["idle_timeout"].events.size() == 3);
    CHECK(t["headers_timeout"].failure == error::headers_timeout);
    CHECK(t["none"].ok());
    // The ground truth says which requests the client could not receive whole.
    for (const emu::request_record& r : h.records) {
        CAPTURE(r.fault);
        if (r.fault.empty() || r.fault.starts_with("stall") || r.fault.starts_with("slow"))
            CHECK(r.client_lost == (r.fault == "stall_first=400" || r.fault == "stall_mid=0@3"));
        else if (r.fault == "cut@5" || r.fault == "error_event@2")
            CHECK(r.client_lost);
    }
    for (const auto& [name, trace] : t)
        MESSAGE(name, ": ",
                trace.failure ? llmcap::make_error_code(*trace.failure).message() : "ok", " ",
                trace.error_message);
}

TEST_CASE("emulator server: a conversation's cached tokens are the ground truth, over HTTP") {
    emu::server_options o;
    o.time_scale = 10.0;
    harness h(o);
    const std::uint32_t block = h.srv.engine_profile().engine.block_size;
    constexpr std::size_t turns = 8;
    std::vector<llmcap_test::conversation_turn> c;
    llmcap::client::http_response metrics, first_prompt, second_prompt, answer;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        c = co_await llmcap_test::converse(ep, turns, 48, "http-conversation", 200, 40);
        metrics = co_await ep.get("/metrics");
        if (c.size() < 2)
            co_return;
        // The template: turn 2's prompt is turn 1's, the answer's ids, the end of the
        // assistant's message, then the new user message and the generation prompt.
        first_prompt = co_await ep.post("/tokenize", tokenize_turn(c, 0, 200, 40));
        second_prompt = co_await ep.post("/tokenize", tokenize_turn(c, 1, 200, 40));
        answer = co_await ep.post("/tokenize", tokenize_text(c[0].answer));
    });
    REQUIRE(c.size() == turns);
    std::uint64_t prompt_sum = 0;
    std::uint64_t cached_sum = 0;
    for (std::size_t n = 0; n < turns; ++n) {
        CAPTURE(n);
        const request_trace& t = c[n].trace;
        REQUIRE_MESSAGE(t.ok(), t.error_message);
        REQUIRE(t.usage);
        REQUIRE(t.usage->cached_tokens); // usage.prompt_tokens_details.cached_tokens
        const emu::request_record* r = h.record(t.response_id);
        REQUIRE(r != nullptr);
        CHECK(*t.usage->cached_tokens == r->truth.cached_tokens);
        CHECK(r->truth.cached_tokens ==
              (n == 0 ? 0 : llmcap_test::expected_cached_tokens(c, n, block)));
        CHECK(emu::tokenizer::count(c[n].answer) == 48);
        prompt_sum += t.usage->prompt_tokens;
        cached_sum += r->truth.cached_tokens;
    }
    CHECK(*c.back().trace.usage->cached_tokens > c.back().trace.usage->prompt_tokens * 9 / 10);
    const auto page = parse_metrics(metrics.body);
    CHECK(metric(page, "vllm:prefix_cache_queries_total") == static_cast<double>(prompt_sum));
    CHECK(metric(page, "vllm:prefix_cache_hits_total") == static_cast<double>(cached_sum));

    REQUIRE(first_prompt.ok());
    REQUIRE(second_prompt.ok());
    REQUIRE(answer.ok());
    const auto ids = [](const llmcap::client::http_response& r) {
        std::vector<std::int64_t> v;
        const boost::json::value body = boost::json::parse(r.body);
        for (const boost::json::value& id : body.at("tokens").as_array())
            v.push_back(id.to_number<std::int64_t>());
        return v;
    };
    const std::vector<std::int64_t> first = ids(first_prompt);
    const std::vector<std::int64_t> second = ids(second_prompt);
    std::vector<std::int64_t> expected = first; // ends with the generation prompt, 2
    for (const std::int64_t id : ids(answer))
        expected.push_back(id);
    expected.push_back(1);
    REQUIRE(second.size() > expected.size());
    CHECK(std::vector<std::int64_t>(
              second.begin(), second.begin() + static_cast<std::ptrdiff_t>(expected.size())) ==
          expected);
}

TEST_CASE("emulator server: cache_salt and cache_prompt decide what a request may find") {
    emu::server_options o;
    o.time_scale = 20.0;
    harness h(o);
    std::vector<request_trace> out;
    h.run([&]() -> asio::awaitable<void> {
        http_endpoint ep(h.io.get_executor(), h.url(), quick());
        const llmcap::client::request_context ctx;
        const completion_request r = chat(1003, 4);
        out.push_back(co_await ep.stream(r, ctx)); // 0: cold
        out.push_back(co_await ep.stream(r, ctx)); // 1: the same again
        completion_request salted = r;
        salted.cache_salt = "other";
        out.push_back(co_await ep.stream(salted, ctx)); // 2: another salt
        completion_request skip = r;
        skip.extra["cache_prompt"] = false;
        out.push_back(co_await ep.stream(skip, ctx)); // 3: no lookup
        completion_request empty = r;
        empty.cache_salt = "";
        out.push_back(co_await ep.stream(empty, ctx)); // 4: refused
        completion_request not_bool = r;
        not_bool.extra["cache_prompt"] = 0;
        out.push_back(co_await ep.stream(not_bool, ctx)); // 5: refused
        // A batch of two completion prompts sharing 800 tokens: the second finds the first's.
        out.push_back(co_await ep.stream(shared_prefix_batch(), ctx)); // 6
    });
    REQUIRE(out.size() == 7);
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        REQUIRE_MESSAGE(out[i].ok(), out[i].error_message);
        REQUIRE(out[i].usage->cached_tokens);
    }
    CHECK(*out[0].usage->cached_tokens == 0);
    CHECK(*out[1].usage->cached_tokens == 992); // (1003 - 1) / 16 blocks of 16
    CHECK(*out[2].usage->cached_tokens == 0);
    CHECK(*out[3].usage->cached_tokens == 0);
    CHECK(out[4].http_status == 400);
    CHECK(out[4].error_message.find("Parameter 'cache_salt' must be a non-empty string if "
                                    "provided.") != std::string::npos);
    CHECK(out[5].http_status == 400);
    CHECK(out[5].error_message.find("cache_prompt must be a boolean") != std::string::npos);
    REQUIRE_MESSAGE(out[6].ok(), out[6].error_message);
    std::uint64_t batch_truth = 0;
    for (const emu::request_record& r : h.records)
        if (r.response_id == out[6].response_id)
            batch_truth += r.truth.cached_tokens;
    CHECK(batch_truth == 800); // the second prompt finds the 50 blocks of the shared words
    CHECK(*out[6].usage->cached_tokens == batch_truth);
}

TEST_CASE("emulator server: an address it cannot listen on is named in the error") {
    asio::io_context io;
    // Something else listens on a loopback port first.
    asio::ip::tcp::acceptor holder(io);
    holder.open(asio::ip::tcp::v4());
    holder.bind({asio::ip::make_address("127.0.0.1"), 0});
    holder.listen();
    const std::uint16_t busy = holder.local_endpoint().port();
    emu::server_options o;
    o.port = busy;
    try {
        emu::server srv(io, emu::builtin_profile(), o);
        FAIL("the server listened on a port in use");
    } catch (const emu::listen_error& e) {
        CHECK(std::string(e.what()) ==
              "cannot listen on 127.0.0.1:" + std::to_string(busy) + ": Address already in use");
        CHECK(e.code() == boost::system::errc::address_in_use);
    }
    // Text that is not an address; an IPv6 address in brackets.
    o.address = "foo";
    o.port = 8000;
    try {
        emu::server srv(io, emu::builtin_profile(), o);
        FAIL("the server listened on \"foo\"");
    } catch (const boost::system::system_error& e) {
        CHECK(std::string(e.what()) == "cannot listen on foo:8000: \"foo\" is not an IP address");
    }
    const emu::listen_error v6(
        boost::system::errc::make_error_code(boost::system::errc::permission_denied), "::1", 80,
        "Permission denied");
    CHECK(std::string(v6.what()) == "cannot listen on [::1]:80: Permission denied");
}
