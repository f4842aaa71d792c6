#include <llmcap/openai/trace_builder.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using llmcap::error;
using llmcap::request_trace;
using llmcap::time_point;

namespace {

std::string read_fixture(const std::string& relative) {
    std::ifstream in(LLMCAP_TEST_FIXTURES_DIR "/" + relative, std::ios::binary);
    REQUIRE_MESSAGE(in, relative);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const time_point t0 = time_point{} + 1h;

// Feeds the body in reads of the given sizes (cycled); read k is stamped t0 + k ms.
request_trace replay(std::string_view body, const std::vector<std::size_t>& reads,
                     bool clean_eof = true, request_trace t = {}) {
    llmcap::openai::trace_builder b;
    t.intended_start = t0;
    b.begin(t);
    std::size_t k = 0;
    while (!body.empty()) {
        const std::size_t n = std::min(body.size(), reads[k % reads.size()]);
        const bool more = b.put(body.substr(0, n), t0 + std::chrono::milliseconds(k + 1));
        body.remove_prefix(n);
        ++k;
        if (!more)
            break;
    }
    b.finish(t0 + std::chrono::milliseconds(k + 1), clean_eof);
    return t;
}

request_trace replay_whole(std::string_view body, bool clean_eof = true, request_trace t = {}) {
    return replay(body, {body.size() + 1}, clean_eof, std::move(t));
}

// The trace without its timestamps, for comparing replays with different read sizes.
struct shape {
    std::vector<std::pair<std::uint32_t, llmcap::token_kind>> events;
    std::uint64_t sse_events;
    std::optional<error> failure;
    std::string error_message, finish_reason, model, id;
    bool done;
    std::optional<llmcap::usage_info> usage;
    std::optional<llmcap::server_timings> timings;
    bool operator==(const shape&) const = default;
};
shape shape_of(const request_trace& t) {
    shape s{{},
            t.sse_events,
            t.failure,
            t.error_message,
            t.finish_reason,
            t.server_model,
            t.response_id,
            t.done_marker,
            t.usage,
            t.timings};
    for (const auto& e : t.events)
        s.events.emplace_back(e.tokens, e.kind);
    return s;
}

void check_split_invariance(const std::string& body) {
    const shape whole = shape_of(replay_whole(body));
    CHECK(shape_of(replay(body, {1})) == whole);
    for (std::size_t split = 1; split < body.size(); split += 7)
        CHECK_MESSAGE(shape_of(replay(body, {split, body.size()})) == whole, "split " << split);
    std::mt19937_64 rng(7);
    for (int round = 0; round < 10; ++round) {
        std::vector<std::size_t> reads;
        for (int i = 0; i < 64; ++i)
            reads.push_back(1 + rng() % 200);
        CHECK(shape_of(replay(body, reads)) == whole);
    }
}

} // namespace

TEST_CASE("trace_builder: llama-server chat stream with usage") {
    const std::string body = read_fixture("llama-server/chat-stream.sse");
    const request_trace t = replay_whole(body);
    CHECK(t.ok());
    CHECK(t.events.size() == 16);
    CHECK(t.sse_events == 20);
    CHECK(t.done_marker);
    CHECK(t.finish_reason == "length");
    CHECK(t.server_model == "tiny.gguf"); // the server's name, not the "tiny" that was asked for
    CHECK(t.response_id.rfind("chatcmpl-", 0) == 0);
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 16);
    CHECK(t.usage->prompt_tokens == 28);
    CHECK(t.usage->cached_tokens == 0u);
    REQUIRE(t.timings);
    CHECK(t.timings->prompt_tokens_evaluated == 28u);
    CHECK(*t.timings->prompt_ms == doctest::Approx(10.326));
    CHECK(t.timings->predicted_tokens == 16u);
    CHECK(*t.timings->predicted_ms == doctest::Approx(16.019));
    CHECK(t.end == t0 + 1ms); // [DONE] arrived in the only read
    for (const auto& e : t.events) {
        CHECK(e.at == t0 + 1ms); // every event of a read shares its stamp
        CHECK(e.kind == llmcap::token_kind::content);
        CHECK(e.tokens == 1);
    }
    CHECK_FALSE(t.exact_event_tokens);
    check_split_invariance(body);
}

