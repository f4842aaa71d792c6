#pragma once

#include <llmcap/emulator/profile.hpp>

#include <algorithm> // max, min
#include <cmath>     // pow
#include <cstdint>   // uint32_t, uint64_t
#include <vector>    // vector

namespace llmcap::emulator {

/// What one engine step computes, in the terms the cost model prices.
struct step_work {
    /// Sequences decoding one token this step.
    std::uint32_t decode_sequences = 0;
    /// Sum over decoding sequences of the context each attends to (tokens already cached,
    /// plus the new one).
    std::uint64_t decode_context_tokens = 0;
    /// Prompt (or recomputed) tokens processed in prefill chunks this step.
    std::uint64_t prefill_tokens = 0;
    /// (query, key) pairs of the prefill chunks' causal attention: for a chunk of c tokens
    /// starting at position p, c·p + c·(c+1)/2.
    double prefill_attention_pairs = 0.0;
    /// Tokens already cached that prefill chunks read (the p of each chunk).
    std::uint64_t prefill_context_tokens = 0;
    /// Sequences that sample a token this step (decodes plus prefills that complete).
    std::uint32_t sampled_sequences = 0;
    /// Sequences in the step (decoding or prefilling).
    std::uint32_t sequences = 0;

    /// Tokens in the step (what counts against the token budget).
    [[nodiscard]] std::uint64_t tokens() const noexcept {
        return decode_sequences + prefill_tokens;
    }

    /// Adds a prefill chunk of `chunk_tokens` tokens starting after `cached_tokens`.
    void add_prefill_chunk(std::uint64_t cached_tokens, std::uint64_t chunk_tokens) noexcept {
        prefill_tokens += chunk_tokens;
        prefill_context_tokens += cached_tokens;
        const double c = static_cast<double>(chunk_tokens);
        prefill_attention_pairs += c * static_cast<double>(cached_tokens) + c * (c + 1.0) / 2.0;
        ++sequences;
    }

    /// Adds a sequence decoding one token after `cached_tokens` cached ones.
    void add_decode(std::uint64_t cached_tokens) noexcept {
        ++decode_sequences;
        decode_context_tokens += cached_tokens + 1;
        ++sampled_sequences;
        ++sequences;
    }
};

/// The price of one step, with the quantities it was computed from.
struct step_cost {
    /// Distinct routed experts the step's tokens touch, expected, per MoE layer.
    double experts_touched = 0.0;
    /// Weight bytes read.
    double weight_bytes = 0.0;
    /// KV-cache bytes read (decode attention and the context of prefill chunks).
    double kv_bytes = 0.0;
    /// FLOPs of the linear layers (projections, experts, output head).
    double linear_flops = 0.0;
    /// FLOPs of attention (prefill and decode).
    double attention_flops = 0.0;
    /// Time of the linear part: the larger of weight reading and linear compute, seconds.
    double linear_s = 0.0;
    /// Time of attention: the larger of KV reading and attention compute, seconds.
    double attention_s = 0.0;
    /// Fixed and per-sequence overheads, seconds.
    double overhead_s = 0.0;
    /// The step's duration, seconds: overhead_s + linear_s + attention_s.
    double duration_s = 0.0;
    /// Peak FLOP/s of the linear layers' precision on the profile's GPU, which the step was
    /// priced against (the power model measures compute utilisation against it).
    double linear_peak_flops_per_s = 0.0;
};

/**
 * Prices engine steps for one profile. A step runs the linear layers (weights streamed once
 * per step, FLOPs proportional to tokens) and attention (decode reads each sequence's KV
 * cache; prefill has a linear and a quadratic term in context); each part takes the larger of
 * its memory time and its compute time at the profile's efficiency, plus a fixed overhead
 * that depends on whether the step replays a CUDA graph. See docs/emulator.md for the
 * equations.
 */
class cost_model {
public:
    /// Precomputes the architecture's constants for `p` (kept by value).
    explicit cost_model(const profile& p)
        : profile_(p),
          always_bytes_(always_active_params(p.model) * p.model.weight_bytes_per_param),
          expert_bytes_(expert_params(p.model) * p.model.weight_bytes_per_param *
                        moe_layers(p.model)),
          kv_token_bytes_(kv_bytes_per_token(p.model)),
          prefill_pair_flops_(prefill_attention_flops_per_pair(p.model)),
          decode_pair_flops_(decode_attention_flops_per_pair(p.model)),
          head_flops_(2.0 * double(p.model.vocab_size) * p.model.hidden_size) {
        const model_spec& m = p.model;
        // Linear FLOPs per token, without the output head (only sampled tokens pay it).
        token_flops_ = 2.0 * (linear_params_per_token(m) - double(m.vocab_size) * m.hidden_size);
        // Per-token probability of picking each expert: k·p_i under a Zipf popularity law.
        if (m.experts > 0) {
            std::vector<double> weights(m.experts);
            double sum = 0.0;
            for (std::uint32_t i = 0; i < m.experts; ++i) {
                weights[i] = std::pow(double(i) + 1.0, -m.expert_popularity_skew);
                sum += weights[i];
            }
            pick_probability_.resize(m.experts);
            for (std::uint32_t i = 0; i < m.experts; ++i)
                pick_probability_[i] =
                    std::min(1.0, double(m.experts_per_token) * weights[i] / sum);
        }
    }

