#pragma once

#include <llmcap/emulator/profile.hpp>

#include <array>       // array
#include <stdexcept>   // invalid_argument
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::emulator {

/// A profile shipped with the library: its name and its JSON text.
struct builtin_profile_entry {
    /// The profile's name (the `name` field of its JSON).
    std::string_view name;
    /// The profile as JSON (the format of docs/emulator.md).
    std::string_view json;
};

/// Name of the default profile.
inline constexpr std::string_view default_profile_name = "glm-4.7-flash-h200-bf16";

/// The profiles shipped with the library, default first.
inline constexpr std::array<builtin_profile_entry, 1> builtin_profiles{{
    {"glm-4.7-flash-h200-bf16", R"json({
  "name": "glm-4.7-flash-h200-bf16",
  "description": "GLM-4.7-Flash (30B-A3B MoE, MLA), BF16 weights and KV cache, vLLM v1, one H200 SXM",
  "model": {
    "name": "GLM-4.7-Flash",
    "layers": 47, "dense_layers": 1, "hidden_size": 2048, "vocab_size": 154880,
    "tied_embeddings": false, "dense_intermediate_size": 10240,
    "experts": 64, "experts_per_token": 4, "shared_experts": 1, "expert_intermediate_size": 1536,
    "expert_popularity_skew": 0.0,
    "attention": { "kind": "mla", "heads": 20, "q_lora_rank": 768, "kv_lora_rank": 512,
                   "qk_nope_head_dim": 192, "qk_rope_head_dim": 64, "v_head_dim": 256 },
    "weight_bytes_per_param": 2, "kv_bytes_per_element": 2, "max_context_tokens": 202752
  },
  "gpu": { "name": "H200 SXM", "memory_bytes": 150.7e9,
           "memory_bandwidth_bytes_per_s": 4.8e12, "peak_flops_per_s": 989e12 },
  "engine": { "max_num_batched_tokens": 8192, "max_num_seqs": 256, "block_size": 16,
              "gpu_memory_utilization": 0.9, "activation_reserve_bytes": 4e9,
              "kv_cache_tokens": 0, "cuda_graph_max_tokens": 512 },
  "efficiency": { "weight_bandwidth": 0.85, "kv_bandwidth": 0.65, "linear_compute": 0.3,
                  "attention_compute": 0.58, "graph_step_overhead_s": 0.0033,
                  "eager_step_overhead_s": 0.03, "per_sequence_overhead_s": 0.0 },
  "frontend": { "request_overhead_s": 0.004, "tokenize_s_per_token": 0.0,
                "header_delay_s": 0.0005 }
})json"},
}};

/// The JSON text of the shipped profile `name`; throws std::invalid_argument for an unknown
/// name.
[[nodiscard]] inline std::string_view builtin_profile_json(std::string_view name) {
    for (const builtin_profile_entry& e : builtin_profiles)
        if (e.name == name)
            return e.json;
    throw std::invalid_argument("emulator: no built-in profile named \"" + std::string(name) +
                                "\"");
}

/// The shipped profile `name`, parsed; throws std::invalid_argument for an unknown name.
[[nodiscard]] inline profile builtin_profile(std::string_view name = default_profile_name) {
    return load_profile(builtin_profile_json(name));
}

} // namespace llmcap::emulator
