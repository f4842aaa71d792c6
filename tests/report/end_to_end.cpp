// A small sweep in the emulator's virtual time through the sweep engine, its reports, and
// their reconstruction from the run directory's JSONL files alone (`llmcap-sweep report`).
#include <llmcap/report/write_reports.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/plan_overrides.hpp>
#include <llmcap/sweep/presets.hpp>
#include <llmcap/sweep/run_sweep.hpp>
#include <llmcap/sweep/simulator_runner.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>

namespace fs = std::filesystem;
namespace ls = llmcap::sweep;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ls::sweep_outcome simulate(const ls::sweep_plan& plan, const fs::path& dir) {
    boost::asio::io_context ioc;
    ls::simulator_runner runner(llmcap::emulator::builtin_profile());
    ls::sweep_options options;
    options.output_dir = dir;
    options.gpu = "1x H200 SXM";
    std::optional<ls::sweep_outcome> out;
    boost::asio::co_spawn(ioc, ls::run_sweep(plan, runner, options),
                          [&](std::exception_ptr e, ls::sweep_outcome o) {
                              if (e)
                                  std::rethrow_exception(e);
                              out = std::move(o);
                          });
    ioc.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}

} // namespace

TEST_CASE("report: a simulated sweep's reports rebuild byte for byte from its JSONL files") {
    ls::sweep_plan plan = *ls::preset("glm-4.7-flash-h200");
    plan.cells.clear();
    ls::add_grid(plan, {1024, 8192}, {256}, {1, 2});
    std::vector<ls::use_case_search> searches;
    for (ls::use_case_search s : plan.searches)
        if (s.use_case.name == "code_completion") {
            s.max_concurrency = 16;
            searches.push_back(s);
        }
    plan.searches = searches;
    const fs::path dir = fs::temp_directory_path() / "llmcap_test_report_end_to_end";
    fs::remove_all(dir);
    const ls::sweep_outcome outcome = simulate(plan, dir);
    CHECK_FALSE(outcome.interrupted);
    CHECK(outcome.result.simulated);
    REQUIRE(outcome.result.use_cases.size() == 1);
    const std::string sweep_results = read_file(dir / "results.json"); // as run_sweep wrote it
    REQUIRE_FALSE(sweep_results.empty());
    llmcap::report::write_reports(outcome.result, dir);

    std::map<std::string, std::string> written;
    for (const char* name :
         {"results.json", "cells.csv", "capacity.csv", "report.md", "report.html"})
        written[name] = read_file(dir / name);
    CHECK(written["report.md"].find("[simulated]") != std::string::npos);
    CHECK(written["report.md"].find("### Code Completion (1K context)") != std::string::npos);
    // The simulator models energy: the power section has its charts and table, and says where
    // the numbers came from.
    CHECK(written["report.md"].find("No energy was measured") == std::string::npos);
    CHECK(written["report.md"].find("Energy source: emulator, power_model") != std::string::npos);
    CHECK(written["report.md"].find("the emulator's power model") != std::string::npos);
    CHECK(written["report.md"].find("from the energy meter") == std::string::npos);
    CHECK(written["report.html"].find("id=\"chart-energy-per-token\"") != std::string::npos);
    for (const ls::cell_result& c : outcome.result.cells) {
        CAPTURE(c.key.id());
        REQUIRE(c.energy.has_value());
        CHECK(c.energy->joules_per_output_token.value_or(0.0) > 0.0);
    }

    // Rebuild from run.json, cells.jsonl and requests.jsonl only, as `llmcap-sweep report`
    // does: sweep::rebuild_results writes results.json itself, then every report is written.
    for (const char* name :
         {"results.json", "cells.csv", "capacity.csv", "report.md", "report.html"})
        fs::remove(dir / name);
    const ls::sweep_outcome loaded = ls::rebuild_results(dir);
    CHECK(loaded.search_errors.empty());
    CHECK_FALSE(loaded.interrupted);
    CHECK(read_file(dir / "results.json") == sweep_results);
    llmcap::report::write_reports(loaded.result, dir);
    for (const auto& [name, text] : written)
        CHECK_MESSAGE(read_file(dir / name) == text, name);
    fs::remove_all(dir);
}

TEST_CASE("report: a session run has its conversations section, and rebuilds byte for byte") {
    ls::sweep_plan plan = *ls::preset("glm-4.7-flash-h200");
    plan.requests.warmup_requests = 0;
    plan.cells.clear();
    ls::add_grid(plan, {1024}, {64}, {1});
    llmcap::analysis::use_case chat = *llmcap::analysis::find_builtin_use_case("chatbot_sessions");
    chat.output_tokens = 64;
    chat.sessions->turns = 3;
    chat.sessions->system_prompt_tokens = 256;
    ls::use_case_search s;
    s.use_case = chat;
    s.max_concurrency = 16;
    s.max_cells = 3;
    plan.searches = {s};
    ls::plan_overrides change;
    change.sessions = chat.sessions;
    change.sessions->prefix_caching = true;
    change.users = {2, 4};
    change.turn_tokens = 128;
    change.output_tokens = 64;
    change.cache_compare = true;
    std::string why;
    REQUIRE(ls::apply_overrides(plan, change, why));
    REQUIRE(plan.cells.size() == 4); // sessions and sessions_nocache at 2 and 4 users
    const fs::path dir = fs::temp_directory_path() / "llmcap_test_report_sessions";
    fs::remove_all(dir);
    const ls::sweep_outcome outcome = simulate(plan, dir);
    CHECK_FALSE(outcome.interrupted);
    REQUIRE(outcome.result.use_cases.size() == 1);
    const std::string results = read_file(dir / "results.json"); // as run_sweep wrote it
    llmcap::report::write_reports(outcome.result, dir);
    const std::string md = read_file(dir / "report.md");
    const std::string html = read_file(dir / "report.html");
    CHECK(md.find("## Conversations") != std::string::npos);
    CHECK(md.find("### sessions") != std::string::npos);
    CHECK(md.find("### sessions_nocache") != std::string::npos);
    CHECK(md.find("Users per slot") != std::string::npos);
    CHECK(md.find("What prefix caching is worth") != std::string::npos);
    CHECK(md.find("Chatbot Conversations") != std::string::npos);
    CHECK(html.find("id=\"chart-ttft-by-turn\"") != std::string::npos);
    const std::string csv = read_file(dir / "cells.csv");
    CHECK(csv.find("sessions/ctx128/out64/u2") != std::string::npos);

    for (const char* name : {"results.json", "report.md", "report.html"})
        fs::remove(dir / name);
    const ls::sweep_outcome loaded = ls::rebuild_results(dir);
    CHECK(read_file(dir / "results.json") == results);
    llmcap::report::write_reports(loaded.result, dir);
    CHECK(read_file(dir / "report.md") == md);
    fs::remove_all(dir);
}
