// The client against byte-exact llama-server captures (tests/fixtures/llama-server), replayed
// over a loopback socket in three read patterns: one byte per read, random read and chunk
// sizes, and the whole response at once. The three traces must be identical except for
// timestamps, and each must be what the fixture README says the capture means. The answer text
// the client captures (request_context::answer_text) must be the same in every pattern and
// equal the content (chat) or text (completions) of the capture's events, joined.

#include <llmcap/client/detect_dialect.hpp>
#include <llmcap/client/http_endpoint.hpp>

#include "../openai/streamed_text.hpp"
#include "test_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio.hpp>

#include <array>   // array
#include <fstream> // ifstream
#include <random>  // mt19937
#include <sstream> // ostringstream
#include <string>  // string

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using llmcap::error;
using llmcap::request_trace;
using llmcap::token_kind;
using llmcap::client::http_endpoint;
using llmcap::client::http_response;
using llmcap::test::server_request;
using llmcap::test::split;
using llmcap::test::tcp;
using llmcap::test::test_server;

std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/llama-server/" + name,
                     std::ios::binary);
    REQUIRE_MESSAGE(in, "missing fixture " << name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

constexpr std::array<split, 3> modes{split::one_byte, split::random, split::whole};

/// The response as the server put it on the wire: the captured headers, then the captured
/// body, chunked again when the headers say so (one chunk per event, or random chunk sizes in
/// the random mode). A capture cut by the client (`stream-cancelled`) gets no last chunk.
std::string wire(const std::string& base, const std::string& ext, split how, bool complete) {
    const std::string headers = read_fixture(base + ".headers");
    const std::string body = read_fixture(base + "." + ext);
    if (headers.find("Transfer-Encoding: chunked") == std::string::npos)
        return headers + body;
    std::string out = headers;
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> size(1, 700);
    for (std::size_t at = 0; at < body.size();) {
        std::size_t n;
        if (how == split::random) {
            n = std::min(size(rng), body.size() - at);
        } else {
            const std::size_t end = body.find("\n\n", at);
            n = (end == std::string::npos ? body.size() : end + 2) - at;
        }
        out += llmcap::test::chunk(std::string_view(body).substr(at, n));
        at += n;
    }
    if (complete)
        out += llmcap::test::last_chunk;
    return out;
}

/// A server answering connection i with the fixture in modes[i], then closing when the
/// capture says the connection closed.
test_server::script replay_script(std::string base, std::string ext, bool complete) {
    return [=](tcp::socket& s, const server_request&, std::size_t conn) -> asio::awaitable<bool> {
        const split how = modes[conn % modes.size()];
        const std::string bytes = wire(base, ext, how, complete);
        const bool ok = co_await llmcap::test::write_split(s, bytes, how, 11);
        co_return ok&& complete&& bytes.find("Connection: close") == std::string::npos;
    };
}

llmcap::client::endpoint_options options_for(split how) {
    llmcap::client::endpoint_options o;
    o.api_key_env.clear();
    o.timeouts.total = 20s;
    o.max_read_bytes = how == split::one_byte ? 1 : how == split::random ? 97 : 64 * 1024;
    o.read_buffer_bytes = how == split::whole ? 64 * 1024 : 4096;
    return o;
}

/// Everything of a trace except its timestamps.
void check_same_except_time(const request_trace& a, const request_trace& b) {
    CHECK(a.http_status == b.http_status);
    CHECK(a.sse_events == b.sse_events);
    CHECK(a.exact_event_tokens == b.exact_event_tokens);
    REQUIRE(a.events.size() == b.events.size());
    for (std::size_t i = 0; i < a.events.size(); ++i) {
        CHECK(a.events[i].tokens == b.events[i].tokens);
        CHECK(a.events[i].kind == b.events[i].kind);
    }
    CHECK(a.response_id == b.response_id);
    CHECK(a.server_model == b.server_model);
    CHECK(a.finish_reason == b.finish_reason);
    CHECK(a.done_marker == b.done_marker);
    CHECK(a.usage == b.usage);
    CHECK(a.timings == b.timings);
    CHECK(a.failure == b.failure);
    CHECK(a.error_message == b.error_message);
    CHECK(a.send.has_value() == b.send.has_value());
    CHECK(a.headers.has_value() == b.headers.has_value());
}

/// Timestamps in the order DESIGN.md §4 defines them.
void check_time_order(const request_trace& t) {
    REQUIRE(t.send);
    REQUIRE(t.headers);
    CHECK(*t.send >= t.intended_start);
    CHECK(*t.headers >= *t.send);
    llmcap::time_point last = *t.headers;
    for (const auto& e : t.events) {
        CHECK(e.at >= last);
        last = e.at;
    }
    CHECK(t.end >= last);
}

/// Replays one capture in every mode and returns the (identical) trace; its answer text goes
/// to `answer` when that is not null.
request_trace replay(const std::string& base, const std::string& ext,
                     const llmcap::openai::completion_request& req, bool complete = true,
                     std::string* answer = nullptr) {
    asio::io_context io;
    test_server server(io, replay_script(base, ext, complete));
    std::array<request_trace, 3> traces;
    std::array<std::string, 3> answers;
    for (std::size_t i = 0; i < modes.size(); ++i) {
        http_endpoint ep(io.get_executor(), server.url(), options_for(modes[i]));
        llmcap::client::request_context ctx;
        ctx.answer_text = &answers[i];
        traces[i] = llmcap::test::run<request_trace>(
            io, i + 1 == modes.size() ? &server : nullptr,
            [&]() -> asio::awaitable<request_trace> { co_return co_await ep.stream(req, ctx); });
        io.restart();
        check_time_order(traces[i]);
    }
    for (std::size_t i = 1; i < traces.size(); ++i) {
        CAPTURE(i);
        check_same_except_time(traces[0], traces[i]);
        CHECK(answers[i] == answers[0]);
    }
    CHECK(answers[0] ==
          llmcap::test::streamed_answer(read_fixture(base + "." + ext), ext == "sse"));
    CHECK(server.connections == modes.size());
    if (answer != nullptr)
        *answer = answers[0];
    return traces[0];
}

/// Replays a plain response (GET or POST helper) in every mode; returns it.
http_response replay_plain(const std::string& base, const std::string& ext, bool post = false) {
    asio::io_context io;
    test_server server(io, replay_script(base, ext, true));
    std::array<http_response, 3> out;
    for (std::size_t i = 0; i < modes.size(); ++i) {
        http_endpoint ep(io.get_executor(), server.url(), options_for(modes[i]));
        out[i] = llmcap::test::run<http_response>(
            io, i + 1 == modes.size() ? &server : nullptr, [&]() -> asio::awaitable<http_response> {
                if (post)
                    co_return co_await ep.post("/tokenize", R"({"content":"Hello world"})");
                co_return co_await ep.get("/" + base);
            });
        io.restart();
    }
    for (std::size_t i = 1; i < out.size(); ++i) {
        CHECK(out[i].status == out[0].status);
        CHECK(out[i].body == out[0].body);
        CHECK(out[i].failure == out[0].failure);
        CHECK(out[i].error_message == out[0].error_message);
    }
    CHECK(out[0].body == read_fixture(base + "." + ext));
    CHECK(out[0].server == "llama.cpp");
    return out[0];
}

llmcap::openai::completion_request chat(std::uint32_t max_tokens, bool stream = true) {
    llmcap::openai::completion_request r;
    r.model = "tiny";
    r.messages = {{"user", "Hello"}};
    r.max_tokens = max_tokens;
    r.stream = stream;
    return r;
}

llmcap::openai::completion_request completion(bool stream = true) {
    llmcap::openai::completion_request r;
    r.kind = llmcap::openai::api::completions;
    r.model = "tiny";
    r.prompt = "Once upon a time";
    r.max_tokens = 16;
    r.stream = stream;
    return r;
}

bool all_of_kind(const request_trace& t, token_kind k) {
    for (const auto& e : t.events)
        if (e.kind != k)
            return false;
    return true;
}

} // namespace

