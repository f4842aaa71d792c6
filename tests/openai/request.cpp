#include <llmcap/openai/request.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>

TEST_CASE("openai::completion_request: chat body with every extension") {
    llmcap::openai::completion_request r;
    r.model = "zai-org/GLM-4.7-Flash";
    r.messages = {{"system", "Be brief."}, {"user", "Hello"}};
    r.max_tokens = 1024;
    r.temperature = 0.0;
    r.ignore_eos = true;
    r.min_tokens = 1024;
    r.continuous_usage_stats = true;
    r.cache_salt = "run-7-req-3";
    r.extra["top_p"] = 0.9;
    r.extra["temperature"] = 0.6; // extra fields override
    CHECK(llmcap::openai::path(r.kind) == "/v1/chat/completions");
    const boost::json::value v = boost::json::parse(llmcap::openai::serialize(r));
    CHECK(v == boost::json::parse(R"({
        "model": "zai-org/GLM-4.7-Flash",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
        "max_tokens": 1024, "temperature": 0.6, "ignore_eos": true, "min_tokens": 1024,
        "stream": true,
        "stream_options": {"include_usage": true, "continuous_usage_stats": true},
        "cache_salt": "run-7-req-3", "top_p": 0.9})"));
}

TEST_CASE("openai::completion_request: completions body, only what was set") {
    llmcap::openai::completion_request r;
    r.kind = llmcap::openai::api::completions;
    r.model = "tiny";
    r.prompt = "Once upon a time";
    r.max_tokens = 16;
    r.use_max_completion_tokens = true;
    CHECK(llmcap::openai::path(r.kind) == "/v1/completions");
    CHECK(boost::json::parse(llmcap::openai::serialize(r)) ==
          boost::json::parse(R"({"model": "tiny", "prompt": "Once upon a time",
              "max_completion_tokens": 16, "stream": true,
              "stream_options": {"include_usage": true}})"));

    r.stream = false;
    CHECK(boost::json::parse(llmcap::openai::serialize(r)) ==
          boost::json::parse(R"({"model": "tiny", "prompt": "Once upon a time",
              "max_completion_tokens": 16, "stream": false})"));
}
