// Test that header file is self-contained.
#include <llmcap/report/write_reports.hpp>

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/report/build_report.hpp>
#include <llmcap/report/capacity_report.hpp>
#include <llmcap/report/cells_input.hpp>
#include <llmcap/report/compare_report.hpp>
#include <llmcap/report/csv_reporter.hpp>
#include <llmcap/report/html_reporter.hpp>
#include <llmcap/report/json_reporter.hpp>
#include <llmcap/report/markdown_reporter.hpp>
#include <llmcap/sweep/result.hpp>

#include "report_text.hpp"
#include "sample_result.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace la = llmcap::analysis;
namespace lr = llmcap::report;
namespace ls = llmcap::sweep;

namespace {

using llmcap_test::count_of;
using llmcap_test::render;

} // namespace

TEST_CASE("build_report: every section of the reference and the additions are present") {
    const ls::sweep_result r = llmcap::test::sample_result();
    const std::string md = render(lr::markdown_reporter{}, r);
    for (const char* section : {"## Configuration",
                                "## Highlights",
                                "## Summary",
                                "### Key findings",
                                "## Use-case guidance",
                                "## System throughput",
                                "## Per-user generation speed",
                                "## Time to first token",
                                "### Time to first answer token",
                                "## Capacity analysis",
                                "### Code Completion (1K context)",
                                "### General Chatbot (32K context)",
                                "## Queue wait",
                                "## Per-user prefill speed",
                                "## Inter-token latency",
                                "## Scaling efficiency",
                                "## Power and cost",
                                "## Percentiles and confidence intervals",
                                "## Reliability and measurement checks",
                                "## Physical bound",
                                "## Method"})
        CHECK_MESSAGE(md.find(section) != std::string::npos, section);
}

TEST_CASE("build_report: figures come from the results") {
    ls::sweep_result r = llmcap::test::sample_result();
    // Peak throughput: 1K context, 4 requests: 4 · 200 / 1.9 / (1 + 1/64) · 0.9.
    const double peak = 4.0 * 200.0 / 1.9 / (1.0 + 1.0 / 64.0) * 0.9;
    const std::string md = render(lr::markdown_reporter{}, r);
    CHECK(md.find(lr::format_rate(peak) + " at 1K context, 4 requests") != std::string::npos);
    // Code completion: E2E = TTFT + 128 / speed crosses 2 s between 1 and 8 requests.
    const la::capacity_result& cc = r.use_cases[0].capacity;
    REQUIRE(cc.kind == la::capacity_kind::interpolated);
    CHECK(md.find("**Capacity: " + std::to_string(cc.capacity) + " concurrent requests**") !=
          std::string::npos);
    CHECK(md.find("| Code Completion | 1K | 128 | E2E latency mean < 2 s | " +
                  std::to_string(cc.capacity) + " | E2E latency mean < 2 s | interpolated |") !=
          std::string::npos);
    // General chatbot holds to the highest level measured: "4+".
    CHECK(r.use_cases[1].capacity.kind == la::capacity_kind::at_least);
    CHECK(md.find("| General Chatbot | 32K | 1,024 |") != std::string::npos);
    CHECK(md.find("| 4+ | none crossed | at_least |") != std::string::npos);
    // The failure is in the breakdown and the success rate.
    CHECK(md.find("http_status × 1") != std::string::npos);
    const double rate = (4.0 * (3 * (1 + 2 + 4) + 1 + 8 + 16 + 32) - 1.0) /
                        (4.0 * (3 * (1 + 2 + 4) + 1 + 8 + 16 + 32));
    CHECK(md.find(lr::format_percent(rate)) != std::string::npos);
    // Changing a figure changes the report.
    r.cells[0].summary.metrics[la::metric::ttft].mean = 12.345;
    CHECK(render(lr::markdown_reporter{}, r).find("12.3 s") != std::string::npos);
}