TEST_CASE("trace_builder: llama-server chat stream without usage keeps timings") {
    const std::string body = read_fixture("llama-server/chat-stream-no-usage.sse");
    const request_trace t = replay_whole(body);
    CHECK(t.ok());
    CHECK(t.events.size() == 16);
    CHECK_FALSE(t.usage);
    CHECK(t.output_tokens() == 16);
    CHECK(t.output_tokens_estimated());
    REQUIRE(t.timings);
    CHECK(t.timings->predicted_tokens == 16u);
    check_split_invariance(body);
}

TEST_CASE("trace_builder: llama-server ignore_eos stream, fixed output satisfied") {
    request_trace asked;
    asked.max_tokens = 64;
    asked.fixed_output = true;
    const request_trace t =
        replay_whole(read_fixture("llama-server/chat-stream-ignore-eos.sse"), true, asked);
    CHECK(t.ok());
    CHECK(t.events.size() == 64);
    CHECK(t.usage->completion_tokens == 64);
    CHECK(t.usage->cached_tokens == 27u);
    CHECK(t.timings->prompt_tokens_cached == 27u);
}

TEST_CASE("trace_builder: llama-server stop before max_tokens: EOS counted, never sent") {
    const std::string body = read_fixture("llama-server/chat-stream-stop.sse");
    const request_trace t = replay_whole(body);
    CHECK(t.ok());
    CHECK(t.events.size() == 6);
    CHECK(t.usage->completion_tokens == 7);
    CHECK(t.finish_reason == "stop");

    request_trace asked;
    asked.max_tokens = 64;
    asked.fixed_output = true;
    const request_trace short_one = replay_whole(body, true, asked);
    REQUIRE(short_one.failure);
    CHECK(*short_one.failure == error::short_output);
    CHECK(short_one.error_message == "received 7 of 64 output tokens");
    CHECK(short_one.events.size() == 6); // nothing measured is lost
}

TEST_CASE("trace_builder: llama-server completion streams (usage even without include_usage)") {
    for (const char* name :
         {"llama-server/completion-stream.sse", "llama-server/completion-stream-no-usage.sse"}) {
        CAPTURE(name);
        const std::string body = read_fixture(name);
        const request_trace t = replay_whole(body);
        CHECK(t.ok());
        CHECK(t.events.size() == 16);
        CHECK(t.events.front().kind == llmcap::token_kind::text);
        REQUIRE(t.usage);
        CHECK(t.usage->completion_tokens == 16);
        CHECK(t.usage->prompt_tokens == 4);
        CHECK(t.finish_reason == "length");
        CHECK(t.done_marker);
        check_split_invariance(body);
    }
}

TEST_CASE("trace_builder: llama-server error inside a stream, no [DONE]") {
    const std::string body = read_fixture("llama-server/error-midstream.sse");
    const request_trace t = replay(body, {100}); // several reads
    REQUIRE(t.failure);
    CHECK(*t.failure == error::server_error_event);
    CHECK(t.error_message == "server error 500 (server_error): The model produced output that "
                             "does not match the expected peg-native format");
    CHECK(t.events.size() == 2); // the tokens before the error are kept
    CHECK_FALSE(t.done_marker);
    check_split_invariance(body);

    const request_trace first =
        replay_whole(read_fixture("llama-server/error-stream-first-event.sse"));
    REQUIRE(first.failure);
    CHECK(*first.failure == error::server_error_event);
    CHECK(first.events.empty());
    CHECK(first.sse_events == 1);
}

TEST_CASE("trace_builder: llama-server cancelled stream is truncated, events kept") {
    const std::string body = read_fixture("llama-server/stream-cancelled.sse");
    const request_trace broken = replay(body, {4096}, false);
    REQUIRE(broken.failure);
    CHECK(*broken.failure == error::truncated_stream);
    CHECK(broken.error_message == "connection closed before the end of the stream");
    CHECK(broken.events.size() == 200);
    CHECK(broken.sse_events == 201);
    const request_trace clean = replay(body, {4096}, true);
    REQUIRE(clean.failure);
    CHECK(*clean.failure == error::truncated_stream);
    CHECK(clean.error_message == "stream ended without [DONE] and without a finish_reason");
}