TEST_CASE("llama-server replay: chat-stream.sse") {
    std::string text;
    const request_trace t = replay("chat-stream", "sse", chat(16), true, &text);
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(text.rfind("atography proposes", 0) == 0); // the capture's first content pieces
    CHECK(text.size() > 16);
    CHECK(t.http_status == 200);
    CHECK(t.events.size() == 16);
    CHECK(all_of_kind(t, token_kind::content));
    CHECK(t.sse_events == 20); // role, 16 tokens, finish, usage, [DONE]
    CHECK(t.done_marker);
    CHECK(t.finish_reason == "length");
    CHECK(t.server_model == "tiny.gguf"); // the server's name, not the "tiny" asked for
    CHECK(t.response_id == "chatcmpl-BLGAIR9uSfzcNuINPlLr7XFuscPzbJtM");
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 16);
    CHECK(t.usage->prompt_tokens == 28);
    CHECK(t.usage->total_tokens == 44);
    CHECK(t.usage->cached_tokens == 0);
    CHECK(!t.output_tokens_estimated());
    REQUIRE(t.timings);
    CHECK(t.timings->prompt_tokens_evaluated == 28);
    CHECK(t.timings->prompt_tokens_cached == 0);
    CHECK(t.timings->prompt_ms == doctest::Approx(10.326));
    CHECK(t.timings->predicted_tokens == 16);
    CHECK(t.timings->predicted_ms == doctest::Approx(16.019));
}

