#include <llmcap/sweep/result_json.hpp>

#include <llmcap/sweep/cell_builder.hpp>

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/use_case.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace llmcap;

namespace {

sweep::cell_result sample_cell(std::uint32_t concurrency, double ttft_s, double speed) {
    sweep::cell_result c;
    c.key = {8192, 1024, concurrency, "short_form_chatbot"};
    c.summary.context_tokens = 8192;
    c.summary.output_tokens = 1024;
    c.summary.concurrency = concurrency;
    c.summary.set(analysis::metric::ttft, analysis::statistic::mean, ttft_s)
        .set(analysis::metric::ttft, analysis::statistic::p99, ttft_s * 1.5)
        .set(analysis::metric::generation_speed, analysis::statistic::mean, speed)
        .set(analysis::metric::throughput, analysis::statistic::mean, speed * concurrency);
    c.summary.metrics[analysis::metric::ttft].count = 20;
    c.summary.metrics[analysis::metric::ttft].mean_ci95 = analysis::confidence_interval{0.25, 0.5};
    c.warmup_requests = 2;
    c.requests_started = 21;
    c.requests_succeeded = 20;
    c.failures.push_back({error::http_status, 1, {"HTTP 503: overloaded"}});
    c.short_outputs = 1;
    c.prompt = {8192, 20, 19, 8192.05, 8192, 8193, 1.0 / 8192.0, false};
    c.client_lag = {0.0002, 0.4, false};
    sweep::server_metrics_record s;
    s.server_name = "vLLM (V1 engine)";
    s.values["queue_wait_mean_s"] = {0.125, prometheus::value_state::measured,
                                     prometheus::value_source::scrape_delta, 20,
                                     "vllm:request_queue_time_seconds"};
    s.values["decode_time_mean_s"] = {std::nullopt, prometheus::value_state::not_exposed,
                                      prometheus::value_source::none, 0, ""};
    c.server = s;
    c.energy = sweep::energy_record{1200.5,
                                    600.25,
                                    700.0,
                                    0.058,
                                    2.0,
                                    telemetry::energy_source::nvml,
                                    telemetry::energy_method::hardware_counter,
                                    1};
    c.stop_reason = workload::stop_reason::request_count;
    c.start_ns = 1000;
    c.end_ns = 2'000'000'000;
    c.wall_start = "2026-11-23T14:00:00Z";
    c.wall_end = "2026-11-23T14:00:02Z";
    c.sketches["ttft_s"] = boost::json::object{{"kind", "exact_quantiles"}};
    return c;
}

sweep::sweep_result sample_sweep() {
    sweep::sweep_result r;
    r.run.tool_version = "0.1.0";
    r.run.preset = "glm-4.7-flash-h200";
    r.run.model = "glm-4.7-flash";
    r.run.server_url = "http://127.0.0.1:8000";
    r.run.dialect = "vllm";
    r.run.server = {"vllm", "0.11.0", "glm-4.7-flash", 131072, "owned_by \"vllm\"", "{}"};
    r.run.gpu = "1x NVIDIA H200";
    r.run.host = {"bench", "Linux", 16};
    r.run.started_at = "2026-11-23T14:00:00Z";
    r.run.seed = 42;
    r.run.options["warmup_requests"] = 2;
    for (std::uint32_t c : {1u, 2u, 4u})
        r.cells.push_back(sample_cell(c, 0.3 * c, 60.0 / c));
    const analysis::use_case uc = *analysis::find_builtin_use_case("short_form_chatbot");
    std::vector<analysis::cell_summary> summaries;
    for (const auto& c : r.cells)
        summaries.push_back(c.summary);
    sweep::use_case_result u;
    u.use_case = uc;
    u.measured_concurrency = {1, 2, 4};
    u.converged = true;
    u.capacity = analysis::compute_capacity(uc, summaries);
    r.use_cases.push_back(u);
    r.scaling = analysis::scaling_efficiency(summaries);
    return r;
}

/// Equal JSON up to one unit in the last place of each number (Boost.JSON 1.81 may parse a
/// number one ulp off the double that was written).
bool json_near(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_number() && b.is_number()) {
        const double x = a.to_number<double>();
        const double y = b.to_number<double>();
        return x == y || std::abs(x - y) <= 4e-16 * std::max(std::abs(x), std::abs(y));
    }
    if (a.kind() != b.kind())
        return false;
    if (a.is_object()) {
        if (a.as_object().size() != b.as_object().size())
            return false;
        for (const auto& kv : a.as_object()) {
            const boost::json::value* other = b.as_object().if_contains(kv.key());
            if (other == nullptr || !json_near(kv.value(), *other))
                return false;
        }
        return true;
    }
    if (a.is_array()) {
        if (a.as_array().size() != b.as_array().size())
            return false;
        for (std::size_t i = 0; i < a.as_array().size(); ++i)
            if (!json_near(a.as_array()[i], b.as_array()[i]))
                return false;
        return true;
    }
    return a == b;
}

} // namespace

