#include <llmcap/sweep/http_runner.hpp>

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/sweep/output_dir.hpp>
#include <llmcap/sweep/run_sweep.hpp>
#include <llmcap/telemetry/dcgm_energy_meter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace llmcap;

TEST_CASE("run_sweep: a reduced sweep against the real-time emulator over HTTP") {
    const auto dir =
        std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "sweep-tests" / "emulator-http";
    std::filesystem::remove_all(dir);
    boost::asio::io_context io;
    emulator::server_options so;
    so.port = 0;
    so.time_scale = 1.0;
    emulator::server srv(io, emulator::builtin_profile(), so);
    std::map<std::string, emulator::request_record> truth;
    srv.on_request([&](const emulator::request_record& r) { truth[r.response_id] = r; });
    srv.start();
    client::http_endpoint endpoint(io.get_executor(),
                                   "http://127.0.0.1:" + std::to_string(srv.port()));

    sweep::sweep_plan plan;
    plan.name = "emulator-reduced";
    plan.requests.warmup_requests = 2; // run before the first scrape: not in the histograms
    plan.requests.requests_per_concurrency = 2;
    plan.requests.min_requests = 3;
    sweep::add_grid(plan, {512, 4096}, {24}, {1, 3});
    sweep::http_runner_options ho;
    ho.url = "http://127.0.0.1:" + std::to_string(srv.port());
    // The emulated DCGM counter, read from the page the server renders for /metrics; the ground
    // truth is the emulator's energy at the moment each page was rendered.
    std::vector<double> truth_j;
    telemetry::dcgm_energy_meter meter({}, [&](std::string& body) {
        body.clear();
        const time_point now = stamp();
        srv.render_metrics(body);
        truth_j.push_back(srv.energy_j(srv.to_emulated(now)));
        return std::error_code();
    });
    sweep::http_runner<client::http_endpoint, telemetry::dcgm_energy_meter> runner(endpoint, ho,
                                                                                   &meter);
    sweep::sweep_options o;
    o.output_dir = dir;
    std::optional<sweep::sweep_outcome> out;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            out = co_await sweep::run_sweep(plan, runner, o);
            srv.stop();
        },
        [&](std::exception_ptr e) {
            srv.stop();
            if (e)
                std::rethrow_exception(e);
        });
    io.run();
    REQUIRE(out.has_value());
    const sweep::sweep_result& r = out->result;
    CHECK(r.complete);
    CHECK(r.run.server.dialect == "vllm");
    CHECK(runner.dialect().kind == openai::dialect::vllm);
    REQUIRE(r.cells.size() == 4);

    // Prompts: every measured request landed exactly on its target (the emulator's tokenizer is
    // exact), and the file holds every request once.
    std::uint64_t started = 0, exact = 0;
    for (const sweep::cell_result& c : r.cells) {
        CAPTURE(c.key.id());
        CHECK(c.requests_succeeded == c.requests_started);
        CHECK(c.warmup_requests == 2);
        started += c.requests_started;
        exact += c.prompt.exact;
        CHECK_FALSE(c.prompt.flagged);
        CHECK(c.short_outputs == 0);
        // Queue wait and prefill time from the /metrics histograms against the ground truth of
        // the cell's own requests (matched by response id).
        REQUIRE(c.server.has_value());
        CHECK(c.server->error.empty());
        const auto& q = c.server->values.at("queue_wait_mean_s");
        const auto& p = c.server->values.at("prefill_time_mean_s");
        REQUIRE(q.state == prometheus::value_state::measured);
        REQUIRE(p.state == prometheus::value_state::measured);
        CHECK(q.source == prometheus::value_source::scrape_delta);
        CHECK(q.observations == c.requests_started);
        double q_truth = 0, p_truth = 0;
        std::size_t n = 0;
        sweep::output_dir::read_lines(
            dir / "requests.jsonl", [&](const boost::json::value& v, std::size_t) {
                if (v.at("cell").as_string() != c.key.id() || v.at("warmup").as_bool())
                    return;
                const auto it = truth.find(std::string(v.at("response_id").as_string()));
                REQUIRE(it != truth.end());
                q_truth += to_seconds(*it->second.truth.queue_wait());
                p_truth += to_seconds(*it->second.truth.prefill_time());
                ++n;
            });
        REQUIRE(n == c.requests_started);
        q_truth /= static_cast<double>(n);
        p_truth /= static_cast<double>(n);
        CHECK(std::abs(*p.value - p_truth) <= 0.02 * p_truth);
        // Queue waits can be microseconds at concurrency 1: 2% or 20 µs.
        CHECK(std::abs(*q.value - q_truth) <= std::max(0.02 * q_truth, 20e-6));
    }
    CHECK(static_cast<double>(exact) >= 0.99 * static_cast<double>(started));
    // Energy per output token from the counter against the ground truth, per cell (each cell
    // read the counter twice: at its start and at its stop).
    REQUIRE(truth_j.size() == 2 * r.cells.size());
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
        const sweep::cell_result& c = r.cells[i];
        CAPTURE(c.key.id());
        REQUIRE(c.energy.has_value());
        CHECK(c.energy->source == telemetry::energy_source::dcgm);
        CHECK(c.energy->method == telemetry::energy_method::hardware_counter);
        REQUIRE(c.energy->joules_per_output_token.has_value());
        const double tokens = static_cast<double>(c.requests_started) * c.key.output_tokens;
        const double truth_per_token = (truth_j[2 * i + 1] - truth_j[2 * i]) / tokens;
        CHECK(truth_per_token > 0.0);
        CHECK(std::abs(*c.energy->joules_per_output_token - truth_per_token) <=
              0.01 * truth_per_token);
    }
    CHECK(r.run.server.max_model_len.has_value());
}
