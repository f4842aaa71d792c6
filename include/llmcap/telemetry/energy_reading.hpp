#pragma once

#include <llmcap/core/clock.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint8_t, uint32_t
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // error_code

namespace llmcap::telemetry {

/// Where a reading came from.
enum class energy_source : std::uint8_t {
    /// NVIDIA's management library on this host.
    nvml,
    /// The `nvidia-smi` command on this host.
    nvidia_smi,
    /// A DCGM exporter's `/metrics` page (any host).
    dcgm,
    /// The llmcap emulator's modelled GPU (no hardware was measured).
    emulator,
};

/// The stable name of an energy source, as written in results files.
[[nodiscard]] constexpr std::string_view energy_source_name(energy_source s) noexcept {
    switch (s) {
    case energy_source::nvml:
        return "nvml";
    case energy_source::nvidia_smi:
        return "nvidia_smi";
    case energy_source::dcgm:
        return "dcgm";
    case energy_source::emulator:
        return "emulator";
    }
    return "nvml";
}

/// How the energy was obtained.
enum class energy_method : std::uint8_t {
    /// Difference of the GPU's cumulative energy counter (exact to the counter's resolution).
    hardware_counter,
    /// Sampled power integrated over time (trapezoids); as good as the sampling rate.
    integrated_power,
    /// Computed from a model of power against utilisation (emulator::power_model): an
    /// estimate, not a measurement.
    power_model,
};

/// The stable name of an energy method, as written in results files.
[[nodiscard]] constexpr std::string_view energy_method_name(energy_method m) noexcept {
    switch (m) {
    case energy_method::hardware_counter:
        return "hardware_counter";
    case energy_method::integrated_power:
        return "integrated_power";
    case energy_method::power_model:
        return "power_model";
    }
    return "hardware_counter";
}

/// The energy the chosen GPUs used between a meter's start() and stop(), all GPUs together.
struct energy_reading {
    /// Energy used, joules.
    double energy_j = 0;
    /// energy_j ÷ elapsed, watts.
    double mean_power_w = 0;
    /// Highest total power among the power samples, watts; empty when no power was sampled.
    std::optional<double> peak_power_w;
    /// From start() to stop().
    duration elapsed{};
    /// Where the numbers came from.
    energy_source source = energy_source::nvml;
    /// Counter difference or integrated power.
    energy_method method = energy_method::hardware_counter;
    /// Power readings taken (one per GPU per sample).
    std::size_t power_samples = 0;
    /// GPUs measured.
    std::uint32_t gpu_count = 0;
};

/// The outcome of a meter's stop(): a reading, or an error with a message naming what failed.
struct energy_result {
    /// The reading; empty on error.
    std::optional<energy_reading> reading;
    /// The error; empty on success.
    std::error_code error;
    /// What went wrong, in words (library, GPU, function, line); empty on success.
    std::string message;

    /// True when there is a reading.
    [[nodiscard]] bool ok() const noexcept {
        return reading.has_value();
    }
};

} // namespace llmcap::telemetry
