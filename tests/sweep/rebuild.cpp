// Rebuilding a run's results from its files (sweep::rebuild_results, `llmcap-sweep report`):
// exact number parsing, byte-identical results, and errors that name the file and line.
#include <llmcap/sweep/run_sweep.hpp>

#include "sweep_run.hpp"

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/sweep/output_dir.hpp>
#include <llmcap/sweep/simulator_runner.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace llmcap;
using test::fresh_dir;
using test::read_file;
using test::simulate;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos)
            end = text.size();
        out.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines)
        out += l + '\n';
    return out;
}

/// A simulated run in `dir`: contexts 1K and 4K × concurrency 1, 2, 16 output tokens, and a
/// capacity search at 1K.
sweep::sweep_outcome simulated_run(const fs::path& dir) {
    sweep::sweep_plan p;
    p.name = "rebuild";
    p.requests.warmup_requests = 1;
    p.requests.requests_per_concurrency = 2;
    p.requests.min_requests = 3;
    sweep::add_grid(p, {1024, 4096}, {16}, {1, 2});
    sweep::use_case_search s;
    s.use_case = {"quick_answer",
                  "Quick answer",
                  1024,
                  16,
                  {analysis::threshold{analysis::metric::e2e, analysis::statistic::mean,
                                       analysis::comparison::less, 0.3}}};
    s.max_concurrency = 32;
    p.searches.push_back(s);
    return simulate(p, dir, false);
}

