#include <llmcap/telemetry/nvidia_smi_power_meter.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace tel = llmcap::telemetry;
using namespace std::chrono_literals;

namespace {

tel::nvidia_smi_sample parse_ok(std::string_view line) {
    tel::nvidia_smi_sample s;
    const std::error_code ec = tel::parse_nvidia_smi_line(line, s);
    REQUIRE_MESSAGE(!ec, std::string(line));
    return s;
}

std::error_code parse_error(std::string_view line) {
    tel::nvidia_smi_sample s;
    return tel::parse_nvidia_smi_line(line, s);
}

// Writes an executable shell script standing in for nvidia-smi.
std::string fake_smi(const std::string& name, const std::string& body) {
    const std::filesystem::path dir =
        std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "fake_nvidia_smi";
    std::filesystem::create_directories(dir);
    const std::filesystem::path file = dir / name;
    {
        std::ofstream out(file, std::ios::trunc);
        out << "#!/bin/sh\n" << body;
    }
    std::filesystem::permissions(file, std::filesystem::perms::owner_all);
    return file.string();
}

} // namespace

TEST_CASE("parse_nvidia_smi_line: captured and handwritten lines") {
    CHECK(parse_ok("0, 71.23") == tel::nvidia_smi_sample{0, 71.23});
    CHECK(parse_ok("1, 698.54\r") == tel::nvidia_smi_sample{1, 698.54});
    CHECK(parse_ok("  3 ,   80.5  ") == tel::nvidia_smi_sample{3, 80.5});
    CHECK(parse_ok("2, 120.00 W") == tel::nvidia_smi_sample{2, 120.0});
    CHECK(parse_ok("0, [N/A]") == tel::nvidia_smi_sample{0, std::nullopt});
    CHECK(parse_ok("5, [Not Supported]") == tel::nvidia_smi_sample{5, std::nullopt});
    CHECK(parse_ok("0, 0.00") == tel::nvidia_smi_sample{0, 0.0});

    for (std::string_view bad : {"", "index, power.draw [W]", "0", "0,", ", 71.2", "x, 71.2",
                                 "0, abc", "0, 71.2, 3", "0, -5.0", "0, [N/A", "-1, 50", "0, 7 1",
                                 "NVIDIA-SMI has failed because it couldn't "
                                 "communicate with the NVIDIA driver."}) {
        CAPTURE(bad);
        CHECK(parse_error(bad) == tel::error::malformed_line);
    }
}

TEST_CASE("nvidia_smi_power_meter: command line") {
    tel::nvidia_smi_options o;
    o.gpus = {0, 2};
    o.interval = 50ms;
    const tel::nvidia_smi_power_meter m(o);
    CHECK(m.command_line() == std::vector<std::string>{"nvidia-smi", "--query-gpu=index,power.draw",
                                                       "--format=csv,noheader,nounits", "-lms",
                                                       "50", "-i", "0,2"});
    CHECK(tel::nvidia_smi_power_meter().command_line().size() == 5);
}

TEST_CASE("nvidia_smi_power_meter: replayed output is integrated per GPU") {
    const llmcap::time_point t0{};
    tel::nvidia_smi_power_meter m;
    m.start_replay(t0);
    m.add_line("0, 100.00", t0 + 1s);
    m.add_line("1, 50.00", t0 + 1s);
    m.add_line("garbage", t0 + 2s);
    m.add_line("0, 200.00", t0 + 3s);
    m.add_line("1, [N/A]", t0 + 3s); // a missing reading is skipped, not taken as zero
    CHECK(m.malformed_lines() == 1);
    const tel::energy_result r = m.stop_replay(t0 + 4s);
    REQUIRE_MESSAGE(r.ok(), r.message);
    CHECK(r.reading->source == tel::energy_source::nvidia_smi);
    CHECK(r.reading->method == tel::energy_method::integrated_power);
    // GPU 0: 100 + (100 + 200) / 2 x 2 + 200 = 600 J; GPU 1: 50 W held for 4 s = 200 J.
    CHECK(r.reading->energy_j == doctest::Approx(800));
    CHECK(r.reading->mean_power_w == doctest::Approx(200));
    CHECK(r.reading->peak_power_w == doctest::Approx(250));
    CHECK(r.reading->gpu_count == 2);
    CHECK(r.reading->power_samples == 3);

    m.start_replay(t0);
    m.add_line("0, [N/A]", t0 + 1s);
    const tel::energy_result na = m.stop_replay(t0 + 2s);
    CHECK(na.error == tel::error::no_power_samples);
    CHECK(na.message == "nvidia-smi: power.draw is [N/A] on the chosen GPUs");
}

TEST_CASE("nvidia_smi_power_meter: runs the program, reads its pipe, stops it") {
    const std::string exe =
        fake_smi("steady", "echo '0, 100.00'\necho '1, 50.00'\nexec sleep 60\n");
    tel::nvidia_smi_options o;
    o.executable = exe;
    tel::nvidia_smi_power_meter m(o);
    REQUIRE_FALSE(m.start());
    CHECK(m.start() == tel::error::already_started);
    for (int i = 0; i < 5000 && m.power_readings() < 2; ++i) {
        REQUIRE_FALSE(m.sample());
        std::this_thread::sleep_for(1ms);
    }
    CHECK(m.power_readings() == 2);
    const auto before_stop = std::chrono::steady_clock::now();
    const tel::energy_result r = m.stop();
    CHECK(std::chrono::steady_clock::now() - before_stop < 10s); // the child was terminated
    REQUIRE_MESSAGE(r.ok(), r.message);
    CHECK(r.reading->gpu_count == 2);
    CHECK(r.reading->peak_power_w == doctest::Approx(150));
    // Constant power: the integral is exactly 150 W over the measurement.
    CHECK(r.reading->mean_power_w == doctest::Approx(150));
    CHECK(m.sample() == tel::error::not_started);
}

TEST_CASE("nvidia_smi_power_meter: a missing program or useless output is reported") {
    tel::nvidia_smi_options o;
    o.executable = "/nonexistent/nvidia-smi";
    tel::nvidia_smi_power_meter m(o);
    CHECK(m.start() == tel::error::process_failed);
    const tel::energy_result r = m.stop();
    CHECK(r.error == tel::error::not_started);
    CHECK(r.message ==
          "no local GPU telemetry: cannot run /nonexistent/nvidia-smi (No such file or directory)");

    o.executable =
        fake_smi("broken", "echo \"NVIDIA-SMI has failed because it couldn't communicate "
                           "with the NVIDIA driver.\"\nexit 9\n");
    tel::nvidia_smi_power_meter b(o);
    REQUIRE_FALSE(b.start());
    for (int i = 0; i < 5000 && b.malformed_lines() == 0; ++i) {
        (void)b.sample();
        std::this_thread::sleep_for(1ms);
    }
    const tel::energy_result e = b.stop();
    CHECK(e.error == tel::error::no_power_samples);
    CHECK(e.message == "nvidia-smi: no power reading; unexpected output 'NVIDIA-SMI has failed "
                       "because it couldn't communicate with the NVIDIA driver.'");
}
