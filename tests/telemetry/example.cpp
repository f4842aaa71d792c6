// The example of docs/telemetry.md, compiled and checked here.
#include <llmcap/telemetry.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

// A DCGM exporter page with one GPU (energy in mJ, power in W).
std::string dcgm_page(long long energy_mj, double power_w) {
    return "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\",modelName=\"NVIDIA H200\"} " +
           std::to_string(energy_mj) +
           "\nDCGM_FI_DEV_POWER_USAGE{gpu=\"0\",modelName=\"NVIDIA H200\"} " +
           std::to_string(power_w) + "\n";
}

} // namespace

TEST_CASE("docs/telemetry.md example: energy of a cell, per token and in money") {
    using namespace std::chrono_literals;
    const llmcap::time_point t0{};
    // [example]
    namespace tel = llmcap::telemetry;

    // Local GPUs: NVML when the driver is there, else a clear "no local GPU telemetry".
    tel::nvml_energy_meter local;
    const std::string local_state = local.available() ? "NVML available" : local.status_message();

    // A remote server: its DCGM exporter's pages (fetched by the caller) and their times.
    tel::dcgm_energy_meter idle_meter, cell_meter;
    (void)idle_meter.start(dcgm_page(1'000'000'000, 110.0), t0);
    const tel::energy_result idle = idle_meter.stop(dcgm_page(1'001'100'000, 110.0), t0 + 10s);
    const tel::idle_baseline baseline = tel::make_idle_baseline(*idle.reading); // 110 W

    (void)cell_meter.start(dcgm_page(1'001'100'000, 120.0), t0 + 10s);
    (void)cell_meter.sample(dcgm_page(1'004'100'000, 640.0), t0 + 15s);
    const tel::energy_result r = cell_meter.stop(dcgm_page(1'007'100'000, 600.0), t0 + 20s);
    const tel::cell_energy e = tel::with_idle_baseline(*r.reading, baseline);

    const std::uint64_t output_tokens = 12'000;
    char line[200];
    std::snprintf(line, sizeof line,
                  "%.0f J (%s), mean %.0f W, peak %.0f W, %.0f J above idle, %.3f J/token, "
                  "cost %.5f at 0.15 per kWh",
                  e.measured.energy_j,
                  std::string(tel::energy_method_name(e.measured.method)).c_str(),
                  e.measured.mean_power_w, *e.measured.peak_power_w, *e.above_idle_j,
                  *tel::joules_per_output_token(e.measured.energy_j, output_tokens),
                  tel::energy_cost(e.measured.energy_j, 0.15));
    // [example]
    CHECK(std::string(line) == "6000 J (hardware_counter), mean 600 W, peak 640 W, 4900 J above "
                               "idle, 0.500 J/token, cost 0.00025 at 0.15 per kWh");
    CHECK_FALSE(local_state.empty());
    CHECK(baseline.power_w == doctest::Approx(110));
    CHECK(e.measured.energy_j == doctest::Approx(6000));
    CHECK(e.measured.mean_power_w == doctest::Approx(600));
    CHECK(*e.measured.peak_power_w == doctest::Approx(640));
    CHECK(*e.above_idle_j == doctest::Approx(4900));
    CHECK(*tel::joules_per_output_token(e.measured.energy_j, output_tokens) ==
          doctest::Approx(0.5));
    CHECK(tel::energy_cost(e.measured.energy_j, 0.15) == doctest::Approx(0.00025));
}
