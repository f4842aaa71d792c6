// Reading per-cell statistics for the `capacity` command (report/cells_input.hpp): byte order
// marks, repeated cells, invalid statistics, unprintable text in messages, file errors, and a
// file of 100,000 levels read and analysed.
#include <llmcap/report/cells_input.hpp>

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/report/capacity_report.hpp>
#include <llmcap/report/csv_reporter.hpp>
#include <llmcap/report/json_reporter.hpp>
#include <llmcap/report/render_markdown.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/result_json.hpp>

#include "report_text.hpp"
#include "sample_result.hpp"

#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace la = llmcap::analysis;
namespace lr = llmcap::report;
namespace ls = llmcap::sweep;
namespace fs = std::filesystem;

namespace {

using llmcap_test::render;

// A scratch directory of this test binary, emptied on construction and removal.
struct scratch_dir {
    fs::path path;
    explicit scratch_dir(const std::string& name)
        : path(fs::path(LLMCAP_TEST_BINARY_DIR) / "cells_input" / name) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    [[nodiscard]] fs::path write(const std::string& name, std::string_view content) const {
        const fs::path p = path / name;
        std::ofstream(p, std::ios::binary)
            .write(content.data(), static_cast<std::streamsize>(content.size()));
        return p;
    }
};

la::use_case use_case(const char* name) {
    const std::optional<la::use_case> u = la::find_builtin_use_case(name);
    REQUIRE(u.has_value());
    return *u;
}

std::string number(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

} // namespace

TEST_CASE("cells_input: a UTF-8 byte order mark is skipped in CSV and JSON") {
    const std::string bom = "\xEF\xBB\xBF";
    const lr::cells_input csv =
        lr::parse_cells_csv(bom + "context_tokens,concurrency,e2e_s\r\n1024,1,0.7\r\n");
    REQUIRE(csv.ok());
    REQUIRE(csv.cells.size() == 1);
    CHECK(csv.cells[0].context_tokens == 1024);
    CHECK(csv.cells[0].value(la::metric::e2e, la::statistic::mean) == 0.7);

    const lr::cells_input json = lr::parse_cells_json(
        bom + R"([{"context_tokens": 1024, "concurrency": 2, "metrics": {"e2e_s": 0.8}}])");
    REQUIRE(json.ok());
    CHECK(json.cells[0].value(la::metric::e2e, la::statistic::mean) == 0.8);

    // The file reader detects JSON behind the mark: its messages are JSON's, with the path.
    const scratch_dir dir("bom");
    const lr::cells_input file = lr::read_cells_file(dir.write(
        "cells.json",
        bom + "\n  {\"cells\": [{\"context_tokens\": 1024, \"concurrency\": 4, \"metrics\": "
              "{\"e2e_s\": {\"mean\": 0.9, \"p99\": 1.5}}}]}\n"));
    REQUIRE(file.ok());
    REQUIRE(file.cells.size() == 1);
    CHECK(file.cells[0].concurrency == 4);
    CHECK(file.cells[0].value(la::metric::e2e, la::statistic::p99) == 1.5);
    const fs::path bad = dir.write("bad.json", bom + R"([{"context_tokens": 1024}])");
    CHECK(lr::read_cells_file(bad).error == bad.string() + ": $[0].concurrency: missing");
    const fs::path csv_file =
        dir.write("cells.csv", bom + "context_tokens,concurrency,e2e_s\n1024,1,x\n");
    CHECK(lr::read_cells_file(csv_file).error ==
          csv_file.string() + ": line 2: e2e_s: expected a finite number >= 0, got \"x\"");

    // UTF-16 is named as such rather than read as garbage.
    CHECK(lr::parse_cells_csv("\xFF\xFE"
                              "c\0o\0",
                              "cells.csv")
              .error == "cells.csv: UTF-16 text (byte order mark); save the file as UTF-8");
}

TEST_CASE("cells_input: a cell repeated in the file is an error naming both places") {
    // Line numbers are the file's own: the blank line 4 counts.
    const std::string csv = "context_tokens,concurrency,ttft_s_mean\n"
                            "32768,1,1.0\n"
                            "32768,4,2.0\n"
                            "\n"
                            "32768,8,3.0\n"
                            "8192,4,1.0\n"
                            "32768,4,2.5\n"
                            "32768,1,1.1\n";
    const lr::cells_input in = lr::parse_cells_csv(csv, "cells.csv");
    CHECK(in.error == "cells.csv: line 7: concurrency 4 at 32768 context tokens repeats line 3");
    CHECK(in.cells.empty());

    // Output length and use case label are part of a cell's identity.
    const std::string labelled = "use_case,context_tokens,output_tokens,concurrency,e2e_s_mean\n"
                                 ",1024,128,2,1.0\n"
                                 "code_completion,1024,128,2,1.1\n"
                                 "other,1024,128,2,1.2\n"
                                 ",1024,256,2,1.3\n"
                                 ",1024,,2,1.4\n";
    const lr::cells_input distinct = lr::parse_cells_csv(labelled, "cells.csv");
    REQUIRE(distinct.ok());
    CHECK(distinct.cells.size() == 5);
    CHECK(distinct.use_cases == std::vector<std::string>{"", "code_completion", "other", "", ""});
    CHECK(lr::parse_cells_csv(labelled + "code_completion,1024,128,2,1.5\n", "cells.csv").error ==
          "cells.csv: line 7: concurrency 2 at 1024 context tokens and 128 output tokens of use "
          "case \"code_completion\" repeats line 3");

    // JSON: by JSONPath; JSON Lines: by line.
    CHECK(lr::parse_cells_json(R"({"cells": [
        {"context_tokens": 1024, "concurrency": 2, "metrics": {"e2e_s": 1}},
        {"context_tokens": 1024, "concurrency": 4, "metrics": {"e2e_s": 1}},
        {"context_tokens": 1024, "concurrency": 2, "metrics": {"e2e_s": 1.5}}]})",
                               "cells.json")
              .error == "cells.json: $.cells[2]: concurrency 2 at 1024 context tokens repeats "
                        "$.cells[0]");
    CHECK(lr::parse_cells_json(
              "{\"context_tokens\": 1024, \"concurrency\": 2, \"metrics\": {\"e2e_s\": 1}}\n"
              "\n"
              "{\"context_tokens\": 1024, \"concurrency\": 2, \"metrics\": {\"e2e_s\": 2}}\n",
              "cells.jsonl")
              .error == "cells.jsonl: line 3: concurrency 2 at 1024 context tokens repeats line 1");
}

