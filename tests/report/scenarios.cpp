// Report rows, chart lines and CSV rows keyed by the whole cell key: named cells that differ
// only in output length (the quick preset) or share a prompt length (sglang-standard's chat
// 1K/1K and reasoning 1K/8K) each keep their own row and line.
#include <llmcap/report/build_report.hpp>

#include <llmcap/report/compare_report.hpp>
#include <llmcap/report/csv_reporter.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/html_reporter.hpp>
#include <llmcap/report/markdown_reporter.hpp>
#include <llmcap/report/render_markdown.hpp>
#include <llmcap/sweep/result.hpp>

#include "report_text.hpp"
#include "sample_result.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace lr = llmcap::report;
namespace ls = llmcap::sweep;

namespace {

using llmcap_test::count_of;
using llmcap_test::render;

// The text of a Markdown section from its heading to the next heading of any level.
std::string section(const std::string& md, const std::string& heading) {
    const std::size_t at = md.find(heading + "\n");
    REQUIRE(at != std::string::npos);
    const std::size_t end = md.find("\n#", at + heading.size());
    return md.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The rows of a Markdown table section that start with `first` as their first column.
std::vector<std::string> rows_of(const std::string& text, const std::string& first) {
    std::vector<std::string> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("| " + first + " |", 0) == 0)
            rows.push_back(line);
    return rows;
}

// The charts of a document.
std::vector<lr::line_chart> charts_of(const lr::document& d) {
    std::vector<lr::line_chart> out;
    for (const lr::block& b : d.blocks)
        if (const auto* f = std::get_if<lr::figure>(&b))
            out.push_back(f->chart);
    return out;
}

std::vector<std::string> series_names(const lr::line_chart& c) {
    std::vector<std::string> names;
    for (const lr::chart_series& s : c.series)
        names.push_back(s.name);
    return names;
}

const std::vector<std::string> quick_labels{"chat 256 out", "code 512 out", "summary 256 out",
                                            "reasoning 512 out", "writing 1K out"};
const std::vector<std::string> sglang_labels{"chat 1K/1K", "reasoning 1K/8K",
                                             "summarization 8K/1K"};

} // namespace

TEST_CASE("grid: a cell per full key, scenarios in the order measured") {
    const ls::sweep_result quick_run = llmcap::test::quick_result(); // the grid points into it
    const lr::detail::grid quick = lr::detail::grid_of(quick_run);
    CHECK_FALSE(quick.by_context);
    CHECK(quick.cells.size() == 5);
    std::vector<std::string> labels;
    for (const lr::detail::scenario& s : quick.scenarios)
        labels.push_back(s.label());
    CHECK(labels == quick_labels);

    const ls::sweep_result sglang_run = llmcap::test::sglang_result();
    const lr::detail::grid sglang = lr::detail::grid_of(sglang_run);
    CHECK_FALSE(sglang.by_context);
    CHECK(sglang.cells.size() == 9);
    labels.clear();
    for (const lr::detail::scenario& s : sglang.scenarios)
        labels.push_back(s.label());
    CHECK(labels == sglang_labels);
    const lr::detail::scenario& reasoning = sglang.scenarios[1];
    REQUIRE(sglang.at(reasoning, 16) != nullptr);
    CHECK(sglang.at(reasoning, 16)->key.output_tokens == 8192);
    CHECK(sglang.at(sglang.scenarios[0], 16)->key.output_tokens == 1024);

    // The GLM grid (unnamed cells of one output length, searches aside) keeps its layout.
    const ls::sweep_result glm_run = llmcap::test::sample_result();
    const lr::detail::grid glm = lr::detail::grid_of(glm_run);
    CHECK(glm.by_context);
    CHECK(glm.cells.size() == 9);

    // Unnamed cells of two output lengths are two scenarios, not one row.
    ls::sweep_result two = llmcap::test::sample_result();
    two.cells.clear();
    two.use_cases.clear();
    for (std::uint32_t out : {256u, 1024u})
        for (std::uint32_t n : {1u, 4u})
            two.cells.push_back(llmcap::test::cell(1024, n, out));
    const lr::detail::grid g2 = lr::detail::grid_of(two);
    CHECK_FALSE(g2.by_context);
    REQUIRE(g2.scenarios.size() == 2);
    CHECK(g2.scenarios[0].label() == "1K/256");
    CHECK(g2.scenarios[1].label() == "1K/1K");

    // The same key measured twice is one cell (the first).
    ls::sweep_result again = llmcap::test::quick_result();
    again.cells.push_back(again.cells.front());
    CHECK(lr::detail::grid_of(again).cells.size() == 5);
}

