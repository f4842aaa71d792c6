#include <llmcap/sweep/run_sweep.hpp>

#include "../workload/fake_endpoint.hpp"
#include "sweep_run.hpp"

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/sweep/http_runner.hpp>
#include <llmcap/sweep/output_dir.hpp>
#include <llmcap/sweep/plan_overrides.hpp>
#include <llmcap/sweep/presets.hpp>
#include <llmcap/sweep/simulator_runner.hpp>
#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/trace_file.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>

using namespace llmcap;
using test::fresh_dir;
using test::run;

namespace {

std::size_t count_lines(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            ++n;
    return n;
}

/// A small plan: two contexts × concurrency 1, 2 × 64 output tokens, and one capacity search.
sweep::sweep_plan small_plan() {
    sweep::sweep_plan p;
    p.name = "small";
    p.requests.warmup_requests = 1;
    p.requests.requests_per_concurrency = 2;
    p.requests.min_requests = 3;
    sweep::add_grid(p, {1024, 8192}, {64}, {1, 2});
    sweep::use_case_search s;
    s.use_case = {"fast_completion",
                  "Fast completion",
                  1024,
                  64,
                  {analysis::threshold{analysis::metric::e2e, analysis::statistic::mean,
                                       analysis::comparison::less, 0.9}}};
    s.max_concurrency = 64;
    p.searches.push_back(s);
    return p;
}

void check_same_cells(const sweep::sweep_result& a, const sweep::sweep_result& b) {
    REQUIRE(a.cells.size() == b.cells.size());
    for (std::size_t i = 0; i < a.cells.size(); ++i) {
        CAPTURE(a.cells[i].key.id());
        CHECK(a.cells[i].key == b.cells[i].key);
        CHECK(a.cells[i].requests_started == b.cells[i].requests_started);
        CHECK(a.cells[i].requests_succeeded == b.cells[i].requests_succeeded);
        CHECK(boost::json::serialize(sweep::to_json(a.cells[i].summary)) ==
              boost::json::serialize(sweep::to_json(b.cells[i].summary)));
        // The span of each cell is the same; where it lies in virtual time is not: a resumed
        // run reuses the stored prompt calibration instead of probing the server again.
        CHECK(a.cells[i].end_ns - a.cells[i].start_ns == b.cells[i].end_ns - b.cells[i].start_ns);
    }
    REQUIRE(a.use_cases.size() == b.use_cases.size());
    for (std::size_t i = 0; i < a.use_cases.size(); ++i) {
        CHECK(a.use_cases[i].capacity.capacity == b.use_cases[i].capacity.capacity);
        CHECK(a.use_cases[i].measured_concurrency == b.use_cases[i].measured_concurrency);
    }
}

/// Every request of the directory once: no (cell, index) twice, and as many lines as the
/// cells report (measured + warm-up reported as traces).
void check_requests_file(const std::filesystem::path& dir, const sweep::sweep_result& r,
                         bool warmups_reported) {
    std::set<std::uint64_t> indices;
    std::size_t lines = 0;
    sweep::output_dir::read_lines(
        dir / "requests.jsonl", [&](const boost::json::value& v, std::size_t) {
            ++lines;
            CHECK(indices.insert(v.at("index").to_number<std::uint64_t>()).second);
        });
    std::uint64_t expected = 0;
    for (const auto& c : r.cells)
        expected += c.requests_started + (warmups_reported ? c.warmup_requests : 0);
    CHECK(lines == expected);
}

} // namespace

