#pragma once

#include <string>       // string
#include <system_error> // error_code, error_category, is_error_code_enum

namespace llmcap::telemetry {

/// Errors of the energy and power meters. The meter's message says which library, GPU,
/// function or line was involved.
enum class error {
    /// The NVML library could not be loaded (no NVIDIA driver on this host): there is no
    /// local GPU telemetry.
    library_not_found = 1,
    /// The NVML library lacks a function the meter needs.
    symbol_not_found,
    /// An NVML call returned an error (the message carries nvmlErrorString's text).
    nvml_call_failed,
    /// No GPU was found, or none of the chosen ones exists.
    no_gpus,
    /// A chosen GPU index is not on this host.
    invalid_gpu,
    /// stop() or sample() without a start().
    not_started,
    /// start() while a measurement is running.
    already_started,
    /// Energy had to be integrated from power samples, and there were none.
    no_power_samples,
    /// An energy counter decreased during the measurement (driver reload or GPU reset).
    counter_reset,
    /// nvidia-smi could not be started, or exited before giving a reading.
    process_failed,
    /// A line of nvidia-smi output is not `index, power` CSV.
    malformed_line,
    /// The metrics page holds no DCGM energy or power metric for the chosen GPUs.
    metric_not_found,
    /// The metrics page could not be parsed as Prometheus text.
    malformed_metrics,
    /// An empty any_energy_meter was used: no meter is configured.
    no_meter,
};

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override {
        return "llmcap.telemetry";
    }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::library_not_found:
            return "no local GPU telemetry: NVML library not found";
        case error::symbol_not_found:
            return "NVML library lacks a required function";
        case error::nvml_call_failed:
            return "NVML call failed";
        case error::no_gpus:
            return "no GPU found";
        case error::invalid_gpu:
            return "no GPU with that index";
        case error::not_started:
            return "meter not started";
        case error::already_started:
            return "meter already started";
        case error::no_power_samples:
            return "no power samples to integrate";
        case error::counter_reset:
            return "energy counter decreased during the measurement";
        case error::process_failed:
            return "nvidia-smi could not be run";
        case error::malformed_line:
            return "malformed nvidia-smi output line";
        case error::metric_not_found:
            return "no DCGM energy or power metric for the chosen GPUs";
        case error::malformed_metrics:
            return "metrics page is not valid Prometheus text";
        case error::no_meter:
            return "no energy meter configured";
        }
        return "unknown telemetry error";
    }
};

} // namespace detail

/// The category of llmcap::telemetry::error codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category category;
    return category;
}

/// Makes a std::error_code from an llmcap::telemetry::error.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace llmcap::telemetry

template <>
struct std::is_error_code_enum<llmcap::telemetry::error> : std::true_type {};