TEST_CASE("json_near: tolerates one ulp, not more") {
    CHECK(json_near(boost::json::value(0.1), boost::json::value(std::nextafter(0.1, 1.0))));
    CHECK_FALSE(json_near(boost::json::value(0.1), boost::json::value(0.1000001)));
    CHECK_FALSE(json_near(boost::json::object{{"a", 1}}, boost::json::object{{"b", 1}}));
}

TEST_CASE("cell_key: id names the part of the plan and the cell") {
    CHECK(sweep::cell_key{1024, 1024, 4, ""}.id() == "grid/ctx1024/out1024/c4");
    CHECK(sweep::cell_key{32768, 1024, 8, "general_chatbot"}.id() ==
          "general_chatbot/ctx32768/out1024/c8");
    CHECK(sweep::cell_key{1024, 1024, 2, ""} < sweep::cell_key{1024, 1024, 3, ""});
}

TEST_CASE("cell_result: JSON round trip keeps every field") {
    const sweep::cell_result c = sample_cell(3, 0.9, 20.0);
    const boost::json::value v = boost::json::parse(boost::json::serialize(sweep::to_json(c)));
    const auto back = sweep::cell_result_from_json(v);
    REQUIRE(back.has_value());
    CHECK(back->key == c.key);
    CHECK(back->failures == c.failures);
    CHECK(back->server == c.server);
    CHECK(back->energy == c.energy);
    CHECK(back->sketches == c.sketches);
    CHECK(back->prompt.exact == c.prompt.exact);
    CHECK(json_near(sweep::to_json(*back), sweep::to_json(c)));
    CHECK(v.as_object().at("success_rate").as_double() == doctest::Approx(20.0 / 21.0));
}

TEST_CASE("cell_result: an open-loop cell keeps its arrival check; a closed loop has none") {
    sweep::cell_result c = sample_cell(3, 0.9, 20.0);
    c.key.rate_per_s = 2.5;
    c.arrivals = sweep::arrival_check{2.5, 2.4, 0.0001, 0.004, 0.02,  true, 7,    3.0, 9.0,
                                      0.5, 2.0, 3.5,    8.0,   false, {},   true, 6.0, 5.0};
    const auto back =
        sweep::cell_result_from_json(boost::json::parse(boost::json::serialize(sweep::to_json(c))));
    REQUIRE(back.has_value());
    REQUIRE(back->arrivals.has_value());
    CHECK(*back->arrivals == *c.arrivals);
    // A cell with too few sends to give a rate writes null and reads back NaN.
    c.arrivals->achieved_rate_per_s = std::numeric_limits<double>::quiet_NaN();
    const boost::json::object o = sweep::to_json(c);
    CHECK(o.at("arrivals").as_object().at("achieved_rate_per_s").is_null());
    const auto nan = sweep::cell_result_from_json(o);
    REQUIRE(nan.has_value());
    CHECK(std::isnan(nan->arrivals->achieved_rate_per_s));
    // The timeline, a TTFT of null included, round trips.
    c.arrivals->timeline = {{0.25, 2.0, 0.5},
                            {0.75, 3.0, std::numeric_limits<double>::quiet_NaN()}};
    const auto with_timeline =
        sweep::cell_result_from_json(boost::json::parse(boost::json::serialize(sweep::to_json(c))));
    REQUIRE(with_timeline.has_value());
    REQUIRE(with_timeline->arrivals->timeline.size() == 2);
    CHECK(with_timeline->arrivals->timeline[0].backlog == 2.0);
    CHECK(std::isnan(with_timeline->arrivals->timeline[1].ttft_s));
    boost::json::object short_point = sweep::to_json(c);
    short_point["arrivals"].as_object()["timeline"] = boost::json::array{boost::json::array{1, 2}};
    const auto refused_point = sweep::cell_result_from_json(short_point);
    REQUIRE_FALSE(refused_point.has_value());
    CHECK(refused_point.error().path == "$.arrivals.timeline[0]");
    c.arrivals->timeline.clear();
    // A file written before the saturation check reads as not assessed.
    boost::json::object old = sweep::to_json(c);
    for (const char* k : {"backlog_early", "backlog_late", "ttft_early_s", "ttft_late_s",
                          "e2e_early_s", "e2e_late_s", "too_short", "saturated"})
        old["arrivals"].as_object().erase(k);
    const auto before = sweep::cell_result_from_json(old);
    REQUIRE(before.has_value());
    CHECK(std::isnan(before->arrivals->backlog_late));
    CHECK_FALSE(before->arrivals->saturated);
    c.arrivals.reset();
    CHECK_FALSE(sweep::to_json(c).contains("arrivals"));
    // A wrong type names the field.
    boost::json::object bad = sweep::to_json(sample_cell(3, 0.9, 20.0));
    bad["arrivals"] = boost::json::object{{"offered_rate_per_s", "fast"}};
    const auto refused = sweep::cell_result_from_json(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().path == "$.arrivals.offered_rate_per_s");
}

