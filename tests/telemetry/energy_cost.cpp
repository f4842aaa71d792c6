#include <llmcap/telemetry/energy_cost.hpp>

#include <llmcap/telemetry/any_energy_meter.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/power_integrator.hpp>
#include <llmcap/telemetry/power_sampler.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <system_error>
#include <thread>

namespace tel = llmcap::telemetry;
using namespace std::chrono_literals;

TEST_CASE("energy_cost: kWh, joules per token, cost") {
    CHECK(tel::joules_to_kwh(3.6e6) == 1.0);
    CHECK(tel::energy_cost(7.2e6, 0.15) == doctest::Approx(0.30));
    CHECK(*tel::joules_per_output_token(7600, 2048) == doctest::Approx(3.7109375));
    CHECK_FALSE(tel::joules_per_output_token(7600, 0));
    // 3.6 J/token -> 3.6e6 J per million tokens = 1 kWh.
    CHECK(*tel::cost_per_million_tokens(3600, 1000, 0.2) == doctest::Approx(0.2));
    CHECK_FALSE(tel::cost_per_million_tokens(3600, 0, 0.2));
}

TEST_CASE("energy_cost: idle baseline is subtracted beside the measurement, not instead") {
    tel::energy_reading idle;
    idle.energy_j = 6000;
    idle.mean_power_w = 200;
    idle.elapsed = std::chrono::seconds(30);
    idle.source = tel::energy_source::dcgm;
    const tel::idle_baseline b = tel::make_idle_baseline(idle);
    CHECK(b.power_w == 200);
    CHECK(b.measured_over == std::chrono::seconds(30));
    CHECK(b.source == tel::energy_source::dcgm);

    tel::energy_reading cell;
    cell.energy_j = 7600;
    cell.mean_power_w = 760;
    cell.elapsed = std::chrono::seconds(10);
    const tel::cell_energy c = tel::with_idle_baseline(cell, b);
    CHECK(c.measured.energy_j == 7600);
    REQUIRE(c.above_idle_j);
    CHECK(*c.above_idle_j == doctest::Approx(5600));
    CHECK(*c.above_idle_power_w == doctest::Approx(560));
    const tel::cell_energy none = tel::with_idle_baseline(cell, std::nullopt);
    CHECK_FALSE(none.baseline);
    CHECK_FALSE(none.above_idle_j);
    CHECK(tel::energy_method_name(tel::energy_method::integrated_power) == "integrated_power");
    CHECK(tel::energy_source_name(tel::energy_source::nvidia_smi) == "nvidia_smi");
}

TEST_CASE("power_integrator: trapezoids with flat ends, peak of the total") {
    const llmcap::time_point t0{};
    tel::power_integrator p;
    p.begin(t0, 2);
    p.add(t0 + 1s, 0, 100);
    CHECK_FALSE(p.peak_power_w()); // GPU 1 has not reported
    CHECK_FALSE(p.energy_j(t0 + 4s));
    p.add(t0 + 1s, 1, 50);
    CHECK(p.peak_power_w() == 150);
    p.add(t0 + 3s, 0, 200);
    p.add(t0 + 3s, 1, 50);
    p.add(t0 + 3s, 7, 1e6); // out of range: ignored
    CHECK(p.peak_power_w() == 250);
    CHECK(p.samples() == 4);
    // GPU 0: 100 W x 1 s + (100 + 200) / 2 x 2 s + 200 W x 1 s = 600 J; GPU 1: 50 W x 4 s.
    CHECK(*p.energy_j(t0 + 4s) == doctest::Approx(800));
    p.begin(t0, 1);
    CHECK(p.samples() == 0);
    CHECK_FALSE(p.peak_power_w());
}

namespace {

struct counting_meter {
    std::atomic<int> samples{0};
    std::error_code start() {
        return {};
    }
    std::error_code sample() {
        samples.fetch_add(1);
        return {};
    }
    tel::energy_result stop() {
        return {};
    }
};
struct no_stop {
    std::error_code start();
};
struct wrong_stop {
    std::error_code start();
    double stop();
};
struct no_sample {
    std::error_code start();
    tel::energy_result stop();
};

} // namespace

static_assert(tel::power_sampling_meter<counting_meter>);
static_assert(!tel::energy_meter<no_stop>);
static_assert(!tel::energy_meter<wrong_stop>);
static_assert(tel::energy_meter<no_sample>);
static_assert(!tel::power_sampling_meter<no_sample>);

TEST_CASE("power_sampler: samples on its thread until stopped") {
    counting_meter m;
    {
        tel::power_sampler sampler(m, 1ms);
        for (int i = 0; i < 5000 && m.samples.load() < 3; ++i)
            std::this_thread::sleep_for(1ms);
        CHECK(m.samples.load() >= 3);
        sampler.stop();
        const int after_stop = m.samples.load();
        CHECK(sampler.samples() == static_cast<std::uint64_t>(after_stop));
        CHECK(sampler.failures() == 0);
        std::this_thread::sleep_for(5ms);
        CHECK(m.samples.load() == after_stop);
    }
    // A long interval does not delay stopping: the wait is interrupted.
    const auto t = std::chrono::steady_clock::now();
    { tel::power_sampler slow(m, std::chrono::hours(1)); }
    CHECK(std::chrono::steady_clock::now() - t < std::chrono::seconds(10));
}

TEST_CASE("any_energy_meter: forwards to the meter chosen at run time") {
    tel::any_energy_meter none;
    CHECK_FALSE(none);
    CHECK(none.start() == tel::error::no_meter);
    CHECK(none.sample() == tel::error::no_meter);
    CHECK(none.stop().error == tel::error::no_meter);
    CHECK(none.stop().message == "no energy meter configured");

    tel::any_energy_meter counting = tel::any_energy_meter::make<counting_meter>();
    REQUIRE(counting);
    CHECK_FALSE(counting.start());
    CHECK_FALSE(counting.sample());
    CHECK_FALSE(counting.sample());
    CHECK_FALSE(counting.stop().ok()); // counting_meter's stop() gives an empty result

    // A meter without sample() gets a no-op one.
    struct fixed_meter {
        int starts = 0;
        std::error_code start() {
            ++starts;
            return {};
        }
        tel::energy_result stop() {
            tel::energy_reading r;
            r.energy_j = 42;
            return {r, {}, {}};
        }
    };
    tel::any_energy_meter fixed(std::make_unique<fixed_meter>());
    CHECK_FALSE(fixed.start());
    CHECK_FALSE(fixed.sample());
    const tel::energy_result r = fixed.stop();
    REQUIRE(r.ok());
    CHECK(r.reading->energy_j == 42);

    // Runs under the sampler like any sampling meter.
    tel::power_sampler sampler(counting, std::chrono::milliseconds(1));
    for (int i = 0; i < 5000 && sampler.samples() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    sampler.stop();
    CHECK(sampler.samples() >= 1);
    CHECK(sampler.failures() == 0);
}
