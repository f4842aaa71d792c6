#include <llmcap/openai/dialect.hpp>
// Test that header file is self-contained.
#include <llmcap/openai/dialect.hpp>

#include <llmcap/client/endpoint_url.hpp>

#include <doctest/doctest.h>

using llmcap::openai::detect_dialect;
using llmcap::openai::dialect;
using llmcap::openai::extensions_of;
using llmcap::openai::tokenize_shape;

TEST_CASE("dialect: detected from /v1/models owned_by") {
    const auto vllm = detect_dialect(
        R"({"object":"list","data":[{"id":"zai-org/GLM-4.7-Flash","object":"model","created":1,)"
        R"("owned_by":"vllm","root":"zai-org/GLM-4.7-Flash","parent":null,"max_model_len":131072,)"
        R"("permission":[]}]})",
        R"({"version":"0.11.0"})", "uvicorn");
    CHECK(vllm.kind == dialect::vllm);
    CHECK(vllm.version == "0.11.0");
    CHECK(vllm.model_id == "zai-org/GLM-4.7-Flash");
    CHECK(vllm.max_model_len == 131072);
    CHECK(vllm.evidence == "owned_by \"vllm\"");

    const auto sglang = detect_dialect(
        R"({"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"sglang",)"
        R"("root":"m","max_model_len":32768}]})");
    CHECK(sglang.kind == dialect::sglang);
    CHECK(sglang.max_model_len == 32768);

    const auto trt = detect_dialect(
        R"({"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"tensorrt_llm"}]})");
    CHECK(trt.kind == dialect::tensorrt_llm);

    const auto openai = detect_dialect(
        R"({"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}]})");
    CHECK(openai.kind == dialect::openai_like);
    CHECK(openai.evidence == "no evidence of a known server");
}

TEST_CASE("dialect: llama.cpp from the Server header or its /v1/models fields") {
    CHECK(detect_dialect("", "", "llama.cpp").kind == dialect::llama_cpp);
    CHECK(detect_dialect(R"({"models":[],"object":"list","data":[{"id":"x","owned_by":"me"}]})")
              .kind == dialect::llama_cpp);
}

TEST_CASE("dialect: bad or missing evidence is openai_like, never an error") {
    CHECK(detect_dialect("").kind == dialect::openai_like);
    CHECK(detect_dialect("{not json", "[1,2", "").kind == dialect::openai_like);
    CHECK(detect_dialect(R"({"data":"nope"})").kind == dialect::openai_like);
    CHECK(detect_dialect(R"({"data":[]})", R"({"version":3})").version.empty());
}

TEST_CASE("dialect: extensions each server accepts") {
    const auto v = extensions_of(dialect::vllm);
    CHECK(v.ignore_eos);
    CHECK(v.min_tokens);
    CHECK(v.continuous_usage_stats);
    CHECK(v.cache_salt);
    CHECK(v.tokenize == tokenize_shape::vllm);
    CHECK(!extensions_of(dialect::vllm, "0.8.5").cache_salt);
    CHECK(extensions_of(dialect::vllm, "v0.10.1").cache_salt);
    const auto l = extensions_of(dialect::llama_cpp);
    CHECK(l.ignore_eos);
    CHECK(!l.min_tokens);
    CHECK(!l.continuous_usage_stats);
    CHECK(l.cache_prompt);
    CHECK(l.tokenize == tokenize_shape::llama_cpp);
    CHECK(extensions_of(dialect::openai_like) == llmcap::openai::extensions{});
    // SGLang: sampling extensions, per-chunk usage and vLLM's /tokenize shape; no cache_salt
    // (accepted but without effect in releases before its fix).
    const auto sg = extensions_of(dialect::sglang);
    CHECK(sg.ignore_eos);
    CHECK(sg.min_tokens);
    CHECK(sg.continuous_usage_stats);
    CHECK(!sg.cache_salt);
    CHECK(!sg.cache_prompt);
    CHECK(sg.tokenize == tokenize_shape::vllm);
    // TensorRT-LLM rejects unknown fields: cache_salt (chat only there) is never sent.
    const auto trt = extensions_of(dialect::tensorrt_llm);
    CHECK(trt.ignore_eos);
    CHECK(trt.min_tokens);
    CHECK(trt.continuous_usage_stats);
    CHECK(!trt.cache_salt);
    CHECK(!trt.cache_prompt);
    CHECK(trt.tokenize == tokenize_shape::none);
}