namespace {

/// The arrival check of an open-loop cell of `n` requests arriving every 100 ms (every 10 ms
/// from request `burst_from` on), each served alone in `service_s` once the previous one
/// finished (a single slot), prefill 10 ms.
sweep::arrival_check single_slot(std::size_t n, double service_s,
                                 std::size_t burst_from = std::numeric_limits<std::size_t>::max()) {
    sweep::cell_key key{1024, 16, 64, "", 10.0};
    sweep::cell_builder b(key);
    const time_point origin{};
    time_point free = origin;
    time_point arrival = origin;
    for (std::size_t i = 0; i < n; ++i) {
        request_trace t;
        t.index = i;
        t.intended_start = arrival;
        arrival += std::chrono::milliseconds(i + 1 >= burst_from ? 10 : 100);
        t.send = t.intended_start;
        const time_point begin = std::max(free, t.intended_start);
        t.events.push_back({begin + std::chrono::milliseconds(10), 1, token_kind::content});
        t.end = begin + from_seconds(service_s);
        free = t.end;
        t.usage = usage_info{1024, 16, 1040, std::nullopt, std::nullopt};
        b.record(t, false);
    }
    sweep::cell_context ctx;
    return *b.finish(ctx).arrivals;
}

} // namespace

TEST_CASE("arrival_check: a queue that grows through the cell is saturated, a steady one not") {
    // Served in 50 ms, arriving every 100 ms: never more than one request waiting.
    const sweep::arrival_check steady = single_slot(40, 0.05);
    CHECK_FALSE(steady.saturated);
    CHECK(steady.backlog_late <= 1.0);
    CHECK(steady.ttft_late_s == doctest::Approx(0.01));
    // Served in 150 ms: the backlog grows by one every 300 ms, without bound.
    const sweep::arrival_check growing = single_slot(40, 0.15);
    CHECK(growing.saturated);
    CHECK(growing.backlog_late >= 1.5 * growing.backlog_early);
    CHECK(growing.ttft_late_s > 1.5 * growing.ttft_early_s);
    CHECK(growing.e2e_late_s > 1.5 * growing.e2e_early_s);
    CHECK_FALSE(growing.too_short);
    // The timeline: 24 slices of the arrivals, in order; flat for the steady cell, climbing to
    // the end for the growing one.
    REQUIRE(steady.timeline.size() == 24);
    REQUIRE(growing.timeline.size() == 24);
    for (std::size_t i = 1; i < growing.timeline.size(); ++i)
        CHECK(growing.timeline[i].at_s > growing.timeline[i - 1].at_s);
    CHECK(steady.timeline.back().backlog <= 1.0);
    CHECK(growing.timeline.back().backlog > growing.timeline.front().backlog + 5.0);
    CHECK(growing.timeline.back().ttft_s > 10.0 * growing.timeline.front().ttft_s);
    // Requests that take 2 s arriving over 1.5 s: no verdict either way.
    const sweep::arrival_check brief = single_slot(16, 2.0);
    CHECK(brief.too_short);
    CHECK_FALSE(brief.saturated);
    // A steady server hit by a burst of arrivals in the last quarter: the last quarter's backlog
    // and time in the system jump, the third quarter's had not risen: a burst, not a trend.
    const sweep::arrival_check burst = single_slot(40, 0.05, 31);
    CHECK(burst.backlog_late >= burst.backlog_early + 2.0);
    CHECK(burst.e2e_late_s >= 1.5 * burst.e2e_early_s);
    CHECK(burst.backlog_mid <= burst.backlog_early);
    CHECK_FALSE(burst.saturated);
    // The growing queue had risen by its third quarter.
    CHECK(growing.backlog_mid >= growing.backlog_early + 1.0);
    CHECK(growing.e2e_mid_s >= 1.25 * growing.e2e_early_s);
    // Too few requests to tell: not assessed, not saturated.
    const sweep::arrival_check short_cell = single_slot(8, 0.15);
    CHECK(std::isnan(short_cell.backlog_late));
    CHECK_FALSE(short_cell.saturated);
}

