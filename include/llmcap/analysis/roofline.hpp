#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/gpu_spec.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/model_spec.hpp>

#include <algorithm> // max
#include <cstdint>   // uint32_t
#include <optional>  // optional

/**
 * Physical upper bounds ("roofline") on what a model can do on a GPU, and how close a measured
 * cell came to them. A bound is a best case: every byte that must move is moved at the GPU's
 * full memory bandwidth and every floating-point operation runs at its peak rate, with no
 * overlap lost, no kernel launch, no scheduler. Real engines reach a fraction of it; a claim
 * above it is impossible on that hardware.
 *
 * The model's figures (active parameters, bytes per parameter, layers, KV-cache bytes per token,
 * attention width) are derived from its architecture by analysis/model_spec.hpp; the GPU's are
 * its published ones (analysis/gpu_spec.hpp, analysis/catalogue.hpp). The peak counted is the
 * GPU's at the precision of the model's linear layers.
 *
 * Decode step for c users at context L (one new token each):
 *   bytes ≥ active_parameters · bytes_per_parameter + c · L · kv_cache_bytes_per_token
 *   FLOPs ≥ c · (2 · active_parameters + 2 · layers · attention_width · L)
 *   step time ≥ max(bytes ÷ memory bandwidth, FLOPs ÷ peak FLOP/s); per-user speed ≤ 1 ÷ step.
 * (A mixture-of-experts batch touches at least the active experts; more as it grows, so the
 * active parameters are the least that must be read.)
 *
 * Prefill of L prompt tokens:
 *   FLOPs ≥ 2 · active_parameters · L + layers · attention_width · L · (L + 1)
 *     (2 · attention_width FLOPs per layer for each of the L(L+1)/2 causal query-key pairs)
 *   bytes ≥ active_parameters · bytes_per_parameter + L · kv_cache_bytes_per_token
 *   prefill speed ≤ L ÷ max(FLOPs ÷ peak, bytes ÷ bandwidth).
 */
namespace llmcap::analysis {

/// The peak FLOP/s a bound counts `m`'s arithmetic against: `g`'s dense peak at the precision
/// of `m`'s linear layers; 0 when `g` does not list one (the bounds then ignore compute).
[[nodiscard]] inline double peak_flops(const gpu_spec& g, const model_spec& m) noexcept {
    return g.peak(m.linear_precision);
}

/// A roofline bound and what limits it.
struct roofline_bound {
    /// The bound, tokens per second (per user for decode, per request for prefill).
    double tokens_per_s = 0.0;
    /// The least time the memory traffic takes, seconds (per step or per prefill).
    double memory_time_s = 0.0;
    /// The least time the arithmetic takes, seconds.
    double compute_time_s = 0.0;