TEST_CASE("run_sweep: the glm-4.7-flash-h200 preset in the simulator") {
    const auto dir = fresh_dir("glm-sim");
    sweep::simulator_runner runner(emulator::builtin_profile());
    sweep::sweep_options o;
    o.output_dir = dir;
    o.gpu = "1x NVIDIA H200 (simulated)";
    const auto t0 = std::chrono::steady_clock::now();
    const sweep::sweep_outcome out = run(*sweep::preset("glm-4.7-flash-h200"), runner, o);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE("glm-4.7-flash-h200 preset simulated in " << seconds << " s, "
                                                      << out.result.cells.size() << " cells");
    CHECK_FALSE(out.interrupted);
    CHECK(out.search_errors.empty());
    const sweep::sweep_result& r = out.result;
    CHECK(r.simulated);
    CHECK(r.complete);
    CHECK(r.run.server_url == "simulator:glm-4.7-flash-h200-bf16");
    CHECK(r.run.preset == "glm-4.7-flash-h200");
    std::size_t grid = 0;
    for (const auto& c : r.cells) {
        CAPTURE(c.key.id());
        if (c.key.use_case.empty())
            ++grid;
        CHECK(c.requests_succeeded == c.requests_started);
        CHECK(c.requests_started >= 4);
        CHECK(c.prompt.exact == c.requests_started); // simulated prompts are exact
        CHECK_FALSE(c.prompt.flagged);
        CHECK(c.short_outputs == 0);
        CHECK(c.summary.value(analysis::metric::ttft, analysis::statistic::mean));
        CHECK(c.summary.value(analysis::metric::throughput, analysis::statistic::mean));
        REQUIRE(c.server.has_value());
        CHECK(c.server->values.at("queue_wait_mean_s").state == prometheus::value_state::measured);
        CHECK(c.server->values.at("queue_wait_mean_s").source ==
              prometheus::value_source::per_request);
        CHECK(c.server->values.at("prefill_time_mean_s").state ==
              prometheus::value_state::measured);
    }
    CHECK(grid == 28);
    // Modelled energy in every cell: mean power between the power model's idle and full-load
    // power, the peak at least the mean, and (batching spreads the draw over more tokens) less
    // energy per output token at each higher concurrency of a context.
    const emulator::power_model power;
    std::map<std::uint32_t, std::map<std::uint32_t, double>> joules_per_token; // ctx → c → J
    for (const auto& c : r.cells) {
        CAPTURE(c.key.id());
        REQUIRE(c.energy.has_value());
        CHECK(c.energy->source == telemetry::energy_source::emulator);
        CHECK(c.energy->method == telemetry::energy_method::power_model);
        CHECK(c.energy->gpu_count == 1);
        CHECK(c.energy->mean_power_w > power.idle_w);
        CHECK(c.energy->mean_power_w < power.max_w);
        REQUIRE(c.energy->peak_power_w.has_value());
        CHECK(*c.energy->peak_power_w >= c.energy->mean_power_w);
        CHECK(*c.energy->peak_power_w <= power.max_w);
        // The GPU's energy from the meter's start to its stop (the warm-up runs before it, as
        // on a real GPU): mean power times that span, and a span that holds the measured
        // requests.
        CHECK(c.energy->energy_j ==
              doctest::Approx(c.energy->mean_power_w * c.energy->elapsed_s).epsilon(1e-9));
        CHECK(c.energy->elapsed_s * 1e9 >= static_cast<double>(c.end_ns - c.start_ns) * 0.999);
        REQUIRE(c.energy->joules_per_output_token.has_value());
        CHECK(*c.energy->joules_per_output_token > 0.0);
        if (c.key.use_case.empty())
            joules_per_token[c.key.context_tokens][c.key.concurrency] =
                *c.energy->joules_per_output_token;
    }
    REQUIRE(joules_per_token.size() == 7);
    for (const auto& [context, by_level] : joules_per_token) {
        CAPTURE(context);
        REQUIRE(by_level.size() == 4);
        double previous = std::numeric_limits<double>::infinity();
        for (const auto& [level, j] : by_level) {
            CAPTURE(level);
            CHECK(j < previous);
            previous = j;
        }
    }
    REQUIRE(r.use_cases.size() == 5);
    for (const auto& u : r.use_cases) {
        CAPTURE(u.use_case.name);
        CHECK(u.capacity.thresholds.size() == u.use_case.thresholds.size());
        CHECK_FALSE(u.measured_concurrency.empty());
    }
    REQUIRE(r.scaling.size() == 7);
    for (const auto& s : r.scaling) {
        CHECK(s.points.size() == 4);
        CHECK(s.points[0].efficiency == doctest::Approx(1.0));
    }
    // Files: one cells.jsonl line per cell, requests.jsonl one line per request (warm-up
    // ones included, as `run` writes them), run.json and results.json readable.
    CHECK(count_lines(dir / "cells.jsonl") == r.cells.size());
    check_requests_file(dir, r, true);
    const auto results =
        sweep::sweep_result_from_json(sweep::output_dir::read_json_file(dir / "results.json"));
    REQUIRE(results.has_value());
    CHECK(results->cells.size() == r.cells.size());
    const auto run_json = sweep::output_dir::read_json_file(dir / "run.json");
    CHECK(sweep::run_info_from_json(run_json.at("run")).has_value());
    CHECK(sweep::plan_from_json(run_json.at("plan")).has_value());
    CHECK_FALSE(run_json.at("run").at("finished_at").as_string().empty());

    // The report command: the same results from the files alone, nothing else changed.
    const auto requests_size = std::filesystem::file_size(dir / "requests.jsonl");
    std::filesystem::remove(dir / "results.json");
    const sweep::sweep_result rebuilt = sweep::rebuild_results(dir).result;
    CHECK(rebuilt.complete);
    CHECK(rebuilt.run == r.run);
    check_same_cells(r, rebuilt);
    REQUIRE(rebuilt.scaling.size() == r.scaling.size());
    CHECK(rebuilt.scaling[3].points[2].efficiency == r.scaling[3].points[2].efficiency);
    CHECK(std::filesystem::exists(dir / "results.json"));
    CHECK(std::filesystem::file_size(dir / "requests.jsonl") == requests_size);
}