TEST_CASE("llama-server replay: chat-stream-no-usage.sse") {
    auto req = chat(16);
    req.include_usage = false;
    const request_trace t = replay("chat-stream-no-usage", "sse", req);
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.events.size() == 16);
    CHECK(!t.usage); // no usage anywhere without include_usage
    CHECK(t.output_tokens() == 16);
    CHECK(t.output_tokens_estimated());
    REQUIRE(t.timings); // but timings ride on the finish event
    CHECK(t.timings->predicted_tokens == 16);
    CHECK(t.timings->prompt_tokens_cached == 27);
    CHECK(t.done_marker);
}

TEST_CASE("llama-server replay: chat-stream-ignore-eos.sse") {
    auto req = chat(64);
    req.ignore_eos = true;
    const request_trace t = replay("chat-stream-ignore-eos", "sse", req);
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.fixed_output);
    CHECK(t.events.size() == 64);
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 64);
    CHECK(t.usage->cached_tokens == 27);
    CHECK(t.finish_reason == "length");
}

TEST_CASE("llama-server replay: chat-stream-stop.sse") {
    const request_trace t = replay("chat-stream-stop", "sse", chat(64));
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.finish_reason == "stop");
    CHECK(t.events.size() == 6);
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 7); // the EOS token counts but is never sent
    CHECK(t.output_tokens() == 7);
}

TEST_CASE("llama-server replay: a fixed length cut short by EOS is short_output") {
    auto req = chat(64);
    req.ignore_eos = true; // asked for 64, got 7 (the capture ended with "stop")
    const request_trace t = replay("chat-stream-stop", "sse", req);
    CHECK(t.failure == error::short_output);
    CHECK(t.events.size() == 6);
}

TEST_CASE("llama-server replay: completion-stream.sse") {
    std::string text;
    const request_trace t = replay("completion-stream", "sse", completion(), true, &text);
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK_FALSE(text.empty()); // the completions `text` of every event
    CHECK(t.events.size() == 16);
    CHECK(all_of_kind(t, token_kind::text));
    CHECK(t.sse_events == 18); // 16 tokens, the final event with usage, [DONE]
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 16);
    CHECK(t.usage->prompt_tokens == 4);
    REQUIRE(t.timings);
    CHECK(t.timings->predicted_tokens == 16);
    CHECK(t.finish_reason == "length");
    CHECK(t.done_marker);
}

TEST_CASE("llama-server replay: completion-stream-no-usage.sse") {
    auto req = completion();
    req.include_usage = false;
    const request_trace t = replay("completion-stream-no-usage", "sse", req);
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.events.size() == 16);
    REQUIRE(t.usage); // completions send usage even without stream_options
    CHECK(t.usage->completion_tokens == 16);
    CHECK(!t.output_tokens_estimated());
}

TEST_CASE("llama-server replay: chat-nonstream.json") {
    const request_trace t = replay("chat-nonstream", "json", chat(16, false));
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.events.empty()); // TTFT undefined without streaming
    CHECK(!t.first_token_time());
    CHECK(t.end >= *t.headers); // E2E defined
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 16);
    CHECK(t.usage->cached_tokens == 27);
    CHECK(t.finish_reason == "length");
    CHECK(t.server_model == "tiny.gguf");
    CHECK(t.response_id == "chatcmpl-hK9emMBbQg7HwkzvjkSr2g0ETsFQivus");
    REQUIRE(t.timings);
    CHECK(t.timings->predicted_tokens == 16);
}

TEST_CASE("llama-server replay: completion-nonstream.json") {
    const request_trace t = replay("completion-nonstream", "json", completion(false));
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.events.empty());
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 16);
    CHECK(t.usage->prompt_tokens == 4);
    CHECK(t.finish_reason == "length");
    REQUIRE(t.timings);
}

TEST_CASE("llama-server replay: error-bad-json.json is HTTP 500") {
    const request_trace t = replay("error-bad-json", "json", chat(16));
    CHECK(t.failure == error::http_status);
    CHECK(t.http_status == 500);
    CHECK(t.error_message ==
          "HTTP 500 (server_error): [json.exception.parse_error.101] parse error at line 1, "
          "column 63: syntax error while parsing object - unexpected end of input; expected '}'");
}

