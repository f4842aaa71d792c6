// The energy sweep::simulator_runner reports for a cell: the virtual endpoint's modelled GPU,
// metered over the measured requests as a GPU's energy counter is.
#include <llmcap/sweep/simulator_runner.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/energy_model.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

using namespace llmcap;

namespace {

struct simulated_cell {
    sweep::cell_run run;
    std::vector<request_trace> measured;
};

simulated_cell simulate_cell(const emulator::power_model& power, std::uint32_t concurrency = 4) {
    sweep::simulator_runner runner(emulator::builtin_profile(), power);
    sweep::cell_spec spec;
    spec.key.context_tokens = 4096;
    spec.key.output_tokens = 64;
    spec.key.concurrency = concurrency;
    spec.warmup_requests = 2;
    spec.stop.requests = 8;
    simulated_cell out;
    boost::asio::io_context io;
    std::exception_ptr failure;
    // Named: run_cell takes the callback by reference and runs after this statement.
    const sweep::trace_callback on_trace = [&](const request_trace& t, bool warmup) {
        if (!warmup)
            out.measured.push_back(t);
    };
    boost::asio::co_spawn(io, runner.run_cell(spec, on_trace),
                          [&](std::exception_ptr e, sweep::cell_run r) {
                              failure = e;
                              out.run = std::move(r);
                          });
    io.run();
    if (failure)
        std::rethrow_exception(failure);
    return out;
}

} // namespace

TEST_CASE("simulated energy: metered over the measured requests, between idle and full power") {
    const emulator::power_model power;
    const simulated_cell c = simulate_cell(power);
    REQUIRE(c.run.energy);
    REQUIRE(c.measured.size() == 8);
    const sweep::energy_record& e = *c.run.energy;
    CHECK(e.source == telemetry::energy_source::emulator);
    CHECK(e.method == telemetry::energy_method::power_model);
    CHECK(e.gpu_count == 1);
    // The meter runs from before the first measured request to after the last one ends.
    time_point first = c.measured.front().intended_start, last = c.measured.front().end;
    for (const request_trace& t : c.measured) {
        first = std::min(first, t.intended_start);
        last = std::max(last, t.end);
    }
    CHECK(e.elapsed_s >= to_seconds(last - first));
    CHECK(e.elapsed_s < to_seconds(last - first) * 1.01);
    CHECK(e.mean_power_w > power.idle_w);
    CHECK(e.mean_power_w < power.max_w);
    CHECK(e.energy_j == doctest::Approx(e.mean_power_w * e.elapsed_s).epsilon(1e-12));
    REQUIRE(e.peak_power_w);
    CHECK(*e.peak_power_w >= e.mean_power_w);
    CHECK(*e.peak_power_w <= power.max_w);
}

TEST_CASE("simulated energy: a constant power model gives power × time; timing does not move") {
    emulator::power_model flat;
    flat.idle_w = 500.0;
    flat.max_w = 500.0;
    const simulated_cell c = simulate_cell(flat);
    REQUIRE(c.run.energy);
    CHECK(c.run.energy->energy_j ==
          doctest::Approx(500.0 * c.run.energy->elapsed_s).epsilon(1e-12));
    CHECK(*c.run.energy->peak_power_w == 500.0);
    const simulated_cell other = simulate_cell(emulator::power_model{});
    REQUIRE(other.measured.size() == c.measured.size());
    for (std::size_t i = 0; i < c.measured.size(); ++i)
        CHECK(other.measured[i].end == c.measured[i].end);
}

TEST_CASE("simulated energy: a batch costs less per output token than requests alone") {
    const simulated_cell batched = simulate_cell(emulator::power_model{}, 4);
    const simulated_cell alone = simulate_cell(emulator::power_model{}, 1);
    REQUIRE(batched.run.energy);
    REQUIRE(alone.run.energy);
    // Both cells produce 8 × 64 output tokens.
    CHECK(batched.run.energy->energy_j < alone.run.energy->energy_j);
}
