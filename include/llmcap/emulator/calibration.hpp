#pragma once

#include <llmcap/emulator/detail/cell_metrics.hpp>
#include <llmcap/emulator/load_shape.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/simulator.hpp>

#include <cmath>       // abs
#include <cstdint>     // uint32_t
#include <map>         // map
#include <random>      // mt19937_64
#include <span>        // span
#include <string_view> // string_view
#include <tuple>       // tuple
#include <vector>      // vector

namespace llmcap::emulator {

/// A cell metric that a calibration target names (definitions as in DESIGN.md §4; means over
/// the cell's requests unless the metric is a cell total).
enum class calibration_metric : std::uint8_t {
    /// Mean time to first token, seconds.
    ttft_s,
    /// Mean per-user generation speed, tokens per second.
    per_user_tokens_per_s,
    /// Mean end-to-end latency, seconds.
    e2e_s,
    /// System output throughput of the cell, tokens per second.
    throughput_tokens_per_s,
    /// Mean server-side queue wait (arrival to first scheduled), seconds.
    queue_wait_s,
    /// Mean per-user prefill speed (prompt tokens ÷ server prefill time), tokens per second.
    prefill_tokens_per_s,
};

/// The metric's name as printed in calibration tables.
[[nodiscard]] constexpr std::string_view metric_name(calibration_metric m) noexcept {
    switch (m) {
    case calibration_metric::ttft_s: return "TTFT (s)";
    case calibration_metric::per_user_tokens_per_s: return "per-user tok/s";
    case calibration_metric::e2e_s: return "E2E (s)";
    case calibration_metric::throughput_tokens_per_s: return "throughput tok/s";
    case calibration_metric::queue_wait_s: return "queue wait (s)";
    case calibration_metric::prefill_tokens_per_s: return "prefill tok/s";
    }
    return "unknown";
}

/// One measured figure a profile is fitted to: a cell (closed loop at fixed concurrency) and
/// the value a metric took there.
struct calibration_target {
    /// Prompt tokens per request.
    std::uint32_t prompt_tokens = 0;
    /// Output tokens per request.
    std::uint32_t output_tokens = 0;
    /// Requests in flight.
    std::uint32_t concurrency = 1;
    /// The metric.
    calibration_metric metric = calibration_metric::ttft_s;
    /// Its measured value, in the metric's unit.
    double value = 0.0;
};

/**
 * The figures of the reference report `glm-4.7-flash-h200-report.txt` (GLM-4.7-Flash, BF16,
 * vLLM, one H200 SXM) that the default profile is fitted to. "1K" is read as 1,024 prompt
 * tokens, 8K as 8,192 and so on; 200K as 200,000 (the model's context is 202,752 tokens).
 */
inline constexpr calibration_target glm_4_7_flash_h200_targets[] = {
    {1024, 1024, 1, calibration_metric::ttft_s, 0.066},
    {1024, 1024, 1, calibration_metric::per_user_tokens_per_s, 196.7},
    {1024, 1024, 4, calibration_metric::throughput_tokens_per_s, 458.3},
    {1024, 128, 1, calibration_metric::e2e_s, 0.717},
    {1024, 128, 24, calibration_metric::e2e_s, 2.016},
    {1024, 128, 30, calibration_metric::e2e_s, 2.051},
    {8192, 1024, 1, calibration_metric::ttft_s, 0.2},
    {8192, 1024, 75, calibration_metric::ttft_s, 4.2},
    {8192, 1024, 125, calibration_metric::ttft_s, 5.7},
    {8192, 1024, 1, calibration_metric::per_user_tokens_per_s, 184.0},
    {8192, 1024, 75, calibration_metric::per_user_tokens_per_s, 26.0},
    {8192, 1024, 125, calibration_metric::per_user_tokens_per_s, 23.0},
    {8192, 1024, 1, calibration_metric::prefill_tokens_per_s, 33639.0},
    {32768, 1024, 1, calibration_metric::ttft_s, 1.6},
    {32768, 1024, 5, calibration_metric::ttft_s, 4.3},
    {32768, 1024, 12, calibration_metric::ttft_s, 6.7},
    {32768, 1024, 1, calibration_metric::per_user_tokens_per_s, 172.0},
    {32768, 1024, 5, calibration_metric::per_user_tokens_per_s, 78.0},
    {32768, 1024, 12, calibration_metric::per_user_tokens_per_s, 42.0},
    {32768, 1024, 4, calibration_metric::throughput_tokens_per_s, 221.4},
    {65536, 1024, 4, calibration_metric::ttft_s, 11.6},
    {65536, 1024, 4, calibration_metric::per_user_tokens_per_s, 66.0},
    {98304, 1024, 1, calibration_metric::ttft_s, 9.7},
    {98304, 1024, 2, calibration_metric::ttft_s, 14.4},
    {98304, 1024, 4, calibration_metric::ttft_s, 23.6},
    {98304, 1024, 1, calibration_metric::per_user_tokens_per_s, 122.0},
    {98304, 1024, 2, calibration_metric::per_user_tokens_per_s, 84.0},
    {98304, 1024, 4, calibration_metric::per_user_tokens_per_s, 40.0},
    {200000, 1024, 1, calibration_metric::ttft_s, 35.9},
    {200000, 1024, 1, calibration_metric::per_user_tokens_per_s, 116.3},
    {200000, 1024, 4, calibration_metric::per_user_tokens_per_s, 15.2},
    {200000, 1024, 4, calibration_metric::throughput_tokens_per_s, 18.8},
    {200000, 1024, 4, calibration_metric::queue_wait_s, 51.7},
};

/// How calibration cells are run.
struct calibration_options {
    /// Requests run and discarded before measuring, as a multiple of the concurrency.
    std::uint32_t warmup_waves = 0;
    /// Requests measured, as a multiple of the concurrency.
    std::uint32_t measured_waves = 2;
    /// Whether measured requests run with exactly `concurrency` in flight to the end
    /// (closed_loop::hold_concurrency).
    bool hold_concurrency = false;
};

/// A target beside what the emulator gives for it.
struct calibration_row {
    /// The target.
    calibration_target target;
    /// The emulated value, in the metric's unit.
    double emulated = 0.0;