/// The message with which rebuild_results(dir) refuses, or "no error".
std::string rebuild_error(const fs::path& dir) {
    try {
        (void)sweep::rebuild_results(dir);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("rebuild_results: results.json again byte for byte, and nothing else changed") {
    const fs::path dir = fresh_dir("rebuild-exact");
    const sweep::sweep_outcome ran = simulated_run(dir);
    REQUIRE(ran.result.complete);
    const std::string results = read_file(dir / "results.json");
    const std::string requests = read_file(dir / "requests.jsonl");
    const std::string cells = read_file(dir / "cells.jsonl");
    const std::string run = read_file(dir / "run.json");
    fs::remove(dir / "results.json");
    const sweep::sweep_outcome rebuilt = sweep::rebuild_results(dir);
    CHECK_FALSE(rebuilt.interrupted);
    CHECK(rebuilt.search_errors.empty());
    CHECK(rebuilt.result.complete);
    CHECK(read_file(dir / "results.json") == results);
    CHECK(read_file(dir / "requests.jsonl") == requests);
    CHECK(read_file(dir / "cells.jsonl") == cells);
    CHECK(read_file(dir / "run.json") == run);
    CHECK(rebuilt.message.find("rebuilt ") == 0);
}

TEST_CASE("rebuild_results: malformed files are errors naming the file and the line") {
    const fs::path dir = fresh_dir("rebuild-errors");
    (void)simulated_run(dir);
    const std::string cells = read_file(dir / "cells.jsonl");
    const std::string requests = read_file(dir / "requests.jsonl");
    // The error names the file and line, then what was wrong.
    const auto expect_error = [&](const std::string& where, const std::string& what) {
        try {
            (void)sweep::rebuild_results(dir);
            FAIL("no error; expected: " << where << " ... " << what);
        } catch (const std::runtime_error& e) {
            const std::string message = e.what();
            CAPTURE(message);
            CHECK(message.find(where) == 0);
            CHECK(message.find(what) != std::string::npos);
        }
    };

    SUBCASE("a line of cells.jsonl that is not JSON") {
        std::vector<std::string> lines = lines_of(cells);
        REQUIRE(lines.size() >= 3);
        lines[1] = "{\"key\": oops}";
        write_file(dir / "cells.jsonl", join_lines(lines));
        expect_error((dir / "cells.jsonl").string() + ": line 2: ", "invalid JSON");
    }
    SUBCASE("a line of requests.jsonl with a field of the wrong type") {
        std::vector<std::string> lines = lines_of(requests);
        REQUIRE(lines.size() >= 4);
        boost::json::value v = boost::json::parse(lines[2]);
        v.as_object()["end_ns"] = "late";
        lines[2] = boost::json::serialize(v);
        write_file(dir / "requests.jsonl", join_lines(lines));
        expect_error((dir / "requests.jsonl").string() + ": line 3: $.end_ns: ",
                     "expected an integer, got a string");
    }
    SUBCASE("a cell with a field missing") {
        std::vector<std::string> lines = lines_of(cells);
        boost::json::value v = boost::json::parse(lines[0]);
        v.as_object().erase("summary");
        lines[0] = boost::json::serialize(v);
        write_file(dir / "cells.jsonl", join_lines(lines));
        expect_error((dir / "cells.jsonl").string() + ": line 1: $.summary: ", "missing");
    }
    SUBCASE("no run.json") {
        fs::remove(dir / "run.json");
        expect_error("cannot read " + (dir / "run.json").string(),
                     "(is " + dir.string() + " a run directory?)");
    }
    SUBCASE("a cut last line (a crash while writing) is dropped, not an error") {
        write_file(dir / "requests.jsonl", requests + "{\"cell\":\"grid/ctx10");
        const sweep::sweep_outcome r = sweep::rebuild_results(dir);
        CHECK(r.result.complete);
        CHECK(read_file(dir / "requests.jsonl") == requests + "{\"cell\":\"grid/ctx10");
    }
}

TEST_CASE("rebuild_results: a run stopped early is incomplete and says which search stopped") {
    const fs::path dir = fresh_dir("rebuild-partial");
    const sweep::sweep_outcome ran = simulated_run(dir);
    REQUIRE(ran.result.use_cases.size() == 1);
    // Drop the last cell (one the capacity search measured) as if the run had died there.
    std::vector<std::string> lines = lines_of(read_file(dir / "cells.jsonl"));
    const boost::json::value last = boost::json::parse(lines.back());
    REQUIRE(last.at("key").at("use_case").as_string() == "quick_answer");
    const auto concurrency = last.at("key").at("concurrency").to_number<std::uint32_t>();
    lines.pop_back();
    write_file(dir / "cells.jsonl", join_lines(lines));
    const sweep::sweep_outcome r = sweep::rebuild_results(dir);
    CHECK(r.interrupted);
    CHECK_FALSE(r.result.complete);
    CHECK(r.result.use_cases.empty());
    CHECK(r.result.cells.size() == lines.size());
    REQUIRE(r.search_errors.size() == 1);
    CHECK(r.search_errors[0] ==
          "quick_answer: concurrency " + std::to_string(concurrency) + " was never measured");
    CHECK(r.message.find("incomplete") != std::string::npos);
}

TEST_CASE("rebuild_results: a repeated request or cell, or a lost request, is an error") {
    const fs::path dir = fresh_dir("rebuild-integrity");
    (void)simulated_run(dir);
    const std::string cells = read_file(dir / "cells.jsonl");
    const std::string requests = read_file(dir / "requests.jsonl");
    const std::string results = read_file(dir / "results.json");
    const auto error_of = [&] { return rebuild_error(dir); };
    std::vector<std::string> lines = lines_of(requests);
    REQUIRE(lines.size() >= 4);
    // The first measured request: its cell records it among requests_started.
    std::size_t measured = 0;
    while (boost::json::parse(lines[measured]).at("warmup").as_bool())
        ++measured;

    SUBCASE("a request line written twice") {
        lines.insert(lines.begin() + 3, lines[1]);
        write_file(dir / "requests.jsonl", join_lines(lines));
        const std::string index =
            std::to_string(boost::json::parse(lines[1]).at("index").to_number<std::uint64_t>());
        CHECK(error_of() == (dir / "requests.jsonl").string() + ": line 4: request index " + index +
                                " repeats line 2 (a request must be counted once)");
    }
    SUBCASE("a cell line written twice") {
        std::vector<std::string> c = lines_of(cells);
        c.push_back(c[0]);
        write_file(dir / "cells.jsonl", join_lines(c));
        const std::string id = sweep::cell_result_from_json(boost::json::parse(c[0]))->key.id();
        CHECK(error_of() == (dir / "cells.jsonl").string() + ": line " + std::to_string(c.size()) +
                                ": cell " + id + " repeats line 1");
    }
    SUBCASE("a measured request of a completed cell is missing") {
        const boost::json::value lost = boost::json::parse(lines[measured]);
        const std::string cell(lost.at("cell").as_string());
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(measured));
        write_file(dir / "requests.jsonl", join_lines(lines));
        const std::string message = error_of();
        CAPTURE(message);
        CHECK(message.starts_with((dir / "requests.jsonl").string() + ": cell " + cell + " (" +
                                  (dir / "cells.jsonl").string() + ": line "));
        CHECK(message.find(" measured requests; results.json was left as it was") !=
              std::string::npos);
    }
    SUBCASE("a measured request cut short at the end of the file") {
        std::string cut = join_lines(lines);
        cut.resize(cut.size() - 20); // the last request's line loses its end
        write_file(dir / "requests.jsonl", cut);
        const std::string message = error_of();
        CAPTURE(message);
        CHECK(message.find("(the file's last line is cut short)") != std::string::npos);
    }
    // Whatever was wrong, results.json is as it was.
    CHECK(read_file(dir / "results.json") == results);
}

TEST_CASE("rebuild_results: refuses to replace results it cannot rebuild, and changes nothing") {
    const fs::path dir = fresh_dir("rebuild-refuse");
    (void)simulated_run(dir);
    const std::string results = read_file(dir / "results.json");
    const auto error_of = [&] { return rebuild_error(dir); };
    SUBCASE("no requests.jsonl") {
        fs::remove(dir / "requests.jsonl");
        CHECK(error_of() == "cannot rebuild the results of " + dir.string() +
                                ": requests.jsonl is missing (nothing was changed)");
    }
    SUBCASE("no cells.jsonl") {
        fs::remove(dir / "cells.jsonl");
        CHECK(error_of() == "cannot rebuild the results of " + dir.string() +
                                ": cells.jsonl is missing (nothing was changed)");
    }
    SUBCASE("no completed cell") {
        write_file(dir / "cells.jsonl", "");
        CHECK(error_of() == "cannot rebuild the results of " + dir.string() +
                                ": cells.jsonl holds no completed cell (nothing was measured; "
                                "nothing was changed)");
    }
    CHECK(read_file(dir / "results.json") == results);
}

TEST_CASE("run.json: a schema_version that is missing, not a number, 0 or newer is refused") {
    const fs::path dir = fresh_dir("rebuild-schema");
    (void)simulated_run(dir);
    const std::string run = read_file(dir / "run.json");
    const auto with_version = [&](const boost::json::value* v) {
        boost::json::value doc = boost::json::parse(run);
        doc.as_object().erase("schema_version");
        if (v != nullptr)
            doc.as_object()["schema_version"] = *v;
        write_file(dir / "run.json", boost::json::serialize(doc));
        return rebuild_error(dir);
    };
    const std::string file = (dir / "run.json").string() + ": schema_version: ";
    const boost::json::value newer = 999, text = "abc", zero = 0, negative = -3, one = 1;
    CHECK(with_version(nullptr) == file + "missing");
    CHECK(with_version(&newer) ==
          file + "999 is newer than this llmcap reads (1); use a newer llmcap-sweep");
    CHECK(with_version(&text) == file + "expected an integer, got \"abc\"");
    CHECK(with_version(&zero) == file + "0 is not a version (versions start at 1)");
    CHECK(with_version(&negative) == file + "-3 is not a version (versions start at 1)");
    CHECK(with_version(&one) == "no error");
    // results.json of version 0 is refused as well.
    boost::json::value results = boost::json::parse(read_file(dir / "results.json"));
    results.as_object()["schema_version"] = 0;
    const auto r = sweep::sweep_result_from_json(results);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message().find("version 0 is not a version") != std::string::npos);
}

