#include <llmcap/analysis/use_case_json.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace la = llmcap::analysis;

TEST_CASE("use case JSON: a full document is read, with defaults") {
    const la::use_case_parse_result r = la::parse_use_cases(R"({"use_cases": [
        {"name": "rag", "title": "RAG assistant", "context_tokens": 16384, "output_tokens": 512,
         "thresholds": [
           {"metric": "ttft_s", "statistic": "p95", "comparison": "less", "bound": 3},
           {"metric": "generation_speed_tokens_per_s", "bound": 20.5}
         ]},
        {"name": "batch", "context_tokens": 2048.0, "output_tokens": 256,
         "thresholds": [{"metric": "e2e_s", "statistic": "p99.9", "comparison": "<", "bound": 60}]}
    ]})");
    REQUIRE(r.ok());
    REQUIRE(r.use_cases.size() == 2);
    const la::use_case& rag = r.use_cases[0];
    CHECK(rag.name == "rag");
    CHECK(rag.title == "RAG assistant");
    CHECK(rag.context_tokens == 16384);
    CHECK(rag.output_tokens == 512);
    REQUIRE(rag.thresholds.size() == 2);
    CHECK(rag.thresholds[0] ==
          la::threshold{la::metric::ttft, la::statistic::p95, la::comparison::less, 3.0});
    // statistic defaults to mean; comparison to greater for a speed.
    CHECK(rag.thresholds[1] == la::threshold{la::metric::generation_speed, la::statistic::mean,
                                             la::comparison::greater, 20.5});
    const la::use_case& batch = r.use_cases[1];
    CHECK(batch.title == "batch");
    CHECK(batch.context_tokens == 2048);
    CHECK(batch.thresholds[0].stat == la::statistic::p99_9);
}

TEST_CASE("use case JSON: a bare array is accepted") {
    const la::use_case_parse_result r = la::parse_use_cases(
        R"([{"name": "x", "context_tokens": 1, "output_tokens": 1,
             "thresholds": [{"metric": "ttft_s", "bound": 1}]}])");
    REQUIRE(r.ok());
    CHECK(r.use_cases[0].thresholds[0].cmp == la::comparison::less);
}

TEST_CASE("use case JSON: the catalogue round-trips") {
    const std::vector<la::use_case> all = la::builtin_use_cases();
    const la::use_case_parse_result r = la::parse_use_cases(la::serialize_use_cases(all));
    REQUIRE(r.ok());
    CHECK(r.use_cases == all);
}

TEST_CASE("use case JSON: the session catalogue round-trips") {
    const std::vector<la::use_case> all = la::builtin_session_use_cases();
    REQUIRE(all.size() == 2);
    for (const la::use_case& u : all) {
        REQUIRE(u.sessions.has_value());
        CHECK(la::find_builtin_use_case(u.name) == u);
    }
    const la::use_case_parse_result r = la::parse_use_cases(la::serialize_use_cases(all));
    REQUIRE(r.ok());
    CHECK(r.use_cases == all);
}

TEST_CASE("use case JSON: a session use case, with defaults, and its errors") {
    const la::use_case_parse_result r = la::parse_use_cases(
        R"([{"name": "chat", "context_tokens": 200, "output_tokens": 300,
             "thresholds": [{"metric": "ttft_later_turns_s", "statistic": "p95", "bound": 2}],
             "sessions": {"turns": 6, "think_time": "exponential:5s",
                          "system_prompt_tokens": 512, "groups": 3, "turn_tokens_sigma": 0.5,
                          "prefix_caching": false}},
            {"name": "agent", "context_tokens": 100, "output_tokens": 100,
             "thresholds": [{"metric": "ttft_s", "bound": 2}], "sessions": {"turns": 20}}])");
    REQUIRE_MESSAGE(r.ok(), r.error);
    const la::use_case& chat = r.use_cases[0];
    REQUIRE(chat.sessions.has_value());
    CHECK(chat.sessions->turns == 6);
    CHECK(chat.sessions->think.shape == llmcap::think_time::family::exponential);
    CHECK(chat.sessions->think.mean == std::chrono::seconds(5));
    CHECK(chat.sessions->system_prompt_tokens == 512);
    CHECK(chat.sessions->groups == 3);
    CHECK(chat.sessions->turn_tokens_sigma == 0.5);
    CHECK(!chat.sessions->prefix_caching);
    CHECK(chat.thresholds[0].what == la::metric::ttft_later_turns);
    const la::use_case& agent = r.use_cases[1];
    REQUIRE(agent.sessions.has_value());
    CHECK(agent.sessions->think.mean == llmcap::duration::zero());
    CHECK(agent.sessions->groups == 1);
    CHECK(agent.sessions->prefix_caching);
    CHECK(!la::parse_use_cases(R"([{"name": "x", "context_tokens": 1, "output_tokens": 1,
             "thresholds": [{"metric": "ttft_s", "bound": 1}]}])")
               .use_cases[0]
               .sessions.has_value());

    const auto error = [](const char* sessions) {
        return la::parse_use_cases(std::string(R"([{"name": "a", "context_tokens": 8,
            "output_tokens": 8, "thresholds": [{"metric": "ttft_s", "bound": 1}], "sessions": )") +
                                   sessions + "}]")
            .error;
    };
    CHECK(error("{}") == "use cases JSON: $[0].sessions.turns: missing");
    CHECK(error(R"({"turns": 0})") ==
          "use cases JSON: $[0].sessions.turns: expected a positive integer, got 0");
    CHECK(error(R"({"turns": 2, "think_time": "soon"})") ==
          "use cases JSON: $[0].sessions.think_time: think time \"soon\": \"soon\" is not a "
          "duration (a number ≥ 0 with ms, s, m or h, e.g. 30s; at most 1e7 s) (expected 0, "
          "fixed:5s, exponential:10s, lognormal:10s or lognormal:10s:0.5)");
    CHECK(error(R"({"turns": 2, "groups": 0})") ==
          "use cases JSON: $[0].sessions.groups: expected a positive integer, got 0");
    CHECK(error(R"({"turns": 2, "turn_tokens_sigma": 9})") ==
          "use cases JSON: $[0].sessions.turn_tokens_sigma: expected a number in [0, 4]");
    CHECK(error(R"({"turns": 2, "users": 9})") ==
          "use cases JSON: $[0].sessions.users: unknown field (expected turns, think_time, "
          "system_prompt_tokens, groups, turn_tokens_sigma, prefix_caching)");
    CHECK(error("[]") == "use cases JSON: $[0].sessions: expected an object, got an array");
}