    /// True when memory bandwidth, not compute, sets the bound.
    [[nodiscard]] bool memory_bound() const noexcept {
        return memory_time_s >= compute_time_s;
    }
};

/// Tokens of KV cache that fit beside the weights (0 when the weights alone do not fit):
/// an upper bound on the sum of context lengths the GPU can hold at once.
[[nodiscard]] inline double kv_cache_capacity_tokens(const model_spec& m,
                                                     const gpu_spec& g) noexcept {
    const double kv_bytes = kv_bytes_per_token(m);
    const double free_bytes = g.memory_bytes - weight_bytes(m);
    if (free_bytes <= 0.0 || kv_bytes <= 0.0)
        return 0.0;
    return free_bytes / kv_bytes;
}

/// Upper bound on the per-user decode speed with `concurrency` users each at `context_tokens`.
[[nodiscard]] inline roofline_bound decode_bound(const model_spec& m, const gpu_spec& g,
                                                 double context_tokens,
                                                 std::uint32_t concurrency = 1) noexcept {
    const double c = static_cast<double>(concurrency < 1 ? 1 : concurrency);
    const double active = active_params_per_token(m);
    const double bytes =
        active * m.weight_bytes_per_param + c * context_tokens * kv_bytes_per_token(m);
    const double flops = c * (2.0 * active + 2.0 * static_cast<double>(m.layers) *
                                                 attention_width(m) * context_tokens);
    const double peak = peak_flops(g, m);
    roofline_bound b;
    b.memory_time_s = bytes / g.memory_bandwidth_bytes_per_s;
    b.compute_time_s = peak > 0.0 ? flops / peak : 0.0;
    b.tokens_per_s = 1.0 / std::max(b.memory_time_s, b.compute_time_s);
    return b;
}

/// Upper bound on the prefill speed of one request of `context_tokens` prompt tokens (> 0).
[[nodiscard]] inline roofline_bound prefill_bound(const model_spec& m, const gpu_spec& g,
                                                  double context_tokens) noexcept {
    const double l = context_tokens;
    const double active = active_params_per_token(m);
    const double flops =
        2.0 * active * l + static_cast<double>(m.layers) * attention_width(m) * l * (l + 1.0);
    const double bytes = active * m.weight_bytes_per_param + l * kv_bytes_per_token(m);
    const double peak = peak_flops(g, m);
    roofline_bound b;
    b.memory_time_s = bytes / g.memory_bandwidth_bytes_per_s;
    b.compute_time_s = peak > 0.0 ? flops / peak : 0.0;
    b.tokens_per_s = l / std::max(b.memory_time_s, b.compute_time_s);
    return b;
}

/// How close one measured cell came to the bounds: each fraction is measured ÷ bound (≤ 1
/// unless the description is wrong); empty when the cell lacks the metric.
struct cell_roofline {
    /// Per-user decode bound at the cell's context and concurrency.
    roofline_bound decode;
    /// Prefill bound at the cell's context.
    roofline_bound prefill;
    /// Mean generation speed ÷ decode bound.
    std::optional<double> decode_fraction;
    /// Mean server-measured prefill speed ÷ prefill bound.
    std::optional<double> prefill_fraction;
    /// Mean client-side prefill lower bound ÷ prefill bound (a lower bound on the fraction).
    std::optional<double> prefill_lower_bound_fraction;
};

/// The roofline fractions a cell achieved.
[[nodiscard]] inline cell_roofline roofline_of(const cell_summary& cell, const model_spec& m,
                                               const gpu_spec& g) {
    cell_roofline r;
    const double context = static_cast<double>(cell.context_tokens);
    r.decode = decode_bound(m, g, context, cell.concurrency);
    r.prefill = prefill_bound(m, g, context);
    if (const auto v = cell.value(metric::generation_speed, statistic::mean))
        r.decode_fraction = *v / r.decode.tokens_per_s;
    if (const auto v = cell.value(metric::prefill_speed, statistic::mean))
        r.prefill_fraction = *v / r.prefill.tokens_per_s;
    if (const auto v = cell.value(metric::prefill_speed_lower_bound, statistic::mean))
        r.prefill_lower_bound_fraction = *v / r.prefill.tokens_per_s;
    return r;
}

/// The answer to "can this model on this GPU reach X tokens/s for one user?".
struct claim_check {
    /// True when the claim does not exceed the bound (it may still be out of reach in practice).
    bool possible = false;
    /// The single-user decode bound at the claim's context, tokens per second.
    double bound_tokens_per_s = 0.0;
    /// claimed ÷ bound: above 1 is physically impossible on this hardware.
    double fraction_of_bound = 0.0;
};

/// Checks a claimed single-user decode speed at `context_tokens` against the bound.
[[nodiscard]] inline claim_check check_claim(const model_spec& m, const gpu_spec& g,
                                             double claimed_tokens_per_s,
                                             double context_tokens = 0.0) noexcept {
    const roofline_bound b = decode_bound(m, g, context_tokens, 1);
    return {claimed_tokens_per_s <= b.tokens_per_s, b.tokens_per_s,
            claimed_tokens_per_s / b.tokens_per_s};
}

} // namespace llmcap::analysis