    /// The profile this model prices.
    [[nodiscard]] const profile& model_profile() const noexcept {
        return profile_;
    }

    /**
     * Expected distinct routed experts touched per MoE layer by `tokens` tokens: with q_i the
     * chance that one token picks expert i, Σ_i 1 − (1 − q_i)^tokens. Under uniform routing
     * q_i = k/E and this is E·(1 − (1 − k/E)^tokens). O(experts).
     */
    [[nodiscard]] double experts_touched(std::uint64_t tokens) const noexcept {
        double touched = 0.0;
        const double t = static_cast<double>(tokens);
        for (double q : pick_probability_)
            touched += 1.0 - std::pow(1.0 - q, t);
        return touched;
    }

    /// Prices one step. A step with no tokens costs nothing.
    [[nodiscard]] step_cost price(const step_work& w) const noexcept {
        step_cost c;
        const std::uint64_t tokens = w.tokens();
        if (tokens == 0)
            return c;
        const efficiency_factors& e = profile_.efficiency;
        const gpu_spec& g = profile_.gpu;

        c.linear_peak_flops_per_s = linear_peak_flops_per_s(profile_);
        c.experts_touched = experts_touched(tokens);
        c.weight_bytes = always_bytes_ + c.experts_touched * expert_bytes_;
        c.linear_flops = token_flops_ * static_cast<double>(tokens) +
                         head_flops_ * static_cast<double>(w.sampled_sequences);
        c.linear_s =
            std::max(c.weight_bytes / (g.memory_bandwidth_bytes_per_s * e.weight_bandwidth),
                     c.linear_flops / (c.linear_peak_flops_per_s * e.linear_compute));

        const double decode_kv = static_cast<double>(w.decode_context_tokens) * kv_token_bytes_;
        const double prefill_kv = static_cast<double>(w.prefill_context_tokens) * kv_token_bytes_;
        const double decode_flops =
            static_cast<double>(w.decode_context_tokens) * decode_pair_flops_;
        const double prefill_flops = w.prefill_attention_pairs * prefill_pair_flops_;
        c.kv_bytes = decode_kv + prefill_kv;
        c.attention_flops = decode_flops + prefill_flops;
        const double bandwidth = g.memory_bandwidth_bytes_per_s * e.kv_bandwidth;
        const double compute = attention_peak_flops_per_s(profile_) * e.attention_compute;
        // Decode and prefill attention run as separate kernels, each bound by its own limit.
        c.attention_s = std::max(decode_kv / bandwidth, decode_flops / compute) +
                        std::max(prefill_kv / bandwidth, prefill_flops / compute);

        const bool graph = tokens <= profile_.engine.cuda_graph_max_tokens;
        c.overhead_s = (graph ? e.graph_step_overhead_s : e.eager_step_overhead_s) +
                       e.per_sequence_overhead_s * w.sequences;
        c.duration_s = c.overhead_s + c.linear_s + c.attention_s;
        return c;
    }

private:
    profile profile_;
    double always_bytes_;
    double expert_bytes_; // one expert in every MoE layer
    double kv_token_bytes_;
    double prefill_pair_flops_;
    double decode_pair_flops_;
    double head_flops_;
    double token_flops_ = 0.0;
    std::vector<double> pick_probability_;
};

} // namespace llmcap::emulator