TEST_CASE("trace_builder: non-streaming llama-server responses") {
    for (const char* name :
         {"llama-server/chat-nonstream.json", "llama-server/completion-nonstream.json"}) {
        CAPTURE(name);
        request_trace t;
        t.intended_start = t0;
        llmcap::openai::trace_builder b;
        b.begin(t);
        b.put_complete_body(read_fixture(name), t0 + 50ms);
        CHECK(t.ok());
        CHECK(t.events.empty());
        CHECK_FALSE(t.first_token_time());
        CHECK(t.end == t0 + 50ms);
        REQUIRE(t.usage);
        CHECK(t.usage->completion_tokens == 16);
        CHECK(t.finish_reason == "length");
        CHECK(t.timings);
    }
}

TEST_CASE("trace_builder: vLLM reasoning then content, keep-alive comment, usage-only chunk") {
    const std::string body = read_fixture("streams/vllm-chat-reasoning.sse");
    const request_trace t = replay(body, {300});
    CHECK(t.ok());
    REQUIRE(t.events.size() == 9);
    CHECK(t.events[0].kind == llmcap::token_kind::reasoning);
    CHECK(t.events[2].kind == llmcap::token_kind::reasoning);
    CHECK(t.events[3].kind == llmcap::token_kind::content);
    CHECK(*t.first_answer_time() > *t.first_token_time());
    CHECK(t.usage->completion_tokens == 9);
    CHECK(t.usage->cached_tokens == 0u);
    CHECK(t.sse_events == 13); // role + 9 + finish + usage + [DONE]; the comment is no event
    check_split_invariance(body);
}

TEST_CASE("trace_builder: vLLM continuous usage gives exact tokens per event") {
    const std::string body = read_fixture("streams/vllm-chat-continuous-usage.sse");
    const request_trace t = replay_whole(body);
    CHECK(t.ok());
    REQUIRE(t.events.size() == 6);
    std::vector<std::uint32_t> tokens;
    for (const auto& e : t.events)
        tokens.push_back(e.tokens);
    CHECK(tokens == std::vector<std::uint32_t>{1, 2, 1, 2, 3, 1});
    CHECK(t.exact_event_tokens);
    CHECK(t.event_tokens() == 10);
    CHECK(t.usage->completion_tokens == 10);
    check_split_invariance(body);
}

TEST_CASE("trace_builder: vLLM tool-call deltas are token events") {
    const request_trace t = replay_whole(read_fixture("streams/vllm-chat-tool-calls.sse"));
    CHECK(t.ok());
    CHECK(t.events.size() == 4);
    CHECK(t.events[0].kind == llmcap::token_kind::tool_call);
    CHECK(t.finish_reason == "tool_calls");
    CHECK(t.usage->completion_tokens == 14);
}

TEST_CASE("trace_builder: vLLM error event and completions stream") {
    const request_trace err = replay_whole(read_fixture("streams/vllm-chat-error.sse"));
    REQUIRE(err.failure);
    CHECK(*err.failure == error::server_error_event);
    CHECK(err.error_message.find("server error 400 (BadRequestError): The decoder prompt") == 0);
    CHECK(err.events.size() == 1);
    CHECK_FALSE(err.done_marker); // events after the error are not read

    const request_trace comp = replay_whole(read_fixture("streams/vllm-completion.sse"));
    CHECK(comp.ok());
    CHECK(comp.events.size() == 3);
    CHECK(comp.usage->completion_tokens == 3);
}

TEST_CASE("trace_builder: SGLang nulls, reasoning_content and usage.reasoning_tokens") {
    const std::string body = read_fixture("streams/sglang-chat-reasoning.sse");
    const request_trace t = replay_whole(body);
    CHECK(t.ok());
    REQUIRE(t.events.size() == 6);
    CHECK(t.events[0].kind == llmcap::token_kind::reasoning);
    CHECK(t.events[3].kind == llmcap::token_kind::content);
    CHECK(t.usage->completion_tokens == 7);
    CHECK(t.usage->reasoning_tokens == 3u);
    CHECK_FALSE(t.usage->cached_tokens);
    check_split_invariance(body);
}