TEST_CASE("build_report: the quick preset gives one row and one line per case") {
    const ls::sweep_result r = llmcap::test::quick_result();
    const std::string md = render(lr::markdown_reporter{}, r);
    const std::string html = render(lr::html_reporter{}, r);

    CHECK(md.find("Measured scenarios (prompt/output tokens): chat 256 out, code 512 out, "
                  "summary 256 out, reasoning 512 out and writing 1K out, at concurrency 1") !=
          std::string::npos);
    // Every per-cell table has one row per case: percentiles, power, physical bound.
    for (const char* heading :
         {"### TTFT (s)", "### End-to-end latency (s)", "### Per-user generation speed (tok/s)",
          "## Power and cost [simulated]", "## Physical bound [simulated]"}) {
        CAPTURE(heading);
        const std::string text = section(md, heading);
        for (const std::string& label : quick_labels) {
            CAPTURE(label);
            CHECK(rows_of(text, label).size() == 1);
        }
    }
    // The rows carry each case's own figures: E2E grows with the output length asked for.
    const std::string e2e = section(md, "### End-to-end latency (s)");
    CHECK(rows_of(e2e, "chat 256 out").front().find("| 1.28 s |") != std::string::npos);
    CHECK(rows_of(e2e, "writing 1K out").front().find("| 5.12 s |") != std::string::npos);
    for (const std::string& label : quick_labels) {
        CAPTURE(label);
        CHECK(count_of(html, "<td>" + label + "</td>") >= 4);
        CHECK(count_of(md, "| " + label + " |") >= 4);
    }

    // Every chart has one line per case.
    const std::vector<lr::line_chart> charts = charts_of(lr::build_report(r));
    REQUIRE(charts.size() >= 6);
    for (const lr::line_chart& c : charts) {
        CAPTURE(c.id);
        CHECK(series_names(c) == quick_labels);
        CHECK(c.x.label == "Concurrent requests");
        for (const lr::chart_series& s : c.series)
            CHECK(s.points.size() == 1);
    }

    // cells.csv: one row per case, each with its own id.
    const std::string csv = render(lr::csv_reporter{}, r);
    CHECK(count_of(csv, "\r\n") == 6);
    for (const char* id :
         {"\r\nchat/ctx0/out256/c1,chat,0,256,1,", "\r\ncode/ctx0/out512/c1,code,",
          "\r\nsummary/ctx0/out256/c1,summary,", "\r\nreasoning/ctx0/out512/c1,reasoning,",
          "\r\nwriting/ctx0/out1024/c1,writing,0,1024,1,"}) {
        CAPTURE(id);
        CHECK(count_of(csv, id) == 1);
    }
}

TEST_CASE("build_report: sglang-standard keeps reasoning 1K/8K apart from chat 1K/1K") {
    const ls::sweep_result r = llmcap::test::sglang_result();
    const std::string md = render(lr::markdown_reporter{}, r);
    const std::string html = render(lr::html_reporter{}, r);

    for (const char* heading : {"### TTFT (s)", "### End-to-end latency (s)",
                                "## Power and cost [simulated]", "## Physical bound [simulated]"}) {
        CAPTURE(heading);
        const std::string text = section(md, heading);
        for (const std::string& label : sglang_labels) {
            CAPTURE(label);
            const std::vector<std::string> rows = rows_of(text, label);
            REQUIRE(rows.size() == 3);
            CHECK(rows[0].find("| " + label + " | 1 |") == 0);
            CHECK(rows[1].find("| " + label + " | 16 |") == 0);
            CHECK(rows[2].find("| " + label + " | 100 |") == 0);
        }
    }
    // Chat and reasoning share a prompt length and loads but not their end-to-end latency.
    const std::string e2e = section(md, "### End-to-end latency (s)");
    CHECK(rows_of(e2e, "chat 1K/1K")[1] != rows_of(e2e, "reasoning 1K/8K")[1]);
    CHECK(rows_of(e2e, "reasoning 1K/8K")[0].find("| 41.6 s |") != std::string::npos);
    CHECK(rows_of(e2e, "chat 1K/1K")[0].find("| 5.25 s |") != std::string::npos);
    // Scaling: a row per scenario.
    const std::string scaling = section(md, "## Scaling efficiency [simulated]");
    for (const std::string& label : sglang_labels)
        CHECK(rows_of(scaling, label).size() == 1);
    for (const std::string& label : sglang_labels) {
        CAPTURE(label);
        CHECK(count_of(html, "<td>" + label + "</td>") >= 10);
    }

    // Every chart: one line per scenario, three loads each.
    const std::vector<lr::line_chart> charts = charts_of(lr::build_report(r));
    REQUIRE(charts.size() >= 7);
    for (const lr::line_chart& c : charts) {
        CAPTURE(c.id);
        CHECK(series_names(c) == sglang_labels);
        for (const lr::chart_series& s : c.series) {
            REQUIRE(s.points.size() == 3);
            CHECK(s.points[0].x == 1.0);
            CHECK(s.points[1].x == 16.0);
            CHECK(s.points[2].x == 100.0);
        }
    }

    // cells.csv: nine rows, chat and reasoning at 16 each once.
    const std::string csv = render(lr::csv_reporter{}, r);
    CHECK(count_of(csv, "\r\n") == 10);
    CHECK(count_of(csv, "\r\nchat/ctx1024/out1024/c16,chat,1024,1024,16,") == 1);
    CHECK(count_of(csv, "\r\nreasoning/ctx1024/out8192/c16,reasoning,1024,8192,16,") == 1);

    // Comparing the run with itself: every cell against its own key, nine rows per metric.
    const std::string cmp = lr::render_markdown(lr::compare_document(r, r));
    const std::string throughput = section(cmp, "### System throughput (tok/s)");
    std::size_t rows = 0;
    for (const std::string& label : sglang_labels)
        rows += rows_of(throughput, label).size();
    CHECK(rows == 9);
    CHECK(throughput.find("A, reasoning 1K/8K") != std::string::npos);
}

