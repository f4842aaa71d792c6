#include <llmcap/openai/error_body.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace {
std::string fixture(const char* name) {
    std::ifstream in(std::string(LLMCAP_TEST_FIXTURES_DIR "/llama-server/") + name,
                     std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
} // namespace

TEST_CASE("openai::parse_error_body: llama-server error bodies") {
    const auto overflow = llmcap::openai::parse_error_body(fixture("error-context-overflow.json"));
    REQUIRE(overflow);
    CHECK(overflow->code == 400);
    CHECK(overflow->type == "exceed_context_size_error");
    CHECK(overflow->message == "request (1527 tokens) exceeds the available context size (1024 "
                               "tokens), try increasing it");
    const auto not_found = llmcap::openai::parse_error_body(fixture("error-404.txt"));
    REQUIRE(not_found);
    CHECK(not_found->code == 404);
    CHECK(not_found->message == "File Not Found");
    const auto bad_json = llmcap::openai::parse_error_body(fixture("error-bad-json.json"));
    REQUIRE(bad_json);
    CHECK(bad_json->code == 500);
    CHECK(bad_json->type == "server_error");
    CHECK(llmcap::openai::describe_error_response(400, fixture("error-context-overflow.json")) ==
          "HTTP 400 (exceed_context_size_error): request (1527 tokens) exceeds the available "
          "context size (1024 tokens), try increasing it");
}

TEST_CASE("openai::parse_error_body: vLLM, FastAPI and string shapes") {
    const auto vllm = llmcap::openai::parse_error_body(
        R"({"object":"error","message":"model not found","type":"NotFoundError","param":null,"code":404})");
    REQUIRE(vllm);
    CHECK(vllm->code == 404);
    CHECK(vllm->type == "NotFoundError");
    CHECK(vllm->message == "model not found");
    const auto fastapi = llmcap::openai::parse_error_body(R"({"detail":"Not Found"})");
    REQUIRE(fastapi);
    CHECK(fastapi->message == "Not Found");
    const auto text = llmcap::openai::parse_error_body(R"({"error":"rate limited"})");
    REQUIRE(text);
    CHECK(text->message == "rate limited");
}

TEST_CASE("openai::parse_error_body: bodies that hold no error") {
    CHECK_FALSE(llmcap::openai::parse_error_body(""));
    CHECK_FALSE(llmcap::openai::parse_error_body("<html>502 Bad Gateway</html>"));
    CHECK_FALSE(llmcap::openai::parse_error_body("[1,2]"));
    CHECK_FALSE(llmcap::openai::parse_error_body(R"({"error": 5})"));
    CHECK_FALSE(llmcap::openai::parse_error_body(R"({"choices": []})"));
    CHECK(llmcap::openai::describe_error_response(502, "<html>502 Bad Gateway</html>") ==
          "HTTP 502: <html>502 Bad Gateway</html>");
    CHECK(llmcap::openai::describe_error_response(503, "") == "HTTP 503");
}
