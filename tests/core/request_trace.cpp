#include <llmcap/core/request_trace.hpp>

#include <doctest/doctest.h>

#include <chrono>

using namespace std::chrono_literals;

TEST_CASE("request_trace: first token, first answer and output tokens") {
    llmcap::request_trace t;
    const llmcap::time_point t0 = llmcap::stamp();
    t.intended_start = t0;
    CHECK_FALSE(t.first_token_time());
    CHECK_FALSE(t.first_answer_time());
    CHECK(t.output_tokens() == 0);

    t.events.push_back({t0 + 10ms, 1, llmcap::token_kind::reasoning});
    t.events.push_back({t0 + 20ms, 1, llmcap::token_kind::reasoning});
    t.events.push_back({t0 + 30ms, 3, llmcap::token_kind::content});
    CHECK(*t.first_token_time() == t0 + 10ms);
    CHECK(*t.first_answer_time() == t0 + 30ms);
    CHECK(*t.last_token_time() == t0 + 30ms);
    CHECK(t.event_tokens() == 5);
    CHECK(t.output_tokens() == 5);
    CHECK(t.output_tokens_estimated());

    t.usage = llmcap::usage_info{.prompt_tokens = 10, .completion_tokens = 6, .total_tokens = 16};
    CHECK(t.output_tokens() == 6);
    CHECK_FALSE(t.output_tokens_estimated());
}

TEST_CASE("request_trace: fail keeps the first failure") {
    llmcap::request_trace t;
    CHECK(t.ok());
    t.fail(llmcap::error::idle_timeout, "no event for 600 s");
    t.fail(llmcap::error::cancelled, "stopped");
    CHECK_FALSE(t.ok());
    CHECK(*t.failure == llmcap::error::idle_timeout);
    CHECK(t.error_message == "no event for 600 s");
}