TEST_CASE("llama-server replay: error-404.txt") {
    const request_trace t = replay("error-404", "txt", chat(16));
    CHECK(t.failure == error::http_status);
    CHECK(t.http_status == 404);
    CHECK(t.error_message == "HTTP 404 (not_found_error): File Not Found");
}

TEST_CASE("llama-server replay: error-context-overflow.json") {
    const request_trace t = replay("error-context-overflow", "json", chat(16, false));
    CHECK(t.failure == error::http_status);
    CHECK(t.http_status == 400);
    CHECK(t.error_message == "HTTP 400 (exceed_context_size_error): request (1527 tokens) "
                             "exceeds the available context size (1024 tokens), try increasing it");
}

TEST_CASE("llama-server replay: error-context-overflow-stream.json (plain JSON, not SSE)") {
    const request_trace t = replay("error-context-overflow-stream", "json", chat(16));
    CHECK(t.failure == error::http_status); // not bad_response: the status decides first
    CHECK(t.http_status == 400);
    CHECK(t.error_message.find("exceeds the available context size") != std::string::npos);
    CHECK(t.events.empty());
}

TEST_CASE("llama-server replay: error-midstream.sse") {
    std::string text;
    const request_trace t = replay("error-midstream", "sse", chat(16), true, &text);
    CHECK(t.failure == error::server_error_event);
    CHECK_FALSE(text.empty()); // the two tokens before the error keep their text
    CHECK(t.http_status == 200);
    CHECK(t.events.size() == 2); // the tokens before the error are kept
    CHECK(t.sse_events == 4);
    CHECK(!t.done_marker); // errors end the stream without [DONE]
    CHECK(t.error_message.find("The model produced output that does not match the expected "
                               "peg-native format") != std::string::npos);
    CHECK(t.error_message.find("500") != std::string::npos);
}

TEST_CASE("llama-server replay: error-stream-first-event.sse") {
    const request_trace t = replay("error-stream-first-event", "sse", chat(16));
    CHECK(t.failure == error::server_error_event);
    CHECK(t.events.empty());
    CHECK(t.sse_events == 1);
    CHECK(t.error_message.find("peg-native format") != std::string::npos);
}

TEST_CASE("llama-server replay: stream-cancelled.sse (connection closed mid-stream)") {
    auto req = chat(2000);
    req.ignore_eos = true;
    std::string text;
    const request_trace t = replay("stream-cancelled", "sse", req, false, &text);
    CHECK(t.failure == error::truncated_stream);
    CHECK(text.size() >= 200); // 200 tokens' text, kept though the stream broke
    CHECK(t.events.size() == 200);
    CHECK(t.sse_events == 201);
    CHECK(t.finish_reason.empty());
    CHECK(!t.usage);
    CHECK(!t.done_marker);
}

TEST_CASE("llama-server replay: models.json and dialect detection") {
    const http_response r = replay_plain("models", "json");
    CHECK(r.ok());
    const auto info = llmcap::openai::detect_dialect(r.body, {}, r.server);
    CHECK(info.kind == llmcap::openai::dialect::llama_cpp);
    CHECK(info.model_id == "tiny.gguf");
    CHECK(info.max_model_len == 1024);
}

TEST_CASE("llama-server replay: tokenize.json through post()") {
    const http_response r = replay_plain("tokenize", "json", true);
    CHECK(r.ok());
    CHECK(r.body == R"({"tokens":[15496,995]})");
}

TEST_CASE("llama-server replay: detokenize.json through post()") {
    const http_response r = replay_plain("detokenize", "json", true);
    CHECK(r.ok());
    CHECK(r.body == R"({"content":"Hello world"})");
}

TEST_CASE("llama-server replay: metrics.prom, metrics-under-load.prom, metrics-after-cancel.prom") {
    for (const char* name : {"metrics", "metrics-under-load", "metrics-after-cancel"}) {
        CAPTURE(name);
        const http_response r = replay_plain(name, "prom");
        CHECK(r.ok());
        CHECK(r.content_type == "text/plain; version=0.0.4");
        CHECK(r.body.find("llamacpp:tokens_predicted_total") != std::string::npos);
    }
}

TEST_CASE("llama-server replay: health.json, props.json, slots.json, slots-under-load.json") {
    for (const char* name : {"health", "props", "slots", "slots-under-load"}) {
        CAPTURE(name);
        const http_response r = replay_plain(name, "json");
        CHECK(r.ok());
        CHECK(r.content_type == "application/json; charset=utf-8");
    }
}
