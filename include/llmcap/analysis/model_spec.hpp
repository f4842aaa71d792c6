#pragma once

#include <llmcap/analysis/gpu_spec.hpp>

#include <cstdint>     // uint8_t, uint32_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

/**
 * The architecture of a decoder-only transformer (dense or mixture-of-experts, grouped-query or
 * multi-head latent attention) and every figure derived from it: parameters, active parameters,
 * KV-cache bytes per token, attention width and FLOPs. The roofline bounds
 * (analysis/roofline.hpp) and the emulator's cost model (emulator/cost_model.hpp) both take
 * these numbers from here; analysis/catalogue.hpp holds the known models.
 */
namespace llmcap::analysis {

/// Attention layout of a model: how big its KV cache is per token and how many FLOPs one
/// (query, key) pair costs.
enum class attention_kind : std::uint8_t {
    /// Grouped-query (or multi-head) attention: K and V of `kv_heads` heads are cached.
    gqa,
    /// Multi-head latent attention (DeepSeek-V2/V3 style): a compressed latent of
    /// `kv_lora_rank + qk_rope_head_dim` values per token per layer is cached.
    mla,
};

/// Attention dimensions of a model. Fields that the chosen kind does not use stay 0.
struct attention_spec {
    /// Which layout the numbers below describe.
    attention_kind kind = attention_kind::gqa;
    /// Query heads.
    std::uint32_t heads = 0;
    /// GQA: key/value heads.
    std::uint32_t kv_heads = 0;
    /// GQA: dimension of one head.
    std::uint32_t head_dim = 0;
    /// MLA: rank of the query down-projection (0: queries are projected directly).
    std::uint32_t q_lora_rank = 0;
    /// MLA: rank of the cached key/value latent.
    std::uint32_t kv_lora_rank = 0;
    /// MLA: per-head query/key dimension without rotary embedding.
    std::uint32_t qk_nope_head_dim = 0;
    /// MLA: per-head query/key dimension with rotary embedding (cached alongside the latent).
    std::uint32_t qk_rope_head_dim = 0;
    /// MLA: per-head value dimension.
    std::uint32_t v_head_dim = 0;
};

/// Architecture numbers of a (possibly mixture-of-experts) decoder-only transformer, with the
/// precision it is served in and the source of every figure.
struct model_spec {
    /// Catalogue name (`"GLM-4.7-Flash"`), also the name the emulator serves it under; lookups
    /// ignore case and punctuation.
    std::string name;
    /// Longer label for reports (`"GLM-4.7-Flash (BF16)"`); empty: the name.
    std::string display_name;
    /// Transformer layers.
    std::uint32_t layers = 0;
    /// Layers whose MLP is dense rather than mixture-of-experts (the first ones).
    std::uint32_t dense_layers = 0;
    /// Model (residual stream) width.
    std::uint32_t hidden_size = 0;
    /// Vocabulary size (embedding and output head rows).
    std::uint32_t vocab_size = 0;
    /// True when the output head shares the embedding matrix.
    bool tied_embeddings = false;
    /// Intermediate width of a dense (gated) MLP.
    std::uint32_t dense_intermediate_size = 0;
    /// Routed experts per mixture-of-experts layer (0 for a dense model).
    std::uint32_t experts = 0;
    /// Routed experts each token uses per layer.
    std::uint32_t experts_per_token = 0;
    /// Shared (always active) experts per mixture-of-experts layer.
    std::uint32_t shared_experts = 0;
    /// Intermediate width of one (gated) expert MLP.
    std::uint32_t expert_intermediate_size = 0;
    /**
     * Concentration of routing: experts' popularity follows a Zipf law with this exponent
     * (0: uniform routing). Real routers are not uniform, so a batch touches fewer distinct
     * experts than uniform routing predicts. Only the emulator's cost model reads it.
     */
    double expert_popularity_skew = 0.0;
    /// Attention layout.
    attention_spec attention;
    /// Bytes per weight (2 for BF16, 1 for FP8).
    double weight_bytes_per_param = 2.0;
    /// Bytes per cached KV element (2 for a BF16 cache, 1 for FP8).
    double kv_bytes_per_element = 2.0;
    /// The precision the linear layers (projections, experts, output head) compute in: which
    /// of the GPU's peaks bounds them.
    precision linear_precision = precision::bf16;
    /// The precision attention computes in (the KV cache's).
    precision attention_precision = precision::bf16;
    /// Longest sequence (prompt + output) the model accepts, tokens.
    std::uint32_t max_context_tokens = 0;
    /// The source of every figure without an entry in `sources`.
    std::string source;
    /// Sources of single figures, where they differ from `source`.
    std::vector<figure_source> sources;

    /// The label for reports.
    [[nodiscard]] const std::string& label() const noexcept {
        return display_name.empty() ? name : display_name;
    }