TEST_CASE(
    "run_sweep: killed with SIGKILL mid-run, then resumed: the same cells, no request twice") {
    const sweep::sweep_plan plan = small_plan();
    // The reference: one uninterrupted run.
    const auto ref_dir = fresh_dir("resume-ref");
    sweep::simulator_runner ref_runner(emulator::builtin_profile());
    sweep::sweep_options ro;
    ro.output_dir = ref_dir;
    const sweep::sweep_outcome ref = run(plan, ref_runner, ro);
    REQUIRE(ref.result.cells.size() >= 6);

    for (int kill_after : {1, 7, 16}) {
        CAPTURE(kill_after);
        const auto dir = fresh_dir("resume-" + std::to_string(kill_after));
        std::fflush(nullptr);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            sweep::simulator_runner runner(emulator::builtin_profile());
            sweep::sweep_options o;
            o.output_dir = dir;
            int seen = 0;
            o.on_trace = [&](const request_trace&, const sweep::cell_key&, bool) {
                if (++seen == kill_after)
                    std::raise(SIGKILL);
            };
            boost::asio::io_context io;
            boost::asio::co_spawn(io, sweep::run_sweep(plan, runner, o),
                                  [](std::exception_ptr, sweep::sweep_outcome) {});
            io.run();
            ::_exit(3); // not reached: the kill comes first
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
        CHECK_FALSE(std::filesystem::exists(dir / "results.json"));

        sweep::simulator_runner runner(emulator::builtin_profile());
        sweep::sweep_options o;
        o.output_dir = dir;
        o.resume = true;
        const sweep::sweep_outcome resumed = run(sweep::sweep_plan{}, runner, o);
        CHECK_FALSE(resumed.interrupted);
        CHECK(resumed.result.complete);
        check_same_cells(ref.result, resumed.result);
        check_requests_file(dir, resumed.result, true);
        CHECK(count_lines(dir / "cells.jsonl") == resumed.result.cells.size());
    }
}