TEST_CASE("cells_input: llmcap's own cells.csv, results.json and cells.jsonl read back, one "
          "level measured for a use case and as a grid cell included") {
    ls::sweep_result r = llmcap::test::sample_result();
    // The same level as a grid cell and as two use cases' search cells (two searches at one
    // context and output length each measure what the grid lacks): three distinct cells.
    r.cells.push_back(llmcap::test::cell(1024, 6, 128));
    r.cells.push_back(llmcap::test::cell(1024, 6, 128, "code_completion"));
    r.cells.push_back(llmcap::test::cell(1024, 6, 128, "autocomplete"));
    r.cells[r.cells.size() - 2].summary.set(la::metric::e2e, la::statistic::mean, 1.25);

    const scratch_dir dir("own");
    const std::string csv = render(lr::csv_reporter{lr::csv_table::cells}, r);
    const std::string json = render(lr::json_reporter{}, r);
    std::string jsonl;
    for (const ls::cell_result& c : r.cells)
        jsonl += boost::json::serialize(ls::to_json(c)) + "\n";
    for (const fs::path& p : {dir.write("cells.csv", csv), dir.write("results.json", json),
                              dir.write("cells.jsonl", jsonl)}) {
        CAPTURE(p);
        const lr::cells_input in = lr::read_cells_file(p);
        REQUIRE(in.ok());
        REQUIRE(in.cells.size() == r.cells.size());
        REQUIRE(in.use_cases.size() == r.cells.size());
        for (std::size_t i = 0; i < r.cells.size(); ++i) {
            CHECK(in.use_cases[i] == r.cells[i].key.use_case);
            CHECK(in.cells[i].concurrency == r.cells[i].key.concurrency);
            CHECK(in.cells[i].value(la::metric::ttft, la::statistic::p99) ==
                  r.cells[i].summary.value(la::metric::ttft, la::statistic::p99));
        }
        // The capacity command's cells: one per level, the use case's own cell at level 6.
        const la::use_case uc = use_case("code_completion");
        const std::vector<la::cell_summary> mine = in.cells_for(uc);
        REQUIRE_FALSE(mine.empty());
        for (std::size_t i = 1; i < mine.size(); ++i)
            CHECK(mine[i - 1].concurrency < mine[i].concurrency);
        bool saw_6 = false;
        for (const la::cell_summary& c : mine)
            if (c.concurrency == 6) {
                saw_6 = true;
                CHECK(c.value(la::metric::e2e, la::statistic::mean) == 1.25);
            }
        CHECK(saw_6);
        CHECK_NOTHROW((void)la::compute_capacity(uc, mine));
    }
}

