// Test that header file is self-contained.
#include <llmcap/report/svg_chart.hpp>

#include "report_text.hpp"
#include <llmcap/report/format.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace lr = llmcap::report;

namespace {

using llmcap_test::count_of;

} // namespace

TEST_CASE("format: fixed, significant and grouped numbers") {
    CHECK(lr::format_fixed(458.34, 1) == "458.3");
    CHECK(lr::format_fixed(-0.04, 1) == "0.0");
    CHECK(lr::format_fixed(0.0 / 0.0, 1) == "n/a");
    CHECK(lr::group_thousands("1234567.25") == "1,234,567.25");
    CHECK(lr::group_thousands("-1234") == "-1,234");
    CHECK(lr::group_thousands("999") == "999");
    CHECK(lr::format_significant(33639.2, 3) == "33,639");
    CHECK(lr::format_significant(196.73, 3) == "197");
    CHECK(lr::format_significant(0.06621, 3) == "0.0662");
    CHECK(lr::format_significant(99.96, 3) == "100");
    CHECK(lr::format_count(4736) == "4,736");
}

TEST_CASE("format: values with units") {
    CHECK(lr::format_duration_s(0.066) == "66 ms");
    CHECK(lr::format_duration_s(0.0082) == "8.2 ms");
    CHECK(lr::format_duration_s(0.717) == "717 ms");
    CHECK(lr::format_duration_s(1.6) == "1.60 s");
    CHECK(lr::format_duration_s(35.94) == "35.9 s");
    CHECK(lr::format_duration_s(125.4) == "125 s");
    CHECK(lr::format_duration_s(0.00085) == "850 µs");
    CHECK(lr::format_rate(458.31) == "458.3 tok/s");
    CHECK(lr::format_rate(33639.4) == "33,639 tok/s");
    CHECK(lr::format_rate(5.123) == "5.12 tok/s");
    CHECK(lr::format_percent(0.7253) == "72.5%");
    CHECK(lr::format_watts(628.4) == "628 W");
    CHECK(lr::format_usd(0.0628) == "$0.063");
    CHECK(lr::format_usd(12.4) == "$12.40");
    CHECK(lr::format_tokens_short(1024) == "1K");
    CHECK(lr::format_tokens_short(131072) == "128K");
    CHECK(lr::format_tokens_short(200000) == "200K");
    CHECK(lr::format_tokens_short(1500) == "1,500");
    CHECK(lr::format_ratio(2.93) == "2.9×");
    CHECK(lr::format_exact(0.1) == "0.1");
    CHECK(lr::format_exact(0.0 / 0.0).empty());
}

TEST_CASE("svg_chart: nice numbers") {
    CHECK(lr::nice_number(458.3, false) == doctest::Approx(500));
    CHECK(lr::nice_number(125, true) == doctest::Approx(100));
    CHECK(lr::nice_number(0.25, true) == doctest::Approx(0.2));
    CHECK(lr::nice_number(7.5, true) == doctest::Approx(10));
    CHECK(lr::nice_number(1.8, false) == doctest::Approx(2));
}

TEST_CASE("svg_chart: linear ticks at hand-computed positions") {
    // range nice(458.3) = 500, step nice(500 / 4) = 100.
    const lr::tick_set a = lr::linear_ticks(0.0, 458.3);
    CHECK(a.step == doctest::Approx(100));
    CHECK(a.ticks == std::vector<double>{0, 100, 200, 300, 400, 500});
    // range nice(1) = 1, step nice(0.25) = 0.2.
    const lr::tick_set b = lr::linear_ticks(0.0, 1.0);
    CHECK(b.ticks == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1});
    // range nice(25) = 50, step nice(12.5) = 10; widened to [10, 40].
    const lr::tick_set c = lr::linear_ticks(12.0, 37.0);
    CHECK(c.min == 10);
    CHECK(c.max == 40);
    CHECK(c.ticks == std::vector<double>{10, 20, 30, 40});
    // A degenerate range is widened around its value: [2.5, 7.5] → step 1 on [2, 8].
    const lr::tick_set d = lr::linear_ticks(5.0, 5.0);
    CHECK(d.min <= 5.0);
    CHECK(d.max >= 5.0);
    CHECK(d.ticks.size() >= 2);
}