TEST_CASE("run_sweep: over a streaming endpoint, with calibration, scraping, Ctrl-C and resume") {
    const auto dir = fresh_dir("http-fake");
    sweep::sweep_plan plan;
    plan.name = "fake";
    plan.requests.warmup_requests = 1;
    plan.requests.requests_per_concurrency = 2;
    plan.requests.min_requests = 3;
    sweep::add_grid(plan, {300, 2000}, {8}, {2, 3});
    plan.cells.push_back({sweep::cell_key{0, 8, 1, "quick_chat"}, workload::text_style::prose,
                          "Say hello in three languages."});
    sweep::use_case_search s;
    s.use_case = {"tiny",
                  "Tiny",
                  300,
                  8,
                  {analysis::threshold{analysis::metric::e2e, analysis::statistic::mean,
                                       analysis::comparison::less, 60.0}}};
    s.max_concurrency = 4;
    plan.searches.push_back(s);

    client::stop_signal stop;
    test::fake_endpoint e1;
    sweep::http_runner_options ho;
    ho.url = "http://fake";
    sweep::http_runner<test::fake_endpoint> r1(e1, ho);
    sweep::sweep_options o;
    o.output_dir = dir;
    o.stop = &stop;
    int seen = 0;
    o.on_trace = [&](const request_trace&, const sweep::cell_key&, bool) {
        if (++seen == 12)
            stop.request_stop();
    };
    const sweep::sweep_outcome first = run(plan, r1, o);
    CHECK(first.interrupted);
    CHECK(first.message.find("--resume " + dir.string()) != std::string::npos);
    CHECK_FALSE(first.result.complete);
    CHECK(first.result.cells.size() < 5);
    CHECK(r1.dialect().kind == openai::dialect::llama_cpp);

    // Resume with a fresh process state (endpoint, runner).
    test::fake_endpoint e2;
    sweep::http_runner<test::fake_endpoint> r2(e2, ho);
    o.stop = nullptr;
    o.on_trace = nullptr;
    o.resume = true;
    const sweep::sweep_outcome done = run(sweep::sweep_plan{}, r2, o);
    CHECK_FALSE(done.interrupted);
    CHECK(done.discarded_requests > 0);
    const sweep::sweep_result& r = done.result;
    CHECK(r.complete);
    CHECK_FALSE(r.simulated);
    CHECK(r.run.server.model_id == "fake-model");
    CHECK(r.run.server.dialect == "llama_cpp");
    CHECK(r.run.server_url == "http://fake");
    std::size_t grid = 0;
    for (const auto& c : r.cells) {
        CAPTURE(c.key.id());
        CHECK(c.failures.empty()); // the cancelled requests of the interrupted cell are gone
        CHECK(c.requests_succeeded == c.requests_started);
        if (c.key.use_case.empty()) {
            ++grid;
            // Every prompt landed exactly on its target, by the server's own count.
            CHECK(c.prompt.reported == c.requests_started);
            CHECK(c.prompt.exact == c.requests_started);
            CHECK(c.prompt.min_tokens == c.key.context_tokens);
            CHECK_FALSE(c.prompt.flagged);
        }
        REQUIRE(c.server.has_value());
        CHECK(c.server->error.empty());
        CHECK(c.server->values.at("queue_wait_mean_s").state != prometheus::value_state::measured);
        CHECK_FALSE(c.energy.has_value());
    }
    CHECK(grid == 4);
    REQUIRE(r.use_cases.size() == 1);
    CHECK(r.use_cases[0].capacity.kind == analysis::capacity_kind::at_least);
    CHECK(r.use_cases[0].capacity.capacity == 4);
    check_requests_file(dir, r, true);
    // Every request of the resumed run started with its own first token.
    std::set<std::string> firsts(e2.first_pieces.begin(), e2.first_pieces.end());
    CHECK(firsts.size() + 1 >= e2.first_pieces.size()); // the calibration probe's sample repeats
}

TEST_CASE("run_sweep: a dataset's own lengths in the simulator, records counted and skipped") {
    const auto dir = fresh_dir("dataset-own");
    std::filesystem::create_directories(dir.parent_path());
    const auto file = dir.parent_path() / "dataset-own.jsonl";
    {
        std::ofstream out(file);
        out << R"({"prompt":"What is the capital of France? Answer in one word.","output_tokens":5})"
            << "\n"
            << R"({"prompt":"Summarise the water cycle.","completion":"Water evaporates, )"
               R"(condenses into clouds and falls again as rain or snow."})"
            << "\n"
            << R"({"prompt":""})"
            << "\n"
            << "{\"prompt\":\"" << std::string(20000, 'x') << "\"}\n"
            << R"({"messages":[{"role":"user","content":"Write a haiku about autumn."}]})"
            << "\n";
    }
    sweep::sweep_plan p;
    p.name = "dataset";
    sweep::add_grid(p, {1024}, {16}, {2});
    sweep::plan_overrides o;
    o.dataset_path = file.string();
    o.dataset_own_lengths = true;
    o.requests_per_cell = 6;
    o.warmup_requests = 0;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    REQUIRE(p.cells.size() == 1);
    CHECK(p.cells[0].key.id() == "dataset/ctx0/out16/c2");

    const workload::corpus_parse_result data = workload::load_corpus(file.string());
    REQUIRE(data.ok());
    emulator::profile profile = emulator::builtin_profile();
    profile.model.max_context_tokens = 2048; // the 20,000-byte prompt does not fit
    sweep::simulator_runner runner(profile, {}, data.value, file.string());
    sweep::sweep_options so;
    so.output_dir = dir;
    const sweep::sweep_outcome out = run(p, runner, so);
    REQUIRE(out.result.cells.size() == 1);
    const sweep::cell_result& c = out.result.cells[0];
    CHECK(c.requests_started == 6);
    CHECK(c.requests_succeeded == 6);
    REQUIRE(c.dataset.has_value());
    CHECK(c.dataset->file == file.string());
    CHECK(c.dataset->records == 4); // the empty prompt is no record
    CHECK(c.dataset->used == 3);
    CHECK(c.dataset->outputs_from_data == 2); // the stated length and the counted answer
    CHECK(c.dataset->skipped ==
          std::map<std::string, std::uint64_t>{
              {"empty prompt", 1}, {"longer than the model's context (2048 tokens)", 1}});
    CHECK(c.dataset->prompt_tokens_max < 100);

    // Request i took record i mod 3: its own output length, else the cell's 16 tokens; its
    // prompt tokens the same on every pass through the records.
    std::map<std::uint64_t, std::uint64_t> outputs, prompts;
    sweep::output_dir::read_lines(
        dir / "requests.jsonl", [&](const boost::json::value& v, std::size_t) {
            const std::uint64_t i = v.at("index").to_number<std::uint64_t>();
            const auto& usage = v.at("usage").as_object();
            outputs[i] = usage.at("completion_tokens").to_number<std::uint64_t>();
            prompts[i] = usage.at("prompt_tokens").to_number<std::uint64_t>();
        });
    REQUIRE(outputs.size() == 6);
    CHECK(outputs[0] == 5);
    CHECK(outputs[1] > 5);
    CHECK(outputs[1] < 30);
    CHECK(outputs[2] == 16);
    for (std::uint64_t i = 0; i < 3; ++i) {
        CHECK(outputs[i] == outputs[i + 3]);
        CHECK(prompts[i] == prompts[i + 3]);
    }
    CHECK(prompts[0] != prompts[1]);

    // cells.jsonl keeps the record; `report` rebuilds the same results.
    const sweep::sweep_outcome again = sweep::rebuild_results(dir);
    REQUIRE(again.result.cells.size() == 1);
    CHECK(again.result.cells[0].dataset == c.dataset);
}

