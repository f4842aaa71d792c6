// The virtual-time simulator's modelled energy (emulator::simulation_result::energy_j), which
// sweep::simulator_runner reports for each cell.
#include <llmcap/emulator/simulator.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/energy_model.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

using namespace llmcap;

namespace {

emulator::simulation_result simulate_cell(const emulator::power_model& power,
                                          std::uint32_t concurrency = 4) {
    emulator::workload w;
    w.prompt_tokens = 4096;
    w.output_tokens = 64;
    emulator::closed_loop c;
    c.concurrency = concurrency;
    c.warmup_requests = 2;
    c.measured_requests = 8;
    std::mt19937_64 rng(7);
    static const emulator::profile p = emulator::builtin_profile();
    return emulator::simulate(p, w, c, rng, power);
}

} // namespace

TEST_CASE("simulation energy: idle power between steps, each step's power during it") {
    const emulator::power_model power;
    const emulator::simulation_result sim = simulate_cell(power);
    REQUIRE(sim.step_powers.size() == sim.steps);
    REQUIRE(sim.steps > 64);
    CHECK(sim.idle_power_w == power.idle_w);
    const time_point from = emulator::virtual_epoch();
    const time_point to = from + sim.elapsed;
    double busy_s = 0.0, step_j = 0.0;
    for (std::size_t i = 0; i < sim.step_powers.size(); ++i) {
        const auto& s = sim.step_powers[i];
        CHECK(s.power_w >= power.idle_w);
        CHECK(s.power_w <= power.max_w);
        CHECK(s.end > s.start);
        if (i > 0)
            CHECK(s.start >= sim.step_powers[i - 1].end); // one step at a time
        if (s.end <= to) {
            busy_s += to_seconds(s.end - s.start);
            step_j += s.power_w * to_seconds(s.end - s.start);
        }
    }
    const double span_s = to_seconds(to - from);
    // The whole run: every step's energy plus idle power over the gaps between them.
    CHECK(sim.energy_j(from, to) ==
          doctest::Approx(step_j + power.idle_w * (span_s - busy_s)).epsilon(1e-9));
    CHECK(sim.energy_j(from, to) > power.idle_w * span_s);
    CHECK(sim.energy_j(from, to) < power.max_w * span_s);
    // Additive over a split inside a step, and nothing over an empty span.
    const auto& mid = sim.step_powers[sim.step_powers.size() / 2];
    const time_point split = mid.start + (mid.end - mid.start) / 3;
    CHECK(sim.energy_j(from, split) + sim.energy_j(split, to) ==
          doctest::Approx(sim.energy_j(from, to)).epsilon(1e-12));
    CHECK(sim.energy_j(to, from) == 0.0);
    CHECK(sim.energy_j(split, split) == 0.0);
    // The peak over one step's span is that step's power; over the run, the largest one.
    CHECK(sim.peak_power_w(mid.start, mid.end) == mid.power_w);
    double largest = 0.0;
    for (const auto& s : sim.step_powers)
        largest = std::max(largest, s.power_w);
    CHECK(sim.peak_power_w(from, to) == largest);
    // Past the last step only idle power is drawn.
    const time_point after = sim.step_powers.back().end;
    CHECK(sim.energy_j(after, after + std::chrono::seconds(2)) ==
          doctest::Approx(2.0 * power.idle_w));
    CHECK(sim.peak_power_w(after, after + std::chrono::seconds(2)) == power.idle_w);
}

TEST_CASE("simulation energy: a constant power model gives power × time") {
    emulator::power_model flat;
    flat.idle_w = 500.0;
    flat.max_w = 500.0;
    const emulator::simulation_result sim = simulate_cell(flat);
    const time_point from = emulator::virtual_epoch();
    const time_point to = from + sim.elapsed;
    CHECK(sim.energy_j(from, to) == doctest::Approx(500.0 * to_seconds(to - from)).epsilon(1e-12));
    // The timing does not depend on the power model.
    const emulator::simulation_result other = simulate_cell(emulator::power_model{});
    CHECK(other.elapsed == sim.elapsed);
    CHECK(other.steps == sim.steps);
}

TEST_CASE("simulation energy: shared among requests by tokens processed") {
    const emulator::power_model power;
    // Closed loop at 1: the warm-up request ends before the first measured one starts and
    // nothing runs beside them, so the measured requests' energy plus idle power over the gaps
    // between steps is all the energy of their span.
    {
        const emulator::simulation_result sim = simulate_cell(power, 1);
        REQUIRE(sim.requests.size() == 8);
        const time_point from = sim.requests.front().trace.intended_start;
        const time_point to = sim.requests.back().trace.end;
        double attributed = 0.0, busy_s = 0.0;
        for (const auto& r : sim.requests) {
            CHECK(r.energy_j > 0.0);
            attributed += r.energy_j;
        }
        for (const auto& s : sim.step_powers)
            if (s.start >= from && s.end <= to)
                busy_s += to_seconds(s.end - s.start);
        CHECK(attributed + power.idle_w * (to_seconds(to - from) - busy_s) ==
              doctest::Approx(sim.energy_j(from, to)).epsilon(1e-9));
        // Identical requests served alone cost the same.
        for (const auto& r : sim.requests)
            CHECK(r.energy_j == doctest::Approx(sim.requests.front().energy_j).epsilon(0.02));
    }
    // Closed loop at 4: the warm-up requests run beside the first measured ones and further
    // requests hold the concurrency at the end; their share is not the measured requests'.
    {
        const emulator::simulation_result sim = simulate_cell(power, 4);
        const time_point from = sim.requests.front().trace.intended_start;
        time_point to = from;
        double attributed = 0.0;
        for (const auto& r : sim.requests) {
            attributed += r.energy_j;
            to = std::max(to, r.trace.end);
        }
        CHECK(attributed > 0.0);
        CHECK(attributed < sim.energy_j(from, to));
        // Batched, a request costs less than alone.
        const emulator::simulation_result alone = simulate_cell(power, 1);
        CHECK(attributed / static_cast<double>(sim.requests.size()) <
              alone.requests.front().energy_j);
    }
}