TEST_CASE("cells_input: negative, NaN and infinite statistics are refused with the place") {
    const std::string head = "context_tokens,concurrency,ttft_s_mean,generation_speed_tokens_"
                             "per_s_p90\n1024,1,0.5,40\n";
    CHECK(lr::parse_cells_csv(head + "1024,2,-0.2,38\n", "cells.csv").error ==
          "cells.csv: line 3: ttft_s_mean: expected a finite number >= 0, got \"-0.2\"");
    CHECK(lr::parse_cells_csv(head + "1024,2,0.6,-1\n", "cells.csv").error ==
          "cells.csv: line 3: generation_speed_tokens_per_s_p90: expected a finite number >= 0, "
          "got \"-1\"");
    for (const char* bad : {"nan", "NaN", "inf", "-inf", "infinity", "1e999", "0x1p3", " 1"}) {
        CAPTURE(bad);
        CHECK(lr::parse_cells_csv(head + "1024,2," + bad + ",38\n", "cells.csv").error ==
              std::string("cells.csv: line 3: ttft_s_mean: expected a finite number >= 0, got \"") +
                  bad + "\"");
    }
    // Zero and an empty field ("not measured") are fine.
    const lr::cells_input ok = lr::parse_cells_csv(head + "1024,2,0,\n");
    REQUIRE(ok.ok());
    CHECK(ok.cells[1].value(la::metric::ttft, la::statistic::mean) == 0.0);
    CHECK_FALSE(ok.cells[1].value(la::metric::generation_speed, la::statistic::p90));

    const auto json = [](const std::string& metrics) {
        return lr::parse_cells_json(R"({"cells": [{"key": {"use_case": ""}, "summary": )"
                                    R"({"context_tokens": 1024, "concurrency": 1, "metrics": )" +
                                        metrics + "}}]}",
                                    "results.json")
            .error;
    };
    CHECK(json(R"({"ttft_s": -1})") == "results.json: $.cells[0].summary.metrics.ttft_s: "
                                       "expected a finite number >= 0 or null, got -1");
    CHECK(json(R"({"throughput_tokens_per_s": {"mean": 10, "p99": -0.5}})") ==
          "results.json: $.cells[0].summary.metrics.throughput_tokens_per_s.p99: expected a "
          "finite number >= 0 or null, got -0.5");
    CHECK(json(R"({"e2e_s": {"stddev": -2}})") ==
          "results.json: $.cells[0].summary.metrics.e2e_s.stddev: expected a finite number >= 0 "
          "or null, got -2");
    CHECK(json(R"({"e2e_s": {"mean": "1.5"}})") ==
          "results.json: $.cells[0].summary.metrics.e2e_s.mean: expected a finite number >= 0 "
          "or null, got \"1.5\"");
    CHECK(json(R"({"e2e_s": {"count": -3}})") ==
          "results.json: $.cells[0].summary.metrics.e2e_s.count: expected a non-negative "
          "integer, got -3");
    CHECK(json(R"({"e2e_s": {"mean_ci95": [2, 1]}})") ==
          "results.json: $.cells[0].summary.metrics.e2e_s.mean_ci95: expected [low, high] "
          "(finite numbers, low <= high) or null");
    // JSON has no NaN or infinity; a number too large for a double is refused where it is
    // read (parse_json), so it never becomes one.
    const std::string big = json(R"({"e2e_s": 1e999})");
    CHECK(big.starts_with("results.json: line 1, column "));
    CHECK(big.ends_with(": not valid JSON: exponent overflow"));
    // null is "not measured"; a confidence interval may reach below zero.
    CHECK(json(R"({"e2e_s": {"mean": null, "p99": 0, "mean_ci95": [-0.1, 0.3]}})").empty());
}