TEST_CASE("run_sweep: a dataset cell without a usable record fails, saying why") {
    const auto dir = fresh_dir("dataset-none");
    sweep::sweep_plan p;
    p.name = "dataset";
    p.corpus_path = "tiny.jsonl";
    p.requests.warmup_requests = 0;
    sweep::planned_cell cell;
    cell.key = sweep::cell_key{0, 8, 1, "dataset"};
    cell.dataset = true;
    p.cells.push_back(cell);
    workload::corpus data;
    data.records.push_back({std::string(20000, 'y'), std::nullopt, std::nullopt, 1});
    data.texts.push_back(data.records[0].prompt);
    emulator::profile profile = emulator::builtin_profile();
    profile.model.max_context_tokens = 1024;
    sweep::simulator_runner runner(profile, {}, data, "tiny.jsonl");
    sweep::sweep_options so;
    so.output_dir = dir;
    const sweep::sweep_outcome out = run(p, runner, so);
    REQUIRE(out.result.cells.size() == 1);
    CHECK(out.result.cells[0].measured_nothing());
    CHECK(out.result.cells[0].stop_error ==
          "dataset tiny.jsonl: no record fits (skipped: 1 longer than the model's context (1024 "
          "tokens))");
}

TEST_CASE("run_sweep: a rate search in the simulator brackets the sustainable rate") {
    const auto dir = fresh_dir("rate-search");
    sweep::sweep_plan p;
    p.name = "rates";
    p.requests.warmup_requests = 0;
    p.requests.requests_per_concurrency = 0;
    p.requests.min_requests = 0;
    p.requests.max_duration_s = 30.0; // the arrivals of each cell span 30 s
    sweep::rate_search s;
    s.context_tokens = 1024;
    s.output_tokens = 16;
    s.start_rate_per_s = 16.0;
    s.max_in_flight = 512;
    s.max_cells = 8;
    p.rate_searches.push_back(s);
    const sweep::sweep_outcome out = test::simulate(p, dir);
    REQUIRE(out.result.rate_searches.size() == 1);
    const sweep::rate_search_result& r = out.result.rate_searches[0];
    std::string tried;
    for (const auto& [rate, kept_up] : r.measured)
        tried += std::to_string(rate) + (kept_up ? "+ " : "- ");
    MESSAGE("rates tried: " << tried);
    REQUIRE(r.sustainable_rate_per_s.has_value());
    REQUIRE(r.unsustainable_rate_per_s.has_value());
    CHECK(*r.sustainable_rate_per_s < *r.unsustainable_rate_per_s);
    CHECK(r.converged);
    CHECK(out.search_errors.empty());
    // Every rate is a cell of the run, kept up exactly when its cell kept up.
    REQUIRE(out.result.cells.size() == r.measured.size());
    for (std::size_t i = 0; i < r.measured.size(); ++i) {
        const sweep::cell_result& c = out.result.cells[i];
        CAPTURE(c.key.id());
        CHECK(c.key.rate_per_s == r.measured[i].first);
        CHECK(c.key.concurrency == 512);
        REQUIRE(c.arrivals.has_value());
        CHECK_FALSE(c.arrivals->too_short);
        CHECK(r.measured[i].second == (!c.arrivals->saturated && !c.arrivals->late));
        // Above the sustainable rate the server falls behind: time in the system grows.
        if (!r.measured[i].second)
            CHECK(c.arrivals->e2e_late_s > 1.5 * c.arrivals->e2e_early_s);
    }
    // `report` replays the search on the stored cells and finds the same.
    const sweep::sweep_outcome again = sweep::rebuild_results(dir);
    REQUIRE(again.result.rate_searches.size() == 1);
    CHECK(again.result.rate_searches[0] == r);
}

