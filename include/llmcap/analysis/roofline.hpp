#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>

#include <algorithm> // max
#include <cstdint>   // uint32_t
#include <optional>  // optional
#include <string>    // string

/**
 * Physical upper bounds ("roofline") on what a model can do on a GPU, and how close a measured
 * cell came to them. A bound is a best case: every byte that must move is moved at the GPU's
 * full memory bandwidth and every floating-point operation runs at its peak rate, with no
 * overlap lost, no kernel launch, no scheduler. Real engines reach a fraction of it; a claim
 * above it is impossible on that hardware.
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

/// What a model costs to run, per token. Parameter counts are plain numbers of parameters.
struct model_description {
    /// Display name.
    std::string name;
    /// Every parameter held in GPU memory.
    double total_parameters = 0.0;
    /// Parameters used for one token (all of a dense model; shared + routed experts of an MoE).
    double active_parameters = 0.0;
    /// Bytes per stored parameter (2 for BF16, 1 for FP8).
    double bytes_per_parameter = 2.0;
    /// Transformer layers.
    std::uint32_t layers = 0;
    /// KV-cache bytes one token occupies, all layers together.
    double kv_cache_bytes_per_token = 0.0;
    /// Per layer, Σ over attention heads of (query-key head dim + value head dim): attention
    /// costs 2 × this FLOPs per layer per query-key pair.
    double attention_width = 0.0;
};

/// What a GPU offers.
struct gpu_description {
    /// Display name.
    std::string name;
    /// Peak memory bandwidth, bytes per second.
    double memory_bandwidth_bytes_per_s = 0.0;
    /// Peak dense (non-sparse) FLOP/s at the model's precision.
    double peak_flops_per_s = 0.0;
    /// Memory size, bytes.
    double memory_bytes = 0.0;
};

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

/// Bytes of the model's weights.
[[nodiscard]] inline double weight_bytes(const model_description& m) noexcept {
    return m.total_parameters * m.bytes_per_parameter;
}

/// Tokens of KV cache that fit beside the weights (0 when the weights alone do not fit):
/// an upper bound on the sum of context lengths the GPU can hold at once.
[[nodiscard]] inline double kv_cache_capacity_tokens(const model_description& m,
                                                     const gpu_description& g) noexcept {
    const double free_bytes = g.memory_bytes - weight_bytes(m);
    if (free_bytes <= 0.0 || m.kv_cache_bytes_per_token <= 0.0)
        return 0.0;
    return free_bytes / m.kv_cache_bytes_per_token;
}

/// Upper bound on the per-user decode speed with `concurrency` users each at `context_tokens`.
[[nodiscard]] inline roofline_bound decode_bound(const model_description& m,
                                                 const gpu_description& g, double context_tokens,
                                                 std::uint32_t concurrency = 1) noexcept {
    const double c = static_cast<double>(concurrency < 1 ? 1 : concurrency);
    const double bytes = m.active_parameters * m.bytes_per_parameter +
                         c * context_tokens * m.kv_cache_bytes_per_token;
    const double flops = c * (2.0 * m.active_parameters + 2.0 * static_cast<double>(m.layers) *
                                                              m.attention_width * context_tokens);
    roofline_bound b;
    b.memory_time_s = bytes / g.memory_bandwidth_bytes_per_s;
    b.compute_time_s = flops / g.peak_flops_per_s;
    b.tokens_per_s = 1.0 / std::max(b.memory_time_s, b.compute_time_s);
    return b;
}

/// Upper bound on the prefill speed of one request of `context_tokens` prompt tokens (> 0).
[[nodiscard]] inline roofline_bound prefill_bound(const model_description& m,
                                                  const gpu_description& g,
                                                  double context_tokens) noexcept {
    const double l = context_tokens;
    const double flops = 2.0 * m.active_parameters * l +
                         static_cast<double>(m.layers) * m.attention_width * l * (l + 1.0);
    const double bytes =
        m.active_parameters * m.bytes_per_parameter + l * m.kv_cache_bytes_per_token;
    roofline_bound b;
    b.memory_time_s = bytes / g.memory_bandwidth_bytes_per_s;
    b.compute_time_s = flops / g.peak_flops_per_s;
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
[[nodiscard]] inline cell_roofline roofline_of(const cell_summary& cell, const model_description& m,
                                               const gpu_description& g) {
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
[[nodiscard]] inline claim_check check_claim(const model_description& m, const gpu_description& g,
                                             double claimed_tokens_per_s,
                                             double context_tokens = 0.0) noexcept {
    const roofline_bound b = decode_bound(m, g, context_tokens, 1);
    return {claimed_tokens_per_s <= b.tokens_per_s, b.tokens_per_s,
            claimed_tokens_per_s / b.tokens_per_s};
}

} // namespace llmcap::analysis