TEST_CASE("build_report: the GLM grid keeps context length against concurrency") {
    const std::vector<lr::line_chart> charts =
        charts_of(lr::build_report(llmcap::test::sample_result()));
    bool seen = false;
    for (const lr::line_chart& c : charts)
        if (c.id == "chart-ttft") {
            seen = true;
            CHECK(c.x.label == "Context length (tokens)");
            CHECK(series_names(c) ==
                  std::vector<std::string>{"1 request", "2 concurrent", "4 concurrent"});
        }
    CHECK(seen);
}

TEST_CASE("build_report: a traffic mix's capacity is the headline, and each class has its table") {
    namespace la = llmcap::analysis;
    la::traffic_mix mix;
    REQUIRE(la::parse_mix_spec("code_completion:0.75,general_chatbot:0.25", mix).empty());
    ls::sweep_result r;
    r.simulated = true;
    // Two loads: at 2 every class holds; at 4 code completion's E2E is over its 2 s.
    for (const auto& [load, e2e] : {std::pair{2u, 1.5}, std::pair{4u, 2.5}}) {
        ls::cell_result c;
        c.key = ls::cell_key{0, 0, load, std::string(ls::mix_cell_name)};
        c.requests_started = c.requests_succeeded = 40;
        c.summary.set(la::metric::ttft, la::statistic::mean, 0.5)
            .set(la::metric::throughput, la::statistic::mean, 300.0);
        ls::mix_class_cell code{"code_completion", 30, 30, {}};
        code.summary.set(la::metric::e2e, la::statistic::mean, e2e)
            .set(la::metric::ttft, la::statistic::mean, 0.1)
            .set(la::metric::generation_speed, la::statistic::mean, 90.0);
        ls::mix_class_cell chat{"general_chatbot", 10, 10, {}};
        chat.summary.set(la::metric::ttft, la::statistic::mean, 2.0)
            .set(la::metric::generation_speed, la::statistic::mean, 30.0)
            .set(la::metric::e2e, la::statistic::mean, 40.0);
        c.classes = {code, chat};
        r.cells.push_back(c);
    }
    ls::mix_search_result m;
    m.mix = mix;
    m.max_concurrency = 4;
    m.levels = {
        ls::mix_level{2, {{"code_completion", {}}, {"general_chatbot", {}}}},
        ls::mix_level{
            4, {{"code_completion", mix.classes[0].workload.thresholds}, {"general_chatbot", {}}}}};
    m.capacity = 2;
    m.lowest_failing = 4;
    m.converged = false;
    m.gives_way_first = "code_completion";
    m.class_capacity = {la::capacity_result{}, std::nullopt};
    m.class_capacity[0]->kind = la::capacity_kind::interpolated;
    m.class_capacity[0]->capacity = 3;
    r.mix = m;

    const std::string md = render(lr::markdown_reporter{}, r);
    // The mix comes right after the highlights, before the summary.
    const std::size_t mix_at = md.find("## Traffic mix");
    REQUIRE(mix_at != std::string::npos);
    CHECK(md.find("## Highlights") < mix_at);
    CHECK(mix_at < md.find("## Summary"));
    CHECK(md.find("**2** Concurrent requests: the traffic mix (beyond it Code Completion gives "
                  "way first)") != std::string::npos);
    const std::string s = section(md, "## Traffic mix [simulated]");
    CHECK(s.find("**2 concurrent requests of the mix keep every class within its thresholds; at "
                 "4, Code Completion gives way first: E2E latency mean < 2 s (2.50 s) (the search "
                 "stopped before the two loads were adjacent).**") != std::string::npos);
    CHECK(rows_of(s, "Code Completion") ==
          std::vector<std::string>{
              "| Code Completion | 75.0% | 1K | 128 | E2E latency mean < 2 s | 3 |"});
    CHECK(rows_of(s, "General Chatbot") ==
          std::vector<std::string>{"| General Chatbot | 25.0% | 32K | 1,024 | TTFT mean < 8 s "
                                   "and generation speed mean > 15 tok/s | n/a |"});
    CHECK(rows_of(s, "4") ==
          std::vector<std::string>{
              "| 4 | 40 | 100.0% | 300.0 tok/s | 500 ms | no: Code Completion |"});
    // Each class's own table, its verdict from its own requests.
    const std::string code = section(md, "### Code Completion");
    CHECK(rows_of(code, "2") ==
          std::vector<std::string>{"| 2 | 30 of 30 | 100 ms | 90.0 tok/s | 1.50 s | yes |"});
    CHECK(rows_of(code, "4") ==
          std::vector<std::string>{"| 4 | 30 of 30 | 100 ms | 90.0 tok/s | 2.50 s | no: E2E "
                                   "latency mean < 2 s (2.50 s) |"});
    const std::string chat = section(md, "### General Chatbot");
    CHECK(rows_of(chat, "4") ==
          std::vector<std::string>{"| 4 | 10 of 10 | 2.00 s | 30.0 tok/s | 40.0 s | yes |"});
    // The tool's last line is the same sentence.
    CHECK(lr::mix_headline(m, r.cells).rfind("2 concurrent requests of the mix", 0) == 0);
}