TEST_CASE("run_sweep: a Mooncake trace replayed in the simulator shares the prefixes its hash ids "
          "imply, at its times") {
    const auto dir = fresh_dir("trace-mooncake");
    const std::string file =
        std::string(LLMCAP_TEST_FIXTURES_DIR) + "/traces/mooncake_sample.jsonl";
    const workload::trace_read trace = workload::load_trace(file, workload::trace_format::mooncake);
    REQUIRE(trace.ok());
    sweep::sweep_plan p;
    p.name = "trace";
    sweep::add_grid(p, {1024}, {16}, {1});
    sweep::plan_overrides o;
    o.trace_path = file;
    o.trace_format = "mooncake";
    o.trace_time_scale = 2.0;
    o.max_in_flight = 8;
    std::string why;
    REQUIRE(sweep::apply_overrides(p, o, why));
    REQUIRE(p.cells.size() == 1);
    CHECK(p.cells[0].key.id() == "trace/ctx0/out0/c8");

    sweep::simulator_runner runner(emulator::builtin_profile(), {}, {}, trace, file, 2.0);
    sweep::sweep_options so;
    so.output_dir = dir;
    const sweep::sweep_outcome out = run(p, runner, so);
    REQUIRE(out.result.cells.size() == 1);
    const sweep::cell_result& c = out.result.cells[0];
    CHECK(c.requests_started == 4);
    CHECK(c.requests_succeeded == 4);
    CHECK(c.warmup_requests == 0);
    REQUIRE(c.arrivals.has_value());
    CHECK(c.arrivals->late_requests == 0);
    CHECK(c.arrivals->lag_max_s == 0.0); // virtual time keeps the schedule exactly
    REQUIRE(c.dataset.has_value());
    CHECK(c.dataset->used == 4);
    CHECK(c.dataset->skipped.at("zero length") == 1);

    std::vector<double> at;
    std::vector<std::uint64_t> prompt, output, cached;
    sweep::output_dir::read_lines(
        dir / "requests.jsonl", [&](const boost::json::value& v, std::size_t) {
            at.push_back(v.at("intended_start_ns").to_number<double>() / 1e9);
            const auto& usage = v.at("usage").as_object();
            prompt.push_back(usage.at("prompt_tokens").to_number<std::uint64_t>());
            output.push_back(usage.at("completion_tokens").to_number<std::uint64_t>());
            const boost::json::value* ct = usage.if_contains("cached_tokens");
            cached.push_back(ct == nullptr || ct->is_null() ? 0 : ct->to_number<std::uint64_t>());
        });
    REQUIRE(at.size() == 4);
    std::vector<std::size_t> order{0, 1, 2, 3}; // by intended start (the file is in end order)
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return at[a] < at[b] || (at[a] == at[b] && prompt[a] > prompt[b]);
    });
    // The trace's times, doubled: 0, 0.5, 0.5 and 2.8 s after the first.
    CHECK(at[order[1]] - at[order[0]] == doctest::Approx(0.5));
    CHECK(at[order[2]] - at[order[0]] == doctest::Approx(0.5));
    CHECK(at[order[3]] - at[order[0]] == doctest::Approx(2.8));
    // Each prompt as long as the trace says (the emulator's tokenizer is the server's).
    CHECK(prompt[order[0]] == 1200);
    CHECK(prompt[order[1]] == 1100);
    CHECK(prompt[order[2]] == 600);
    CHECK(prompt[order[3]] == 700);
    CHECK(output[order[0]] == 16);
    CHECK(output[order[3]] == 10);
    // Hash ids [0,1,2], [0,1,3], [0,4], [8,9]: the second request finds two 512-token blocks in
    // the prefix cache, the third one, the fourth none (the cache holds 16-token blocks).
    CHECK(cached[order[0]] == 0);
    CHECK(cached[order[1]] >= 1024 - 16);
    CHECK(cached[order[1]] < 1100);
    CHECK(cached[order[2]] >= 512 - 16);
    CHECK(cached[order[2]] < 600);
    CHECK(cached[order[3]] < 16);
}

