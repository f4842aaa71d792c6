#include <llmcap/openai/trace_builder.hpp>

#include "streamed_text.hpp"

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

// Feeds the body in reads of the given sizes (cycled); read k is stamped t0 + k ms. The answer
// text goes to `answer` when it is not null.
request_trace replay(std::string_view body, const std::vector<std::size_t>& reads,
                     bool clean_eof = true, request_trace t = {}, std::string* answer = nullptr) {
    llmcap::openai::trace_builder b;
    t.intended_start = t0;
    b.begin(t, answer);
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

// The answer text captured from a body read in reads of the given sizes.
std::string answer_of(std::string_view body, const std::vector<std::size_t>& reads) {
    std::string text;
    replay(body, reads, true, {}, &text);
    return text;
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

// The same trace shape and answer text whatever the reads; the text equals the oracle's.
void check_split_invariance(const std::string& body) {
    const shape whole = shape_of(replay_whole(body));
    const std::string text = answer_of(body, {body.size() + 1});
    CHECK(text == llmcap::test::streamed_answer(body));
    CHECK(shape_of(replay(body, {1})) == whole);
    CHECK(answer_of(body, {1}) == text);
    for (std::size_t split = 1; split < body.size(); split += 7) {
        CHECK_MESSAGE(shape_of(replay(body, {split, body.size()})) == whole, "split " << split);
        CHECK_MESSAGE(answer_of(body, {split, body.size()}) == text, "split " << split);
    }
    std::mt19937_64 rng(7);
    for (int round = 0; round < 10; ++round) {
        std::vector<std::size_t> reads;
        for (int i = 0; i < 64; ++i)
            reads.push_back(1 + rng() % 200);
        CHECK(shape_of(replay(body, reads)) == whole);
        CHECK(answer_of(body, reads) == text);
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

TEST_CASE("trace_builder: answer text is the content of every event, escapes decoded") {
    // Content split over events, JSON escapes (\n, \", \\, \u00e9, a surrogate pair), a role
    // event with null content, an empty content, reasoning and a tool call (not answer text),
    // and a usage-only chunk.
    const std::string body =
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"Line one\\nCaf\\u00e9 \"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"q\\\" \\\\ \\ud83d\\ude00\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
        "{\"arguments\":\"{}\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":null,\"reasoning\":\"more\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":6}}\n\n"
        "data: [DONE]\n\n";
    std::string text;
    const request_trace t = replay(body, {body.size() + 1}, true, {}, &text);
    CHECK(t.ok());
    CHECK(t.events.size() == 5);
    CHECK(text == "Line one\nCaf\xC3\xA9 \"q\" \\ \xF0\x9F\x98\x80");
    check_split_invariance(body);
}

TEST_CASE("trace_builder: answer text of a long escaped string handed over in pieces") {
    // Boost.JSON hands a string with escapes to the handler in pieces (on_string_part) once
    // its buffer fills: the pieces join into the one string.
    std::string content;
    std::string escaped;
    for (int i = 0; i < 3000; ++i) {
        content += "line " + std::to_string(i) + "\n\t\xC3\xA9";
        escaped += "line " + std::to_string(i) + "\\n\\t\\u00e9";
    }
    const std::string body = "data: {\"choices\":[{\"delta\":{\"content\":\"" + escaped +
                             "\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"!\"}," +
                             "\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n";
    std::string text;
    const request_trace t = replay(body, {4096}, true, {}, &text);
    CHECK(t.ok());
    CHECK(text.size() == content.size() + 1);
    CHECK(text == content + "!");
    CHECK(answer_of(body, {1}) == text);
}

TEST_CASE("trace_builder: answer text of the captures and hand-written streams") {
    for (const char* name :
         {"llama-server/chat-stream.sse", "llama-server/chat-stream-stop.sse",
          "llama-server/chat-stream-ignore-eos.sse", "llama-server/completion-stream.sse",
          "streams/vllm-chat-reasoning.sse", "streams/vllm-chat-tool-calls.sse",
          "streams/vllm-completion.sse", "streams/sglang-chat-reasoning.sse",
          "streams/vllm-chat-cached-tokens.sse"}) {
        CAPTURE(name);
        const std::string body = read_fixture(name);
        const std::string text = answer_of(body, {body.size() + 1});
        CHECK(text == llmcap::test::streamed_answer(body));
        CHECK(answer_of(body, {1}) == text);
        CHECK(answer_of(body, {97}) == text);
    }
    // Reasoning is not answer text; the completions `text` is.
    CHECK(answer_of(read_fixture("streams/vllm-completion.sse"), {64}) == " upon a time");
    CHECK(answer_of(read_fixture("streams/sglang-chat-reasoning.sse"), {64}) == "Sure, here");
    CHECK(answer_of(read_fixture("streams/vllm-chat-tool-calls.sse"), {64}).empty());
    CHECK(answer_of(read_fixture("streams/vllm-chat-cached-tokens.sse"), {64}) ==
          "Bonjour,\ncaf\xC3\xA9 ouvert.");
}

TEST_CASE("trace_builder: a failed stream keeps the answer text read before the failure") {
    SUBCASE("a server error event (llama-server capture)") {
        const std::string body = read_fixture("llama-server/error-midstream.sse");
        std::string text;
        const request_trace t = replay(body, {100}, true, {}, &text);
        CHECK(*t.failure == error::server_error_event);
        CHECK(t.events.size() == 2);
        CHECK(text == llmcap::test::streamed_answer(body));
        CHECK_FALSE(text.empty());
    }
    SUBCASE("a cut connection (llama-server capture)") {
        const std::string body = read_fixture("llama-server/stream-cancelled.sse");
        std::string text;
        const request_trace t = replay(body, {4096}, false, {}, &text);
        CHECK(*t.failure == error::truncated_stream);
        CHECK(text == llmcap::test::streamed_answer(body));
    }
    SUBCASE("a chunk that fails to decode adds none of its content") {
        const std::string body =
            "data: {\"choices\":[{\"delta\":{\"content\":\"kept\"}}]}\n\n"
            "data: {\"choices\":[{\"delta\":{\"content\":\" lost\"}}],"
            "\"usage\":{\"completion_tokens\":-1}}\n\n"
            "data: {\"choices\":[{\"delta\":{\"content\":\" never read\"}}]}\n\n";
        std::string text;
        const request_trace t = replay(body, {body.size() + 1}, true, {}, &text);
        CHECK(*t.failure == error::malformed_stream);
        CHECK(text == "kept");
        std::string cut;
        replay("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
               "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]",
               {1}, false, {}, &cut);
        CHECK(cut == "a");
    }
}

TEST_CASE("trace_builder: answer text of complete bodies; none without a sink; appended") {
    const std::string chat = read_fixture("llama-server/chat-nonstream.json");
    request_trace t;
    llmcap::openai::trace_builder b;
    std::string text = "earlier turn|";
    b.begin(t, &text);
    b.put_complete_body(chat, t0);
    CHECK(t.ok());
    CHECK(text == "earlier turn|" + llmcap::test::streamed_answer(chat, false));
    CHECK(text.size() > 13);

    // The builder forgets the sink at the next begin() without one.
    const std::string before = text;
    request_trace t2;
    b.begin(t2);
    b.put(read_fixture("llama-server/chat-stream.sse"), t0);
    b.finish(t0, true);
    CHECK(t2.ok());
    CHECK(text == before);

    const std::string completion = read_fixture("llama-server/completion-nonstream.json");
    std::string ctext;
    request_trace t3;
    b.begin(t3, &ctext);
    b.put_complete_body(completion, t0);
    CHECK(ctext == llmcap::test::streamed_answer(completion, false));
    CHECK_FALSE(ctext.empty());
}

TEST_CASE("trace_builder: cached prompt tokens from every server shape") {
    SUBCASE("llama.cpp captures: usage.prompt_tokens_details and timings.cache_n agree") {
        struct expected {
            const char* name;
            std::uint64_t cached;
        };
        for (const expected& e : {expected{"llama-server/chat-stream.sse", 0},
                                  expected{"llama-server/chat-stream-no-usage.sse", 27},
                                  expected{"llama-server/chat-stream-ignore-eos.sse", 27},
                                  expected{"llama-server/chat-stream-stop.sse", 27},
                                  expected{"llama-server/completion-stream.sse", 0}}) {
            CAPTURE(std::string(e.name));
            const request_trace t = replay_whole(read_fixture(e.name));
            REQUIRE(t.timings);
            CHECK(t.timings->prompt_tokens_cached == e.cached);
            if (t.usage)
                CHECK(t.usage->cached_tokens == e.cached);
        }
        for (const char* name :
             {"llama-server/chat-nonstream.json", "llama-server/completion-nonstream.json"}) {
            CAPTURE(name);
            request_trace t;
            llmcap::openai::trace_builder b;
            b.begin(t);
            b.put_complete_body(read_fixture(name), t0);
            REQUIRE(t.usage);
            REQUIRE(t.timings);
            CHECK(t.usage->cached_tokens == t.timings->prompt_tokens_cached);
            CHECK(t.usage->prompt_tokens ==
                  *t.timings->prompt_tokens_cached + *t.timings->prompt_tokens_evaluated);
        }
    }
    SUBCASE("vLLM with --enable-prompt-tokens-details, and without (null)") {
        const std::string body = read_fixture("streams/vllm-chat-cached-tokens.sse");
        const request_trace t = replay(body, {200});
        CHECK(t.ok());
        REQUIRE(t.usage);
        CHECK(t.usage->cached_tokens == 1536u);
        CHECK(t.usage->prompt_tokens == 2048);
        CHECK_FALSE(t.timings);
        check_split_invariance(body);

        const request_trace none =
            replay_whole(read_fixture("streams/vllm-chat-prompt-details-null.sse"));
        CHECK(none.ok());
        REQUIRE(none.usage);
        CHECK_FALSE(none.usage->cached_tokens); // not reported, not 0
        CHECK(none.usage->prompt_tokens == 2048);
    }
    SUBCASE("SGLang with --enable-cache-report") {
        const std::string body = read_fixture("streams/sglang-chat-cache-report.sse");
        const request_trace t = replay(body, {150});
        CHECK(t.ok());
        REQUIRE(t.usage);
        CHECK(t.usage->cached_tokens == 3072u);
        CHECK(t.usage->reasoning_tokens == 0u);
        CHECK(t.usage->completion_tokens == 4);
        check_split_invariance(body);
    }
    SUBCASE("absent details and a null count are not reported") {
        const std::string head = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,";
        CHECK_FALSE(replay_whole(head + "\"completion_tokens\":1}}\n\n").usage->cached_tokens);
        CHECK_FALSE(replay_whole(head + "\"prompt_tokens_details\":{\"cached_tokens\":null}}}\n\n")
                        .usage->cached_tokens);
        CHECK_FALSE(replay_whole(head + "\"prompt_tokens_details\":{\"audio_tokens\":4}}}\n\n")
                        .usage->cached_tokens);
    }
}

TEST_CASE("trace_builder: a malformed cached-token count is a malformed stream naming the field") {
    const std::string good = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n";
    const auto usage = [&](const std::string& details) {
        return replay_whole(good + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9," +
                            details + "}}\n\n");
    };
    const auto check_failure = [](const request_trace& t, const std::string& message) {
        REQUIRE(t.failure);
        CHECK(*t.failure == error::malformed_stream);
        CHECK(t.error_message == message);
        CHECK(t.events.size() == 1); // what came before is kept
        CHECK_FALSE(t.usage);        // the bad chunk's usage is not
    };
    check_failure(usage("\"prompt_tokens_details\":{\"cached_tokens\":-5}"),
                  "openai: usage.prompt_tokens_details.cached_tokens is negative (-5) (event 2)");
    check_failure(usage("\"prompt_tokens_details\":{\"cached_tokens\":\"12\"}"),
                  "openai: usage.prompt_tokens_details.cached_tokens is a string (event 2)");
    check_failure(usage("\"prompt_tokens_details\":{\"cached_tokens\":1.5}"),
                  "openai: usage.prompt_tokens_details.cached_tokens is not a whole number "
                  "(event 2)");
    check_failure(usage("\"prompt_tokens_details\":{\"cached_tokens\":true}"),
                  "openai: usage.prompt_tokens_details.cached_tokens is a boolean (event 2)");
    check_failure(usage("\"prompt_tokens_details\":7"),
                  "openai: usage.prompt_tokens_details is a number (event 2)");
    check_failure(usage("\"prompt_tokens_details\":[]"),
                  "openai: usage.prompt_tokens_details is an array (event 2)");
    check_failure(replay_whole(good + "data: {\"choices\":[],\"timings\":{\"cache_n\":-1}}\n\n"),
                  "openai: timings.cache_n is negative (-1) (event 2)");
    check_failure(replay_whole(good + "data: {\"choices\":[],\"timings\":{\"cache_n\":\"3\"}}\n\n"),
                  "openai: timings.cache_n is a string (event 2)");
}