TEST_CASE("build_report: the physical bound uses the known model and GPU") {
    const ls::sweep_result r = llmcap::test::sample_result();
    const std::string md = render(lr::markdown_reporter{}, r);
    const la::cell_roofline rl =
        la::roofline_of(r.cells[0].summary, la::glm_4_7_flash_bf16(), la::nvidia_h200_sxm());
    CHECK(md.find(lr::format_rate(rl.decode.tokens_per_s)) != std::string::npos);
    CHECK(md.find(lr::format_percent(*rl.decode_fraction)) != std::string::npos);
    ls::sweep_result unknown = r;
    unknown.run.model = "some-model";
    unknown.run.server_url = "http://127.0.0.1:8000";
    unknown.run.preset.clear();
    CHECK(render(lr::markdown_reporter{}, unknown).find("not computed") != std::string::npos);
}

TEST_CASE("build_report: a simulated result is marked on every section") {
    ls::sweep_result r = llmcap::test::sample_result();
    const std::string md = render(lr::markdown_reporter{}, r);
    std::size_t sections = 0;
    std::istringstream lines(md);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("## ", 0) == 0) {
            ++sections;
            CHECK_MESSAGE(line.find("[simulated]") != std::string::npos, line);
        }
    CHECK(sections > 10);
    CHECK(md.find("> **SIMULATED") != std::string::npos);
    const std::string html = render(lr::html_reporter{}, r);
    CHECK(count_of(html, "<span class=\"badge\">SIMULATED</span>") == count_of(html, "<h2 id="));
    CHECK(html.find("<div class=\"watermark\">") != std::string::npos);

    r.simulated = false;
    const std::string measured = render(lr::markdown_reporter{}, r);
    CHECK(measured.find("simulated") == std::string::npos);
    CHECK(render(lr::html_reporter{}, r).find("SIMULATED") == std::string::npos);
}

TEST_CASE("html_reporter: self-contained page with every chart") {
    const ls::sweep_result r = llmcap::test::sample_result();
    const std::string html = render(lr::html_reporter{}, r);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    // The only URL is the SVG namespace name, which is never fetched.
    CHECK(count_of(html, "http://") == count_of(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(html.find("https://") == std::string::npos);
    for (const char* id :
         {"chart-throughput", "chart-speed", "chart-ttft", "chart-queue-wait", "chart-prefill",
          "chart-itl", "chart-scaling", "chart-power", "chart-energy-per-token",
          "chart-code-completion-e2e-s", "chart-code-completion-throughput-tokens-per-s",
          "chart-general-chatbot-ttft-s", "chart-general-chatbot-generation-speed-tokens-per-s"})
        CHECK_MESSAGE(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" +
                                std::string(id) + "\"") != std::string::npos,
                      id);
    // Per use case: the threshold is dashed and the capacity marked.
    CHECK(html.find("threshold E2E latency mean &lt; 2 s") != std::string::npos);
    CHECK(html.find("capacity " + std::to_string(r.use_cases[0].capacity.capacity)) !=
          std::string::npos);
    // Deterministic.
    CHECK(render(lr::html_reporter{}, r) == html);
}

TEST_CASE("json_reporter: the whole result, indented, token for token sweep::to_json") {
    const ls::sweep_result r = llmcap::test::sample_result();
    const std::string json = render(lr::json_reporter{}, r);
    // Outside strings, the indented text differs from the compact serialization only by
    // whitespace: every number and string is written exactly as Boost.JSON writes it.
    std::string compact;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            compact += c;
            if (c == '\\')
                compact += json[++i];
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
            compact += c;
        } else if (c != ' ' && c != '\n') {
            compact += c;
        }
    }
    CHECK(compact == boost::json::serialize(ls::to_json(r)));
    const boost::json::value v = boost::json::parse(json);
    CHECK(v.at("schema_version").to_number<std::uint64_t>() == ls::schema_version);
    CHECK(v.at("cells").as_array().size() == r.cells.size());
    const auto back = ls::sweep_result_from_json(v);
    REQUIRE(back.has_value());
    CHECK(back->cells.size() == r.cells.size());
    CHECK(render(lr::json_reporter{}, r) == json);
}