namespace {

// Two classes for the mix tests: short chats judged on TTFT and speed, documents on TTFT;
// in the simulator the mix holds up to a dozen requests in flight.
analysis::traffic_mix test_mix() {
    using analysis::comparison;
    using analysis::metric;
    using analysis::statistic;
    analysis::use_case chat{
        "chat",
        "Chat",
        2048,
        128,
        {analysis::threshold{metric::ttft, statistic::mean, comparison::less, 1.0},
         analysis::threshold{metric::generation_speed, statistic::mean, comparison::greater, 40.0}},
        std::nullopt};
    analysis::use_case docs{
        "docs",
        "Documents",
        16384,
        64,
        {analysis::threshold{metric::ttft, statistic::mean, comparison::less, 4.0}},
        std::nullopt};
    analysis::traffic_mix m{{{chat, 0.7}, {docs, 0.3}}};
    REQUIRE(analysis::check_mix(m).empty());
    return m;
}

// True when every class of `c` meets its own thresholds on its own requests.
bool every_class_holds(const analysis::traffic_mix& m, const sweep::cell_result& c) {
    REQUIRE(c.classes.size() == m.classes.size());
    for (std::size_t k = 0; k < m.classes.size(); ++k)
        if (c.classes[k].requests_succeeded == 0 ||
            !analysis::unmet_thresholds(m.classes[k].workload, c.classes[k].summary).empty())
            return false;
    return true;
}

} // namespace

TEST_CASE("run_sweep: a traffic mix's capacity equals an exhaustive scan in the simulator, each "
          "class judged on its own requests") {
    const analysis::traffic_mix mix = test_mix();
    constexpr std::uint32_t highest = 24;
    // The exhaustive scan: a mix cell at every load from 1 to 24.
    const auto scan_dir = fresh_dir("mix-scan");
    sweep::sweep_plan scan;
    scan.name = "mix-scan";
    scan.mix = mix;
    for (std::uint32_t c = 1; c <= highest; ++c) {
        sweep::planned_cell pc;
        pc.key = sweep::cell_key{0, 0, c, std::string(sweep::mix_cell_name)};
        pc.mix = true;
        scan.cells.push_back(pc);
    }
    const sweep::sweep_outcome scanned = test::simulate(scan, scan_dir);
    REQUIRE(scanned.result.cells.size() == highest);
    std::uint32_t expected = 0;
    for (const sweep::cell_result& c : scanned.result.cells) {
        CAPTURE(c.key.id());
        // Each request counted in exactly one class; each class carries its own lengths and
        // its share of the requests (8 or more of the smaller class).
        REQUIRE(c.classes.size() == 2);
        CHECK(c.classes[0].requests_started + c.classes[1].requests_started == c.requests_started);
        CHECK(c.classes[1].requests_started >= analysis::mix_min_class_requests - 1);
        CHECK(static_cast<double>(c.classes[1].requests_started) ==
              doctest::Approx(0.3 * static_cast<double>(c.requests_started)).epsilon(0.15));
        CHECK(c.classes[0].summary.context_tokens == 2048);
        CHECK(c.classes[1].summary.context_tokens == 16384);
        CHECK(c.prompt.max_relative_error <= sweep::prompt_tolerance);
        // Documents' prompts are eight times longer: their TTFT is the longer one.
        CHECK(*c.classes[1].summary.value(analysis::metric::ttft, analysis::statistic::mean) >
              *c.classes[0].summary.value(analysis::metric::ttft, analysis::statistic::mean));
        if (expected + 1 == c.key.concurrency && every_class_holds(mix, c))
            expected = c.key.concurrency;
    }
    MESSAGE("the exhaustive scan's capacity: " << expected);
    REQUIRE(expected > 1);
    REQUIRE(expected < highest); // the bracket is inside the scan, not at its end

    // The search: doubling, then bisection, over mix cells of its own.
    const auto dir = fresh_dir("mix-search");
    sweep::sweep_plan p;
    p.name = "mix-search";
    p.mix = mix;
    p.mix_search = sweep::mix_search_plan{highest, 0};
    const sweep::sweep_outcome out = test::simulate(p, dir);
    REQUIRE(out.result.mix.has_value());
    const sweep::mix_search_result& r = *out.result.mix;
    CHECK(r.capacity == expected);
    CHECK(r.lowest_failing == expected + 1);
    CHECK(r.converged);
    CHECK(out.result.cells.size() == r.levels.size());
    CHECK(r.levels.size() < highest / 2);
    // Each level's verdict is the scan's at that load, class by class: the cells are the same
    // requests at the same load.
    for (std::size_t i = 0; i < r.levels.size(); ++i) {
        const sweep::mix_level& l = r.levels[i];
        const sweep::cell_result& same = scanned.result.cells[l.concurrency - 1];
        CAPTURE(l.concurrency);
        CHECK(l.passes() == every_class_holds(mix, same));
        CHECK(out.result.cells[i].classes == same.classes);
    }
    // The class that gives way first fails at the lowest failing load.
    REQUIRE_FALSE(r.gives_way_first.empty());
    for (const sweep::mix_level& l : r.levels)
        if (l.concurrency == *r.lowest_failing)
            for (const sweep::mix_class_verdict& v : l.classes)
                if (v.name == r.gives_way_first)
                    CHECK_FALSE(v.unmet.empty());
    REQUIRE(r.class_capacity.size() == 2);

    // `report` replays the search on the stored cells (the classes drawn again from the plan).
    const std::string written = test::read_file(dir / "results.json");
    const sweep::sweep_outcome again = sweep::rebuild_results(dir);
    REQUIRE(again.result.mix.has_value());
    CHECK(boost::json::serialize(sweep::to_json(*again.result.mix)) ==
          boost::json::serialize(sweep::to_json(r)));
    CHECK(test::read_file(dir / "results.json") == written);
}

