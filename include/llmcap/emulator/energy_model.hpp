#pragma once

#include <llmcap/emulator/cost_model.hpp>
#include <llmcap/emulator/profile.hpp>

#include <algorithm> // clamp, max

namespace llmcap::emulator {

/**
 * A simple GPU power model: idle power plus a dynamic part proportional to how busy a step
 * keeps the device. A step's utilisation is the larger of its compute and memory
 * utilisation, each the work it did over what the peak rate could have done in its duration:
 *
 *     u = clamp(max(flops / (peak_flops · t), bytes / (bandwidth · t)), 0, 1)
 *     P = idle_w + (max_w − idle_w) · u,   E = P · t
 *
 * with flops = linear + attention FLOPs, bytes = weight + KV-cache bytes, t the step's
 * duration, and the peak rates of the profile's GPU (FLOP/s at the precision of the model's
 * linear layers, as the cost model priced the step). Between steps the device draws idle_w.
 * The defaults are those of an H200 SXM: 700 W board limit, about 90 W idle with the model
 * loaded.
 */
struct power_model {
    /// Power drawn with no step running, watts.
    double idle_w = 90.0;
    /// Power drawn at full utilisation, watts.
    double max_w = 700.0;

    /// Utilisation of a step priced as `c` on `gpu`, in [0, 1]; 0 for an empty step.
    [[nodiscard]] static double utilisation(const step_cost& c, const gpu_spec& gpu) noexcept {
        if (!(c.duration_s > 0.0))
            return 0.0;
        const double peak =
            c.linear_peak_flops_per_s > 0.0 ? c.linear_peak_flops_per_s : gpu.peak(precision::bf16);
        const double compute = (c.linear_flops + c.attention_flops) / (peak * c.duration_s);
        const double memory =
            (c.weight_bytes + c.kv_bytes) / (gpu.memory_bandwidth_bytes_per_s * c.duration_s);
        return std::clamp(std::max(compute, memory), 0.0, 1.0);
    }

    /// Power during a step priced as `c` on `gpu`, watts.
    [[nodiscard]] double step_power_w(const step_cost& c, const gpu_spec& gpu) const noexcept {
        return idle_w + (max_w - idle_w) * utilisation(c, gpu);
    }

    /// Energy of a step priced as `c` on `gpu`, joules.
    [[nodiscard]] double step_energy_j(const step_cost& c, const gpu_spec& gpu) const noexcept {
        return step_power_w(c, gpu) * c.duration_s;
    }
};

} // namespace llmcap::emulator
