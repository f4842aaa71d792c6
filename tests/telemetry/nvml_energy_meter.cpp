// The NVML meter against a stand-in libnvidia-ml.so.1 built from the source below with the
// system compiler when the test runs (no GPU or driver needed). The stand-in keeps its state in
// the library, and the test sets it through extra `fake_*` functions found with dlsym on the
// same (shared) handle.
#include <llmcap/telemetry/nvml_energy_meter.hpp>

#include <doctest/doctest.h>

#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace tel = llmcap::telemetry;

namespace {

constexpr const char* fake_nvml_source = R"(
#include <cstdio>
extern "C" {
struct nvmlDevice_st { int index; };
static nvmlDevice_st devices[4] = {{0}, {1}, {2}, {3}};
static unsigned long long energy_mj[4];
static unsigned power_mw[4];
static unsigned device_count = 2;
static int energy_result = 0;
static int initialised = 0;
int nvmlInit_v2() { ++initialised; return 0; }
int nvmlShutdown() { --initialised; return 0; }
int nvmlDeviceGetCount_v2(unsigned* n) { *n = device_count; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_st** d) {
    if (i >= device_count) return 2;
    *d = &devices[i];
    return 0;
}
#ifndef FAKE_NO_ENERGY
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_st* d, unsigned long long* e) {
    if (energy_result != 0) return energy_result;
    *e = energy_mj[d->index];
    return 0;
}
#endif
#ifndef FAKE_NO_POWER
int nvmlDeviceGetPowerUsage(nvmlDevice_st* d, unsigned* p) { *p = power_mw[d->index]; return 0; }
#endif
int nvmlDeviceGetName(nvmlDevice_st* d, char* name, unsigned len) {
    std::snprintf(name, len, "Fake H200 #%d", d->index);
    return 0;
}
const char* nvmlErrorString(int r) {
    return r == 3 ? "Not Supported" : r == 2 ? "Invalid Argument" : "Unknown Error";
}
void fake_set(unsigned i, unsigned long long mj, unsigned mw) { energy_mj[i] = mj; power_mw[i] = mw; }
void fake_set_count(unsigned n) { device_count = n; }
void fake_set_energy_result(int r) { energy_result = r; }
int fake_initialised() { return initialised; }
}
)";

// Builds the stand-in once per variant; returns its path, or "" when no compiler is available.
std::string build_fake(const std::string& variant, const std::string& defines) {
    static std::map<std::string, std::string> built;
    if (const auto it = built.find(variant); it != built.end())
        return it->second;
    const std::filesystem::path dir =
        std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "fake_nvml" / variant;
    std::filesystem::create_directories(dir);
    const std::filesystem::path src = dir / "fake_nvml.cpp";
    const std::filesystem::path lib = dir / "libnvidia-ml.so.1";
    {
        std::ofstream out(src, std::ios::trunc);
        out << fake_nvml_source;
    }
    std::filesystem::remove(lib);
    const std::string cmd = "c++ -shared -fPIC -O0 " + defines + " -o '" + lib.string() + "' '" +
                            src.string() + "' > '" + (dir / "build.log").string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    const std::string path = rc == 0 && std::filesystem::exists(lib) ? lib.string() : std::string();
    built[variant] = path;
    return path;
}

// The stand-in's control functions, through the handle the meter shares.
struct fake_control {
    void* handle = nullptr;
    void (*set)(unsigned, unsigned long long, unsigned) = nullptr;
    void (*set_count)(unsigned) = nullptr;
    void (*set_energy_result)(int) = nullptr;
    int (*initialised)() = nullptr;

    explicit fake_control(const std::string& path) {
        handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        REQUIRE(handle);
        REQUIRE(tel::detail::resolve(handle, "fake_set", set));
        REQUIRE(tel::detail::resolve(handle, "fake_set_count", set_count));
        REQUIRE(tel::detail::resolve(handle, "fake_set_energy_result", set_energy_result));
        REQUIRE(tel::detail::resolve(handle, "fake_initialised", initialised));
        set_count(2);
        set_energy_result(0);
        set(0, 0, 0);
        set(1, 0, 0);
    }
    ~fake_control() {
        dlclose(handle);
    }
    fake_control(const fake_control&) = delete;
    fake_control& operator=(const fake_control&) = delete;
};

} // namespace

TEST_CASE("nvml_energy_meter: no library means no local GPU telemetry, not a crash") {
    tel::nvml_options o;
    o.library_path = "/nonexistent/libnvidia-ml.so.1";
    tel::nvml_energy_meter m(o);
    CHECK_FALSE(m.available());
    CHECK(m.status() == tel::error::library_not_found);
    CHECK(m.status_message().rfind(
              "no local GPU telemetry: cannot load /nonexistent/libnvidia-ml.so.1 (", 0) == 0);
    CHECK(m.start() == tel::error::library_not_found);
    CHECK(m.sample() == tel::error::not_started);
    const tel::energy_result r = m.stop();
    CHECK_FALSE(r.ok());
    CHECK(r.error == tel::error::library_not_found);
    CHECK(r.message == m.status_message());
    CHECK(tel::make_error_code(tel::error::library_not_found).message() ==
          "no local GPU telemetry: NVML library not found");
}