TEST_CASE("run_sweep: a mix cell short of requests is lengthened so that its smallest class "
          "has some") {
    const auto dir = fresh_dir("mix-short");
    sweep::sweep_plan p;
    p.name = "mix-short";
    p.mix = test_mix();
    p.requests.requests_per_concurrency = 1;
    p.requests.min_requests = 1;
    sweep::planned_cell pc;
    pc.key = sweep::cell_key{0, 0, 2, std::string(sweep::mix_cell_name)};
    pc.mix = true;
    p.cells.push_back(pc);
    const sweep::sweep_outcome out = test::simulate(p, dir);
    REQUIRE(out.result.cells.size() == 1);
    // ⌈8 ÷ 0.3⌉ = 27 requests instead of 2.
    CHECK(out.result.cells[0].requests_started ==
          analysis::mix_requests_for(p.mix.value(), analysis::mix_min_class_requests));
    CHECK(out.result.cells[0].requests_started == 27);
    CHECK(out.result.cells[0].classes[1].requests_started >= 7);
}

TEST_CASE("run_sweep: a rate search over a traffic mix keeps a rate only when every class holds") {
    const auto dir = fresh_dir("mix-rate-search");
    sweep::sweep_plan p;
    p.name = "mix-rates";
    p.mix = test_mix();
    p.requests.warmup_requests = 0;
    p.requests.requests_per_concurrency = 0;
    p.requests.min_requests = 0;
    p.requests.max_duration_s = 60.0;
    sweep::rate_search s;
    s.context_tokens = 0;
    s.output_tokens = 0;
    s.start_rate_per_s = 1.0;
    s.max_in_flight = 1024;
    s.max_cells = 8;
    s.mix = true;
    p.rate_searches.push_back(s);
    const sweep::sweep_outcome out = test::simulate(p, dir);
    REQUIRE(out.result.rate_searches.size() == 1);
    const sweep::rate_search_result& r = out.result.rate_searches[0];
    REQUIRE(r.sustainable_rate_per_s.has_value());
    REQUIRE(r.unsustainable_rate_per_s.has_value());
    CHECK(*r.sustainable_rate_per_s < *r.unsustainable_rate_per_s);
    REQUIRE(out.result.cells.size() == r.measured.size());
    bool some_class_failed = false;
    for (std::size_t i = 0; i < r.measured.size(); ++i) {
        const sweep::cell_result& c = out.result.cells[i];
        CAPTURE(c.key.id());
        CHECK(c.key.use_case == sweep::mix_cell_name);
        CHECK(c.key.rate_per_s == r.measured[i].first);
        REQUIRE(c.arrivals.has_value());
        const bool holds = every_class_holds(*p.mix, c);
        some_class_failed = some_class_failed || (!holds && !c.arrivals->saturated);
        CHECK(r.measured[i].second == (holds && !c.arrivals->saturated && !c.arrivals->late));
    }
    MESSAGE("a class gave way before the server fell behind: " << some_class_failed);
    const sweep::sweep_outcome again = sweep::rebuild_results(dir);
    REQUIRE(again.result.rate_searches.size() == 1);
    CHECK(again.result.rate_searches[0] == r);
}