    /// (emulated − target) ÷ target.
    [[nodiscard]] double relative_error() const noexcept {
        return (emulated - target.value) / target.value;
    }
};

/// The value of metric `m` in a cell's metrics.
[[nodiscard]] inline double metric_value(const detail::cell_metrics& c,
                                         calibration_metric m) noexcept {
    switch (m) {
    case calibration_metric::ttft_s: return c.ttft_s;
    case calibration_metric::per_user_tokens_per_s: return c.per_user_tokens_per_s;
    case calibration_metric::e2e_s: return c.e2e_s;
    case calibration_metric::throughput_tokens_per_s: return c.throughput_tokens_per_s;
    case calibration_metric::queue_wait_s: return c.queue_wait_s;
    case calibration_metric::prefill_tokens_per_s: return c.prefill_tokens_per_s;
    }
    return 0.0;
}

/**
 * Simulates every cell the targets name (each once, closed loop at the target's
 * concurrency) and returns each target beside its emulated value, in the targets' order.
 */
[[nodiscard]] inline std::vector<calibration_row>
evaluate_calibration(const profile& p, std::span<const calibration_target> targets,
                     const calibration_options& o = {}) {
    using cell_key = std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>;
    std::map<cell_key, detail::cell_metrics> cells;
    std::mt19937_64 rng(1); // closed loops draw nothing; the engine is deterministic
    std::vector<calibration_row> rows;
    rows.reserve(targets.size());
    for (const calibration_target& t : targets) {
        const cell_key key{t.prompt_tokens, t.output_tokens, t.concurrency};
        auto it = cells.find(key);
        if (it == cells.end()) {
            closed_loop shape;
            shape.concurrency = t.concurrency;
            shape.warmup_requests = o.warmup_waves * t.concurrency;
            shape.measured_requests = std::max(1u, o.measured_waves) * t.concurrency;
            shape.hold_concurrency = o.hold_concurrency;
            const simulation_result r =
                simulate(p, {t.prompt_tokens, t.output_tokens, 0}, shape, rng);
            it = cells.emplace(key, detail::measure_cell(r.traces())).first;
        }
        rows.push_back({t, metric_value(it->second, t.metric)});
    }
    return rows;
}

} // namespace llmcap::emulator
