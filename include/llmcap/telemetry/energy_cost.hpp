#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/telemetry/energy_reading.hpp>

#include <cstdint>  // uint64_t
#include <optional> // optional

namespace llmcap::telemetry {

/// Joules in one kilowatt-hour.
inline constexpr double joules_per_kwh = 3.6e6;

/// Energy in kilowatt-hours.
[[nodiscard]] constexpr double joules_to_kwh(double energy_j) noexcept {
    return energy_j / joules_per_kwh;
}

/// Energy per output token, joules/token; empty when no token was generated.
[[nodiscard]] constexpr std::optional<double>
joules_per_output_token(double energy_j, std::uint64_t output_tokens) noexcept {
    if (output_tokens == 0)
        return std::nullopt;
    return energy_j / static_cast<double>(output_tokens);
}

/// The price of `energy_j` at `price_per_kwh` (in whatever currency the price is in).
[[nodiscard]] constexpr double energy_cost(double energy_j, double price_per_kwh) noexcept {
    return joules_to_kwh(energy_j) * price_per_kwh;
}

/// The price of a million output tokens at `price_per_kwh`; empty when no token was generated.
[[nodiscard]] constexpr std::optional<double>
cost_per_million_tokens(double energy_j, std::uint64_t output_tokens,
                        double price_per_kwh) noexcept {
    const std::optional<double> per_token = joules_per_output_token(energy_j, output_tokens);
    if (!per_token)
        return std::nullopt;
    return energy_cost(*per_token * 1e6, price_per_kwh);
}

/// The power the GPUs draw with no load, measured before a sweep.
struct idle_baseline {
    /// Mean idle power of all measured GPUs together, watts.
    double power_w = 0;
    /// How long the baseline was measured.
    duration measured_over{};
    /// Where it came from.
    energy_source source = energy_source::nvml;
};

/// The baseline of an idle measurement: its mean power.
[[nodiscard]] constexpr idle_baseline make_idle_baseline(const energy_reading& idle) noexcept {
    return {idle.mean_power_w, idle.elapsed, idle.source};
}

/// A cell's energy: the measurement as taken and, when a baseline is given, the part above idle.
struct cell_energy {
    /// The reading as measured (idle power included).
    energy_reading measured;
    /// The idle baseline subtracted, when one was given.
    std::optional<idle_baseline> baseline;
    /// measured.energy_j − baseline power × elapsed, joules. May be slightly negative when the
    /// cell drew no more than idle; it is not clamped.
    std::optional<double> above_idle_j;
    /// measured.mean_power_w − baseline power, watts.
    std::optional<double> above_idle_power_w;
};

/// Puts a reading beside its idle baseline (both are kept; nothing is overwritten).
[[nodiscard]] constexpr cell_energy
with_idle_baseline(const energy_reading& r, const std::optional<idle_baseline>& b) noexcept {
    cell_energy c;
    c.measured = r;
    c.baseline = b;
    if (b) {
        c.above_idle_j = r.energy_j - b->power_w * to_seconds(r.elapsed);
        c.above_idle_power_w = r.mean_power_w - b->power_w;
    }
    return c;
}

} // namespace llmcap::telemetry