TEST_CASE("cell_result: enumerations are written as their names and read back") {
    sweep::cell_result c = sample_cell(2, 0.6, 30.0);
    const boost::json::object o = sweep::to_json(c);
    CHECK(o.at("stop_reason") == "request_count");
    CHECK(o.at("energy").at("source") == "nvml");
    CHECK(o.at("energy").at("method") == "hardware_counter");
    CHECK(o.at("server").at("values").at("queue_wait_mean_s").at("state") == "measured");
    CHECK(o.at("server").at("values").at("queue_wait_mean_s").at("source") == "scrape_delta");
    CHECK(o.at("server").at("values").at("decode_time_mean_s").at("state") == "not_exposed");
    CHECK(o.at("server").at("values").at("decode_time_mean_s").at("source") == "none");

    for (workload::stop_reason r : workload::all_stop_reasons) {
        if (r == workload::stop_reason::error)
            continue;
        c.stop_reason = r;
        const boost::json::object w = sweep::to_json(c);
        CHECK(w.at("stop_reason").as_string() == to_string(r));
        const auto back = sweep::cell_result_from_json(w);
        REQUIRE(back.has_value());
        CHECK(back->stop_reason == r);
        CHECK(back->stop_error.empty());
    }
}

TEST_CASE("cell_result: a cell that could not run keeps its message in stop_reason") {
    sweep::cell_result c = sample_cell(1, 0.5, 30.0);
    c.requests_started = 0;
    c.requests_succeeded = 0;
    c.failures.clear();
    c.stop_reason = workload::stop_reason::error;
    c.stop_error = "prompt calibration failed: HTTP 404";
    const boost::json::object o = sweep::to_json(c);
    CHECK(o.at("stop_reason") == "error: prompt calibration failed: HTTP 404");
    const auto back = sweep::cell_result_from_json(o);
    REQUIRE(back.has_value());
    CHECK(back->stop_reason == workload::stop_reason::error);
    CHECK(back->stop_error == "prompt calibration failed: HTTP 404");
    CHECK(back->failure_reason() == "prompt calibration failed: HTTP 404");

    workload::stop_reason r{};
    std::string message = "stale";
    CHECK(sweep::stop_reason_from_text("error", r, message));
    CHECK(r == workload::stop_reason::error);
    CHECK(message.empty());
    CHECK(sweep::stop_reason_text(workload::stop_reason::error, "") == "error");
    CHECK_FALSE(sweep::stop_reason_from_text("Duration", r, message));
    CHECK_FALSE(sweep::stop_reason_from_text("", r, message));
}

