#include <llmcap/sweep/output_dir.hpp>

#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/presets.hpp>
#include <llmcap/sweep/trace_json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

using namespace llmcap;
using namespace std::chrono_literals;

namespace {

request_trace sample_trace(time_point origin) {
    request_trace t;
    t.index = 42;
    t.prompt_tokens_target = 1024;
    t.max_tokens = 4;
    t.fixed_output = true;
    t.intended_start = origin + 1500ms;
    t.send = origin + 1500ms + 37us;
    t.headers = origin + 1502ms;
    t.events = {{origin + 1600ms, 1, token_kind::reasoning},
                {origin + 1600ms, 2, token_kind::content},
                {origin + 1650ms + 3ns, 1, token_kind::tool_call}};
    t.end = origin + 1700ms;
    t.sse_events = 6;
    t.exact_event_tokens = true;
    t.http_status = 200;
    t.response_id = "chatcmpl-1";
    t.server_model = "m";
    t.finish_reason = "length";
    t.done_marker = true;
    t.usage = usage_info{1024, 4, 1028, 1, std::nullopt};
    server_timings s;
    s.queue_s = 0.25;
    s.prefill_s = 0.0625;
    s.prompt_tokens_evaluated = 1000;
    t.timings = s;
    return t;
}

std::filesystem::path fresh_dir(const std::string& name) {
    const auto d = std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "sweep-tests" / name;
    std::filesystem::remove_all(d);
    return d;
}

} // namespace

TEST_CASE("trace_record: JSON round trip is exact to the nanosecond") {
    const time_point origin = stamp();
    sweep::trace_record r{"grid/ctx1024/out4/c1", false, sample_trace(origin)};
    const std::string line = boost::json::serialize(sweep::to_json(r, origin));
    // Read relative to another origin: every difference is preserved exactly.
    const time_point other = origin + 12345s;
    const auto back = sweep::trace_record_from_json(boost::json::parse(line), other);
    REQUIRE(back.has_value());
    CHECK(back->cell == r.cell);
    const request_trace& a = r.trace;
    const request_trace& b = back->trace;
    CHECK(b.intended_start - other == a.intended_start - origin);
    CHECK(*b.send - b.intended_start == *a.send - a.intended_start);
    CHECK(*b.headers - b.intended_start == *a.headers - a.intended_start);
    CHECK(b.end - b.intended_start == a.end - a.intended_start);
    REQUIRE(b.events.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(b.events[i].at - b.intended_start == a.events[i].at - a.intended_start);
        CHECK(b.events[i].tokens == a.events[i].tokens);
        CHECK(b.events[i].kind == a.events[i].kind);
    }
    CHECK(b.usage == a.usage);
    CHECK(b.timings == a.timings);
    CHECK(b.index == 42);
    CHECK(b.failure == a.failure);
    // Written again relative to its own origin, the line is identical.
    CHECK(boost::json::serialize(sweep::to_json(*back, other)) == line);
}

TEST_CASE("trace_record: a failure and one-token events (no event_tokens field)") {
    const time_point origin{};
    request_trace t;
    t.intended_start = origin + 5s;
    t.end = origin + 6s;
    t.events = {{origin + 5500ms, 1, token_kind::text}};
    t.fail(error::idle_timeout, "no event for 600 s");
    const boost::json::object o = sweep::to_json(sweep::trace_record{"c", true, t}, origin);
    CHECK_FALSE(o.contains("event_tokens"));
    CHECK(o.at("failure") == "idle_timeout");
    CHECK(o.at("send_ns").is_null());
    const auto back = sweep::trace_record_from_json(o, origin);
    REQUIRE(back.has_value());
    CHECK(back->warmup);
    CHECK(back->trace.failure == error::idle_timeout);
    CHECK(back->trace.error_message == "no event for 600 s");
    CHECK_FALSE(back->trace.send);
}

TEST_CASE("trace_record: malformed lines name the field") {
    const time_point origin{};
    const boost::json::object good =
        sweep::to_json(sweep::trace_record{"c", false, sample_trace(origin)}, origin);
    const auto error_of = [&](const boost::json::value& v) {
        const auto r = sweep::trace_record_from_json(v, origin);
        REQUIRE_FALSE(r.has_value());
        return r.error().message();
    };
    {
        boost::json::object o = good;
        o.erase("end_ns");
        CHECK(error_of(o) == "results json: $.end_ns: missing");
    }
    {
        boost::json::object o = good;
        o["event_kinds"] = "cc";
        CHECK(error_of(o) == "results json: $.event_kinds: has 2 letters for 3 events");
    }
    {
        boost::json::object o = good;
        o["event_kinds"] = "cqc";
        CHECK(error_of(o) == "results json: $.event_kinds: unknown kind letter 'q'");
    }
    {
        boost::json::object o = good;
        o["event_gaps_ns"].as_array()[2] = -5;
        CHECK(error_of(o) == "results json: $.event_gaps_ns[2]: negative gap");
    }
    {
        boost::json::object o = good;
        o["failure"] = "exploded";
        CHECK(error_of(o) == "results json: $.failure: unknown failure kind \"exploded\"");
    }
    {
        boost::json::object o = good;
        o["usage"].as_object()["prompt_tokens"] = "many";
        CHECK(error_of(o) ==
              "results json: $.usage.prompt_tokens: expected a non-negative integer, got a string");
    }
    {
        boost::json::object o = good;
        o["event_tokens"] = boost::json::array{1, 2};
        CHECK(error_of(o) == "results json: $.event_tokens: has 2 counts for 3 events");
    }
}

