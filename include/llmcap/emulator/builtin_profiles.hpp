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
inline constexpr std::array<builtin_profile_entry, 2> builtin_profiles{{
    {"glm-4.7-flash-h200-bf16", R"json({
  "name": "glm-4.7-flash-h200-bf16",
  "description": "GLM-4.7-Flash (30B total, ~3.6B active, MoE with MLA), BF16 weights and KV cache, vLLM v1, one H200 SXM",
  "notes": [
    "Architecture: 47 layers (the first dense, 46 mixture-of-experts), hidden 2048, vocabulary 154880 with an untied output head, 64 routed experts of intermediate width 1536 with 4 per token plus 1 shared expert, dense MLP width 10240, 20 attention heads, maximum context 202752. These give 29.9B parameters (59.9 GB in BF16) and 3.6B active per token, matching the published 30B-A3B.",
    "Assumption: the attention is MLA as in DeepSeek-V3 with q_lora_rank 768, kv_lora_rank 512, qk_nope_head_dim 192, qk_rope_head_dim 64, v_head_dim 256. The cache then holds 576 values per token per layer: 54,144 bytes per token in BF16. Verify against the checkpoint's config.json before reusing these numbers for another purpose.",
    "GPU: the catalogue's H200 SXM (analysis/catalogue.hpp, where every figure names its source): 143,771 MiB of memory as the driver reports it, 4.8 TB/s HBM3e, 989.5 TFLOP/s dense BF16. Model: the catalogue's GLM-4.7-Flash, with the fitted routing skew.",
    "Engine: vLLM v1 defaults for an OpenAI server on a large-memory GPU: 8192-token step budget, 256 sequences, 16-token blocks, 90% memory utilisation; 4 GB kept for activations and CUDA graphs, which leaves about 1.33M tokens of KV cache. Steps of up to 512 tokens replay CUDA graphs.",
    "Efficiency factors, step overheads, front-end delays and the routing skew were fitted with llmcap::emulator::fit_profile (Nelder-Mead on squared log errors, 700 evaluations from each of several starting points, keeping the run with the most figures within 15%) to the figures listed in fitted_to, each cell run cold in closed loop with three waves of requests (calibration_options defaults). The test tests/emulator/calibration.cpp checks the result.",
    "Two fitted numbers need a word. weight_bandwidth 0.63 with expert_popularity_skew 1.5 together say that decoding one sequence reads its experts' weights at well below peak bandwidth (fused MoE kernels at small batches are far from the bandwidth roofline) and that the cost of a decode step grows slowly with the batch, because tokens of a batch crowd onto the same experts. The report's figures pin the pair down: 5.1 ms per token at concurrency 1 against about 14.5 ms per token at concurrency 24.",
    "eager_step_overhead_s 0.034 is what the 66 ms TTFT at 1K and the 33.6K tok/s prefill at 8K leave for a step too large for a CUDA graph.",
    "The fit found linear_compute 0.4527 and attention_compute 0.5264 as fractions of 989 TFLOP/s; they are written here as the same rates against the catalogue's 989.5 TFLOP/s (0.4527 x 989 / 989.5 and 0.5264 x 989 / 989.5, to the last bit), so every step costs what it did."
  ],
  "fitted_to": [
    "glm-4.7-flash-h200-report.txt, 1,024 output tokens unless noted, closed loop at fixed concurrency:",
    "1K: TTFT 66 ms and 196.7 tok/s per user at c=1; 458.3 tok/s system throughput at c=4",
    "1K with 128 output tokens: E2E 717 / 2016 / 2051 ms at c=1 / 24 / 30",
    "8K: TTFT 0.2 / 4.2 / 5.7 s and 184 / 26 / 23 tok/s per user at c=1 / 75 / 125; prefill 33,639 tok/s at c=1",
    "32K: TTFT 1.6 / 4.3 / 6.7 s and 172 / 78 / 42 tok/s per user at c=1 / 5 / 12; 221.4 tok/s system throughput at c=4",
    "64K: TTFT 11.6 s and 66 tok/s per user at c=4",
    "96K: TTFT 9.7 / 14.4 / 23.6 s and 122 / 84 / 40 tok/s per user at c=1 / 2 / 4",
    "200K: TTFT 35.9 s and 116.3 tok/s per user at c=1; 15.2 tok/s per user, 18.8 tok/s system throughput and 51.7 s queue wait at c=4"
  ],
  "model": { "base": "GLM-4.7-Flash", "expert_popularity_skew": 1.5102,
             "sources": { "expert_popularity_skew": "fitted with fit_profile to the figures in fitted_to" } },
  "gpu": "H200 SXM",
  "engine": { "max_num_batched_tokens": 8192, "max_num_seqs": 256, "block_size": 16,
              "gpu_memory_utilization": 0.9, "activation_reserve_bytes": 4e9,
              "kv_cache_tokens": 0, "cuda_graph_max_tokens": 512,
              "enable_prefix_caching": true },
  "efficiency": { "weight_bandwidth": 0.6303, "kv_bandwidth": 0.8961,
                  "linear_compute": 0.4524712481051036, "attention_compute": 0.5261340070742799,
                  "graph_step_overhead_s": 0.003629,
                  "eager_step_overhead_s": 0.034415, "per_sequence_overhead_s": 1.24e-5 },
  "frontend": { "request_overhead_s": 0.005921, "tokenize_s_per_token": 2.29e-6,
                "header_delay_s": 0.0005 }
})json"},
    {"glm-4.7-flash-h100-fp8", R"json({
  "name": "glm-4.7-flash-h100-fp8",
  "description": "GLM-4.7-Flash with FP8 weights and a BF16 KV cache, vLLM v1, one H100 SXM 80 GB (a prediction, not a fit)",
  "notes": [
    "Same architecture as glm-4.7-flash-h200-bf16 (see its notes and assumptions).",
    "Weights: FP8, one byte per parameter (29.9 GB). FP8 checkpoints usually keep the embedding, output head and norms in BF16, so this slightly understates the bytes read per step. The KV cache stays BF16 (54,144 bytes per token).",
    "GPU: the catalogue's H100 SXM 80 GB: 81,559 MiB as the driver reports it, 3.35 TB/s HBM3, 1979 TFLOP/s dense FP8 for the linear layers (linear_precision fp8); attention runs in BF16 at 989.5 TFLOP/s (attention_precision bf16). attention_compute is the H200 fit's, restated against 989.5 TFLOP/s as there.",
    "Memory: 90% of 85.5 GB less 29.9 GB of weights and 4 GB of reserve leaves about 0.79M tokens of KV cache, 60% of the H200's. Four 200K-token requests (804K tokens) no longer fit at once: the fourth waits for KV blocks or causes preemption.",
    "Efficiency factors are the H200 BF16 fit's, carried over as fractions of peak, since the same vLLM kernels and host overheads apply, with one exception: linear_compute 0.30 instead of 0.45, because block-scaled FP8 grouped GEMMs for small experts reach a smaller fraction of their doubled peak (net about 1.3x the BF16 linear throughput rather than 2x).",
    "Expected behaviour: single-user decode at short context is faster than on the H200 (half the weight bytes against 70% of the bandwidth); long-context decode is slower (the BF16 KV cache is read at 70% of the bandwidth); prefill at long context is about the same (attention-bound, BF16 on both); capacity at long context is lower (smaller KV cache)."
  ],
  "fitted_to": [],
  "model": { "base": "GLM-4.7-Flash", "name": "GLM-4.7-Flash-FP8", "display_name": "GLM-4.7-Flash (FP8)",
             "weight_bytes_per_param": 1, "linear_precision": "fp8", "expert_popularity_skew": 1.5102,
             "source": "profile glm-4.7-flash-h100-fp8: FP8 weights and FP8 linear layers; the routing skew of glm-4.7-flash-h200-bf16" },
  "gpu": "H100 SXM",
  "engine": { "max_num_batched_tokens": 8192, "max_num_seqs": 256, "block_size": 16,
              "gpu_memory_utilization": 0.9, "activation_reserve_bytes": 4e9,
              "kv_cache_tokens": 0, "cuda_graph_max_tokens": 512,
              "enable_prefix_caching": true },
  "efficiency": { "weight_bandwidth": 0.6303, "kv_bandwidth": 0.8961, "linear_compute": 0.30,
                  "attention_compute": 0.5261340070742799,
                  "graph_step_overhead_s": 0.003629,
                  "eager_step_overhead_s": 0.034415, "per_sequence_overhead_s": 1.24e-5 },
  "frontend": { "request_overhead_s": 0.005921, "tokenize_s_per_token": 2.29e-6,
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