TEST_CASE("use case JSON: errors name the field") {
    const auto error = [](const char* json) { return la::parse_use_cases(json).error; };
    CHECK(error(R"({"use_cases": [)") ==
          "use cases JSON: syntax error at byte 15: incomplete JSON");
    CHECK(error(R"({"use_cases": [}]})").rfind("use cases JSON: syntax error at byte 15: ", 0) ==
          0);
    CHECK(error("42") == "use cases JSON: $: expected an object or an array, got a number");
    CHECK(error(R"({"cases": []})") ==
          "use cases JSON: $.cases: unknown field (expected use_cases)");
    CHECK(error(R"({"use_cases": {}})") ==
          "use cases JSON: $.use_cases: expected an array, got an object");
    CHECK(error(R"({"use_cases": [3]})") ==
          "use cases JSON: $.use_cases[0]: expected an object, got a number");
    CHECK(error(R"({"use_cases": [{"context_tokens": 1}]})") ==
          "use cases JSON: $.use_cases[0].name: missing");
    CHECK(error(R"({"use_cases": [{"name": ""}]})") ==
          "use cases JSON: $.use_cases[0].name: must not be empty");
    CHECK(
        error(R"({"use_cases": [{"name": "a", "context_tokens": "8K"}]})") ==
        "use cases JSON: $.use_cases[0].context_tokens: expected a positive integer, got a string");
    CHECK(error(R"({"use_cases": [{"name": "a", "context_tokens": 1.5}]})") ==
          "use cases JSON: $.use_cases[0].context_tokens: expected a positive integer, got 1.5E0");
    CHECK(error(R"({"use_cases": [{"name": "a", "context_tokens": 0}]})") ==
          "use cases JSON: $.use_cases[0].context_tokens: expected a positive integer, got 0");
    CHECK(error(R"({"use_cases": [{"name": "a", "context_tokens": 8, "output_tokens": 8}]})") ==
          "use cases JSON: $.use_cases[0].thresholds: missing");
    CHECK(error(R"({"use_cases": [{"name": "a", "context_tokens": 8, "output_tokens": 8,
                    "thresholds": []}]})") ==
          "use cases JSON: $.use_cases[0].thresholds: must hold at least one threshold");
    CHECK(error(R"({"use_cases": [{"name": "a", "context_tokens": 8, "output_tokens": 8,
                    "treshold": []}]})") ==
          "use cases JSON: $.use_cases[0].treshold: unknown field (expected name, title, "
          "context_tokens, output_tokens, thresholds, sessions)");
    CHECK(error(R"([{"name": "a", "context_tokens": 8, "output_tokens": 8,
                     "thresholds": [{"metric": "ttft_s", "bound": 1}, {"metric": "ttft"}]}])")
              .rfind("use cases JSON: $[0].thresholds[1].metric: unknown metric \"ttft\" (known: "
                     "ttft_s, ttfa_s, e2e_s,",
                     0) == 0);
    CHECK(error(R"([{"name": "a", "context_tokens": 8, "output_tokens": 8,
                     "thresholds": [{"metric": "ttft_s"}]}])") ==
          "use cases JSON: $[0].thresholds[0].bound: missing");
    CHECK(error(R"([{"name": "a", "context_tokens": 8, "output_tokens": 8,
                     "thresholds": [{"metric": "ttft_s", "bound": "2s"}]}])") ==
          "use cases JSON: $[0].thresholds[0].bound: expected a number, got a string");
    CHECK(error(R"([{"name": "a", "context_tokens": 8, "output_tokens": 8,
                     "thresholds": [{"metric": "ttft_s", "statistic": "p42", "bound": 1}]}])") ==
          "use cases JSON: $[0].thresholds[0].statistic: unknown statistic \"p42\" (known: mean, "
          "p50, p90, p95, p99, p99_9, min, max)");
    CHECK(error(R"([{"name": "a", "context_tokens": 8, "output_tokens": 8,
                     "thresholds": [{"metric": "ttft_s", "comparison": "<=", "bound": 1}]}])") ==
          "use cases JSON: $[0].thresholds[0].comparison: unknown comparison \"<=\" (known: less, "
          "greater, <, >)");
    CHECK(error(R"([{"name": "a", "context_tokens": 8, "output_tokens": 8,
                     "thresholds": [{"metric": "ttft_s", "bound": 1, "unit": "s"}]}])") ==
          "use cases JSON: $[0].thresholds[0].unit: unknown field (expected metric, statistic, "
          "comparison, bound)");
    CHECK(la::parse_use_cases(R"({"use_cases": [{"name": 7}]})").use_cases.empty());
}