TEST_CASE("cells_input: messages show unprintable text escaped and long text cut") {
    using namespace std::string_literals;
    // A NUL in a field: the message keeps everything after it.
    const lr::cells_input nul =
        lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n1024,1\0x,0.5\n"s, "cells.csv");
    CHECK(nul.error ==
          "cells.csv: line 2: concurrency: expected a non-negative integer, got \"1\\x00x\"");
    CHECK(nul.error.find('\0') == std::string::npos);

    // Control characters, quotes, backslashes and broken UTF-8 are escaped; UTF-8 is kept.
    CHECK(lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n1024,1,\"\t\x1b[31m\"\"\\\xff"
                              "\xc3\xa9\"\n",
                              "cells.csv")
              .error == "cells.csv: line 2: e2e_s: expected a finite number >= 0, got "
                        "\"\\x09\\x1b[31m\\\"\\\\\\xff\xc3\xa9\"");

    // Long text: the first 80 bytes, then "...".
    const std::string long_field(500, '7');
    const std::string cut =
        lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n" + long_field + ",1,0.5\n",
                            "cells.csv")
            .error;
    CHECK(cut == "cells.csv: line 2: context_tokens: expected a non-negative integer, got \"" +
                     std::string(80, '7') + "...\"");
    // A cut never splits a UTF-8 character (79 ASCII bytes, then a 2-byte "é").
    CHECK(lr::detail::quote_text(std::string(79, 'a') + "\xc3\xa9" + "b") ==
          "\"" + std::string(79, 'a') + "...\"");

    // JSON: a key holding a NUL (written \u0000) is shown escaped in the path.
    CHECK(lr::parse_cells_json(
              R"([{"context_tokens": 1, "concurrency": 1, "metrics": {"tt\u0000ft": 1}}])",
              "cells.json")
              .error == "cells.json: $[0].metrics[\"tt\\x00ft\"]: unknown metric (expected a "
                        "name such as ttft_s or generation_speed_tokens_per_s)");
    // A raw NUL in JSON text: a parse error with its line and column.
    const std::string raw =
        lr::parse_cells_json("[{\"context_tokens\": 1,\n \0}]"s, "c.json").error;
    CHECK(raw.starts_with("c.json: line 2, column 2: not valid JSON: "));
    CHECK(raw.find('\0') == std::string::npos);
    CHECK(lr::parse_cells_json("[]\n\n[]", "c.json").error ==
          "c.json: line 3: text after the JSON document");
    CHECK(lr::parse_cells_json("{\"context_tokens\": 1, \"concurrency\": 1, \"metrics\": {}}\n"
                               "{\"context_tokens\": 1, \"concurrency\": 2, \"metrics\": {}\n",
                               "c.jsonl")
              .error == "c.jsonl: line 2: not valid JSON, column 54: incomplete JSON");
    CHECK(lr::parse_cells_json(R"({"cells": {}})", "c.json").error ==
          "c.json: $.cells: expected an array, got an object");
    CHECK(lr::parse_cells_json(R"({"rows": []})", "c.json").error ==
          "c.json: expected an array of cells, an object with a \"cells\" array, or one cell "
          "object per line");
    CHECK(lr::parse_cells_json(R"([{"context_tokens": 1, "concurrency": 1, "use_case": 7,
                                   "metrics": {}}])")
              .error == "cells: $[0].use_case: expected a string, got 7");
}

