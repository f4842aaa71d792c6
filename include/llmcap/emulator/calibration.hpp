#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/virtual_cell.hpp>

#include <algorithm>   // sort, max
#include <array>       // array
#include <cmath>       // abs, exp, log
#include <cstdint>     // uint32_t
#include <limits>      // numeric_limits
#include <map>         // map
#include <optional>    // optional
#include <span>        // span
#include <string_view> // string_view
#include <tuple>       // tuple
#include <utility>     // pair
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
    case calibration_metric::ttft_s:
        return "TTFT (s)";
    case calibration_metric::per_user_tokens_per_s:
        return "per-user tok/s";
    case calibration_metric::e2e_s:
        return "E2E (s)";
    case calibration_metric::throughput_tokens_per_s:
        return "throughput tok/s";
    case calibration_metric::queue_wait_s:
        return "queue wait (s)";
    case calibration_metric::prefill_tokens_per_s:
        return "prefill tok/s";
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

/**
 * How calibration cells are run. The defaults are how the shipped profiles were fitted: each
 * cell starts cold with `concurrency` requests at once and runs three waves' worth of requests
 * in closed loop (workload::drive), the last ones finishing with fewer in flight.
 */
struct calibration_options {
    /// Requests run and discarded before measuring, as a multiple of the concurrency.
    std::uint32_t warmup_waves = 0;
    /// Requests measured, as a multiple of the concurrency.
    std::uint32_t measured_waves = 3;
    /// When set, measured requests start only during this long after the first one
    /// (workload::stop_rule::max_duration); measured_waves then caps the count.
    std::optional<duration> start_window;
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

/// The analysis metric and statistic that a calibration metric reads from a cell summary.
[[nodiscard]] constexpr analysis::metric analysis_metric(calibration_metric m) noexcept {
    switch (m) {
    case calibration_metric::ttft_s:
        return analysis::metric::ttft;
    case calibration_metric::per_user_tokens_per_s:
        return analysis::metric::generation_speed;
    case calibration_metric::e2e_s:
        return analysis::metric::e2e;
    case calibration_metric::throughput_tokens_per_s:
        return analysis::metric::throughput;
    case calibration_metric::queue_wait_s:
        return analysis::metric::queue_wait;
    case calibration_metric::prefill_tokens_per_s:
        return analysis::metric::prefill_speed;
    }
    return analysis::metric::ttft;
}

/// The value of metric `m` in a cell's summary: the mean over its requests (a cell total's one
/// value); 0 when the cell has none.
[[nodiscard]] inline double metric_value(const analysis::cell_summary& c, calibration_metric m) {
    return c.value(analysis_metric(m), analysis::statistic::mean).value_or(0.0);
}

/**
 * Measures every cell the targets name (each once, closed loop at the target's concurrency, on
 * a cold virtual_endpoint with workload::drive and the cell recorder: run_virtual_cell) and
 * returns each target beside its emulated value, in the targets' order.
 */
[[nodiscard]] inline std::vector<calibration_row>
evaluate_calibration(const profile& p, std::span<const calibration_target> targets,
                     const calibration_options& o = {}) {
    using cell_id = std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>;
    std::map<cell_id, analysis::cell_summary> cells;
    std::vector<calibration_row> rows;
    rows.reserve(targets.size());
    for (const calibration_target& t : targets) {
        const cell_id id{t.prompt_tokens, t.output_tokens, t.concurrency};
        auto it = cells.find(id);
        if (it == cells.end()) {
            virtual_cell c;
            c.prompt_tokens = t.prompt_tokens;
            c.output_tokens = t.output_tokens;
            c.concurrency = t.concurrency;
            c.warmup_requests = std::uint64_t{o.warmup_waves} * t.concurrency;
            c.stop.requests = std::uint64_t{std::max(1u, o.measured_waves)} * t.concurrency;
            c.stop.max_duration = o.start_window;
            it = cells.emplace(id, run_virtual_cell(p, c).recorder.summary()).first;
        }
        rows.push_back({t, metric_value(it->second, t.metric)});
    }
    return rows;
}

/**
 * The misfit fit_profile minimises: over rows, the squared log-ratio ln(emulated ÷ target)
 * (symmetric in over- and under-estimation), plus a steep penalty, 100·(|e| − 0.2)², on each
 * relative error e beyond ±20%, so that no row is sacrificed to the others. Infinite when a
 * value is not positive.
 */
[[nodiscard]] inline double calibration_misfit(std::span<const calibration_row> rows) noexcept {
    double sum = 0.0;
    for (const calibration_row& r : rows) {
        if (!(r.emulated > 0.0) || !(r.target.value > 0.0))
            return std::numeric_limits<double>::infinity();
        const double l = std::log(r.emulated / r.target.value);
        const double excess = std::max(0.0, std::abs(r.relative_error()) - 0.2);
        sum += l * l + 100.0 * excess * excess;
    }
    return sum;
}

namespace detail {

// The fitted numbers of a profile, in an unconstrained space: fractions through the logistic
// function, non-negative numbers through exp.
inline constexpr std::size_t fit_dimensions = 10;

inline double logistic(double x) noexcept {
    return 1.0 / (1.0 + std::exp(-x));
}

inline double logit(double p) noexcept {
    return std::log(p / (1.0 - p));
}

inline std::array<double, fit_dimensions> to_fit_space(const profile& p) {
    const efficiency_factors& e = p.efficiency;
    const auto lg = [](double x) { return std::log(std::max(x, 1e-7)); };
    return {logit(std::min(e.weight_bandwidth, 0.999)),
            logit(std::min(e.kv_bandwidth, 0.999)),
            logit(std::min(e.linear_compute, 0.999)),
            logit(std::min(e.attention_compute, 0.999)),
            lg(e.graph_step_overhead_s),
            lg(e.eager_step_overhead_s),
            lg(e.per_sequence_overhead_s),
            lg(p.frontend.request_overhead_s),
            lg(p.frontend.tokenize_s_per_token),
            lg(p.model.expert_popularity_skew)};
}

inline profile from_fit_space(profile p, const std::array<double, fit_dimensions>& x) {
    efficiency_factors& e = p.efficiency;
    e.weight_bandwidth = logistic(x[0]);
    e.kv_bandwidth = logistic(x[1]);
    e.linear_compute = logistic(x[2]);
    e.attention_compute = logistic(x[3]);
    e.graph_step_overhead_s = std::exp(x[4]);
    e.eager_step_overhead_s = std::exp(x[5]);
    e.per_sequence_overhead_s = std::exp(x[6]);
    p.frontend.request_overhead_s = std::exp(x[7]);
    p.frontend.tokenize_s_per_token = std::exp(x[8]);
    p.model.expert_popularity_skew = std::exp(x[9]);
    return p;
}

} // namespace detail

/**
 * Fits a profile's efficiency factors, step overheads, front-end delays and expert popularity
 * skew to measured targets by a Nelder–Mead search on calibration_misfit(), starting from the
 * profile's own values. Architecture, GPU and engine settings are kept. Each evaluation runs
 * every target cell, so the cost is `max_evaluations` × evaluate_calibration().
 */
[[nodiscard]] inline profile fit_profile(const profile& start,
                                         std::span<const calibration_target> targets,
                                         const calibration_options& o = {},
                                         std::size_t max_evaluations = 400) {
    constexpr std::size_t n = detail::fit_dimensions;
    using point = std::array<double, n>;
    const auto misfit = [&](const point& x) {
        const profile p = detail::from_fit_space(start, x);
        return calibration_misfit(evaluate_calibration(p, targets, o));
    };
    std::vector<std::pair<double, point>> simplex;
    const point x0 = detail::to_fit_space(start);
    simplex.emplace_back(misfit(x0), x0);
    for (std::size_t i = 0; i < n; ++i) {
        point x = x0;
        x[i] += 0.3;
        simplex.emplace_back(misfit(x), x);
    }
    std::size_t evaluations = n + 1;
    const auto order = [&] {
        std::sort(simplex.begin(), simplex.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
    };
    const auto along = [](const point& from, const point& to, double t) {
        point r;
        for (std::size_t i = 0; i < n; ++i)
            r[i] = from[i] + t * (to[i] - from[i]);
        return r;
    };
    while (evaluations < max_evaluations) {
        order();
        point centroid{};
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < n; ++i)
                centroid[i] += simplex[k].second[i] / double(n);
        const point worst = simplex[n].second;
        const point reflected = along(centroid, worst, -1.0);
        const double fr = misfit(reflected);
        ++evaluations;
        if (fr < simplex[0].first) {
            const point expanded = along(centroid, worst, -2.0);
            const double fe = misfit(expanded);
            ++evaluations;
            simplex[n] = fe < fr ? std::pair{fe, expanded} : std::pair{fr, reflected};
        } else if (fr < simplex[n - 1].first) {
            simplex[n] = {fr, reflected};
        } else {
            const point contracted = along(centroid, worst, 0.5);
            const double fc = misfit(contracted);
            ++evaluations;
            if (fc < simplex[n].first) {
                simplex[n] = {fc, contracted};
            } else {
                for (std::size_t k = 1; k <= n; ++k) {
                    simplex[k].second = along(simplex[0].second, simplex[k].second, 0.5);
                    simplex[k].first = misfit(simplex[k].second);
                    ++evaluations;
                }
            }
        }
    }
    order();
    return detail::from_fit_space(start, simplex[0].second);
}

} // namespace llmcap::emulator
