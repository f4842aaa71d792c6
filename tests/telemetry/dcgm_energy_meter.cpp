#include <llmcap/telemetry/dcgm_energy_meter.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

namespace tel = llmcap::telemetry;
using namespace std::chrono_literals;

namespace {

// A DCGM exporter page for two H200s on one host, in dcgm-exporter's label layout.
std::string page(double e0_mj, double p0_w, double e1_mj, double p1_w, bool with_energy = true) {
    auto labels = [](int gpu) {
        return "{gpu=\"" + std::to_string(gpu) +
               "\",UUID=\"GPU-5fd4e8a4-0c1b-4f2e-9a3d-00000000000" + std::to_string(gpu) +
               "\",pci_bus_id=\"00000000:1" + std::to_string(gpu) + ":00.0\",device=\"nvidia" +
               std::to_string(gpu) +
               "\",modelName=\"NVIDIA "
               "H200\",Hostname=\"gpu-node-1\",DCGM_FI_DRIVER_VERSION=\"570.124.06\"}";
    };
    std::string s = "# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).\n"
                    "# TYPE DCGM_FI_DEV_SM_CLOCK gauge\n"
                    "DCGM_FI_DEV_SM_CLOCK" +
                    labels(0) +
                    " 1980\n"
                    "DCGM_FI_DEV_SM_CLOCK" +
                    labels(1) +
                    " 1980\n"
                    "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n"
                    "# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n";
    s += "DCGM_FI_DEV_POWER_USAGE" + labels(0) + " " + std::to_string(p0_w) + "\n";
    s += "DCGM_FI_DEV_POWER_USAGE" + labels(1) + " " + std::to_string(p1_w) + "\n";
    if (with_energy) {
        s += "# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in "
             "mJ).\n"
             "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n";
        s += "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" + labels(0) + " " +
             std::to_string(static_cast<long long>(e0_mj)) + "\n";
        s += "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" + labels(1) + " " +
             std::to_string(static_cast<long long>(e1_mj)) + "\n";
    }
    return s;
}

const llmcap::time_point t0{};
const std::string start_page = page(1'000'000'000, 100, 2'000'000'000, 120);
const std::string mid_page = page(1'002'000'000, 600, 2'001'500'000, 500);
const std::string stop_page = page(1'004'000'000, 300, 2'003'600'000, 280);

} // namespace

TEST_CASE("dcgm_energy_meter: energy from the counter, power from the gauge") {
    tel::dcgm_energy_meter m;
    REQUIRE_FALSE(m.start(start_page, t0));
    CHECK(m.measured_gpus() == std::vector<std::string>{"0", "1"});
    REQUIRE_FALSE(m.sample(mid_page, t0 + 5s));
    const tel::energy_result r = m.stop(stop_page, t0 + 10s);
    REQUIRE_MESSAGE(r.ok(), r.message);
    CHECK(r.reading->source == tel::energy_source::dcgm);
    CHECK(r.reading->method == tel::energy_method::hardware_counter);
    CHECK(r.reading->energy_j == doctest::Approx(4000 + 3600));
    CHECK(r.reading->elapsed == 10s);
    CHECK(r.reading->mean_power_w == doctest::Approx(760));
    CHECK(r.reading->peak_power_w == doctest::Approx(1100));
    CHECK(r.reading->power_samples == 6);
    CHECK(r.reading->gpu_count == 2);
}

TEST_CASE("dcgm_energy_meter: integrated power without a counter, or after a reset") {
    SUBCASE("no energy metric on the page") {
        tel::dcgm_energy_meter m;
        REQUIRE_FALSE(m.start(page(0, 100, 0, 120, false), t0));
        REQUIRE_FALSE(m.sample(page(0, 600, 0, 500, false), t0 + 5s));
        const tel::energy_result r = m.stop(page(0, 300, 0, 280, false), t0 + 10s);
        REQUIRE_MESSAGE(r.ok(), r.message);
        CHECK(r.reading->method == tel::energy_method::integrated_power);
        // (100 + 600) / 2 x 5 + (600 + 300) / 2 x 5 = 4000; (120 + 500) / 2 x 5 + (500 + 280) / 2 x
        // 5 = 3500
        CHECK(r.reading->energy_j == doctest::Approx(7500));
        CHECK(r.reading->mean_power_w == doctest::Approx(750));
    }
    SUBCASE("counter went backwards: falls back and says so") {
        tel::dcgm_energy_meter m;
        REQUIRE_FALSE(m.start(start_page, t0));
        REQUIRE_FALSE(m.sample(mid_page, t0 + 5s));
        const tel::energy_result r = m.stop(page(5'000, 300, 2'003'600'000, 280), t0 + 10s);
        REQUIRE_MESSAGE(r.ok(), r.message);
        CHECK(r.reading->method == tel::energy_method::integrated_power);
        CHECK(r.reading->energy_j == doctest::Approx(7500));
    }
}

