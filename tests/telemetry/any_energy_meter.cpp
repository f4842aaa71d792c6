#include <llmcap/telemetry/any_energy_meter.hpp>
// Test that header file is self-contained.
#include <llmcap/telemetry/any_energy_meter.hpp>

#include <llmcap/telemetry/dcgm_energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>

#include <doctest/doctest.h>

#include <concepts>     // copyable, movable
#include <cstddef>      // size_t
#include <string>       // string, to_string
#include <system_error> // error_code, errc
#include <utility>      // move
#include <vector>       // vector

namespace tel = llmcap::telemetry;

static_assert(std::movable<tel::any_energy_meter>);
static_assert(!std::copyable<tel::any_energy_meter>);

TEST_CASE("any_energy_meter: a DCGM meter that fetches its own pages, chosen at run time") {
    // Pages an exporter would serve at start() and at stop(): 6,000 J in between.
    const std::vector<std::string> pages = {
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\"} 1000000000\n"
        "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 120\n",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\"} 1006000000\n"
        "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 600\n"};
    std::size_t fetched = 0;
    tel::any_energy_meter meter; // none until the configuration says which
    CHECK_FALSE(meter);
    meter = tel::any_energy_meter::make<tel::dcgm_energy_meter>(
        tel::dcgm_options{}, [&](std::string& body) -> std::error_code {
            body = pages.at(fetched++);
            return {};
        });
    REQUIRE(meter);
    REQUIRE_FALSE(meter.start());
    const tel::energy_result r = meter.stop();
    REQUIRE(r.ok());
    CHECK(fetched == 2);
    CHECK(r.reading->energy_j == doctest::Approx(6000));
    CHECK(r.reading->source == tel::energy_source::dcgm);
    CHECK(r.reading->method == tel::energy_method::hardware_counter);
    CHECK(r.reading->gpu_count == 1);
}

TEST_CASE("any_energy_meter: the held meter's errors come through unchanged") {
    tel::any_energy_meter meter = tel::any_energy_meter::make<tel::dcgm_energy_meter>(
        tel::dcgm_options{}, [](std::string&) -> std::error_code {
            return std::make_error_code(std::errc::connection_refused);
        });
    CHECK(meter.start() == std::errc::connection_refused);
    const tel::energy_result r = meter.stop();
    CHECK_FALSE(r.ok());
    CHECK(r.error == std::errc::connection_refused);

    tel::any_energy_meter moved = std::move(meter);
    CHECK(moved);
    CHECK(moved.start() == std::errc::connection_refused);
    CHECK(moved.stop().error == std::errc::connection_refused);
}