TEST_CASE("dialect: restrict_to removes what a server would not accept") {
    llmcap::openai::completion_request r;
    r.ignore_eos = true;
    r.min_tokens = 10;
    r.continuous_usage_stats = true;
    r.cache_salt = "s";
    r.extra["cache_prompt"] = false;
    auto llama = r;
    CHECK(restrict_to(extensions_of(dialect::llama_cpp), llama) == 3);
    CHECK(llama.ignore_eos == true);
    CHECK(!llama.min_tokens);
    CHECK(!llama.continuous_usage_stats);
    CHECK(!llama.cache_salt);
    CHECK(llama.extra.contains("cache_prompt"));
    auto trt = r;
    CHECK(restrict_to(extensions_of(dialect::tensorrt_llm), trt) == 2);
    CHECK(trt.ignore_eos == true);
    CHECK(trt.min_tokens == 10u);
    CHECK(trt.continuous_usage_stats);
    CHECK(!trt.cache_salt);
    CHECK(!trt.extra.contains("cache_prompt"));
    auto openai = r;
    CHECK(restrict_to(extensions_of(dialect::openai_like), openai) == 5);
    CHECK(openai.extra.empty());
}

TEST_CASE("dialect: compare_versions") {
    using llmcap::openai::compare_versions;
    static_assert(compare_versions("0.10.0", "0.9.2") > 0);
    static_assert(compare_versions("0.9", "0.9.0") == 0);
    static_assert(compare_versions("v1.2.3", "1.2.4") < 0);
    CHECK(compare_versions("0.6.3.post1", "0.6.3") == 0);
}

TEST_CASE("endpoint_url: parsed with Boost.URL") {
    using llmcap::client::parse_endpoint_url;
    auto a = parse_endpoint_url("http://127.0.0.1:8000");
    REQUIRE(a.has_value());
    CHECK(!a->tls);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 8000);
    CHECK(a->base_path.empty());
    CHECK(a->host_header() == "127.0.0.1:8000");

    auto b = parse_endpoint_url("https://api.example.com/openai/v1/");
    REQUIRE(b.has_value());
    CHECK(b->tls);
    CHECK(b->port == 443);
    CHECK(b->base_path == "/openai");
    CHECK(b->host_header() == "api.example.com");

    auto c = parse_endpoint_url("http://[::1]:9000/x");
    REQUIRE(c.has_value());
    CHECK(c->host == "::1");
    CHECK(c->host_header() == "[::1]:9000");
    CHECK(c->base_path == "/x");

    CHECK_FALSE(parse_endpoint_url("ftp://host").has_value());
    CHECK_FALSE(parse_endpoint_url("http://host:0").has_value());
    CHECK_FALSE(parse_endpoint_url("http://host:99999").has_value());
    CHECK_FALSE(parse_endpoint_url("http://host/?q=1").has_value());
    CHECK_FALSE(parse_endpoint_url("localhost:8000").has_value());
    CHECK_FALSE(parse_endpoint_url("http://user:pw@host").has_value());
}

TEST_CASE("unlisted_model_note: names the listed models when the requested one is not there") {
    using llmcap::openai::unlisted_model_note;
    const std::vector<std::string> ids{"GLM-4.7-Flash", "glm-lora"};
    CHECK(unlisted_model_note(ids, "typo") ==
          "model \"typo\" is not among those /v1/models lists: \"GLM-4.7-Flash\", \"glm-lora\"");
    CHECK(unlisted_model_note(ids, "glm-lora").empty());
    CHECK(unlisted_model_note({}, "typo").empty()); // a server that lists nothing proves nothing
    CHECK(unlisted_model_note(ids, "").empty());
    const auto d = llmcap::openai::detect_dialect(
        R"({"object":"list","data":[{"id":"a","object":"model"},{"id":"b"},{"x":1}]})");
    CHECK(d.model_ids == std::vector<std::string>{"a", "b"});
}