TEST_CASE("svg_chart: log ticks at hand-computed positions") {
    const lr::tick_set a = lr::log_ticks(0.066, 35.9);
    CHECK(a.ticks == std::vector<double>{0.01, 0.1, 1, 10, 100});
    CHECK(a.min == doctest::Approx(0.01));
    CHECK(a.max == doctest::Approx(100));
    const lr::tick_set b = lr::log_ticks(15.2, 196.7);
    CHECK(b.ticks == std::vector<double>{10, 20, 50, 100, 200, 500, 1000});
    const lr::tick_set c = lr::log_ticks(10.0, 10.0);
    CHECK(c.ticks == std::vector<double>{10, 20, 50, 100});
}

TEST_CASE("svg_chart: tick labels and scale choice") {
    CHECK(lr::format_tick(0.2, lr::value_style::number, 0.2) == "0.2");
    CHECK(lr::format_tick(2.5, lr::value_style::number, 2.5) == "2.5");
    CHECK(lr::format_tick(1000, lr::value_style::number, 200) == "1,000");
    CHECK(lr::format_tick(0.01, lr::value_style::number) == "0.01");
    CHECK(lr::format_tick(8192, lr::value_style::tokens) == "8K");
    CHECK(lr::needs_log_scale({0.066, 35.9}));
    CHECK_FALSE(lr::needs_log_scale({15.2, 196.7}));
    CHECK_FALSE(lr::needs_log_scale({0.0, 100.0}));
}

TEST_CASE("svg_chart: render places points, thresholds and markers where computed") {
    lr::line_chart c;
    c.id = "ttft-by-context";
    c.title = "TTFT <by> context";
    c.x = {"Concurrency (requests)", lr::axis_scale::linear, lr::value_style::requests};
    c.y = {"TTFT (s)", lr::axis_scale::linear, lr::value_style::seconds};
    c.series = {{"1K context", {{0, 0}, {10, 5}}}, {"8K & more", {{5, 2}}}};
    c.thresholds = {{8.0, "threshold 8 s"}};
    c.markers = {{4.0, "capacity 4"}};
    c.width = 760;
    c.height = 380;
    const std::string svg = lr::render_svg(c);
    // Plot area: x in [78, 580], y in [322, 40]. x ticks 0..10 step 2 → px 78 + 50.2 x;
    // y ticks 0..8 step 2 (threshold 8 included) → px 322 − 35.25 y.
    CHECK(svg.find("id=\"ttft-by-context\"") != std::string::npos);
    CHECK(svg.find("<title>TTFT &lt;by&gt; context</title>") != std::string::npos);
    CHECK(svg.find("<polyline points=\"78.0,322.0 580.0,145.8\"") != std::string::npos);
    // Threshold at y = 8 → 322 − 282 = 40.
    CHECK(svg.find("y1=\"40.0\" x2=\"580.0\" y2=\"40.0\" stroke=\"#B00020\"") != std::string::npos);
    // Marker at x = 4 → 78 + 200.8 = 278.8.
    CHECK(svg.find("<line x1=\"278.8\" y1=\"40.0\" x2=\"278.8\"") != std::string::npos);
    // Second series: a square at (5, 2) → (329.0, 251.5).
    CHECK(svg.find("<rect x=\"325.5\" y=\"248.0\" width=\"7\" height=\"7\"") != std::string::npos);
    CHECK(svg.find("<title>8K &amp; more — Concurrency (requests): 5, TTFT (s): 2.00 s</title>") !=
          std::string::npos);
    // The chart, three points, the threshold, the marker and two legend entries.
    CHECK(count_of(svg, "<title>") == 1 + 3 + 1 + 1 + 2);
    CHECK(svg.find("stroke-dasharray=\"6 4\"") != std::string::npos);
    // Deterministic.
    CHECK(lr::render_svg(c) == svg);
}

TEST_CASE("svg_chart: a log axis skips non-positive values and spans whole decades") {
    lr::line_chart c;
    c.id = "log";
    c.title = "log";
    c.x = {"Context (tokens)", lr::axis_scale::log, lr::value_style::tokens, {1024, 8192, 65536}};
    c.y = {"TTFT (s)", lr::axis_scale::log, lr::value_style::seconds};
    c.series = {{"1", {{1024, 0.066}, {8192, 0.0}, {65536, 35.9}}}};
    const std::string svg = lr::render_svg(c);
    CHECK(count_of(svg, "<circle") == 2 + 1); // two drawable points and the legend's marker
    for (const char* tick : {">0.01<", ">0.1<", ">1<", ">10<", ">100<", ">1K<", ">8K<", ">64K<"})
        CHECK_MESSAGE(svg.find(tick) != std::string::npos, tick);
    CHECK(svg.find("(log scale)") != std::string::npos);
}