TEST_CASE("csv_reporter: one row per cell and per use case, rectangular") {
    const ls::sweep_result r = llmcap::test::sample_result();
    const std::string cells = render(lr::csv_reporter{lr::csv_table::cells}, r);
    CHECK(count_of(cells, "\r\n") == r.cells.size() + 1);
    std::istringstream in(cells);
    std::string header;
    std::getline(in, header);
    const std::size_t columns = count_of(header, ",") + 1;
    CHECK(header.find("ttft_s_p99_9") != std::string::npos);
    for (std::string line; std::getline(in, line);)
        CHECK(count_of(line, ",") + 1 == columns);
    CHECK(cells.find("grid/ctx1024/out1024/c4,,1024,1024,4,true,true,4,16,16,1,,0,") !=
          std::string::npos);
    const std::string capacity = render(lr::csv_reporter{lr::csv_table::capacity}, r);
    CHECK(count_of(capacity, "\r\n") == r.use_cases.size() + 1);
    CHECK(capacity.find("general_chatbot,General Chatbot,32768,1024,ttft_s mean < 8; "
                        "generation_speed_tokens_per_s mean > 15,4,at_least,,,1,4,") !=
          std::string::npos);
    CHECK(lr::csv_field("a,\"b\"") == "\"a,\"\"b\"\"\"");
}

TEST_CASE("write_reports: every file lands in the directory") {
    const ls::sweep_result r = llmcap::test::sample_result();
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / "llmcap_test_write_reports";
    std::filesystem::remove_all(dir);
    const auto paths = lr::write_reports(r, dir);
    REQUIRE(paths.size() == 5);
    for (const char* name :
         {"results.json", "cells.csv", "capacity.csv", "report.md", "report.html"}) {
        CHECK_MESSAGE(std::filesystem::is_regular_file(dir / name), name);
        CHECK(std::filesystem::file_size(dir / name) > 100);
    }
    CHECK_FALSE(std::filesystem::exists(dir / "report.html.tmp"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("cells_input: JSON and CSV per-cell statistics, errors naming the place") {
    const lr::cells_input j = lr::parse_cells_json(
        R"({"cells": [{"context_tokens": 1024, "concurrency": 1,
                       "metrics": {"e2e_s": 0.7, "ttft_s": {"mean": 0.05, "p99": 0.09}}},
                      {"summary": {"context_tokens": 1024, "output_tokens": 128,
                                   "concurrency": 8, "metrics": {"e2e_s": {"mean": 2.4}}}}]})");
    REQUIRE(j.ok());
    REQUIRE(j.cells.size() == 2);
    CHECK(j.cells[0].value(la::metric::e2e, la::statistic::mean) == 0.7);
    CHECK(j.cells[0].value(la::metric::ttft, la::statistic::p99) == 0.09);
    CHECK(j.cells[1].output_tokens == 128);
    CHECK(j.cells[1].concurrency == 8);
    CHECK(lr::parse_cells_json(R"([{"context_tokens": 1, "concurrency": 1,
                                    "metrics": {"ttft": 1}}])")
              .error == "cells: $[0].metrics.ttft: unknown metric (expected a name such as "
                        "ttft_s or generation_speed_tokens_per_s)");
    CHECK(lr::parse_cells_json(R"([{"context_tokens": 1, "metrics": {}}])").error ==
          "cells: $[0].concurrency: missing");

    const lr::cells_input c = lr::parse_cells_csv("context_tokens,concurrency,e2e_s,ttft_s_p99,"
                                                  "ttft_s_count\r\n1024,1,0.7,0.09,40\r\n"
                                                  "1024,\"8\",2.4,,40\r\n");
    REQUIRE(c.ok());
    REQUIRE(c.cells.size() == 2);
    CHECK(c.cells[1].value(la::metric::e2e, la::statistic::mean) == 2.4);
    CHECK_FALSE(c.cells[1].value(la::metric::ttft, la::statistic::p99));
    CHECK(lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n1024,x,1\n").error ==
          "cells: line 2: concurrency: expected a non-negative integer, got \"x\"");
    CHECK(lr::parse_cells_csv("context,concurrency,e2e_s\n").error ==
          "cells: line 1: the header must name context_tokens and concurrency");

    // llmcap's own cells.csv reads back with the same means.
    const ls::sweep_result r = llmcap::test::sample_result();
    const lr::cells_input own =
        lr::parse_cells_csv(render(lr::csv_reporter{lr::csv_table::cells}, r));
    REQUIRE(own.ok());
    REQUIRE(own.cells.size() == r.cells.size());
    for (std::size_t i = 0; i < own.cells.size(); ++i)
        CHECK(own.cells[i].value(la::metric::ttft, la::statistic::p99) ==
              r.cells[i].summary.value(la::metric::ttft, la::statistic::p99));
}