TEST_CASE("nvml_energy_meter: energy counter, power samples, peak (stand-in library)") {
    const std::string lib = build_fake("full", "");
    if (lib.empty()) {
        MESSAGE("skipped: no C++ compiler to build the stand-in NVML library");
        return;
    }
    fake_control fake(lib);
    fake.set(0, 1'000'000'000ULL, 250'000);
    fake.set(1, 2'000'000'000ULL, 150'000);
    {
        tel::nvml_options o;
        o.library_path = lib;
        tel::nvml_energy_meter m(o);
        REQUIRE_MESSAGE(m.available(), m.status_message());
        CHECK(fake.initialised() == 1);
        CHECK(m.has_energy_counter());
        CHECK(m.gpu_names() == std::vector<std::string>{"Fake H200 #0", "Fake H200 #1"});
        CHECK(m.sample() == tel::error::not_started);
        REQUIRE_FALSE(m.start());
        CHECK(m.start() == tel::error::already_started);
        fake.set(0, 1'000'000'000ULL + 3'000'000ULL, 300'000);
        fake.set(1, 2'000'000'000ULL + 1'500'000ULL, 200'000);
        REQUIRE_FALSE(m.sample());
        fake.set(0, 1'000'000'000ULL + 4'000'000ULL, 100'000);
        fake.set(1, 2'000'000'000ULL + 2'500'000ULL, 100'000);
        const tel::energy_result r = m.stop();
        REQUIRE_MESSAGE(r.ok(), r.message);
        CHECK(r.reading->source == tel::energy_source::nvml);
        CHECK(r.reading->method == tel::energy_method::hardware_counter);
        CHECK(r.reading->energy_j == doctest::Approx(4000 + 2500));
        CHECK(r.reading->peak_power_w == doctest::Approx(500));
        CHECK(r.reading->power_samples == 6);
        CHECK(r.reading->gpu_count == 2);
        CHECK(r.reading->mean_power_w ==
              doctest::Approx(r.reading->energy_j / llmcap::to_seconds(r.reading->elapsed)));
        CHECK(m.stop().error == tel::error::not_started);

        // A counter that goes backwards is an error, never a negative or clamped energy.
        REQUIRE_FALSE(m.start());
        fake.set(0, 5, 100'000);
        const tel::energy_result reset = m.stop();
        CHECK(reset.error == tel::error::counter_reset);
        CHECK(reset.message == "nvml: energy counter of GPU 0 decreased during the measurement");
    }
    CHECK(fake.initialised() == 0); // the meter shut NVML down
}

TEST_CASE("nvml_energy_meter: chosen GPUs and invalid indices") {
    const std::string lib = build_fake("full", "");
    if (lib.empty()) {
        MESSAGE("skipped: no C++ compiler to build the stand-in NVML library");
        return;
    }
    fake_control fake(lib);
    fake.set(1, 10'000, 50'000);
    tel::nvml_options o;
    o.library_path = lib;
    o.gpus = {1};
    tel::nvml_energy_meter one(o);
    REQUIRE(one.available());
    REQUIRE_FALSE(one.start());
    fake.set(1, 20'000, 50'000);
    const tel::energy_result r = one.stop();
    REQUIRE(r.ok());
    CHECK(r.reading->energy_j == doctest::Approx(10));
    CHECK(r.reading->gpu_count == 1);

    o.gpus = {0, 5};
    tel::nvml_energy_meter bad(o);
    CHECK(bad.status() == tel::error::invalid_gpu);
    CHECK(bad.status_message() == "nvml: no GPU 5 (NVML reports 2)");

    fake.set_count(0);
    o.gpus.clear();
    tel::nvml_energy_meter none(o);
    CHECK(none.status() == tel::error::no_gpus);
    CHECK(none.status_message() == "no local GPU telemetry: NVML reports no GPU");
}

TEST_CASE("nvml_energy_meter: no energy counter falls back to integrated power") {
    const std::string lib = build_fake("full", "");
    if (lib.empty()) {
        MESSAGE("skipped: no C++ compiler to build the stand-in NVML library");
        return;
    }
    fake_control fake(lib);
    fake.set_energy_result(3); // NVML_ERROR_NOT_SUPPORTED, as on pre-Volta GPUs
    fake.set(0, 0, 300'000);
    fake.set(1, 0, 100'000);
    tel::nvml_options o;
    o.library_path = lib;
    tel::nvml_energy_meter m(o);
    REQUIRE(m.available());
    CHECK_FALSE(m.has_energy_counter());
    REQUIRE_FALSE(m.start());
    REQUIRE_FALSE(m.sample());
    const tel::energy_result r = m.stop();
    REQUIRE_MESSAGE(r.ok(), r.message);
    CHECK(r.reading->method == tel::energy_method::integrated_power);
    CHECK(r.reading->mean_power_w == doctest::Approx(400)); // constant 400 W in total
    CHECK(r.reading->peak_power_w == doctest::Approx(400));
    CHECK(r.reading->power_samples == 6);
}

TEST_CASE("nvml_energy_meter: library without the energy or power function") {
    const std::string no_energy = build_fake("no_energy", "-DFAKE_NO_ENERGY");
    const std::string no_power = build_fake("no_power", "-DFAKE_NO_POWER");
    if (no_energy.empty() || no_power.empty()) {
        MESSAGE("skipped: no C++ compiler to build the stand-in NVML library");
        return;
    }
    tel::nvml_options o;
    o.library_path = no_energy;
    tel::nvml_energy_meter m(o);
    REQUIRE(m.available()); // the energy function is optional
    CHECK_FALSE(m.has_energy_counter());

    o.library_path = no_power;
    tel::nvml_energy_meter p(o);
    CHECK_FALSE(p.available());
    CHECK(p.status() == tel::error::symbol_not_found);
    CHECK(p.status_message() ==
          "no local GPU telemetry: " + no_power + " has no function nvmlDeviceGetPowerUsage");
}