TEST_CASE("presets: the three presets and their shapes") {
    for (std::string_view name : sweep::preset_names)
        CHECK(sweep::preset(name).has_value());
    CHECK_FALSE(sweep::preset("nope").has_value());

    const sweep::sweep_plan glm = *sweep::preset("glm-4.7-flash-h200");
    REQUIRE(glm.cells.size() == 28);
    CHECK(glm.cells.front().key == sweep::cell_key{1024, 1024, 1, ""});
    CHECK(glm.cells.back().key == sweep::cell_key{200000, 1024, 4, ""});
    REQUIRE(glm.searches.size() == 5);
    CHECK(glm.searches[0].use_case.name == "code_completion");
    CHECK(glm.searches[0].style == workload::text_style::code);
    CHECK(glm.searches[2].style == workload::text_style::prose);

    const sweep::sweep_plan sg = *sweep::preset("sglang-standard");
    REQUIRE(sg.cells.size() == 9);
    CHECK(sg.cells[4].key == sweep::cell_key{1024, 8192, 16, "reasoning"});
    CHECK(sg.requests.rule_for(100).requests == 500);
    CHECK(sg.requests.rule_for(1).requests == 5);

    const sweep::sweep_plan q = *sweep::preset("quick");
    REQUIRE(q.cells.size() == 5);
    for (const auto& c : q.cells) {
        CHECK(c.key.concurrency == 1);
        CHECK_FALSE(c.prompt.empty());
    }
}

TEST_CASE("sweep_plan: JSON round trip of every preset") {
    for (std::string_view name : sweep::preset_names) {
        const sweep::sweep_plan p = *sweep::preset(name);
        const std::string text = boost::json::serialize(sweep::to_json(p));
        const auto back = sweep::plan_from_json(boost::json::parse(text));
        REQUIRE(back.has_value());
        CHECK(boost::json::serialize(sweep::to_json(*back)) == text);
    }
}

TEST_CASE("sweep_plan: malformed plans name the field") {
    const boost::json::object good = sweep::to_json(*sweep::preset("glm-4.7-flash-h200"));
    const auto error_of = [](const boost::json::value& v) {
        const auto r = sweep::plan_from_json(v);
        REQUIRE_FALSE(r.has_value());
        return r.error().message();
    };
    {
        boost::json::object o = good;
        o["cells"].as_array()[3].as_object()["concurrency"] = 0;
        CHECK(error_of(o) == "results json: $.cells[3].concurrency: must be at least 1");
    }
    {
        boost::json::object o = good;
        o["cells"].as_array()[0].as_object()["style"] = "poetry";
        CHECK(error_of(o) ==
              "results json: $.cells[0].style: expected \"prose\" or \"code\", got \"poetry\"");
    }
    {
        boost::json::object o = good;
        o["api"] = "embeddings";
        CHECK(error_of(o) ==
              "results json: $.api: expected \"chat_completions\" or \"completions\"");
    }
    {
        boost::json::object o = good;
        o["load"].as_object()["rate_per_s"] = 0;
        CHECK(error_of(o) == "results json: $.load.rate_per_s: must be positive");
    }
    {
        boost::json::object o = good;
        o["requests"].as_object().erase("min_requests");
        CHECK(error_of(o) == "results json: $.requests.min_requests: missing");
    }
    {
        boost::json::object o = good;
        o["searches"].as_array()[1].as_object()["use_case"].as_object()["thresholds"] = 5;
        CHECK(error_of(o) ==
              "results json: $.searches[1].use_case.thresholds: expected an array, got a number");
    }
    {
        boost::json::object o = good;
        o["cells"] = boost::json::array{};
        o["searches"] = boost::json::array{};
        CHECK(error_of(o) == "results json: $: the plan has no cell and no search");
    }
    {
        boost::json::object o = good;
        o["cells"].as_array()[0].as_object()["context_tokens"] = 0;
        CHECK(error_of(o) ==
              "results json: $.cells[0].context_tokens: must be at least 1 without a fixed prompt "
              "or a dataset");
    }
}

TEST_CASE("output_dir: a new run refuses a directory holding one; JSONL reading") {
    const auto d = fresh_dir("output-dir");
    {
        sweep::output_dir out = sweep::output_dir::create(d);
        out.append_request(sweep::trace_record{"c", false, sample_trace(time_point{})},
                           time_point{});
    }
    CHECK_THROWS_WITH_AS(static_cast<void>(sweep::output_dir::create(d)),
                         doctest::Contains("already holds a run"), std::runtime_error);
    // A cut last line is tolerated; a bad line elsewhere is an error naming the line.
    {
        std::ofstream f(d / "x.jsonl", std::ios::binary);
        f << "{\"a\":1}\n\n{\"a\":2}\n{\"a\":";
    }
    int seen = 0;
    CHECK(sweep::output_dir::read_lines(d / "x.jsonl",
                                        [&](const boost::json::value&, std::size_t) { ++seen; }));
    CHECK(seen == 2);
    {
        std::ofstream f(d / "y.jsonl", std::ios::binary);
        f << "{\"a\":1}\nnot json\n{\"a\":2}\n";
    }
    CHECK_THROWS_WITH_AS(
        sweep::output_dir::read_lines(d / "y.jsonl", [](const boost::json::value&, std::size_t) {}),
        doctest::Contains("y.jsonl: line 2: invalid JSON"), std::runtime_error);
    CHECK_FALSE(sweep::output_dir::read_lines(d / "missing.jsonl",
                                              [](const boost::json::value&, std::size_t) {}));
    sweep::resumed_state state;
    CHECK_THROWS_WITH_AS(
        static_cast<void>(sweep::output_dir::reopen(d / "nowhere", time_point{}, state)),
        doctest::Contains("cannot read"), std::runtime_error);
}