    /// Where `figure` (a field name, `attention.<field>` for an attention one) comes from.
    [[nodiscard]] const std::string& source_of(std::string_view figure) const noexcept {
        return analysis::source_of(sources, source, figure);
    }
};

// --- figures derived from the architecture: the one place they are computed ---

/// Parameters of one layer's attention projections (norms excluded: see norm_params).
[[nodiscard]] inline double attention_params_per_layer(const model_spec& m) noexcept {
    const attention_spec& a = m.attention;
    const double h = m.hidden_size;
    if (a.kind == attention_kind::mla) {
        const double qk = double(a.qk_nope_head_dim) + double(a.qk_rope_head_dim);
        const double q = a.q_lora_rank > 0
                             ? h * a.q_lora_rank + double(a.q_lora_rank) * a.heads * qk
                             : h * a.heads * qk;
        const double kv_a = h * (double(a.kv_lora_rank) + a.qk_rope_head_dim);
        const double kv_b =
            double(a.kv_lora_rank) * a.heads * (double(a.qk_nope_head_dim) + a.v_head_dim);
        const double o = double(a.heads) * a.v_head_dim * h;
        return q + kv_a + kv_b + o;
    }
    const double q = h * a.heads * a.head_dim;
    const double kv = 2.0 * h * a.kv_heads * a.head_dim;
    const double o = double(a.heads) * a.head_dim * h;
    return q + kv + o;
}

/// Parameters of one routed expert (a gated MLP: gate, up and down projections).
[[nodiscard]] inline double expert_params(const model_spec& m) noexcept {
    return 3.0 * m.hidden_size * double(m.expert_intermediate_size);
}

/// Mixture-of-experts layers.
[[nodiscard]] inline std::uint32_t moe_layers(const model_spec& m) noexcept {
    return m.experts == 0 ? 0u : m.layers - m.dense_layers;
}

/// Parameters of the normalisation vectors: two RMSNorms per layer (before attention and
/// before the MLP), MLA's norms of the query and key/value latents, and the final norm.
[[nodiscard]] inline double norm_params(const model_spec& m) noexcept {
    const attention_spec& a = m.attention;
    double per_layer = 2.0 * m.hidden_size;
    if (a.kind == attention_kind::mla)
        per_layer += double(a.q_lora_rank) + a.kv_lora_rank;
    return m.layers * per_layer + m.hidden_size;
}

/// Parameters of the matrices read for every token whatever the routing: attention, dense
/// MLPs, shared experts, routers, the output head (the embedding lookup reads one row and is
/// left out; so are the norms).
[[nodiscard]] inline double always_active_params(const model_spec& m) noexcept {
    const double h = m.hidden_size;
    const std::uint32_t dense = m.experts == 0 ? m.layers : m.dense_layers;
    double p = m.layers * attention_params_per_layer(m);
    p += dense * 3.0 * h * m.dense_intermediate_size;
    p += moe_layers(m) * (double(m.shared_experts) * expert_params(m) + h * m.experts);
    p += double(m.vocab_size) * h; // output head
    return p;
}

/// Parameters of every routed expert of every layer.
[[nodiscard]] inline double routed_expert_params(const model_spec& m) noexcept {
    return moe_layers(m) * double(m.experts) * expert_params(m);
}

/// Parameters of the matrices one token multiplies (routed experts counted `experts_per_token`
/// times per layer): a token's linear layers cost 2 FLOPs per such parameter.
[[nodiscard]] inline double linear_params_per_token(const model_spec& m) noexcept {
    return always_active_params(m) + moe_layers(m) * double(m.experts_per_token) * expert_params(m);
}

/// Parameters one token reads: its matrices and the norms (the model card's "active" count).
[[nodiscard]] inline double active_params_per_token(const model_spec& m) noexcept {
    return linear_params_per_token(m) + norm_params(m);
}

/// Total parameters, embeddings and norms included (the model card's count).
[[nodiscard]] inline double total_params(const model_spec& m) noexcept {
    const double embedding = m.tied_embeddings ? 0.0 : double(m.vocab_size) * m.hidden_size;
    return always_active_params(m) + routed_expert_params(m) + embedding + norm_params(m);
}

/// Bytes of all weights as stored on the device.
[[nodiscard]] inline double weight_bytes(const model_spec& m) noexcept {
    return total_params(m) * m.weight_bytes_per_param;
}

/// KV-cache bytes one token occupies over all layers.
[[nodiscard]] inline double kv_bytes_per_token(const model_spec& m) noexcept {
    const attention_spec& a = m.attention;
    const double per_layer = a.kind == attention_kind::mla
                                 ? double(a.kv_lora_rank) + a.qk_rope_head_dim
                                 : 2.0 * a.kv_heads * a.head_dim;
    return per_layer * m.layers * m.kv_bytes_per_element;
}

/// Attention width of one layer: Σ over query heads of (query-key head dim + value head dim),
/// so that one (query, key) pair costs 2 × this FLOPs per layer in the expanded form.
[[nodiscard]] inline double attention_width(const model_spec& m) noexcept {
    const attention_spec& a = m.attention;
    const double per_head = a.kind == attention_kind::mla
                                ? double(a.qk_nope_head_dim) + a.qk_rope_head_dim + a.v_head_dim
                                : 2.0 * a.head_dim;
    return a.heads * per_head;
}

/// FLOPs of one (query, key) pair over all layers in prefill attention (scores and values).
[[nodiscard]] inline double prefill_attention_flops_per_pair(const model_spec& m) noexcept {
    return 2.0 * attention_width(m) * m.layers;
}

/// FLOPs of one (query, key) pair over all layers in decode attention (MLA decodes in the
/// absorbed form, against the latent itself).
[[nodiscard]] inline double decode_attention_flops_per_pair(const model_spec& m) noexcept {
    const attention_spec& a = m.attention;
    const double per_head = a.kind == attention_kind::mla
                                ? 2.0 * a.kv_lora_rank + a.qk_rope_head_dim
                                : 2.0 * a.head_dim;
    return 2.0 * a.heads * per_head * m.layers;
}

} // namespace llmcap::analysis
