#pragma once

#include <llmcap/core/clock.hpp>

#include <algorithm> // max
#include <cstddef>   // size_t
#include <cstdint>   // uint32_t
#include <optional>  // optional
#include <vector>    // vector

namespace llmcap::telemetry {

/**
 * Integrates sampled power of several GPUs into energy: trapezoids between each GPU's
 * consecutive samples, its first sample held back to begin() and its last held up to finish()
 * (flat ends). Also tracks the highest total power (the sum of every GPU's latest sample, once
 * each GPU has reported).
 *
 * Samples of one GPU must come in time order. Not thread-safe.
 */
class power_integrator {
public:
    /// Starts a measurement at `start` for `gpu_count` GPUs (indices 0 .. gpu_count-1),
    /// forgetting the previous one.
    void begin(time_point start, std::uint32_t gpu_count) {
        start_ = start;
        gpus_.assign(gpu_count, gpu_state{});
        samples_ = 0;
        peak_w_.reset();
    }

    /// Adds a sample: `gpu` drew `power_w` watts at `at`. Ignored when `gpu` is out of range.
    void add(time_point at, std::uint32_t gpu, double power_w) {
        if (gpu >= gpus_.size())
            return;
        gpu_state& g = gpus_[gpu];
        if (g.last_at) {
            g.energy_j += 0.5 * (g.last_w + power_w) * to_seconds(at - *g.last_at);
        } else {
            g.first_w = power_w;
            g.first_at = at;
        }
        g.last_at = at;
        g.last_w = power_w;
        ++samples_;
        double total = 0;
        for (const gpu_state& s : gpus_) {
            if (!s.last_at)
                return; // some GPU has not reported yet: no total
            total += s.last_w;
        }
        peak_w_ = peak_w_ ? std::max(*peak_w_, total) : total;
    }

    /// Energy from begin() to `stop`, joules, all GPUs together; empty when some GPU has no
    /// sample at all.
    [[nodiscard]] std::optional<double> energy_j(time_point stop) const {
        double total = 0;
        for (const gpu_state& g : gpus_) {
            if (!g.last_at)
                return std::nullopt;
            total += g.energy_j;
            total += g.first_w * to_seconds(g.first_at - start_);
            total += g.last_w * to_seconds(stop - *g.last_at);
        }
        return total;
    }

    /// Highest total power seen, watts; empty until every GPU has reported.
    [[nodiscard]] std::optional<double> peak_power_w() const noexcept {
        return peak_w_;
    }
    /// Samples added since begin().
    [[nodiscard]] std::size_t samples() const noexcept {
        return samples_;
    }

private:
    struct gpu_state {
        std::optional<time_point> last_at;
        double last_w = 0;
        time_point first_at{};
        double first_w = 0;
        double energy_j = 0;
    };
    time_point start_{};
    std::vector<gpu_state> gpus_;
    std::size_t samples_ = 0;
    std::optional<double> peak_w_;
};

} // namespace llmcap::telemetry