TEST_CASE("cell_result: NaN statistics are written as null and read back as NaN") {
    sweep::cell_result c = sample_cell(1, 0.5, 30.0);
    c.summary.metrics[analysis::metric::e2e].count = 0; // every statistic NaN
    const boost::json::object o = sweep::to_json(c);
    CHECK(o.at("summary").at("metrics").at("e2e_s").at("mean").is_null());
    const auto back = sweep::cell_result_from_json(o);
    REQUIRE(back.has_value());
    CHECK(std::isnan(back->summary.metrics.at(analysis::metric::e2e).mean));
    CHECK_FALSE(back->summary.value(analysis::metric::e2e, analysis::statistic::mean));
}

TEST_CASE("sweep_result: JSON round trip keeps cells, capacity and scaling") {
    const sweep::sweep_result r = sample_sweep();
    const boost::json::value v = boost::json::parse(boost::json::serialize(sweep::to_json(r)));
    const auto back = sweep::sweep_result_from_json(v);
    REQUIRE(back.has_value());
    CHECK(back->run == r.run);
    REQUIRE(back->cells.size() == r.cells.size());
    for (std::size_t i = 0; i < r.cells.size(); ++i)
        CHECK(json_near(sweep::to_json(back->cells[i]), sweep::to_json(r.cells[i])));
    REQUIRE(back->use_cases.size() == 1);
    const auto& u = back->use_cases[0];
    CHECK(u.use_case == r.use_cases[0].use_case);
    CHECK(u.measured_concurrency == r.use_cases[0].measured_concurrency);
    CHECK(u.capacity.kind == r.use_cases[0].capacity.kind);
    CHECK(u.capacity.capacity == r.use_cases[0].capacity.capacity);
    CHECK(u.capacity.binding == r.use_cases[0].capacity.binding);
    REQUIRE(u.capacity.thresholds.size() == r.use_cases[0].capacity.thresholds.size());
    CHECK(u.capacity.thresholds[0].limit == r.use_cases[0].capacity.thresholds[0].limit);
    CHECK(u.capacity.thresholds[1].measured == r.use_cases[0].capacity.thresholds[1].measured);
    REQUIRE(back->scaling.size() == 1);
    CHECK(back->scaling[0].points.size() == 3);
    CHECK(back->scaling[0].points[2].efficiency ==
          doctest::Approx(r.scaling[0].points[2].efficiency));
    // Writing what was read gives the same text.
    CHECK(json_near(sweep::to_json(*back), v));
}