TEST_CASE("dcgm_energy_meter: chosen GPUs and labels") {
    tel::dcgm_options one;
    one.gpus = {"1"};
    tel::dcgm_energy_meter m(one);
    REQUIRE_FALSE(m.start(start_page, t0));
    REQUIRE_FALSE(m.sample(mid_page, t0 + 5s));
    const tel::energy_result r = m.stop(stop_page, t0 + 10s);
    REQUIRE(r.ok());
    CHECK(r.reading->energy_j == doctest::Approx(3600));
    CHECK(r.reading->peak_power_w == doctest::Approx(500));
    CHECK(r.reading->gpu_count == 1);

    tel::dcgm_options other_host;
    other_host.labels = {{"Hostname", "gpu-node-2"}};
    tel::dcgm_energy_meter h(other_host);
    CHECK(h.start(start_page, t0) == tel::error::metric_not_found);
    tel::dcgm_options missing;
    missing.gpus = {"7"};
    tel::dcgm_energy_meter g(missing);
    CHECK(g.start(start_page, t0) == tel::error::metric_not_found);
    CHECK(g.last_message() == "dcgm: no energy or power series for gpu=\"7\"");
}

TEST_CASE("dcgm_energy_meter: errors") {
    tel::dcgm_energy_meter m;
    CHECK(m.sample(mid_page, t0) == tel::error::not_started);
    const tel::energy_result not_started = m.stop(stop_page, t0);
    CHECK(not_started.error == tel::error::not_started);
    CHECK(m.start("<html>502 Bad Gateway</html>\n", t0) == tel::error::malformed_metrics);
    CHECK(m.last_message() == "dcgm: prometheus: line 1, column 1: expected a metric name");
    CHECK(m.start("up 1\n", t0) == tel::error::metric_not_found);
    REQUIRE_FALSE(m.start(start_page, t0));
    CHECK(m.start(start_page, t0) == tel::error::already_started);
    CHECK(m.sample("garbage{", t0 + 1s) == tel::error::malformed_metrics);
    const tel::energy_result r = m.stop(stop_page, t0 + 10s);
    CHECK(r.ok());
    // Without a fetch function, the no-argument members report it.
    CHECK(m.start() == tel::error::metric_not_found);
    CHECK(m.last_message() == "dcgm: no fetch function given");
}

TEST_CASE("dcgm_energy_meter: pages from a fetch function") {
    const std::vector<std::string> pages{start_page, mid_page, stop_page};
    std::size_t next = 0;
    tel::dcgm_energy_meter m({}, [&](std::string& body) -> std::error_code {
        body = pages.at(next++);
        return {};
    });
    static_assert(tel::power_sampling_meter<tel::dcgm_energy_meter>);
    REQUIRE_FALSE(m.start());
    REQUIRE_FALSE(m.sample());
    const tel::energy_result r = m.stop();
    REQUIRE(r.ok());
    CHECK(next == 3);
    CHECK(r.reading->energy_j == doctest::Approx(7600)); // the counter does not depend on time
    CHECK(r.reading->peak_power_w == doctest::Approx(1100));

    tel::dcgm_energy_meter refused({}, [](std::string&) -> std::error_code {
        return std::make_error_code(std::errc::connection_refused);
    });
    CHECK(refused.start() == std::errc::connection_refused);
    CHECK(refused.last_message() == "dcgm: fetching the exporter page failed: Connection refused");
}
