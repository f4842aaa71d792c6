#include <llmcap/openai/chunk_decoder.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using llmcap::openai::chunk;
using llmcap::openai::chunk_decoder;

namespace {
chunk decode_ok(chunk_decoder& d, std::string_view data) {
    chunk c;
    const std::error_code ec = d.decode(data, c);
    INFO(d.message());
    REQUIRE_FALSE(ec);
    return c;
}
std::string decode_error(std::string_view data, std::error_code expected) {
    chunk_decoder d;
    chunk c;
    const std::error_code ec = d.decode(data, c);
    CHECK(ec == expected);
    return d.message();
}
} // namespace

TEST_CASE("chunk_decoder: role-only, content, reasoning, finish and usage chunks") {
    chunk_decoder d;
    const chunk role = decode_ok(
        d,
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})");
    CHECK(role.role);
    CHECK_FALSE(role.is_token_event());
    CHECK(role.id == "chatcmpl-1");
    CHECK(role.model == "m");
    CHECK(role.choices == 1);

    const chunk reasoning = decode_ok(d, R"({"choices":[{"delta":{"reasoning_content":"Hmm"}}]})");
    CHECK(reasoning.is_token_event());
    CHECK(reasoning.kind() == llmcap::token_kind::reasoning);
    CHECK(decode_ok(d, R"({"choices":[{"delta":{"reasoning":"Hmm"}}]})").reasoning);

    const chunk content =
        decode_ok(d, R"({"choices":[{"delta":{"content":"Hi","reasoning_content":null}}]})");
    CHECK(content.kind() == llmcap::token_kind::content);
    CHECK_FALSE(content.tokens); // no continuous usage

    const chunk finish = decode_ok(d, R"({"choices":[{"delta":{},"finish_reason":"length"}]})");
    CHECK_FALSE(finish.is_token_event());
    CHECK(finish.finish_reason == "length");

    const chunk usage = decode_ok(
        d,
        R"({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":3}}})");
    CHECK(usage.choices == 0);
    REQUIRE(usage.usage);
    CHECK(usage.usage->prompt_tokens == 10);
    CHECK(usage.usage->completion_tokens == 5);
    CHECK(usage.usage->total_tokens == 15);
    CHECK(usage.usage->cached_tokens == 2u);
    CHECK(usage.usage->reasoning_tokens == 3u);

    CHECK(decode_ok(d, "[DONE]").done);
}

TEST_CASE("chunk_decoder: tool calls, completions text, SGLang nulls") {
    chunk_decoder d;
    const chunk tool = decode_ok(
        d,
        R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]})");
    CHECK(tool.tool_calls);
    CHECK(tool.kind() == llmcap::token_kind::tool_call);
    CHECK_FALSE(decode_ok(d, R"({"choices":[{"delta":{"tool_calls":[]}}]})").is_token_event());
    CHECK_FALSE(
        decode_ok(
            d,
            R"({"choices":[{"delta":{"tool_calls":null,"content":null,"role":null}}],"usage":null})")
            .is_token_event());
    const chunk text = decode_ok(d, R"({"choices":[{"text":" upon","index":0,"logprobs":null}]})");
    CHECK(text.kind() == llmcap::token_kind::text);
    CHECK_FALSE(
        decode_ok(d, R"({"choices":[{"text":"","finish_reason":"length"}]})").is_token_event());
    const chunk sglang = decode_ok(
        d,
        R"({"choices":[],"usage":{"prompt_tokens":15,"completion_tokens":7,"total_tokens":22,"prompt_tokens_details":null,"reasoning_tokens":3}})");
    CHECK(sglang.usage->reasoning_tokens == 3u);
    CHECK_FALSE(sglang.usage->cached_tokens);
}

TEST_CASE("chunk_decoder: continuous usage gives tokens per event") {
    chunk_decoder d;
    CHECK_FALSE(
        decode_ok(d,
                  R"({"choices":[{"delta":{"role":"assistant"}}],"usage":{"completion_tokens":0}})")
            .tokens);
    CHECK(decode_ok(d, R"({"choices":[{"delta":{"content":"a"}}],"usage":{"completion_tokens":1}})")
              .tokens == 1u);
    CHECK(decode_ok(
              d, R"({"choices":[{"delta":{"content":"b c d"}}],"usage":{"completion_tokens":4}})")
              .tokens == 3u);
    d.reset();
    CHECK(
        decode_ok(d, R"({"choices":[{"delta":{"content":"x y"}}],"usage":{"completion_tokens":2}})")
            .tokens == 2u);
}

TEST_CASE("chunk_decoder: error payloads") {
    chunk_decoder d;
    const chunk llama =
        decode_ok(d, R"({"error":{"code":500,"message":"bad output","type":"server_error"}})");
    CHECK(llama.error);
    CHECK(llama.error_code == 500);
    CHECK(llama.error_message == "bad output");
    CHECK(llama.error_type == "server_error");
    const chunk vllm = decode_ok(
        d,
        R"({"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400})");
    CHECK(vllm.error);
    CHECK(vllm.error_message == "too long");
    CHECK(decode_ok(d, R"({"error":"overloaded"})").error_message == "overloaded");
}