TEST_CASE("cells_input: CSV records follow RFC 4180; line numbers stay the file's") {
    // A quoted field holding a line break, a comma and a doubled quote.
    const lr::cells_input in = lr::parse_cells_csv("use_case,context_tokens,concurrency,e2e_s\r\n"
                                                   "\"a,\"\"b\"\"\r\nc\",1024,1,0.5\r\n"
                                                   "plain,1024,2,x\r\n",
                                                   "cells.csv");
    CHECK(in.error == "cells.csv: line 4: e2e_s: expected a finite number >= 0, got \"x\"");
    const lr::cells_input ok = lr::parse_cells_csv("use_case,context_tokens,concurrency,e2e_s\n"
                                                   "\"a,\"\"b\"\"\nc\",1024,1,0.5\n");
    REQUIRE(ok.ok());
    CHECK(ok.use_cases[0] == "a,\"b\"\nc");
    CHECK(lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n1024,1,0.5\n1024,\"2,0.6\n",
                              "cells.csv")
              .error == "cells.csv: line 3: a quoted field is not closed");
    CHECK(lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n1024,1\n", "cells.csv").error ==
          "cells.csv: line 2: 2 fields, the header has 3");
    CHECK(
        lr::parse_cells_csv("context_tokens,concurrency,ttft_s,ttft_s_mean\n", "cells.csv").error ==
        "cells.csv: line 1: columns ttft_s and ttft_s_mean are the same "
        "statistic (columns 3 and 4)");
    CHECK(
        lr::parse_cells_csv("concurrency,context_tokens,concurrency,e2e_s\n", "cells.csv").error ==
        "cells.csv: line 1: column concurrency appears twice (columns 1 and 3)");
    CHECK(lr::parse_cells_csv("\n\n", "cells.csv").error == "cells.csv: empty file");
    CHECK(lr::parse_cells_csv("context_tokens,concurrency,e2e_s\n\n", "cells.csv").error ==
          "cells.csv: no cells");
}

TEST_CASE("cells_input: a file that cannot be read is named with the system's reason") {
    const scratch_dir dir("io");
    const fs::path missing = dir.path / "missing.csv";
    CHECK(lr::read_cells_file(missing).error ==
          "cannot open " + missing.string() + ": No such file or directory");
    CHECK(lr::read_cells_file(dir.path).error ==
          "cannot read " + dir.path.string() + ": Is a directory");
    const fs::path empty = dir.write("empty.csv", "");
    CHECK(lr::read_cells_file(empty).error == empty.string() + ": empty file");
}

TEST_CASE("cells_input: 100,000 levels are read and analysed") {
    // E2E latency mean rises by 15 µs per request from 1 s: the 2 s bound of code completion is
    // crossed at 1 + 1 / 1.5e-5 = 66,667.67, so the capacity is 66,667. Timing is measured by
    // the benchmarks, not here: this only proves that the work finishes.
    constexpr std::uint32_t levels = 100'000;
    const auto e2e_s = [](std::uint32_t c) { return 1.0 + 1.5e-5 * static_cast<double>(c - 1); };
    std::string csv = "use_case,context_tokens,output_tokens,concurrency,e2e_s_mean,ttft_s_p99\n";
    for (std::uint32_t c = levels; c >= 1; --c) // out of order: reading must not rely on it
        csv += ",1024,128," + std::to_string(c) + "," + number(e2e_s(c)) + ",0.25\n";
    const scratch_dir dir("many");
    const lr::cells_input in = lr::read_cells_file(dir.write("cells.csv", csv));
    REQUIRE(in.ok());
    REQUIRE(in.cells.size() == levels);

    const la::use_case uc = use_case("code_completion");
    const std::vector<la::cell_summary> mine = in.cells_for(uc);
    REQUIRE(mine.size() == levels);
    CHECK(mine.front().concurrency == 1);
    CHECK(mine.back().concurrency == levels);
    const la::capacity_result r = la::compute_capacity(uc, mine);
    CHECK(r.kind == la::capacity_kind::interpolated);
    CHECK(r.capacity == 66'667);
    REQUIRE(r.crossing);
    CHECK(*r.crossing == doctest::Approx(1.0 + 1.0 / 1.5e-5).epsilon(1e-9));

    // The command's report over them (a table and a chart of 100,000 rows).
    const std::vector<lr::capacity_case> cases{{uc, mine, r}};
    const std::string md = lr::render_markdown(lr::capacity_document(cases, "cells.csv"));
    CHECK(md.find("**Capacity: 66,667 concurrent requests**") != std::string::npos);

    // The same levels with one repeated at the end: found, though 100,000 lines apart.
    csv += ",1024,128,1," + number(e2e_s(1)) + ",0.25\n";
    CHECK(lr::parse_cells_csv(csv, "cells.csv").error ==
          "cells.csv: line 100002: concurrency 1 at 1024 context tokens and 128 output tokens "
          "repeats line 100001");
}
