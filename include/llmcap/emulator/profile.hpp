#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>       // isfinite
#include <cstdint>     // uint32_t, uint64_t
#include <filesystem>  // path
#include <fstream>     // ifstream
#include <optional>    // optional
#include <sstream>     // ostringstream
#include <stdexcept>   // runtime_error
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::emulator {

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

/// Architecture numbers of a (possibly mixture-of-experts) decoder-only transformer.
struct model_spec {
    /// Human-readable model name.
    std::string name;
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
     * experts than uniform routing predicts.
     */
    double expert_popularity_skew = 0.0;
    /// Attention layout.
    attention_spec attention;
    /// Bytes per weight (2 for BF16, 1 for FP8).
    double weight_bytes_per_param = 2.0;
    /// Bytes per cached KV element (2 for a BF16 cache, 1 for FP8).
    double kv_bytes_per_element = 2.0;
    /// Longest sequence (prompt + output) the model accepts, tokens.
    std::uint32_t max_context_tokens = 0;
};

/// The accelerator the model runs on.
struct gpu_spec {
    /// Human-readable name.
    std::string name;
    /// Device memory, bytes.
    double memory_bytes = 0.0;
    /// Peak memory bandwidth, bytes per second.
    double memory_bandwidth_bytes_per_s = 0.0;
    /// Peak dense matrix throughput in the weights' data type, FLOP per second (the linear
    /// layers run at this peak).
    double peak_flops_per_s = 0.0;
    /// Peak dense matrix throughput of attention, which runs in the KV cache's data type,
    /// FLOP per second; 0 means the same as peak_flops_per_s.
    double attention_peak_flops_per_s = 0.0;

    /// The attention peak in effect.
    [[nodiscard]] double attention_peak() const noexcept {
        return attention_peak_flops_per_s > 0.0 ? attention_peak_flops_per_s : peak_flops_per_s;
    }
};

/// Scheduler and memory settings of the serving engine (vLLM's names where they exist).
struct engine_settings {
    /// Token budget of one engine step, shared by decodes and prefill chunks
    /// (`max_num_batched_tokens`).
    std::uint32_t max_num_batched_tokens = 8192;
    /// Most sequences running at once (`max_num_seqs`).
    std::uint32_t max_num_seqs = 256;
    /// Tokens per KV-cache block (`block_size`).
    std::uint32_t block_size = 16;
    /// Fraction of device memory the engine may use (`gpu_memory_utilization`).
    double gpu_memory_utilization = 0.9;
    /// Memory kept for activations, CUDA graphs and the runtime, bytes.
    double activation_reserve_bytes = 0.0;
    /// KV-cache capacity in tokens; 0 derives it from memory (see kv_cache_tokens()).
    std::uint64_t kv_cache_tokens = 0;
    /// Steps of at most this many tokens replay a captured CUDA graph (cheap launch); larger
    /// steps run eagerly.
    std::uint32_t cuda_graph_max_tokens = 512;
};

/// Fractions of peak that kernels reach and fixed costs, fitted per profile.
struct efficiency_factors {
    /// Fraction of peak bandwidth reached reading weights.
    double weight_bandwidth = 0.8;
    /// Fraction of peak bandwidth reached reading the KV cache in decode attention.
    double kv_bandwidth = 0.6;
    /// Fraction of peak FLOP/s reached by the linear layers (projections, experts).
    double linear_compute = 0.4;
    /// Fraction of peak FLOP/s reached by prefill attention.
    double attention_compute = 0.5;
    /// Fixed cost of a step that replays a CUDA graph, seconds.
    double graph_step_overhead_s = 0.003;
    /// Fixed cost of a step run eagerly (more tokens than cuda_graph_max_tokens), seconds.
    double eager_step_overhead_s = 0.03;
    /// Cost per sequence in a step (scheduling, sampling, detokenizing), seconds.
    double per_sequence_overhead_s = 0.0;
};

/// The HTTP front end in front of the engine.
struct frontend_settings {
    /// From the request's first byte to its arrival at the engine, fixed part, seconds.
    double request_overhead_s = 0.001;
    /// Tokenization and templating, seconds per prompt token.
    double tokenize_s_per_token = 0.0;
    /// From arrival at the engine to the response headers, seconds.
    double header_delay_s = 0.0005;
};

/// Everything the emulator needs to imitate one model on one GPU under one engine.
struct profile {
    /// Identifier, e.g. `glm-4.7-flash-h200-bf16`.
    std::string name;
    /// One line saying what the profile imitates.
    std::string description;
    /// The reasoning behind the numbers: sources, assumptions.
    std::vector<std::string> notes;
    /// Which measured figures the efficiency factors were fitted to.
    std::vector<std::string> fitted_to;
    /// Model architecture.
    model_spec model;
    /// Accelerator.
    gpu_spec gpu;
    /// Engine settings.
    engine_settings engine;
    /// Efficiency factors.
    efficiency_factors efficiency;
    /// Front-end delays.
    frontend_settings frontend;
};

// --- numbers derived from the architecture ---

/// Parameters of one layer's attention block (projections only).
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

/// Parameters read for every token whatever the routing: attention, dense MLPs, shared
/// experts, routers, the output head (the embedding lookup reads one row and is left out).
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

/// Total parameters, embeddings included.
[[nodiscard]] inline double total_params(const model_spec& m) noexcept {
    const double embedding = m.tied_embeddings ? 0.0 : double(m.vocab_size) * m.hidden_size;
    return always_active_params(m) + routed_expert_params(m) + embedding;
}

/// Parameters one token uses (routed experts counted `experts_per_token` times per layer).
[[nodiscard]] inline double active_params_per_token(const model_spec& m) noexcept {
    return always_active_params(m) + moe_layers(m) * double(m.experts_per_token) * expert_params(m);
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

/// FLOPs of one (query, key) pair over all layers in prefill attention (scores and values).
[[nodiscard]] inline double prefill_attention_flops_per_pair(const model_spec& m) noexcept {
    const attention_spec& a = m.attention;
    const double per_head = a.kind == attention_kind::mla
                                ? double(a.qk_nope_head_dim) + a.qk_rope_head_dim + a.v_head_dim
                                : 2.0 * a.head_dim;
    return 2.0 * a.heads * per_head * m.layers;
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

/// KV-cache capacity in tokens: the setting when given, else what memory leaves after
/// weights and the activation reserve, rounded down to whole blocks.
[[nodiscard]] inline std::uint64_t kv_cache_tokens(const profile& p) noexcept {
    if (p.engine.kv_cache_tokens > 0)
        return p.engine.kv_cache_tokens;
    const double free_bytes = p.gpu.memory_bytes * p.engine.gpu_memory_utilization -
                              weight_bytes(p.model) - p.engine.activation_reserve_bytes;
    if (!(free_bytes > 0.0))
        return 0;
    const double tokens = free_bytes / kv_bytes_per_token(p.model);
    const auto blocks = static_cast<std::uint64_t>(tokens / p.engine.block_size);
    return blocks * p.engine.block_size;
}

/// A profile that could not be read; what() names the field and what was wrong with it.
class profile_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

class profile_reader {
public:
    std::string error;

    [[nodiscard]] bool failed() const noexcept {
        return !error.empty();
    }

    const boost::json::object* object(const boost::json::object& parent, std::string_view key,
                                      const std::string& path) {
        const boost::json::value* v = find(parent, key, path);
        if (v == nullptr)
            return nullptr;
        if (!v->is_object()) {
            fail(join(path, key), "must be an object");
            return nullptr;
        }
        return &v->get_object();
    }

    void text(const boost::json::object& parent, std::string_view key, const std::string& path,
              std::string& out, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        if (!v->is_string())
            return fail(join(path, key), "must be a string");
        out = std::string(v->get_string());
    }

    void texts(const boost::json::object& parent, std::string_view key, const std::string& path,
               std::vector<std::string>& out) {
        const boost::json::value* v = find(parent, key, path, false);
        if (v == nullptr)
            return;
        if (!v->is_array())
            return fail(join(path, key), "must be an array of strings");
        out.clear();
        for (const boost::json::value& e : v->get_array()) {
            if (!e.is_string())
                return fail(join(path, key), "must be an array of strings");
            out.emplace_back(e.get_string());
        }
    }

    void flag(const boost::json::object& parent, std::string_view key, const std::string& path,
              bool& out, bool required) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        if (!v->is_bool())
            return fail(join(path, key), "must be true or false");
        out = v->get_bool();
    }

    enum class bound { positive, non_negative, fraction };

    void number(const boost::json::object& parent, std::string_view key, const std::string& path,
                double& out, bound b, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        double x = 0.0;
        if (v->is_double())
            x = v->get_double();
        else if (v->is_int64())
            x = static_cast<double>(v->get_int64());
        else if (v->is_uint64())
            x = static_cast<double>(v->get_uint64());
        else
            return fail(join(path, key), "must be a number");
        if (!std::isfinite(x))
            return fail(join(path, key), "must be finite");
        if (b == bound::positive && !(x > 0.0))
            return fail(join(path, key), "must be positive (got " + show(x) + ")");
        if (b == bound::non_negative && x < 0.0)
            return fail(join(path, key), "must not be negative (got " + show(x) + ")");
        if (b == bound::fraction && !(x > 0.0 && x <= 1.0))
            return fail(join(path, key), "must be in (0, 1] (got " + show(x) + ")");
        out = x;
    }

    template <class Int>
    void integer(const boost::json::object& parent, std::string_view key, const std::string& path,
                 Int& out, bool positive, bool required = true) {
        const boost::json::value* v = find(parent, key, path, required);
        if (v == nullptr)
            return;
        std::uint64_t x = 0;
        if (v->is_uint64()) {
            x = v->get_uint64();
        } else if (v->is_int64()) {
            if (v->get_int64() < 0)
                return fail(join(path, key),
                            "must not be negative (got " + std::to_string(v->get_int64()) + ")");
            x = static_cast<std::uint64_t>(v->get_int64());
        } else {
            return fail(join(path, key), "must be a whole number");
        }
        if (x > static_cast<std::uint64_t>(static_cast<Int>(-1)))
            return fail(join(path, key), "is too large");
        if (positive && x == 0)
            return fail(join(path, key), "must be positive (got 0)");
        out = static_cast<Int>(x);
    }

    void fail(const std::string& field, const std::string& what) {
        if (error.empty())
            error = "profile: field \"" + field + "\" " + what;
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

private:
    const boost::json::value* find(const boost::json::object& parent, std::string_view key,
                                   const std::string& path, bool required = true) {
        if (failed())
            return nullptr;
        const boost::json::value* v = parent.if_contains(key);
        if (v == nullptr && required)
            fail(join(path, key), "is missing");
        return v;
    }

    static std::string show(double x) {
        std::ostringstream s;
        s << x;
        return s.str();
    }
};

inline void read_profile(profile_reader& r, const boost::json::object& root, profile& p) {
    using bound = profile_reader::bound;
    r.text(root, "name", "", p.name);
    r.text(root, "description", "", p.description, false);
    r.texts(root, "notes", "", p.notes);
    r.texts(root, "fitted_to", "", p.fitted_to);

    if (const auto* m = r.object(root, "model", "")) {
        const std::string at = "model";
        model_spec& s = p.model;
        r.text(*m, "name", at, s.name);
        r.integer(*m, "layers", at, s.layers, true);
        r.integer(*m, "dense_layers", at, s.dense_layers, false, false);
        r.integer(*m, "hidden_size", at, s.hidden_size, true);
        r.integer(*m, "vocab_size", at, s.vocab_size, true);
        r.flag(*m, "tied_embeddings", at, s.tied_embeddings, false);
        r.integer(*m, "dense_intermediate_size", at, s.dense_intermediate_size, false, false);
        r.integer(*m, "experts", at, s.experts, false, false);
        r.integer(*m, "experts_per_token", at, s.experts_per_token, false, false);
        r.integer(*m, "shared_experts", at, s.shared_experts, false, false);
        r.integer(*m, "expert_intermediate_size", at, s.expert_intermediate_size, false, false);
        r.number(*m, "expert_popularity_skew", at, s.expert_popularity_skew, bound::non_negative,
                 false);
        r.number(*m, "weight_bytes_per_param", at, s.weight_bytes_per_param, bound::positive);
        r.number(*m, "kv_bytes_per_element", at, s.kv_bytes_per_element, bound::positive);
        r.integer(*m, "max_context_tokens", at, s.max_context_tokens, true);
        if (const auto* a = r.object(*m, "attention", at)) {
            const std::string aat = "model.attention";
            attention_spec& t = s.attention;
            std::string kind;
            r.text(*a, "kind", aat, kind);
            if (!r.failed() && kind != "gqa" && kind != "mla")
                r.fail(aat + ".kind", "must be \"gqa\" or \"mla\" (got \"" + kind + "\")");
            t.kind = kind == "mla" ? attention_kind::mla : attention_kind::gqa;
            r.integer(*a, "heads", aat, t.heads, true);
            if (t.kind == attention_kind::gqa) {
                r.integer(*a, "kv_heads", aat, t.kv_heads, true);
                r.integer(*a, "head_dim", aat, t.head_dim, true);
            } else {
                r.integer(*a, "q_lora_rank", aat, t.q_lora_rank, false, false);
                r.integer(*a, "kv_lora_rank", aat, t.kv_lora_rank, true);
                r.integer(*a, "qk_nope_head_dim", aat, t.qk_nope_head_dim, true);
                r.integer(*a, "qk_rope_head_dim", aat, t.qk_rope_head_dim, true);
                r.integer(*a, "v_head_dim", aat, t.v_head_dim, true);
            }
        }
        if (!r.failed() && s.dense_layers > s.layers)
            r.fail("model.dense_layers", "must not exceed model.layers");
        if (!r.failed() && s.experts > 0) {
            if (s.experts_per_token == 0 || s.experts_per_token > s.experts)
                r.fail("model.experts_per_token", "must be in [1, model.experts]");
            else if (s.expert_intermediate_size == 0)
                r.fail("model.expert_intermediate_size", "must be positive when experts > 0");
        }
        if (!r.failed() && (s.experts == 0 || s.dense_layers > 0) && s.dense_intermediate_size == 0)
            r.fail("model.dense_intermediate_size", "must be positive when dense layers exist");
    }

    if (const auto* g = r.object(root, "gpu", "")) {
        const std::string at = "gpu";
        r.text(*g, "name", at, p.gpu.name);
        r.number(*g, "memory_bytes", at, p.gpu.memory_bytes, bound::positive);
        r.number(*g, "memory_bandwidth_bytes_per_s", at, p.gpu.memory_bandwidth_bytes_per_s,
                 bound::positive);
        r.number(*g, "peak_flops_per_s", at, p.gpu.peak_flops_per_s, bound::positive);
        r.number(*g, "attention_peak_flops_per_s", at, p.gpu.attention_peak_flops_per_s,
                 bound::positive, false);
    }

    if (const auto* e = r.object(root, "engine", "")) {
        const std::string at = "engine";
        engine_settings& s = p.engine;
        r.integer(*e, "max_num_batched_tokens", at, s.max_num_batched_tokens, true);
        r.integer(*e, "max_num_seqs", at, s.max_num_seqs, true);
        r.integer(*e, "block_size", at, s.block_size, true);
        r.number(*e, "gpu_memory_utilization", at, s.gpu_memory_utilization, bound::fraction);
        r.number(*e, "activation_reserve_bytes", at, s.activation_reserve_bytes,
                 bound::non_negative);
        r.integer(*e, "kv_cache_tokens", at, s.kv_cache_tokens, false, false);
        r.integer(*e, "cuda_graph_max_tokens", at, s.cuda_graph_max_tokens, false);
    }

    if (const auto* f = r.object(root, "efficiency", "")) {
        const std::string at = "efficiency";
        efficiency_factors& s = p.efficiency;
        r.number(*f, "weight_bandwidth", at, s.weight_bandwidth, bound::fraction);
        r.number(*f, "kv_bandwidth", at, s.kv_bandwidth, bound::fraction);
        r.number(*f, "linear_compute", at, s.linear_compute, bound::fraction);
        r.number(*f, "attention_compute", at, s.attention_compute, bound::fraction);
        r.number(*f, "graph_step_overhead_s", at, s.graph_step_overhead_s, bound::non_negative);
        r.number(*f, "eager_step_overhead_s", at, s.eager_step_overhead_s, bound::non_negative);
        r.number(*f, "per_sequence_overhead_s", at, s.per_sequence_overhead_s, bound::non_negative);
    }

    if (const auto* f = r.object(root, "frontend", "")) {
        const std::string at = "frontend";
        frontend_settings& s = p.frontend;
        r.number(*f, "request_overhead_s", at, s.request_overhead_s, bound::non_negative);
        r.number(*f, "tokenize_s_per_token", at, s.tokenize_s_per_token, bound::non_negative);
        r.number(*f, "header_delay_s", at, s.header_delay_s, bound::non_negative);
    }

    if (!r.failed() && kv_cache_tokens(p) < p.engine.block_size)
        r.fail("engine.kv_cache_tokens",
               "leaves no room: weights and the activation reserve exceed usable memory");
}

} // namespace detail

/**
 * Reads a profile from JSON text (the format of docs/emulator.md). Returns nothing and sets
 * `error_message` when the text is not JSON, a required field is missing, a field has the
 * wrong type, or a value is out of range; the message names the field, e.g.
 * `profile: field "gpu.memory_bandwidth_bytes_per_s" must be positive (got -1)`.
 */
[[nodiscard]] inline std::optional<profile> parse_profile(std::string_view json,
                                                          std::string& error_message) {
    boost::system::error_code ec;
    const boost::json::value root = boost::json::parse(json, ec);
    if (ec) {
        error_message = "profile: not valid JSON: " + ec.message();
        return std::nullopt;
    }
    if (!root.is_object()) {
        error_message = "profile: the document must be a JSON object";
        return std::nullopt;
    }
    detail::profile_reader reader;
    profile p;
    detail::read_profile(reader, root.get_object(), p);
    if (reader.failed()) {
        error_message = std::move(reader.error);
        return std::nullopt;
    }
    error_message.clear();
    return p;
}

/// Reads a profile from JSON text; throws profile_error with parse_profile's message.
[[nodiscard]] inline profile load_profile(std::string_view json) {
    std::string message;
    std::optional<profile> p = parse_profile(json, message);
    if (!p)
        throw profile_error(message);
    return std::move(*p);
}

/// Reads a profile from a JSON file; throws profile_error naming the file when it cannot be
/// read or its content is not a valid profile.
[[nodiscard]] inline profile load_profile_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw profile_error("profile: cannot open " + file.string());
    std::ostringstream content;
    content << in.rdbuf();
    std::string message;
    std::optional<profile> p = parse_profile(content.str(), message);
    if (!p)
        throw profile_error(file.string() + ": " + message);
    return std::move(*p);
}

} // namespace llmcap::emulator