TEST_CASE("chunk_decoder: llama.cpp timings") {
    chunk_decoder d;
    const chunk c = decode_ok(
        d,
        R"({"choices":[],"timings":{"cache_n":27,"prompt_n":1,"prompt_ms":2.102,"prompt_per_token_ms":2.1,"prompt_per_second":475.7,"predicted_n":64,"predicted_ms":77.782,"predicted_per_token_ms":1.2,"predicted_per_second":822.8}})");
    REQUIRE(c.timings);
    CHECK(c.timings->prompt_tokens_cached == 27u);
    CHECK(c.timings->prompt_tokens_evaluated == 1u);
    CHECK(*c.timings->prompt_ms == doctest::Approx(2.102));
    CHECK(c.timings->predicted_tokens == 64u);
    CHECK(*c.timings->predicted_ms == doctest::Approx(77.782));
}

TEST_CASE("chunk_decoder: malformed payloads are classified with a located message") {
    using llmcap::openai::error;
    CHECK(decode_error("not json", error::invalid_json).rfind("openai: invalid JSON at byte ", 0) ==
          0);
    CHECK(decode_error(R"({"choices":[{"delta":{"content":"a"}}])", error::invalid_json)
              .rfind("openai: invalid JSON at byte ", 0) == 0);
    CHECK(decode_error(R"({"a":1} {"b":2})", error::invalid_json) ==
          "openai: invalid JSON at byte 8: unexpected data after the JSON value");
    CHECK(decode_error(R"({"choices":"oops"})", error::unexpected_shape) ==
          "openai: choices is a string, not an array");
    CHECK(decode_error(R"({"choices":{}})", error::unexpected_shape) ==
          "openai: choices is an object, not an array");
    CHECK(decode_error(R"({"choices":null})", error::unexpected_shape) ==
          "openai: choices is null, not an array");
    CHECK(decode_error(R"({"choices":[5]})", error::unexpected_shape) ==
          "openai: choices[] is a number");
    CHECK(decode_error(R"({"choices":[{"delta":"x"}]})", error::unexpected_shape) ==
          "openai: delta is a string");
    CHECK(decode_error(R"({"choices":[{"delta":{"content":true}}]})", error::unexpected_shape) ==
          "openai: delta.content is a boolean");
    CHECK(decode_error(R"([1,2,3])", error::unexpected_shape) ==
          "openai: the chunk is not a JSON object");
    CHECK(decode_error(R"("text")", error::unexpected_shape) ==
          "openai: the chunk is not a JSON object");
    CHECK(decode_error(R"({"usage":{"completion_tokens":-3}})", error::invalid_usage) ==
          "openai: usage.completion_tokens is negative (-3)");
    CHECK(decode_error(R"({"usage":{"prompt_tokens":1.5}})", error::invalid_usage) ==
          "openai: usage.prompt_tokens is not a whole number");
    CHECK(decode_error(R"({"usage":{"prompt_tokens":"12"}})", error::unexpected_shape) ==
          "openai: usage.prompt_tokens is a string");
    CHECK(decode_error(R"({"usage":[1]})", error::unexpected_shape) == "openai: usage is an array");
    CHECK(decode_error(R"({"timings":{"prompt_ms":-1.0}})", error::invalid_usage) ==
          "openai: timings.prompt_ms is negative");
    CHECK(decode_error("", error::invalid_json).rfind("openai: invalid JSON at byte 0", 0) == 0);
}

TEST_CASE("chunk_decoder: NUL bytes and invalid UTF-8") {
    using llmcap::openai::error;
    const std::string nul("{\"choices\":[{\"delta\":{\"content\":\"a\0b\"}}]}", 39);
    decode_error(nul, error::invalid_json);
    const std::string bad_utf8 = "{\"choices\":[{\"delta\":{\"content\":\"\xE2\x28\xA1\"}}]}";
    CHECK(decode_error(bad_utf8, error::invalid_json).find("invalid JSON at byte") !=
          std::string::npos);
    llmcap::openai::decoder_options lenient;
    lenient.allow_invalid_utf8 = true;
    chunk_decoder d(lenient);
    chunk c;
    CHECK_FALSE(d.decode(bad_utf8, c));
    CHECK(c.content);
    // A valid escaped NUL is fine.
    CHECK(decode_ok(d, R"({"choices":[{"delta":{"content":"\u0000"}}]})").content);
}

TEST_CASE("chunk_decoder: deep or long input does not break the decoder") {
    std::string deep = R"({"x":)";
    for (int i = 0; i < 30; ++i)
        deep += "[";
    for (int i = 0; i < 30; ++i)
        deep += "]";
    deep += R"(,"choices":[{"delta":{"content":"ok"}}]})";
    chunk_decoder d;
    CHECK(decode_ok(d, deep).content); // nesting inside an ignored field is skipped
    const std::string long_key = R"({")" + std::string(200, 'k') + R"(":1,"choices":[]})";
    CHECK(decode_ok(d, long_key).choices == 0);
    std::string too_deep = R"({"x":)";
    for (int i = 0; i < 100; ++i)
        too_deep += "[";
    chunk c;
    CHECK(d.decode(too_deep, c) == llmcap::openai::error::invalid_json);
}