TEST_CASE("trace_builder: bad streams yield classified failures and keep what was measured") {
    const std::string good = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n";

    SUBCASE("cut mid-event") {
        const request_trace t = replay_whole(good + "data: {\"choices\":[{\"del", false);
        CHECK(*t.failure == error::truncated_stream);
        CHECK(t.events.size() == 1);
    }
    SUBCASE("unterminated event at a clean end") {
        const request_trace t = replay_whole(good + "data: [DONE]");
        CHECK(*t.failure == error::truncated_stream);
        CHECK(t.error_message == "sse: stream ended in the middle of an event at byte " +
                                     std::to_string(good.size() + 12));
    }
    SUBCASE("non-JSON data") {
        const request_trace t = replay_whole(good + "data: hello\n\n" + good);
        CHECK(*t.failure == error::malformed_stream);
        CHECK(t.error_message.find("openai: invalid JSON at byte 0") == 0);
        CHECK(t.error_message.find("(event 2)") != std::string::npos);
        CHECK(t.events.size() == 1);
    }
    SUBCASE("choices not an array") {
        const request_trace t = replay_whole(good + "data: {\"choices\":7}\n\n");
        CHECK(*t.failure == error::malformed_stream);
        CHECK(t.error_message == "openai: choices is a number, not an array (event 2)");
    }
    SUBCASE("negative usage") {
        const request_trace t =
            replay_whole(good + "data: {\"choices\":[],\"usage\":{\"completion_tokens\":-1}}\n\n");
        CHECK(*t.failure == error::malformed_stream);
        CHECK(t.error_message == "openai: usage.completion_tokens is negative (-1) (event 2)");
    }
    SUBCASE("an event type of error") {
        const request_trace t = replay_whole(good + "event: error\ndata: overloaded\n\n");
        CHECK(*t.failure == error::server_error_event);
        CHECK(t.error_message == "server error event: overloaded");
    }
    SUBCASE("NUL bytes and invalid UTF-8 in data") {
        const std::string nul("data: {\"choices\":[{\"delta\":{\"content\":\"\0\"}}]}\n\n", 47);
        CHECK(*replay_whole(good + nul).failure == error::malformed_stream);
        const request_trace bad =
            replay_whole(good + "data: {\"choices\":[{\"delta\":{\"content\":\"\xC3\x28\"}}]}\n\n");
        CHECK(*bad.failure == error::malformed_stream);
        CHECK(bad.events.size() == 1);
    }
    SUBCASE("a 100 MiB event") {
        llmcap::openai::trace_builder b;
        request_trace t;
        b.begin(t);
        CHECK(b.put(good + "data: {\"choices\":[{\"delta\":{\"content\":\"", t0));
        const std::string block(std::size_t{1} << 20, 'x');
        int fed = 0;
        while (fed < 100 && b.put(block, t0))
            ++fed;
        b.finish(t0 + 1s, true);
        CHECK(fed < 17);
        CHECK(*t.failure == error::malformed_stream);
        CHECK(t.error_message.find("sse: event larger than 16777216 bytes") == 0);
        CHECK(t.events.size() == 1);
        CHECK(t.end == t0);
    }
    SUBCASE("a clean end after finish_reason without [DONE] is complete") {
        const request_trace t = replay_whole(
            good + "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        CHECK(t.ok());
        CHECK_FALSE(t.done_marker);
    }
    SUBCASE("bytes after [DONE] are ignored") {
        const request_trace t = replay_whole(good + "data: [DONE]\n\ndata: garbage\n\n");
        CHECK(t.ok());
        CHECK(t.sse_events == 2);
    }
}

TEST_CASE("trace_builder: a stream that ignores max_tokens ends as overlong_stream, events kept") {
    std::string body;
    for (int i = 0; i < 5000; ++i)
        body += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
    body += "data: [DONE]\n\n";
    request_trace asked;
    asked.max_tokens = 32;
    // Read in small pieces: the builder stops taking bytes once it has seen too many tokens.
    const request_trace t = replay(body, {512}, true, asked);
    REQUIRE(t.failure);
    CHECK(*t.failure == error::overlong_stream);
    CHECK(t.events.size() == 2 * 32 + 64 + 1);
    CHECK(t.error_message ==
          "the stream carried 129 output tokens for max_tokens 32; ended (the server does not "
          "honour max_tokens)");
    CHECK_FALSE(t.done_marker);

    // Up to the margin a longer answer is accepted (a server may count reasoning apart).
    std::string within;
    for (int i = 0; i < 2 * 32 + 64; ++i)
        within += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
    within += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
              "data: [DONE]\n\n";
    const request_trace ok = replay_whole(within, true, asked);
    CHECK_FALSE(ok.failure);
    CHECK(ok.events.size() == 128);

    // No max_tokens sent: no bound.
    const request_trace unbounded = replay_whole(body);
    CHECK_FALSE(unbounded.failure);
    CHECK(unbounded.events.size() == 5000);
}