TEST_CASE("build_report: a rate search says why its lowest rate was not sustained") {
    namespace la = llmcap::analysis;
    la::traffic_mix mix;
    REQUIRE(la::parse_mix_spec("code_completion:1", mix).empty());
    ls::sweep_result r;
    r.run.options["mix"] = la::to_json(mix);
    // The mix held at 2/s; at 4/s code completion's E2E was over 2 s and the server saturated.
    for (const auto& [rate, e2e, saturated] :
         {std::tuple{2.0, 1.5, false}, std::tuple{4.0, 2.5, true}}) {
        ls::cell_result c;
        c.key = ls::cell_key{0, 0, 64, std::string(ls::mix_cell_name), rate};
        c.requests_started = c.requests_succeeded = 20;
        c.arrivals = ls::arrival_check{};
        c.arrivals->offered_rate_per_s = rate;
        c.arrivals->saturated = saturated;
        ls::mix_class_cell code{"code_completion", 20, 20, {}};
        code.summary.set(la::metric::e2e, la::statistic::mean, e2e);
        c.classes = {code};
        r.cells.push_back(c);
    }
    ls::rate_search_result s;
    s.search.context_tokens = 0;
    s.search.output_tokens = 0;
    s.search.max_in_flight = 64;
    s.search.start_rate_per_s = 2.0;
    s.search.mix = true;
    s.measured = {{2.0, true}, {4.0, false}};
    s.sustainable_rate_per_s = 2.0;
    s.unsustainable_rate_per_s = 4.0;
    r.rate_searches = {s};
    const std::string md = render(lr::markdown_reporter{}, r);
    const std::string sec = section(md, "## Sustainable rate");
    CHECK(rows_of(sec, "traffic mix") ==
          std::vector<std::string>{"| traffic mix | 0 | 2.00/s | 4.00/s | server saturated; Code "
                                   "Completion: E2E latency mean < 2 s (2.50 s) | 2.00 ✓, 4.00 ✗ "
                                   "| no: cell budget spent |"});
    // The mix section's headline names the first class outside its thresholds.
    CHECK(md.find("**The mix keeps every class within its thresholds up to 2.00 requests/s; at "
                  "4.00 requests/s, Code Completion gives way first: E2E latency mean < 2 s "
                  "(2.50 s).**") != std::string::npos);
}