TEST_CASE("resume: a completed cell that lost a request is measured again, with a warning") {
    const fs::path dir = fresh_dir("resume-lost-request");
    const sweep::sweep_outcome ran = simulated_run(dir);
    std::vector<std::string> lines = lines_of(read_file(dir / "requests.jsonl"));
    std::size_t measured = 0;
    while (boost::json::parse(lines[measured]).at("warmup").as_bool())
        ++measured;
    const std::string cell(boost::json::parse(lines[measured]).at("cell").as_string());
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(measured));
    write_file(dir / "requests.jsonl", join_lines(lines));

    const sweep::sweep_outcome out = simulate(sweep::sweep_plan{}, dir, true);
    REQUIRE(out.warnings.size() == 1);
    CHECK(out.warnings[0].find("cell " + cell + " (") != std::string::npos);
    CHECK(out.warnings[0].ends_with("; the cell will be measured again"));
    CHECK(out.result.complete);
    CHECK(out.result.cells.size() == ran.result.cells.size());
    // Every cell's requests are all there again, and the files agree: a rebuild succeeds.
    for (const sweep::cell_result& c : out.result.cells)
        CHECK(c.requests_succeeded == c.requests_started);
    CHECK(sweep::rebuild_results(dir).result.cells.size() == ran.result.cells.size());
}