TEST_CASE("results JSON: malformed input names the field") {
    const boost::json::object good = sweep::to_json(sample_sweep());
    const auto error_of = [](const boost::json::value& v) {
        const auto r = sweep::sweep_result_from_json(v);
        REQUIRE_FALSE(r.has_value());
        return r.error().message();
    };
    SUBCASE("not an object") {
        CHECK(error_of(boost::json::value(3)) ==
              "results json: $: expected an object, got a number");
    }
    SUBCASE("a missing field") {
        boost::json::object o = good;
        o["cells"].as_array()[1].as_object()["key"].as_object().erase("concurrency");
        CHECK(error_of(o) == "results json: $.cells[1].key.concurrency: missing");
    }
    SUBCASE("a field of the wrong type") {
        boost::json::object o = good;
        o["cells"]
            .as_array()[0]
            .as_object()["summary"]
            .as_object()["metrics"]
            .as_object()["ttft_s"]
            .as_object()["p99"] = "slow";
        CHECK(error_of(o) ==
              "results json: $.cells[0].summary.metrics.ttft_s.p99: expected a number or null, "
              "got a string");
    }
    SUBCASE("a negative count") {
        boost::json::object o = good;
        o["cells"].as_array()[2].as_object()["requests_started"] = -1;
        CHECK(error_of(o) == "results json: $.cells[2].requests_started: expected a non-negative "
                             "integer, got the number -1");
    }
    SUBCASE("an unknown metric") {
        boost::json::object o = good;
        o["cells"]
            .as_array()[0]
            .as_object()["summary"]
            .as_object()["metrics"]
            .as_object()["bogus"] = boost::json::object{};
        CHECK(error_of(o) == "results json: $.cells[0].summary.metrics.bogus: unknown metric");
    }
    SUBCASE("an unknown failure kind") {
        boost::json::object o = good;
        o["cells"].as_array()[0].as_object()["failures"].as_array()[0].as_object()["kind"] = "oops";
        CHECK(error_of(o) ==
              "results json: $.cells[0].failures[0].kind: unknown failure kind \"oops\"");
    }
    SUBCASE("an unknown stop reason") {
        boost::json::object o = good;
        o["cells"].as_array()[1].as_object()["stop_reason"] = "timeout";
        CHECK(error_of(o) ==
              "results json: $.cells[1].stop_reason: unknown stop reason \"timeout\"");
    }
    SUBCASE("an unknown server value state and source") {
        boost::json::object o = good;
        boost::json::object& q = o["cells"]
                                     .as_array()[0]
                                     .as_object()["server"]
                                     .as_object()["values"]
                                     .as_object()["queue_wait_mean_s"]
                                     .as_object();
        q["state"] = "guessed";
        CHECK(error_of(o) == "results json: $.cells[0].server.values.queue_wait_mean_s.state: "
                             "unknown server value state \"guessed\"");
        q["state"] = "measured";
        q["source"] = "ttft";
        CHECK(error_of(o) == "results json: $.cells[0].server.values.queue_wait_mean_s.source: "
                             "unknown server value source \"ttft\"");
    }
    SUBCASE("an unknown energy source and method") {
        boost::json::object o = good;
        boost::json::object& e = o["cells"].as_array()[2].as_object()["energy"].as_object();
        e["source"] = "wattmeter";
        CHECK(error_of(o) ==
              "results json: $.cells[2].energy.source: unknown energy source \"wattmeter\"");
        e["source"] = "nvml";
        e["method"] = "estimate";
        CHECK(error_of(o) ==
              "results json: $.cells[2].energy.method: unknown energy method \"estimate\"");
    }
    SUBCASE("more successes than starts") {
        boost::json::object o = good;
        o["cells"].as_array()[0].as_object()["requests_succeeded"] = 99;
        CHECK(error_of(o) ==
              "results json: $.cells[0].requests_succeeded: exceeds requests_started");
    }
    SUBCASE("a concurrency of zero") {
        boost::json::object o = good;
        o["cells"].as_array()[0].as_object()["key"].as_object()["concurrency"] = 0;
        CHECK(error_of(o) == "results json: $.cells[0].key.concurrency: must be at least 1");
    }
    SUBCASE("a bad use case threshold") {
        boost::json::object o = good;
        o["use_cases"]
            .as_array()[0]
            .as_object()["use_case"]
            .as_object()["thresholds"]
            .as_array()[0]
            .as_object()["metric"] = "nope";
        const std::string m = error_of(o);
        CHECK(m.starts_with("results json: $.use_cases[0].use_case.thresholds[0].metric: unknown "
                            "metric \"nope\" (known: ttft_s, "));
    }
    SUBCASE("a capacity binding beyond the thresholds") {
        boost::json::object o = good;
        o["use_cases"].as_array()[0].as_object()["capacity"].as_object()["binding"] = 7;
        CHECK(error_of(o) == "results json: $.use_cases[0].capacity.binding: index beyond the "
                             "thresholds");
    }
    SUBCASE("a newer schema") {
        boost::json::object o = good;
        o["schema_version"] = sweep::schema_version + 1;
        CHECK(error_of(o) == "results json: $.schema_version: version 2 is newer than this "
                             "reader (1)");
    }
    SUBCASE("a confidence interval of the wrong size") {
        boost::json::object o = good;
        o["cells"]
            .as_array()[0]
            .as_object()["summary"]
            .as_object()["metrics"]
            .as_object()["ttft_s"]
            .as_object()["mean_ci95"] = boost::json::array{1.0};
        CHECK(error_of(o) ==
              "results json: $.cells[0].summary.metrics.ttft_s.mean_ci95: expected [low, high]");
    }
}

TEST_CASE("results JSON: value() throws with the message") {
    const auto r = sweep::cell_result_from_json(boost::json::value(nullptr));
    CHECK_THROWS_WITH(static_cast<void>(r.value()),
                      "results json: $: expected an object, got null: Invalid argument");
}