TEST_CASE("chart_data_table: a row per x in order, the last point at an x, '-' where none") {
    lr::line_chart c;
    c.x = lr::make_axis("Concurrent requests", lr::axis_scale::linear, lr::value_style::requests);
    c.y = lr::make_axis("Requests", lr::axis_scale::linear, lr::value_style::requests);
    // Points out of order, x = 2 twice in "a" (the later one wins), x = 3 only in "b".
    c.series.push_back({"a", {{4, 40}, {1, 10}, {2, 20}, {2, 21}}});
    c.series.push_back({"b", {{3, 300}, {1, 100}}});
    const lr::table t = lr::chart_data_table(c);
    CHECK(t.header == std::vector<std::string>{"Concurrent requests", "a", "b"});
    CHECK(t.rows == std::vector<std::vector<std::string>>{
                        {"1", "10", "100"}, {"2", "21", "-"}, {"3", "-", "300"}, {"4", "40", "-"}});
}

TEST_CASE("capacity_document: the capacity of given cells, with every threshold's levels") {
    const lr::cells_input in = lr::parse_cells_csv(
        "context_tokens,concurrency,e2e_s\n1024,1,0.7\n1024,8,1.5\n1024,16,2.5\n1024,32,4\n");
    REQUIRE(in.ok());
    lr::capacity_case c{*la::find_builtin_use_case("code_completion"), in.cells, {}};
    c.capacity = la::compute_capacity(c.use_case, c.cells);
    // 1.5 + (2 − 1.5) / (2.5 − 1.5) · 8 = crossing at 12.
    REQUIRE(c.capacity.capacity == 12);
    const std::vector<lr::capacity_case> cases{c};
    const std::string md = lr::render_markdown(lr::capacity_document(cases, "test.csv"));
    CHECK(md.find("| Code Completion | 1K | E2E latency mean < 2 s | 12 | interpolated | E2E "
                  "latency mean < 2 s |") != std::string::npos);
    CHECK(md.find("crosses at 12.00 concurrent requests") != std::string::npos);
    CHECK(md.find("| 16 | 2.50 s | 2.50 s | no |") != std::string::npos);
}

TEST_CASE("compare_document: capacities and per-cell differences of two runs") {
    const ls::sweep_result a = llmcap::test::sample_result();
    ls::sweep_result b = a;
    b.simulated = false;
    for (ls::cell_result& c : b.cells)
        c.summary.metrics[la::metric::throughput].mean *= 1.5;
    b.use_cases[0].capacity.capacity = 9;
    const std::string md = lr::render_markdown(lr::compare_document(a, b, "BF16", "FP8"));
    CHECK(md.find("| Code Completion | 1K | 6 | 9 | 50.0% |") != std::string::npos);
    CHECK(md.find("| 4+ | 4+ | 0.0% (lower bounds) |") != std::string::npos);
    CHECK(md.find("| 1K | 4 | 373.1 tok/s | 559.7 tok/s | 50.0% |") != std::string::npos);
    CHECK(md.find("SIMULATED: BF16 comes from the virtual-time emulator") != std::string::npos);
    const std::string html = lr::render_html(lr::compare_document(a, b, "BF16", "FP8"));
    CHECK(html.find("id=\"chart-compare-throughput-tokens-per-s\"") != std::string::npos);
}

TEST_CASE("compare_document: cells of different output lengths are not compared") {
    const ls::sweep_result a = llmcap::test::sample_result();
    ls::sweep_result b = a;
    for (ls::cell_result& c : b.cells)
        c.key.output_tokens = 128;
    b.use_cases[1].use_case.output_tokens = 128;
    const std::string md = lr::render_markdown(lr::compare_document(a, b));
    CHECK(md.find("The runs have no cell in common") != std::string::npos);
    CHECK(md.find("n/a (the runs define this use case differently)") != std::string::npos);
    CHECK(md.find("### System throughput (tok/s)") == std::string::npos);
}
